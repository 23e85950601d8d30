"""Attacks on the internal services of a real stack on loopback (issue 12, "Closed internal services").

Only the console is meant to be reached from outside. Whoever reaches Rasa or the action
server anyway must get nothing: Rasa has no HTTP API and no open ``rest`` channel, the
``concierge`` channel wants the console's secret, the action server wants Rasa's token,
the console's ``/metrics`` wants its bearer token, and a service missing its secret does
not start. Each test asserts what the attacker got — a refusal, and no change in the
tracker store or the shop database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from actions.server import ACTION_TOKEN_HEADER
from concierge.rasa_endpoints import write_endpoints
from concierge.settings import ROOT, SECRET_VARIABLES, Settings
from concierge.stack import RASA_BIN, Stack, rasa_env
from console.chat.rasa_client import CHANNEL_SECRET_HEADER, WEBHOOK_PATH
from store.db import make_engine, make_session_factory
from store.models import Order
from tests.actions.trackers import DATA, load_domain
from tests.factories import add_order, add_product
from tests.support.servers import free_port
from tests.support.shop import Shop
from tests.support.tracker_store import tracker_events

pytestmark = pytest.mark.integration


def call(
    url: str, payload: Any = None, *, headers: dict[str, str] | None = None, method: str = ""
) -> tuple[int, bytes]:
    """(status, body) of one HTTP request; error statuses are answers, not exceptions."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        method=method or ("GET" if data is None else "POST"),
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def stack(full_stack: tuple[Stack, Shop]) -> Stack:
    return full_stack[0]


@pytest.fixture(scope="module")
def shop(full_stack: tuple[Stack, Shop]) -> Shop:
    return full_stack[1]


def fresh_sender() -> str:
    return f"attacker-{uuid.uuid4().hex[:12]}"


# --- Rasa: no HTTP API, no open channel ---------------------------------------------------


def test_the_tracker_api_neither_sets_a_customer_nor_reveals_a_conversation(
    stack: Stack, shop: Shop
) -> None:
    sender = fresh_sender()
    base = stack.settings.rasa_url
    slot = {"event": "slot", "name": "customer_id", "value": str(shop.anna_id)}

    set_status, set_body = call(f"{base}/conversations/{sender}/tracker/events", slot)
    get_status, get_body = call(f"{base}/conversations/{sender}/tracker")
    parse_status, _ = call(f"{base}/model/parse", {"text": "where is my order"})

    assert set_status in (401, 403, 404, 405)
    assert get_status in (401, 403, 404, 405)
    assert parse_status in (401, 403, 404, 405)
    assert b"customer_id" not in set_body + get_body
    assert tracker_events(stack.settings.tracker_db_url, sender) == []


def test_rasas_own_rest_channel_is_gone(stack: Stack, shop: Shop) -> None:
    sender = fresh_sender()

    status, body = call(
        f"{stack.settings.rasa_url}/webhooks/rest/webhook",
        {"sender": sender, "message": f"where is my order {shop.anna_shipped.number}"},
    )

    assert status == 404
    assert shop.anna_shipped.number.encode() not in body
    assert tracker_events(stack.settings.tracker_db_url, sender) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {CHANNEL_SECRET_HEADER: "guessed"}, {CHANNEL_SECRET_HEADER: ""}],
    ids=["no secret", "wrong secret", "empty secret"],
)
def test_a_turn_without_the_consoles_secret_is_refused_and_stores_nothing(
    stack: Stack, shop: Shop, headers: dict[str, str]
) -> None:
    sender = fresh_sender()

    status, body = call(
        stack.settings.rasa_url + WEBHOOK_PATH,
        {"sender": sender, "message": f"where is my order {shop.anna_shipped.number}"},
        headers=headers,
    )

    assert status == 403
    assert shop.anna_shipped.number.encode() not in body
    assert tracker_events(stack.settings.tracker_db_url, sender) == []


def test_the_console_secret_opens_the_channel(stack: Stack) -> None:
    """The control for the refusals above: the same request with the secret is a turn."""
    sender = fresh_sender()

    status, body = call(
        stack.settings.rasa_url + WEBHOOK_PATH,
        {"sender": sender, "message": "hello"},
        headers={CHANNEL_SECRET_HEADER: stack.settings.channel_secret},
    )

    assert status == 200
    assert isinstance(json.loads(body), list)
    assert any(e["event"] == "user" for e in tracker_events(stack.settings.tracker_db_url, sender))


# --- the action server: Rasa's token or nothing ------------------------------------------


def _cancel_request(customer_id: int, order_number: str) -> dict[str, Any]:
    """The call Rasa would make to cancel ``order_number`` for ``customer_id``, confirmed."""
    tracker = json.loads((DATA / "order_status_tracker.json").read_text(encoding="utf-8"))
    tracker["sender_id"] = fresh_sender()
    tracker["slots"].update(
        customer_id=str(customer_id), order_number=order_number, cancel_confirm=True
    )
    return {
        "next_action": "action_cancel_order",
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": load_domain(),
        "version": "3.6.21",
    }


