"""Record what Rasa sends the action server during the load benchmark's conversation.

    nice -n 10 .venv/bin/python -m benchmarks.action_calls_record [--passes 4]
        [--out var/bench/action_calls/recorded.json.gz]

Starts the embedded stack (:class:`concierge.stack.Stack`: console, Rasa, action server) on
a copy of ``var/concierge.db``, with a recording relay between Rasa and the action server:
Rasa's ``action_endpoint`` points at the relay, which forwards every call unchanged, token
header included, and keeps the request body, the answer and the round-trip time. One
signed-in customer then sends the load script (``tests/support/load_client.py``)
``--passes`` times in one conversation, so the same turns are recorded once with a short
tracker and again with a long one. ``benchmarks/action_calls.py`` replays the file.

Why a relay and not the tracker store: Rasa's call carries the tracker state as Rasa built
it for that action (``current_state(EventVerbosity.ALL)``, slots, the domain), which is what
the action server parses; rebuilding it from stored events would be a guess.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks.load_stacks import BENCH_DIR, bench_settings, give_shop_ids, shop_customers
from concierge.settings import ROOT
from store.db import upgrade
from tests.support.load_client import ConsoleChat, conversation_script, loopback_address
from tests.support.servers import free_port

DEFAULT_OUT = BENCH_DIR / "action_calls" / "recorded.json.gz"
# Headers the relay must not copy: aiohttp sets them for the forwarded body itself.
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass
class Recording:
    """Every action call, tagged with the customer turn that caused it."""

    turn: dict[str, Any] | None = None
    turns: list[dict[str, Any]] = field(default_factory=list)


def relay_app(target_url: str, recording: Recording) -> web.Application:
    """An aiohttp app forwarding ``POST /webhook`` to ``target_url`` and keeping each call."""

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        began = time.perf_counter()
        async with (
            aiohttp.ClientSession() as session,
            session.post(target_url, data=body, headers=headers) as answer,
        ):
            reply = await answer.read()
            status = answer.status
            content_type = answer.content_type
        elapsed = time.perf_counter() - began
        payload = json.loads(body)
        call = {
            "action": payload.get("next_action"),
            "events": len(payload.get("tracker", {}).get("events") or []),
            "bytes": len(body),
            "status": status,
            "seconds": elapsed,
            "request": payload,
            "response": json.loads(reply) if reply else None,
        }
        if recording.turn is not None:
            recording.turn["calls"].append(call)
        return web.Response(body=reply, status=status, content_type=content_type)

    app = web.Application(client_max_size=64 * 1024**2)
    app.router.add_post("/webhook", webhook)
    return app


async def drive(
    console_url: str, identity_secret: str, customer: Any, passes: int, rec: Recording
) -> None:
    """One customer says the whole script ``passes`` times in one conversation."""
    chat = ConsoleChat(console_url, identity_secret, customer, source_address=loopback_address(0))
    rec.turn = {"pass": 0, "index": -1, "text": "(chat start)", "calls": []}
    rec.turns.append(rec.turn)
    await chat.start()
    if chat.record.start_error:
        raise SystemExit(f"The chat did not start: {chat.record.start_error}")
    try:
        for number in range(1, passes + 1):
            for index, text in enumerate(conversation_script(customer.order_number)):
                rec.turn = {"pass": number, "index": index, "text": text, "calls": []}
                rec.turns.append(rec.turn)
                turn = await chat.say(text)
                rec.turn["outcome"] = turn.outcome
                # Rasa may still be finishing the turn's last call when the reply lands.
                await asyncio.sleep(0.2)
    finally:
        rec.turn = None
        await chat.close()


async def record(passes: int, scratch: Path) -> Recording:
    """Start the stack behind the relay, drive the conversation, stop everything."""
    from concierge.stack import Stack

    settings = bench_settings(scratch / "stack")
    source = ROOT / "var" / "concierge.db"
    with sqlite3.connect(source) as src, sqlite3.connect(settings.var_dir / "concierge.db") as dst:
        src.backup(dst)
    upgrade(settings.db_url)
    give_shop_ids(settings.db_url)
    customer = shop_customers(settings.db_url, limit=1)[0]
    recording = Recording()
    runner = web.AppRunner(relay_app(settings.action_url, recording), access_log=None)
    await runner.setup()
    relay_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", relay_port).start()
    stack = Stack(settings)
    stack.services["rasa"].env["CONCIERGE_ACTION_URL"] = f"http://127.0.0.1:{relay_port}/webhook"
    try:
        await asyncio.to_thread(stack.start, 600)
        await drive(settings.console_url, settings.identity_secret, customer, passes, recording)
    finally:
        stack.stop()
        await runner.cleanup()
    return recording


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=4, help="times the script is said")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="action-calls-") as scratch:
        recording = asyncio.run(record(args.passes, Path(scratch)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt") as out:
        json.dump({"turns": recording.turns}, out)
    calls = sum(len(t["calls"]) for t in recording.turns)
    print(f"{len(recording.turns)} turns, {calls} action calls -> {args.out}")
    for turn in recording.turns:
        names = ", ".join(f"{c['action']}({c['events']})" for c in turn["calls"])
        print(f"  pass {turn['pass']} #{turn['index']:>2} {turn['text'][:40]:<40} {names}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
