"""A PostgreSQL cluster for the store's tests, a fresh database per test, and Rasa's writer.

The cluster is the throwaway one of ``tests.promotions.postgres`` (Debian's server binaries,
loopback, a temporary folder, stopped by its data directory). Each test gets a database of
its own in it, so tests stay independent without paying for a cluster each. Rasa's events
are written by Rasa itself: :func:`rasa_saves` runs Rasa 3.6's ``SQLTrackerStore`` in
``.venv-rasa`` (psycopg2), so the console reads the table exactly as Rasa creates it.
"""

from __future__ import annotations

import itertools
import json
import secrets
import subprocess
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from concierge.stack import Stack
from tests.promotions.postgres import throwaway_cluster, unavailable_reason
from tests.support.servers import isolated_settings

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

_names = itertools.count(1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A running throwaway cluster's URL (database ``postgres``); skips without PostgreSQL."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no throwaway PostgreSQL on this machine: {reason}")
    with throwaway_cluster() as url:
        yield url


def fresh_database(cluster_url: str, prefix: str = "shop", template: str | None = None) -> str:
    """Create a database in the cluster; its URL (same user, host and port).

    Empty, or a copy of the database ``template`` names (PostgreSQL copies it file by file,
    far faster than building it again; nobody may be connected to the template).
    """
    name = f"{prefix}_{next(_names)}"
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    admin = create_engine(cluster_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    finally:
        admin.dispose()
    return make_url(cluster_url).set(database=name).render_as_string(hide_password=False)


def as_rasa_url(url: str) -> str:
    """The URL as a Rasa operator writes it: ``postgresql://`` (psycopg2 in Rasa's env)."""
    return "postgresql://" + url.split("://", 1)[1]


_RASA_WRITER = textwrap.dedent(
    """
    import asyncio, json, sys
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

    async def main():
        spec = json.loads(sys.stdin.read())
        slots = {n: {"type": "any", "mappings": [{"type": "custom"}]} for n in spec["slots"]}
        domain = Domain.from_dict({"slots": slots})
        store = SQLTrackerStore(domain=domain, **spec["store"])
        for sender, events in spec["conversations"].items():
            tracker = DialogueStateTracker.from_events(
                sender, [Event.from_parameters(e) for e in events], slots=domain.slots
            )
            await store.save(tracker)
        saved = {
            s: len((await store.retrieve_full_tracker(s)).events) for s in spec["conversations"]
        }
        print(json.dumps(saved))

    asyncio.run(main())
    """
)


def rasa_saves(url: str, conversations: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Save the conversations with Rasa's own SQLTrackerStore; events per sender, as read back.

    Skips the test when ``.venv-rasa`` is missing (the Rasa environment is not built).
    """
    if not RASA_PYTHON.exists():
        pytest.skip(f"the Rasa environment is not built ({RASA_PYTHON} is missing)")
    parsed = make_url(url)
    spec = {
        "slots": ["customer_id", "order_email", "customer_name"],
        "store": {
            "dialect": "postgresql",
            "host": parsed.host,
            "port": parsed.port,
            "db": parsed.database,
            "username": parsed.username,
        },
        "conversations": conversations,
    }
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", _RASA_WRITER],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def action_servers(db_url: str, root: Path, count: int) -> Iterator[list[tuple[str, str]]]:
    """``count`` action server processes on one shop database; (base URL, token) of each.

    Each is a ``concierge.stack.Stack`` with only the actions service, on its own free
    ports and var folder (its own log), sharing the token Rasa would send; each is stopped
    by its PID when the block ends, whatever happened in it.
    """
    token = secrets.token_urlsafe(32)
    stacks: list[Stack] = []
    try:
        for n in range(1, count + 1):
            settings = replace(
                isolated_settings(root / f"actions-{n}"), db_url=db_url, action_token=token
            )
            stack = Stack(settings, services=("actions",))
            stacks.append(stack)
            stack.start(timeout=180)
        yield [(f"http://{s.settings.action_host}:{s.settings.action_port}", token) for s in stacks]
    finally:
        for stack in stacks:
            stack.stop()
