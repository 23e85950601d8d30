"""export-customer: everything held about one customer, as JSON, and nothing about others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store.__main__ import main
from store.customer_export import export_customer
from store.erasure import UnknownCustomer
from store.tracker_store import TrackerStore
from tests.store.privacy_scene import ANNA_EMAIL, ANNA_REF, SHARED_SENDER, Scene, build


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    return build(tmp_path)


def export(scene: Scene, customer_id: int) -> dict:
    tracker = TrackerStore(scene.tracker_url)
    try:
        return export_customer(scene.sessions, tracker, customer_id)
    finally:
        tracker.close()


def test_export_holds_her_profile_orders_chats_offers_and_tracker_events(scene: Scene) -> None:
    document = export(scene, scene.anna)

    assert document["customer"]["email"] == ANNA_EMAIL
    assert document["customer"]["external_ref"] == ANNA_REF
    assert {i["channel_user_id"] for i in document["identities"]} == set(scene.anna_senders[:2])
    numbers = {o["number"] for o in document["orders"]}
    assert {scene.anna_order, scene.guest_order} <= numbers and len(numbers) == 3
    assert document["returns"][0]["reason"].startswith("It did not fit")
    assert len(document["order_lines"]) == 3 and document["browsing_events"]
    assert {c["sender_id"] for c in document["chat_sessions"]} == {
        *scene.anna_senders[:3],
        SHARED_SENDER,
    }
    assert document["conversation_notes"][0]["text"] == "Annabel was upset"
    assert document["handoff_messages"][0]["text"] == f"I am {ANNA_EMAIL}"
    assert [c["code"] for c in document["coupons"]] == [scene.coupon_code]
    assert document["offer_exposures"][0]["message"].startswith("Welcome back Annabel")
    assert document["nlu_corrections"][0]["intent"] == "give_email"
    assert set(document["tracker_events"]) == set(scene.anna_senders)
    first = document["tracker_events"][scene.anna_senders[0]]
    assert [e["type_name"] for e in first] == ["action", "slot", "slot", "user", "bot"]
    assert first[3]["data"]["text"] == f"my email is {ANNA_EMAIL}"


def test_export_says_nothing_about_other_customers(scene: Scene) -> None:
    document = export(scene, scene.anna)
    assert {c["customer_id"] for c in document["chat_sessions"]} == {scene.anna, None}
    dumped = json.dumps(document, default=str)
    assert "ben@example.com" not in dumped and scene.ben_sender not in dumped


def test_export_of_an_unknown_customer_is_refused(scene: Scene) -> None:
    with pytest.raises(UnknownCustomer):
        export(scene, 424242)


def cli(scene: Scene, *argv: str) -> int:
    db_url = str(scene.sessions.kw["bind"].url)
    return main(["--db-url", db_url, *argv, "--tracker-db-url", scene.tracker_url])


def test_command_line_writes_plain_json_to_stdout_or_a_private_file(
    scene: Scene,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CONCIERGE_VAR_DIR", str(tmp_path / "var"))
    assert cli(scene, "export-customer", str(scene.anna)) == 0
    assert json.loads(capsys.readouterr().out)["customer"]["id"] == scene.anna  # nothing else

    out = tmp_path / "anna.json"
    assert cli(scene, "export-customer", str(scene.anna), "--out", str(out)) == 0
    assert json.loads(out.read_text())["customer"]["email"] == ANNA_EMAIL
    assert out.stat().st_mode & 0o077 == 0

    assert cli(scene, "export-customer", "999999") == 1
    assert "There is no customer 999999" in capsys.readouterr().err
