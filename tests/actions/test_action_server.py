"""The real action server process answers Rasa's webhook call for action_order_status.

rasa_sdk has no --host flag: it binds to ``SANIC_HOST`` (default 0.0.0.0), so the test
sets ``SANIC_HOST=127.0.0.1`` and checks in /proc that the port listens on loopback only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from concierge.settings import ROOT
from tests.actions.shop_data import Customer, Shop
from tests.actions.trackers import DATA, SENDER, load_domain
from tests.factories import add_order, add_product
from tests.support.servers import free_port, post_json

pytestmark = pytest.mark.integration

LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it


def _wait_until_healthy(proc: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"action server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # URLError, refused or timed out: not up yet, or too busy
            time.sleep(0.3)
    raise AssertionError(f"action server not healthy after {timeout}s:\n{log.read_text()}")


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


@pytest.fixture
def action_server(shop: Shop, tmp_path: Path) -> Iterator[str]:
    """``python -m rasa_sdk --actions actions`` on a free loopback port; stopped by PID."""
    port = free_port()
    log = tmp_path / "action-server.log"
    env = {
        **os.environ,
        "SANIC_HOST": "127.0.0.1",
        "CONCIERGE_DB_URL": shop.url,
        "CONCIERGE_VAR_DIR": str(tmp_path / "var"),
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(proc, f"http://127.0.0.1:{port}/health", log, timeout=60)
        assert _listening_addresses(port) == {LOOPBACK_HEX}
        yield f"http://127.0.0.1:{port}"
    finally:
        # Sanic runs its worker in a child process: stop the whole group we started.
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def test_webhook_answers_order_status_for_the_signed_in_customer(
    shop: Shop, anna: Customer, action_server: str
) -> None:
    lamp = add_product(shop.sessions, title="Linen table lamp", category="lighting")
    add_order(
        shop.sessions, customer_id=anna.id, number="10234", status="processing", lines=[(lamp, 1)]
    )
    state = json.loads((DATA / "order_status_tracker.json").read_text(encoding="utf-8"))
    assert state["slots"]["customer_id"] == str(anna.id)
    payload = {
        "next_action": "action_order_status",
        "sender_id": SENDER,
        "tracker": state,
        "domain": load_domain(),
        "version": "3.6.21",
    }
    answer = post_json(f"{action_server}/webhook", payload)
    assert answer["events"] == []
    assert len(answer["responses"]) == 1
    text = answer["responses"][0]["text"]
    assert text.startswith("Order 10234, placed on ")
    assert "is being packed in our warehouse. It contains Linen table lamp." in text
    # The server wrote the outcome into the same database the test reads.
    outcomes = shop.repo.current_session(SENDER).outcomes
    assert [(o.kind, o.ref) for o in outcomes] == [("order_looked_up", "10234")]


def _custom_actions_of_the_bot_domain() -> set[str]:
    """Every action in bot/domain/*.yml that Rasa asks the action server to run."""
    names: set[str] = set()
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update(a for a in domain.get("actions", []) if not a.startswith("utter_"))
    # Rasa's own action that the server overrides (it runs action_session_start too).
    return names | {"action_session_start"}


def test_webhook_lists_every_contract_action(action_server: str) -> None:
    """The server runs exactly the custom actions the bot's domain names: a domain action the
    server lacks fails a conversation at run time, a served action no domain names is dead."""
    with urllib.request.urlopen(f"{action_server}/actions", timeout=10) as response:
        names = {item["name"] for item in json.loads(response.read())}
    expected = _custom_actions_of_the_bot_domain()
    assert {"action_order_status", "validate_return_form", "action_list_orders"} <= expected
    assert names == expected
