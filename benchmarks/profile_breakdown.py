"""Where a service's CPU goes: py-spy's raw stacks sorted into the components of a turn.

``py-spy record --format raw`` writes one line per distinct stack, ``frame;frame;... count``,
each frame ``function (file:line)`` with ``file`` relative to ``sys.path`` (``rasa/core/
processor.py``, ``bot/components/minilm_featurizer.py``). A stack belongs to the first
component, in the order below, that has a frame in it: the specific parts come first (a
ResponseSelector runs DIET's code, so it is named before DIET; RulePolicy before the
MemoizationPolicy it extends), the generic ones (Rasa's graph runner, the processor, the
HTTP server) last, so a stack is charged to the deepest piece of work it belongs to.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

# (component, file prefixes) for the Rasa server, in order of precedence.
RASA_COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("NLU: ResponseSelectors (faq, chitchat)", ("rasa/nlu/selectors/",)),
    ("NLU: DIET (entities)", ("rasa/nlu/classifiers/diet_classifier.py",)),
    ("NLU: MiniLM featurizer", ("bot/components/minilm",)),
    (
        "NLU: spaCy (SpacyNLP, tokenizer, entity extractor)",
        ("rasa/nlu/utils/spacy_utils.py", "rasa/nlu/tokenizers/spacy", "rasa/nlu/extractors/spacy"),
    ),
    (
        "NLU: linear intent + OOD (bot/components)",
        ("bot/components/linear_intent", "bot/components/out_of_distribution", "bot/components/"),
    ),
    ("NLU: other (featurizers, fallback, synonyms)", ("rasa/nlu/",)),
    ("policy: TED", ("rasa/core/policies/ted_policy.py",)),
    ("policy: Rule", ("rasa/core/policies/rule_policy.py",)),
    ("policy: Memoization", ("rasa/core/policies/memoization.py",)),
    ("policy: ensemble, featurizers", ("rasa/core/policies/", "rasa/core/featurizers/")),
    ("tracker store (read, write)", ("rasa/core/tracker_store.py", "bot/tracker_store")),
    ("lock store", ("rasa/core/lock_store.py", "rasa/core/lock.py")),
    ("actions (HTTP to action server, utter)", ("rasa/core/actions/", "rasa/utils/endpoints.py")),
    ("graph runner", ("rasa/engine/",)),
    (
        "tracker replay (processor: events, states)",
        ("rasa/shared/core/trackers.py", "rasa/shared/core/events.py", "rasa/shared/core/slots"),
    ),
    ("channel (concierge), output", ("rasa/core/channels/", "bot/channels")),
    ("processor, agent, other Rasa", ("rasa/",)),
    ("Sanic, asyncio, other", ("",)),
)

# The action server: our actions and what they call, then rasa_sdk and its server.
ACTION_COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "recsys (models, embeddings)",
        ("recsys/", "sentence_transformers/", "torch/", "sklearn/", "numpy/", "scipy/"),
    ),
    ("store (SQLAlchemy, SQLite)", ("store/", "sqlalchemy/")),
    ("promotions", ("promotions/",)),
    ("our actions (actions/)", ("actions/",)),
    ("rasa_sdk (tracker, dispatch, JSON)", ("rasa_sdk/",)),
    ("Sanic, asyncio, other", ("",)),
)

# The console: the chat relay to Rasa, the rest of the app, aiohttp itself.
CONSOLE_COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chat relay (console/chat)", ("console/chat/",)),
    ("console, other", ("console/",)),
    ("aiohttp, asyncio, other", ("",)),
)

COMPONENTS = {"rasa": RASA_COMPONENTS, "actions": ACTION_COMPONENTS, "console": CONSOLE_COMPONENTS}

_FRAME = re.compile(r"\((?P<file>[^()]*?):\d+\)$")

IDLE = "(idle: waiting, not CPU)"
# Innermost Python frames of a thread that waits in C (a lock, a queue, epoll): py-spy
# reports some of those threads as active; their samples are no CPU, so they are set apart.
_WAITING_LEAVES = frozenset(
    {
        "wait",
        "select",
        "poll",
        "accept",
        "recv",
        "_recv",
        "_recv_bytes",
        "_worker",  # a thread pool's idle worker blocked on its queue
        "run_forever",
        "_run_server_forever",  # a Sanic worker's uvloop waiting in epoll
        "serve_forever",
        "serve_application",  # Rasa's uvloop waiting in epoll
        "sleep",
    }
)


def is_idle(stack: str) -> bool:
    """Whether the stack's innermost frame is a wait (see ``_WAITING_LEAVES``)."""
    leaf = stack.rsplit(";", 1)[-1].strip().split(" (", 1)[0]
    return leaf.rsplit(".", 1)[-1] in _WAITING_LEAVES