def _order_status(settings: Settings, number: str) -> str:
    engine = make_engine(settings.db_url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalars(select(Order.status).where(Order.number == number)).one()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "headers",
    [{}, {ACTION_TOKEN_HEADER: "guessed"}, {"Authorization": "Bearer guessed"}],
    ids=["no token", "wrong token", "wrong header"],
)
def test_a_direct_call_to_the_action_server_cancels_nothing(
    stack: Stack, shop: Shop, headers: dict[str, str]
) -> None:
    settings = stack.settings
    sessions = make_session_factory(make_engine(settings.db_url))
    mug = add_product(sessions, title="Attack Target Mug", category="kitchen", price=9.0)
    order = add_order(sessions, customer_id=shop.ben_id, status="pending", lines=[(mug, 1)])
    request = _cancel_request(shop.ben_id, order.number)

    status, body = call(settings.action_url, request, headers=headers)
    listing, names = call(settings.action_url.removesuffix("/webhook") + "/actions", None)

    assert status == 403
    assert order.number.encode() not in body
    assert _order_status(settings, order.number) == "pending"
    assert listing == 403 and b"action_cancel_order" not in names


# --- metrics and health ------------------------------------------------------------------


def test_console_metrics_need_the_bearer_token(stack: Stack) -> None:
    url = stack.settings.console_url + "/metrics"
    token = stack.settings.metrics_token

    anonymous, anonymous_body = call(url)
    guessed, _ = call(url, headers={"Authorization": "Bearer guessed"})
    scraper, scraped = call(url, headers={"Authorization": f"Bearer {token}"})

    assert (anonymous, guessed) == (401, 401)
    assert b"concierge_" not in anonymous_body
    assert scraper == 200 and b"concierge_turns_total" in scraped


def test_endpoints_yml_sends_the_header_the_action_server_checks(tmp_path: Path) -> None:
    settings = replace(Settings.from_env(), var_dir=tmp_path)
    endpoints = yaml.safe_load(write_endpoints(settings).read_text())
    headers = endpoints["action_endpoint"]["headers"]
    assert headers == {ACTION_TOKEN_HEADER: "${CONCIERGE_ACTION_TOKEN}"}
    assert "token" not in endpoints["action_endpoint"]  # a query parameter lands in logs


# --- secrets: none, no start ---------------------------------------------------------------


def _env_without(tmp_path: Path, missing: str) -> dict[str, str]:
    """This session's environment outside demo mode, one secret removed, free ports."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONCIERGE_DEMO", missing)}
    env.update({"CONCIERGE_VAR_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    # Should a service start after all, it must not take the ports of a running demo.
    for port in ("RASA_PORT", "ACTION_PORT", "CONSOLE_PORT", "ACTION_METRICS_PORT"):
        env[port] = str(free_port())
    return env


def _run(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    """(exit status, output) of a command in its own process group, ended by PID if it hangs."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group we started, and nothing else
        output, _ = process.communicate()
        pytest.fail(f"{command[:3]} did not stop by itself:\n{output[-2000:]}")
    return process.returncode, output


SERVICES_AND_SECRETS = [
    (["-m", "actions", "--actions", "actions"], "action_token"),
    (["-m", "console"], "console_secret"),
    (["-m", "console"], "identity_secret"),
    (["-m", "console"], "channel_secret"),
    (["-m", "console"], "metrics_token"),
    (["-m", "concierge.stack"], "channel_secret"),
    (["-m", "concierge.stack"], "action_token"),
]


@pytest.mark.parametrize(("command", "secret"), SERVICES_AND_SECRETS)
def test_a_service_without_its_secret_exits_2_naming_the_variable(
    tmp_path: Path, command: list[str], secret: str
) -> None:
    variable = SECRET_VARIABLES[secret]

    status, output = _run([sys.executable, *command], _env_without(tmp_path, variable), 120)

    assert status == 2, output
    assert f"Concierge cannot start: {variable} is not set" in output
    assert "Traceback" not in output


def test_rasa_refuses_to_open_the_channel_without_a_secret(stack: Stack, tmp_path: Path) -> None:
    settings = stack.settings
    env = {**_env_without(tmp_path, ""), **rasa_env(settings), "CONCIERGE_CHANNEL_SECRET": ""}
    command = [str(RASA_BIN), "run", "--interface", "127.0.0.1", "--port", str(free_port())]
    command += ["--credentials", "credentials.yml"]
    endpoints = write_endpoints(replace(settings, var_dir=tmp_path))
    command += ["--endpoints", str(endpoints), "--model", str(tmp_path / "no-model.tar.gz")]

    status, output = _run(command, env, 180)

    assert status != 0
    assert "The concierge channel needs a secret: set CONCIERGE_CHANNEL_SECRET" in output
