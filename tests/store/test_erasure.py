"""Forgetting a customer: nothing about her is left in the shop database, the tracker or logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from console.models import AuditEntry
from promotions.models import PromoCoupon
from promotions.results import campaign_results
from store.__main__ import main
from store.db import model_metadata
from store.erasure import HANDLED_TABLES, UnknownCustomer, forget_customer
from store.link_code_mail import LinkCodeMail, address_key
from store.link_codes import LinkAttempt
from store.models import Customer, Order, Return
from store.tracker_store import TrackerStore
from tests.store.privacy_scene import (
    ANNA_EMAIL,
    ANNA_NAME,
    ANNA_REF,
    NOW,
    SHARED_SENDER,
    Scene,
    build,
)


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    return build(tmp_path)


def forget(scene: Scene, customer_id: int, log_dir: Path | None = None):
    tracker = TrackerStore(scene.tracker_url)
    try:
        return forget_customer(
            scene.sessions, tracker, customer_id, actor="admin@shop.test", log_dir=log_dir
        )
    finally:
        tracker.close()


def every_row(sessions: sessionmaker[Session]) -> dict[str, list[dict[str, object]]]:
    """Every row of every table the migrations manage, as plain dicts."""
    with sessions() as s:
        return {
            table.name: [dict(r._mapping) for r in s.execute(table.select())]
            for table in model_metadata().sorted_tables
        }


def tracker_rows(url: str) -> list[dict[str, object]]:
    engine = TrackerStore(url)._open()
    assert engine is not None
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM events"))]
    engine.dispose()
    return rows


def traces_of_anna(scene: Scene) -> list[str]:
    return [ANNA_EMAIL, *ANNA_NAME, ANNA_REF, scene.coupon_code, *scene.anna_senders]


def found(rows: object, terms: list[str]) -> list[str]:
    dumped = json.dumps(rows, default=str).lower()
    return [term for term in terms if term.lower() in dumped]


def test_the_scene_holds_anna_everywhere_before_forget(scene: Scene) -> None:
    # Without this the test below could pass on an empty database.
    in_store = traces_of_anna(scene)[:-2]  # the last two senders are only in the tracker
    assert found(every_row(scene.sessions), in_store) == in_store
    senders = {r["sender_id"] for r in tracker_rows(scene.tracker_url)}
    assert set(scene.anna_senders) <= senders


def test_forget_leaves_no_name_email_or_id_of_the_customer_in_any_row(scene: Scene) -> None:
    forget(scene, scene.anna)

    rows = every_row(scene.sessions)
    assert found(rows, traces_of_anna(scene)) == []
    for table, table_rows in rows.items():
        for row in table_rows:
            assert row.get("customer_id") != scene.anna, (table, row)
    assert scene.anna not in {row["id"] for row in rows["customers"]}
    audit_targets = {row["target"] for row in rows["console_audit_log"]}
    assert f"message {scene.tracker_event_id}" not in audit_targets


def test_forget_deletes_every_tracker_event_of_every_linked_conversation(scene: Scene) -> None:
    report = forget(scene, scene.anna)

    events = tracker_rows(scene.tracker_url)
    assert found(events, traces_of_anna(scene)) == []
    assert {e["sender_id"] for e in events} == {scene.ben_sender}
    assert report.sender_ids == len(scene.anna_senders) + 1  # and the shared computer
    assert report.tracker_events == 5 * 4 + 1


def test_other_customers_keep_everything(scene: Scene) -> None:
    before = every_row(scene.sessions)
    forget(scene, scene.anna)
    after = every_row(scene.sessions)

    def bens(rows: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
        return {t: [r for r in rs if r.get("customer_id") == scene.ben] for t, rs in rows.items()}

    assert bens(after) == bens(before)
    assert [r["sender_id"] for r in bens(after)["chat_sessions"]] == [
        scene.ben_sender,
        SHARED_SENDER,
    ]
    assert [r for r in after["console_audit_log"] if r["target"].startswith("conversation")]


def test_campaign_results_add_up_to_the_same_numbers_after_forget(scene: Scene) -> None:
    before = campaign_results(scene.sessions, now=NOW)
    assert before.campaigns[0].accepted == 2 and before.campaigns[0].redeemed == 1
    forget(scene, scene.anna)
    assert campaign_results(scene.sessions, now=NOW) == before


def test_orders_stay_for_the_accounts_without_her_email_or_words(scene: Scene) -> None:
    forget(scene, scene.anna)
    with scene.sessions() as s:
        orders = {o.number: o for o in s.scalars(select(Order))}
        anna_order, guest_order = orders[scene.anna_order], orders[scene.guest_order]
        placeholder = s.get(Customer, anna_order.customer_id)
        coupon = s.scalar(select(PromoCoupon).where(PromoCoupon.order_number == scene.anna_order))
        reasons = set(s.scalars(select(Return.reason)))
    assert placeholder is not None and placeholder.first_name is None
    assert placeholder.email.endswith("@erased.invalid") and placeholder.offers_opt_out
    assert anna_order.email == guest_order.email == placeholder.email
    assert guest_order.customer_id is None  # a guest checkout stays a guest checkout
    assert coupon is not None and anna_order.coupon_code == coupon.code != scene.coupon_code
    assert reasons == {"(erased)"}


def test_forget_is_audited_under_a_reference_not_the_customer(scene: Scene) -> None:
    report = forget(scene, scene.anna)
    with scene.sessions() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "customer_erased"))
    assert entry is not None and entry.target == report.reference
    assert entry.actor_email == "admin@shop.test"
    # Counts of what was erased, no value that could name her.
    assert set(entry.detail) == {"rows", "sender_ids"}
    assert all(isinstance(n, int) for n in entry.detail["rows"].values())


def test_forgetting_twice_says_the_customer_is_not_known_and_changes_nothing(scene: Scene) -> None:
    forget(scene, scene.anna)
    rows, events = every_row(scene.sessions), tracker_rows(scene.tracker_url)
    with pytest.raises(UnknownCustomer, match=f"no customer {scene.anna}"):
        forget(scene, scene.anna)
    assert every_row(scene.sessions) == rows
    assert tracker_rows(scene.tracker_url) == events


def test_forget_scrubs_the_services_log_files(scene: Scene, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "console.log").write_text(
        f"INFO chat socket of {scene.anna_senders[0]} closed\n"
        f"WARNING offer at session start for customer {scene.anna} failed\n"
        f"INFO sign-in failed for {ANNA_EMAIL}\n"
        f"INFO customer {scene.anna}0 is someone else\n"
    )
    report = forget(scene, scene.anna, log_dir=logs)
    text_after = (logs / "console.log").read_text()
    assert found(text_after, traces_of_anna(scene)) == []
    assert f"customer {scene.anna} " not in text_after
    assert f"customer {scene.anna}0 is someone else" in text_after
    assert report.log_lines == 3


def test_forget_deletes_the_requests_counted_under_her_addresss_hash(scene: Scene) -> None:
    mail = LinkCodeMail(scene.sessions)
    assert mail.request("555001", ANNA_EMAIL).code is not None  # a Telegram user asked for hers
    mail.request("555002", "ben@example.com")

    forget(scene, scene.anna)

    with scene.sessions() as s:
        hashes = set(s.scalars(select(LinkAttempt.channel_user_id)))
    assert address_key(ANNA_EMAIL) not in hashes
    assert address_key("ben@example.com") in hashes


def test_every_table_that_points_at_a_customer_or_a_chat_is_handled() -> None:
    # A table added later with such a foreign key must be added to the erasure too.
    roots = {"customers", "chat_sessions", "handoffs"}
    pointing = {
        table.name
        for table in model_metadata().sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name in roots
    }
    assert pointing <= set(HANDLED_TABLES), pointing - set(HANDLED_TABLES)


def cli(scene: Scene, *argv: str) -> int:
    db_url = str(scene.sessions.kw["bind"].url)
    return main(["--db-url", db_url, *argv, "--tracker-db-url", scene.tracker_url])


def test_command_line_forgets_and_refuses_an_unknown_id_with_exit_1(
    scene: Scene,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path / "var"))
    assert cli(scene, "forget", "--customer", str(scene.anna)) == 0
    out = capsys.readouterr().out
    assert "forgotten" in out and "erasure-" in out
    assert cli(scene, "forget", "--customer", str(scene.anna)) == 1
    assert f"There is no customer {scene.anna}" in capsys.readouterr().err
    assert cli(scene, "forget", "--customer", "999999") == 1
