"""Timers around the parts of an action call, for ``benchmarks/action_calls.py``.

The calls run through rasa_sdk's own ``ActionExecutor`` with the ``actions`` package
registered, as the server runs them; the timers wrap the functions that do the work
(patched once in this process, never in the server): JSON parsing and
``Tracker.from_dict`` (rasa_sdk), the session-history write and its event scan, the
frustration check, the session-events helpers, the promotion decision and its store reads.
Times are inclusive (``record_activity`` contains its scan and its store write) and in CPU
seconds of this process.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import importlib
import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import Tracker
from sanic.request import Request

# CPU seconds of this process, not wall time: the cores are shared with other work, and a
# call's own work is what this measures (one call runs at a time; SQLite waits do not count).
_clock = time.process_time
# What Sanic parses a request body with (ujson when installed), as rasa_sdk's webhook does.
_sanic_loads = Request._loads

# (module, function, label): every module that imported the function by name is patched.
_FUNCTIONS = (
    ("record_activity", "session history: record_activity (scan + write)"),
    ("session_activity", "  its event scan: session_activity"),
    ("apologise_if_frustrated", "frustration check: apologise_if_frustrated"),
    ("current_session_events", "current_session_events (all callers)"),
    ("active_matters", "promotion: active_matters"),
    ("previous_action", "promotion: previous_action"),
    ("last_shown_product", "promotion: last_shown_product (store)"),
    ("offer_at", "promotion: offer_at (decision + store)"),
    ("refusals_so_far", "forms: refusals_so_far"),
)
_METHODS = (("store.session_history", "SessionHistory", "record_activity", "  its store write"),)
_MODULES = (
    "actions.base",
    "actions.forms_base",
    "actions.session",
    "actions.promotions",
    "actions.faq",
    "actions.recommendations",
    "actions.orders",
    "actions.frustration",
    "actions.multi_intent",
)
PARSE = "rasa_sdk: JSON request body -> dict"
FROM_DICT = "rasa_sdk: Tracker.from_dict"
RUN = "rasa_sdk: ActionExecutor.run (whole call)"
DUMP = "rasa_sdk: answer -> JSON"
GC = "Python's cyclic GC, pauses during calls"
GC_FULL = "  of which full (generation 2) collections"


class PartTimers:
    """Seconds spent in each part over the passes run; ``per_pass`` is the mean."""

    def __init__(self, calls_per_pass: int) -> None:
        self.calls_per_pass = calls_per_pass
        self.passes = 0
        self.seconds: dict[str, float] = defaultdict(float)
        # Whole-call seconds (parse + run + answer) and number of calls, by action name.
        self.by_action: dict[str, float] = defaultdict(float)
        self.action_calls: dict[str, int] = defaultdict(int)

    def names(self) -> list[str]:
        fixed = [PARSE, FROM_DICT, RUN, DUMP, GC, GC_FULL]
        fixed += [label for _, label in _FUNCTIONS] + [m[3] for m in _METHODS]
        return [name for name in fixed if name in self.seconds]

    def whole_call(self) -> float:
        """Mean seconds per pass from the request body to the answer's JSON."""
        return sum(self.per_pass(part) for part in (PARSE, RUN, DUMP))

    def per_pass(self, name: str) -> float:
        return self.seconds.get(name, 0.0) / self.passes if self.passes else 0.0


_current: list[PartTimers] = []
_executor: list[ActionExecutor] = []


def _timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = _clock()
        try:
            return function(*args, **kwargs)
        finally:
            if _current:
                _current[-1].seconds[label] += _clock() - began

    return wrapper


_gc_started: list[float] = []


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    """A ``gc.callbacks`` hook adding each collection's pause to the current timers."""
    if phase == "start":
        _gc_started[:] = [_clock()]
    elif _gc_started and _current:
        pause = _clock() - _gc_started[0]
        _current[-1].seconds[GC] += pause
        if info.get("generation") == 2:
            _current[-1].seconds[GC_FULL] += pause


def _patch() -> ActionExecutor:
    """Wrap the timed functions once; the executor with the ``actions`` package registered."""
    if _executor:
        return _executor[0]
    modules = [importlib.import_module(name) for name in _MODULES]
    for attr, label in _FUNCTIONS:
        originals = {id(getattr(m, attr)): getattr(m, attr) for m in modules if hasattr(m, attr)}
        for original in originals.values():
            wrapped = _timed(label, original)
            for module in modules:
                if getattr(module, attr, None) is original:
                    setattr(module, attr, wrapped)
    for module_name, cls_name, method, label in _METHODS:
        cls = getattr(importlib.import_module(module_name), cls_name)
        setattr(cls, method, _timed(label, getattr(cls, method)))
    original_from_dict = Tracker.from_dict.__func__
    Tracker.from_dict = classmethod(_timed(FROM_DICT, original_from_dict))
    gc.callbacks.append(_gc_timer)
    executor = ActionExecutor()
    executor.register_package("actions")
    _executor.append(executor)
    return executor


def run_in_process(calls: list[dict[str, Any]], timers: PartTimers) -> None:
    """Run one pass of recorded calls through the executor, adding to ``timers``."""
    executor = _patch()
    bodies = [(call["action"], json.dumps(call["request"]).encode()) for call in calls]

    async def one_pass() -> None:
        for action, body in bodies:
            began = _clock()
            action_call = _sanic_loads(body)
            parsed = _clock()
            result = await executor.run(action_call)
            ran = _clock()
            json.dumps(result.model_dump() if result else None)
            done = _clock()
            timers.seconds[PARSE] += parsed - began
            timers.seconds[RUN] += ran - parsed
            timers.seconds[DUMP] += done - ran
            timers.by_action[action] += done - began
            timers.action_calls[action] += 1

    _current.append(timers)
    try:
        asyncio.run(one_pass())
    finally:
        _current.pop()
    timers.passes += 1
