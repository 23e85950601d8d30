"""Erasure on a real stack (issue 12, "Erasure and access"): after ``forget``, nothing is left.

A consenting customer chats with the real Rasa and action server, is offered a coupon
at session start, takes it, asks about her order and types her e-mail. Then the operator
runs ``python -m store forget --customer ID`` as a shop would. Afterwards no row of the
shop database, no event Rasa stored, no line of the services' logs and no export holds
her name, e-mail or ids, and the campaign's results read exactly as before.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from concierge.settings import ROOT
from concierge.stack import Stack
from console.chat.rasa_client import CHANNEL_SECRET_HEADER, WEBHOOK_PATH
from console.staff.accounts import StaffDirectory
from promotions.campaigns import GlobalSettings
from promotions.repository import PromotionRepository
from store.db import make_engine, make_session_factory, model_metadata
from store.repository import ShopRepository
from tests.actions.offer_helpers import campaign
from tests.factories import add_customer, add_order
from tests.support.shop import Shop

pytestmark = pytest.mark.integration


@dataclass
class Wilhelmina:
    """The customer who asks to be forgotten, and every value that identifies her."""

    customer_id: int
    email: str
    names: tuple[str, str]
    external_ref: str
    order_number: str
    senders: tuple[str, ...]
    campaign_key: str
    coupon_code: str

    def traces(self) -> list[str]:
        return [self.email, *self.names, self.external_ref, self.coupon_code, *self.senders]


def say(stack: Stack, sender: str, message: str) -> list[dict[str, Any]]:
    """One turn through the ``concierge`` channel, sent the way the console sends it."""
    request = urllib.request.Request(
        stack.settings.rasa_url + WEBHOOK_PATH,
        data=json.dumps(
            {"sender": sender, "message": message, "metadata": {"channel": "web"}}
        ).encode(),
        headers={
            "Content-Type": "application/json",
            CHANNEL_SECRET_HEADER: stack.settings.channel_secret,
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        replies = json.loads(response.read())
    assert isinstance(replies, list)
    return replies


def run(stack: Stack, module: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """A command line of the project, pointed at the stack's databases and var folder."""
    env = dict(os.environ, CONCIERGE_VAR_DIR=str(stack.settings.var_dir))
    return subprocess.run(
        [sys.executable, "-m", module, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def store_cli(stack: Stack, *argv: str) -> subprocess.CompletedProcess[str]:
    s = stack.settings
    return run(stack, "store", "--db-url", s.db_url, *argv, "--tracker-db-url", s.tracker_db_url)


def campaign_result(stack: Stack, key: str) -> dict[str, Any]:
    done = run(stack, "promotions", "--db", stack.settings.db_url, "results", "--json")
    assert done.returncode == 0, done.stderr
    [result] = [c for c in json.loads(done.stdout)["campaigns"] if c["key"] == key]
    return result


@pytest.fixture(scope="module")
def stack(full_stack: tuple[Stack, Shop]) -> Stack:
    return full_stack[0]


@pytest.fixture(scope="module")
def wilhelmina(stack: Stack) -> Iterator[Wilhelmina]:
    """She chats, takes the session-start offer, asks about her order, types her e-mail."""
    sessions = make_session_factory(make_engine(stack.settings.db_url))
    repo = ShopRepository(sessions)
    promos = PromotionRepository(sessions)
    promos.save_settings(GlobalSettings(holdout_share=0.0, max_offers_per_day=5))
    key = f"erasure-{uuid.uuid4().hex[:6]}"
    # Above the other tests' session-start campaigns in the shared stack (priority 10, and
    # keys like "chat-..." that sort first), so hers is the offer she is shown.
    promos.save_campaign_data(campaign(key, ["returning_session_start"], priority=100))
    email = f"wilhelmina.zorn.{key}@example.org"
    ref = f"shop-{uuid.uuid4().hex[:10]}"
    customer = add_customer(
        sessions,
        email=email,
        first_name="Wilhelmina",
        last_name="Zorngast",
        marketing_consent=True,
        external_ref=ref,
    )
    order = add_order(sessions, customer_id=customer, status="shipped")
    earlier, sender = f"web-{uuid.uuid4().hex[:12]}", f"web-{uuid.uuid4().hex[:12]}"
    repo.start_session(earlier, customer, "web")
    repo.end_session(earlier)
    repo.link_identity("web", sender, customer)
    StaffDirectory(sessions).create_account(
        ADMIN_EMAIL, ADMIN_PASSWORD, ("admin",), display_name="Erasure admin", actor="tests"
    )

    offers = [r for r in say(stack, sender, "hi") if r.get("buttons")]
    assert offers and offers[0]["text"].startswith("Welcome back Wilhelmina"), offers
    accepted = "\n".join(r.get("text") or "" for r in say(stack, sender, "/accept_offer"))
    assert accepted.startswith("Your code is "), accepted
    code = accepted.removeprefix("Your code is ").strip().rstrip(".")
    say(stack, sender, f"where is my order {order.number}")
    say(stack, sender, f"my e-mail is {email}")
    yield Wilhelmina(
        customer, email, ("Wilhelmina", "Zorngast"), ref, order.number, (earlier, sender), key, code
    )
    sessions.kw["bind"].dispose()


ADMIN_EMAIL = "erasure-admin@shop.test"
ADMIN_PASSWORD = "a long erasure test passphrase"


def staff_export(stack: Stack) -> str:
    """The console's conversation export as an admin sees it (unredacted), over HTTP."""
    base = stack.settings.console_url
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with browser.open(base + "/staff/sign-in", timeout=30) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert token, "the sign-in page has no CSRF token"
    form = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token.group(1)}
    with browser.open(
        base + "/staff/sign-in", urllib.parse.urlencode(form | {"next": "/staff"}).encode(), 30
    ) as signed_in:
        assert signed_in.status == 200 and "/staff" in signed_in.url
    with browser.open(base + "/staff/conversations/export.jsonl", timeout=120) as export:
        return export.read().decode()


def shop_rows(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(stack.settings.db_url)
    try:
        with engine.connect() as conn:
            return {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                for t in model_metadata().sorted_tables
            }
    finally:
        engine.dispose()


def tracker_rows(stack: Stack) -> list[dict[str, Any]]:
    engine = create_engine(stack.settings.tracker_db_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM events"))]
    finally:
        engine.dispose()


def log_text(stack: Stack) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in (stack.settings.var_dir / "logs").glob("*.log")
    )


def found(material: object, terms: list[str]) -> list[str]:
    dumped = material if isinstance(material, str) else json.dumps(material, default=str)
    return [t for t in terms if t.lower() in dumped.lower()]


def test_after_forget_nothing_anywhere_names_her_and_the_results_are_unchanged(
    stack: Stack, wilhelmina: Wilhelmina
) -> None:
    her = wilhelmina
    # What the attacker (anyone reading the data later) could have found before.
    assert found(shop_rows(stack), her.traces()) == her.traces()
    assert found(tracker_rows(stack), [her.email, her.names[0], her.senders[1]]) == [
        her.email,
        her.names[0],
        her.senders[1],
    ]
    results_before = campaign_result(stack, her.campaign_key)
    assert (results_before["exposed"], results_before["accepted"]) == (1, 1)
    exported = store_cli(stack, "export-customer", str(her.customer_id))
    assert exported.returncode == 0 and her.email in exported.stdout
    assert found(staff_export(stack), [her.email, her.senders[1]]) == [her.email, her.senders[1]]

    forgotten = store_cli(stack, "forget", "--customer", str(her.customer_id))
    assert forgotten.returncode == 0, forgotten.stderr

    rows = shop_rows(stack)
    assert found(rows, her.traces()) == []
    assert not [
        (table, row)
        for table, table_rows in rows.items()
        for row in table_rows
        if row.get("customer_id") == her.customer_id
        or (table == "customers" and row["id"] == her.customer_id)
    ]
    assert found(tracker_rows(stack), her.traces()) == []
    logs = log_text(stack)
    assert found(logs, her.traces()) == []
    assert f"customer {her.customer_id} " not in logs
    assert campaign_result(stack, her.campaign_key) == results_before
    assert found(staff_export(stack), her.traces()) == []
    assert found(results_before, her.traces()) == []

    again = store_cli(stack, "export-customer", str(her.customer_id))
    assert again.returncode == 1 and again.stdout == ""
    assert f"There is no customer {her.customer_id}" in again.stderr
    twice = store_cli(stack, "forget", "--customer", str(her.customer_id))
    assert twice.returncode == 1 and "nothing to erase" in twice.stderr

    # Rasa reads the tracker store on every turn: her old sender id now starts from
    # nothing, a guest with no name and no order.
    answer = "\n".join(r.get("text") or "" for r in say(stack, her.senders[1], "where is my order"))
    assert "Wilhelmina" not in answer and her.order_number not in answer
    assert found(tracker_rows(stack), [her.email, *her.names]) == []
