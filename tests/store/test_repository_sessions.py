"""Identity, chat sessions, outcomes and handoffs through ShopRepository."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from store.errors import CustomerNotFound
from store.models import Handoff
from store.repository import ShopRepository
from tests.factories import add_customer, add_identity
from tests.store.conftest import FakeClock


@pytest.fixture
def anna(sessions: sessionmaker[Session]) -> int:
    return add_customer(
        sessions,
        email="anna@example.com",
        first_name="Anna",
        marketing_consent=True,
        tags={"segment": "loyal"},
    )


def test_signed_in_sender_resolves_to_its_customer(repo, sessions, anna) -> None:
    add_identity(sessions, "web-abc", anna)
    customer = repo.customer_for_sender("web-abc")
    assert customer is not None and customer.id == anna
    assert customer.display_name == "Anna" and customer.marketing_consent
    assert customer.tags == {"segment": "loyal"}
    assert repo.customer_for_sender("web-abc", channel="whatsapp") is None
    assert repo.customer_for_sender("web-guest") is None


def test_link_identity_is_idempotent_and_relinks(repo, sessions, anna) -> None:
    ben = add_customer(sessions, email="ben@example.com", first_name=None)
    repo.link_identity("web", "web-1", anna)
    repo.link_identity("web", "web-1", anna)
    assert repo.customer_for_sender("web-1").id == anna
    repo.link_identity("web", "web-1", ben)
    assert repo.customer_for_sender("web-1").display_name == "ben"


def test_linking_an_unknown_customer_is_refused_by_name(repo) -> None:
    with pytest.raises(CustomerNotFound, match="42"):
        repo.link_identity("web", "web-1", 42)


def test_list_customers_pages_and_searches(repo, sessions, anna) -> None:
    add_customer(sessions, email="ben@example.com", first_name="Ben", last_name="Jones")
    add_customer(sessions, email="cara@example.com", first_name="Cara", last_name="Jones")
    assert [c.email for c in repo.list_customers(limit=2)] == [
        "anna@example.com",
        "ben@example.com",
    ]
    assert [c.email for c in repo.list_customers(limit=2, offset=2)] == ["cara@example.com"]
    assert [c.first_name for c in repo.list_customers(search="jones")] == ["Ben", "Cara"]
    assert [c.first_name for c in repo.list_customers(search="Cara Jones")] == ["Cara"]
    assert repo.get_customer(anna).email == "anna@example.com"
    assert repo.get_customer(999) is None


def test_starting_a_session_ends_the_senders_previous_open_one(repo, clock: FakeClock, anna):
    first = repo.start_session("web-1", anna, "web")
    clock.advance(hours=2)
    second = repo.start_session("web-1", anna, "web")
    assert second.id != first.id and second.ended_at is None
    assert repo.current_session("web-1").id == second.id
    previous = repo.previous_session(anna, second.id)
    assert previous is not None and previous.id == first.id
    assert previous.ended_at == clock.now


def test_a_session_the_tracker_never_saw_is_resumed_not_opened_twice(repo, clock, anna):
    clock.advance(hours=-1)
    tracker_latest = clock.now
    clock.advance(hours=1)
    lost = repo.start_session("web-1", None, "web", known_until=tracker_latest)
    again = repo.start_session("web-1", anna, "telegram", known_until=tracker_latest)
    assert again.id == lost.id and again.ended_at is None
    assert (again.customer_id, again.channel) == (anna, "telegram")
    # Once the tracker holds events after it, the next start ends it.
    clock.advance(minutes=5)
    newer = repo.start_session("web-1", anna, "web", known_until=clock.now)
    assert newer.id != lost.id and repo.previous_session(anna, newer.id).ended_at == clock.now


def test_sessions_of_other_senders_stay_open(repo) -> None:
    one = repo.start_session("web-1", None, "web")
    repo.start_session("web-2", None, "web")
    assert repo.current_session("web-1").id == one.id


def test_record_outcome_without_a_session_starts_one_for_the_linked_customer(
    repo, sessions, clock, anna
) -> None:
    add_identity(sessions, "web-9", anna)
    repo.record_outcome("web-9", "order_looked_up", "10234", {"status": "shipped"})
    session = repo.current_session("web-9")
    assert session is not None and session.customer_id == anna and session.channel == "web"
    assert [(o.kind, o.ref, o.detail) for o in session.outcomes] == [
        ("order_looked_up", "10234", {"status": "shipped"})
    ]
    assert session.outcomes[0].at == clock.now


def test_outcomes_accumulate_in_order_on_the_open_session(repo, clock) -> None:
    started = repo.start_session("web-1", None, "web")
    repo.record_outcome("web-1", "faq_answered", "warranty")
    clock.advance(minutes=1)
    repo.record_outcome("web-1", "handoff_requested")
    session = repo.current_session("web-1")
    assert session.id == started.id
    assert [o.kind for o in session.outcomes] == ["faq_answered", "handoff_requested"]
    assert session.outcomes[1].detail == {} and session.last_activity_at == clock.now


def test_a_misspelt_outcome_kind_is_refused_and_nothing_is_recorded(repo) -> None:
    repo.start_session("web-1", None, "web")
    with pytest.raises(ValueError, match="order_lookd_up"):
        repo.record_outcome("web-1", "order_lookd_up", "10234")
    assert repo.current_session("web-1").outcomes == ()


def test_the_actions_name_outcome_kinds_through_the_enum_never_as_strings() -> None:
    # A string literal would be checked only at run time, in front of a customer.
    actions = Path(__file__).resolve().parents[2] / "actions"
    for path in sorted(actions.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record_outcome":
                kind = node.args[1] if len(node.args) > 1 else None
                assert not isinstance(kind, ast.Constant), f"{path}: {ast.unparse(node)}"


def test_record_activity_stores_the_sessions_totals(repo, clock) -> None:
    repo.start_session("web-1", None, "web")
    clock.advance(minutes=3)
    repo.record_activity("web-1", 2, ["greet", "order_status"])
    repo.record_activity("web-1", 3, ["greet", "order_status", "thank"])
    session = repo.current_session("web-1")
    assert session.turns == 3 and session.intents == ("greet", "order_status", "thank")
    assert session.last_activity_at == clock.now


def test_open_matter_is_kept_and_carried_into_the_previous_session(repo, anna) -> None:
    repo.start_session("web-1", anna, "web")
    repo.set_open_matter("web-1", {"kind": "order", "ref": "10234", "status": "shipped"})
    assert repo.current_session("web-1").open_matter["ref"] == "10234"
    new = repo.start_session("web-2", anna, "web")
    previous = repo.previous_session(anna, new.id)
    assert previous.open_matter == {"kind": "order", "ref": "10234", "status": "shipped"}
    repo.set_open_matter("web-2", None)
    assert repo.current_session("web-2").open_matter is None


def test_end_session_closes_it(repo, clock) -> None:
    repo.start_session("web-1", None, "web")
    repo.end_session("web-1")
    assert repo.current_session("web-1") is None
    repo.end_session("web-unknown")  # nothing open: nothing to do


def test_handoff_request_is_idempotent_while_waiting(repo, sessions, clock, anna) -> None:
    session = repo.start_session("web-1", anna, "web")
    first = repo.request_handoff("web-1", anna, "wants a person")
    clock.advance(minutes=1)
    again = repo.request_handoff("web-1", anna, "still wants a person")
    assert again == first and first.status == "waiting" and first.reason == "wants a person"
    with sessions() as s, s.begin():
        row = s.get(Handoff, first.id)
        assert row.session_id == session.id
        s.execute(update(Handoff).where(Handoff.id == first.id).values(status="closed"))
    later = repo.request_handoff("web-1", anna, "again")
    assert later.id != first.id and later.created_at == clock.now


def test_handoff_of_a_guest_without_session_starts_one(repo: ShopRepository) -> None:
    handoff = repo.request_handoff("web-guest", None, None)
    assert handoff.customer_id is None and handoff.status == "waiting"
    assert repo.current_session("web-guest") is not None