def frame_files(stack: str) -> list[str]:
    """The files of a raw stack's frames, outermost first (a ``process ...`` frame dropped)."""
    files = []
    for frame in stack.split(";"):
        match = _FRAME.search(frame.strip())
        if match:
            files.append(match.group("file"))
    return files


def parse_raw(lines: Iterable[str]) -> Counter[str]:
    """Samples per stack from py-spy's raw output (stacks of several lines merged)."""
    samples: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if stack and count.isdigit():
            samples[stack] += int(count)
    return samples


def component_of(files: list[str], components: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """The first component (by precedence) with a frame in ``files``."""
    for name, prefixes in components:
        if any(f.startswith(p) for p in prefixes for f in files):
            return name
    return components[-1][0]


def breakdown(
    samples: Counter[str], components: tuple[tuple[str, tuple[str, ...]], ...]
) -> Counter[str]:
    """Samples per component, every component listed (zero when none), and the idle ones."""
    result: Counter[str] = Counter({name: 0 for name, _ in components})
    result[IDLE] = 0
    for stack, count in samples.items():
        name = IDLE if is_idle(stack) else component_of(frame_files(stack), components)
        result[name] += count
    return result


def read_breakdown(path: Path, service: str) -> Counter[str]:
    """A py-spy raw file of ``service`` (rasa, actions, console) sorted into components."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return breakdown(parse_raw(lines), COMPONENTS[service])


def top_functions(path: Path, prefix: str, n: int = 8) -> list[tuple[str, int]]:
    """The ``n`` innermost frames under ``prefix`` files with the most samples (self+children
    below them that are not ``prefix`` files), to name what inside a component costs."""
    counts: Counter[str] = Counter()
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    for stack, count in parse_raw(lines).items():
        if is_idle(stack):
            continue
        frames = [f.strip() for f in stack.split(";")]
        inner = [
            f for f in frames if (m := _FRAME.search(f)) and m.group("file").startswith(prefix)
        ]
        if inner:
            counts[re.sub(r":\d+\)$", ")", inner[-1])] += count
    return counts.most_common(n)


# What inside a component costs, for the components the candidates touch:
# (service, component, [(label, substrings of the stack)]), first match wins.
_REPLAY = ("tracker replay (applied_events, states)", ("applied_events", "past_states"))
_TF = ("TensorFlow predict", ("tensorflow/", "_rasa_predict"))
DETAILS: tuple[tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    (
        "rasa",
        "actions (HTTP to action server, utter)",
        (
            ("jsonschema validation of the response", ("jsonschema/",)),
            ("tracker to JSON for the call", ("current_state", "json/", "dumps")),
            ("aiohttp client", ("aiohttp/",)),
        ),
    ),
    ("rasa", "policy: TED", (_TF, _REPLAY)),
    ("rasa", "policy: Rule", (_REPLAY,)),
    ("rasa", "policy: Memoization", (_REPLAY,)),
    ("rasa", "NLU: ResponseSelectors (faq, chitchat)", (_TF,)),
    ("rasa", "NLU: DIET (entities)", (_TF,)),
    ("rasa", "tracker store (read, write)", (("SQL commit", ("do_commit",)),)),
    ("actions", "rasa_sdk (tracker, dispatch, JSON)", (("JSON decode", ("json", "loads")),)),
)


def details(
    samples: Counter[str],
    service: str,
    component: str,
    labels: tuple[tuple[str, tuple[str, ...]], ...],
) -> Counter[str]:
    """Samples of ``component`` split by the first label whose substring is in the stack."""
    result: Counter[str] = Counter({label: 0 for label, _ in labels})
    for stack, count in samples.items():
        if is_idle(stack) or component_of(frame_files(stack), COMPONENTS[service]) != component:
            continue
        label = next((lb for lb, subs in labels if any(s in stack for s in subs)), "other")
        result[label] += count
    return result
