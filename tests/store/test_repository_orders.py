"""Orders and returns through ShopRepository on a real, migrated SQLite file."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.db import make_engine, make_session_factory
from store.errors import OrderNotFound, Refused
from store.models import Return
from store.policy import ShopPolicy
from store.repository import ShopRepository
from tests.factories import add_customer, add_order, add_product, add_return
from tests.store.conftest import FakeClock

PLACED = datetime(2024, 3, 1, 10)
DELIVERED = datetime(2024, 3, 3, 15)


@pytest.fixture
def anna(sessions: sessionmaker[Session]) -> int:
    return add_customer(sessions, email="Anna.Smith@example.com", first_name="Anna")


@pytest.fixture
def ben(sessions: sessionmaker[Session]) -> int:
    return add_customer(sessions, email="ben@example.com", first_name="Ben")


def _delivered(sessions: sessionmaker[Session], **kwargs: object):
    lamp = add_product(sessions, title="Linen table lamp", price=39.0)
    throw = add_product(sessions, title="Wool throw", category="textiles", price=25.0)
    return add_order(
        sessions,
        status="delivered",
        placed_at=PLACED,
        delivered_at=DELIVERED,
        lines=[(lamp, 1), (throw, 2)],
        **kwargs,
    )


def test_owner_finds_order_with_lines_shipments_and_total(repo, sessions, anna) -> None:
    made = _delivered(sessions, customer_id=anna, number="10234")
    order = repo.find_order_for("10234", customer_id=anna, email=None)
    assert order is not None and order.number == "10234" and order.status == "delivered"
    assert [(ln.title, ln.quantity) for ln in order.lines] == [
        ("Linen table lamp", 1),
        ("Wool throw", 2),
    ]
    assert order.total == 89.0 and order.currency == "GBP"
    assert order.delivered_at == DELIVERED
    assert [ln.id for ln in order.lines] == list(made.line_ids)


def test_other_customers_order_looks_exactly_like_an_unknown_one(repo, sessions, anna, ben):
    _delivered(sessions, customer_id=anna, number="10234")
    assert repo.find_order_for("10234", customer_id=ben, email=None) is None
    assert repo.find_order_for("99999", customer_id=ben, email=None) is None
    # Knowing the owner's e-mail does not help a different signed-in customer.
    assert repo.find_order_for("10234", customer_id=ben, email="anna.smith@example.com") is None


def test_guest_needs_the_orders_email_compared_without_case_or_spaces(repo, sessions):
    add_order(sessions, email="guest.buyer@example.com", number="20001", status="processing")
    assert repo.find_order_for("20001", customer_id=None, email=None) is None
    assert repo.find_order_for("20001", customer_id=None, email="someone@example.com") is None
    found = repo.find_order_for("20001", customer_id=None, email="  Guest.Buyer@EXAMPLE.com ")
    assert found is not None and found.customer_id is None


def test_order_number_is_matched_as_customers_type_it(repo, sessions, anna) -> None:
    add_order(sessions, customer_id=anna, number="C536379", status="cancelled")
    assert repo.find_order_for(" #c536379 ", customer_id=anna, email=None) is not None


def test_recent_orders_are_the_customers_newest_first(repo, sessions, anna, ben) -> None:
    for days, number in ((30, "10001"), (2, "10003"), (10, "10002")):
        add_order(sessions, customer_id=anna, number=number, placed_at=PLACED - timedelta(days))
    add_order(sessions, customer_id=ben, number="10009")
    assert [o.number for o in repo.recent_orders(anna, limit=2)] == ["10003", "10002"]


@pytest.mark.parametrize("status", ["pending", "processing"])
def test_cancelling_an_order_not_yet_shipped_cancels_it(repo, sessions, clock, anna, status):
    add_order(sessions, customer_id=anna, number="10234", status=status, placed_at=PLACED)
    cancelled = repo.cancel_order("10234", customer_id=anna, email=None)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at == clock.now
    assert repo.find_order_for("10234", customer_id=anna, email=None).status == "cancelled"


@pytest.mark.parametrize(
    ("status", "code"),
    [("shipped", "already_shipped"), ("delivered", "already_shipped")],
)
def test_cancelling_a_shipped_or_delivered_order_is_refused(repo, sessions, anna, status, code):
    add_order(sessions, customer_id=anna, number="10234", status=status, placed_at=PLACED)
    with pytest.raises(Refused) as caught:
        repo.cancel_order("10234", customer_id=anna, email=None)
    assert caught.value.code == code and caught.value.refusal.order_number == "10234"
    assert repo.find_order_for("10234", customer_id=anna, email=None).status == status


def test_second_cancel_of_same_order_is_refused(repo, sessions, anna) -> None:
    add_order(sessions, customer_id=anna, number="10234", status="pending")
    repo.cancel_order("10234", customer_id=anna, email=None)
    with pytest.raises(Refused) as caught:
        repo.cancel_order("10234", customer_id=anna, email=None)
    assert caught.value.code == "already_cancelled"
    assert caught.value.refusal.on == date(2024, 4, 10)


def test_cancelling_someone_elses_order_says_not_found(repo, sessions, anna, ben) -> None:
    add_order(sessions, customer_id=anna, number="10234", status="pending")
    with pytest.raises(OrderNotFound, match="10234"):
        repo.cancel_order("10234", customer_id=ben, email=None)
    with pytest.raises(OrderNotFound):
        repo.cancel_order("10234", customer_id=None, email="ben@example.com")
    assert repo.find_order_for("10234", customer_id=anna, email=None).status == "pending"


def test_guest_cancels_with_the_orders_email(repo, sessions) -> None:
    add_order(sessions, email="guest@example.com", number="20001", status="processing")
    order = repo.cancel_order("20001", customer_id=None, email="GUEST@example.com")
    assert order.status == "cancelled"


def test_return_on_day_30_is_created_with_number_and_refund(repo, sessions, clock, anna):
    made = _delivered(sessions, customer_id=anna, number="10234")
    clock.now = DELIVERED + timedelta(days=30)
    ret = repo.create_return("10234", made.line_ids[1], "too itchy", customer_id=anna, email=None)
    assert ret.number == "R-10001" and ret.status == "requested"
    assert ret.item_title == "Wool throw" and ret.refund_amount == 50.0
    assert ret.order_number == "10234" and ret.created_at == clock.now
    assert repo.latest_return(anna) == ret


def test_return_on_day_31_is_refused_with_the_window_dates(repo, sessions, clock, anna):
    made = _delivered(sessions, customer_id=anna, number="10234")
    clock.now = DELIVERED + timedelta(days=31)
    with pytest.raises(Refused) as caught:
        repo.create_return("10234", made.line_ids[0], "broken", customer_id=anna, email=None)
    assert caught.value.code == "window_passed"
    assert caught.value.refusal.on == date(2024, 3, 3)
    assert caught.value.refusal.window_closed == date(2024, 4, 2)
    assert repo.latest_return(anna) is None


def test_return_of_an_item_not_in_the_order_is_refused(repo, sessions, clock, anna) -> None:
    made = _delivered(sessions, customer_id=anna, number="10234")
    other = _delivered(sessions, customer_id=anna, number="10235")
    clock.now = DELIVERED + timedelta(days=3)
    with pytest.raises(Refused) as caught:
        repo.create_return("10234", other.line_ids[0], "broken", customer_id=anna, email=None)
    assert caught.value.code == "item_not_in_order"
    assert set(caught.value.refusal.items) == {"Linen table lamp", "Wool throw"}
    assert made.line_ids[0] != other.line_ids[0]


def test_creating_the_same_return_twice_gives_back_the_open_one(repo, sessions, clock, anna):
    made = _delivered(sessions, customer_id=anna, number="10234")
    clock.now = DELIVERED + timedelta(days=2)
    first = repo.create_return("10234", made.line_ids[0], "broken", customer_id=anna, email=None)
    clock.advance(minutes=5)
    again = repo.create_return("10234", made.line_ids[0], "broken!", customer_id=anna, email=None)
    assert again == first
    other = repo.create_return("10234", made.line_ids[1], "colour", customer_id=anna, email=None)
    assert other.number != first.number


def test_line_already_refunded_cannot_be_returned_again(repo, sessions, clock, anna) -> None:
    made = _delivered(sessions, customer_id=anna, number="10234")
    number = add_return(sessions, made, made.line_ids[0], status="refunded")
    clock.now = DELIVERED + timedelta(days=10)
    with pytest.raises(Refused) as caught:
        repo.create_return("10234", made.line_ids[0], "again", customer_id=anna, email=None)
    assert caught.value.code == "already_returned"
    assert caught.value.refusal.return_number == number


def test_return_of_undelivered_order_is_refused(repo, sessions, anna) -> None:
    made = add_order(sessions, customer_id=anna, number="10234", status="shipped")
    with pytest.raises(Refused) as caught:
        repo.create_return("10234", made.line_ids[0], "x", customer_id=anna, email=None)
    assert caught.value.code == "not_delivered"


def test_return_of_someone_elses_order_says_not_found(repo, sessions, clock, anna, ben) -> None:
    made = _delivered(sessions, customer_id=anna, number="10234")
    clock.now = DELIVERED + timedelta(days=1)
    with pytest.raises(OrderNotFound):
        repo.create_return("10234", made.line_ids[0], "x", customer_id=ben, email=None)


def test_return_is_found_by_owner_and_guest_email_only(repo, sessions, clock, anna, ben):
    made = _delivered(sessions, customer_id=anna, number="10234")
    clock.now = DELIVERED + timedelta(days=1)
    ret = repo.create_return("10234", made.line_ids[0], "x", customer_id=anna, email=None)
    assert repo.find_return_for("r10001", customer_id=anna, email=None) == ret
    assert repo.find_return_for(ret.number, customer_id=ben, email=None) is None
    assert repo.find_return_for(ret.number, customer_id=None, email="anna.smith@example.com")
    assert repo.find_return_for(ret.number, customer_id=None, email="x@example.com") is None
    assert repo.find_return_for("R-99999", customer_id=anna, email=None) is None


def test_concurrent_creation_of_one_return_makes_a_single_row(
    sessions, db_url, clock: FakeClock, policy: ShopPolicy, anna
) -> None:
    made = _delivered(sessions, customer_id=anna, number="10234")
    clock.now = DELIVERED + timedelta(days=1)
    engines = [make_engine(db_url) for _ in range(4)]
    repos = [ShopRepository(make_session_factory(e), clock=clock, policy=policy) for e in engines]
    barrier = threading.Barrier(len(repos))
    results: list[str] = []
    errors: list[BaseException] = []

    def create(repo: ShopRepository, line_id: int) -> None:
        barrier.wait()
        try:
            ret = repo.create_return("10234", line_id, "x", customer_id=anna, email=None)
            results.append(ret.number)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    line_of = [made.line_ids[0], made.line_ids[0], made.line_ids[1], made.line_ids[1]]
    threads = [
        threading.Thread(target=create, args=(r, ln)) for r, ln in zip(repos, line_of, strict=True)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for e in engines:
            e.dispose()
    assert errors == []
    assert len(results) == 4 and len(set(results)) == 2
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Return)) == 2


def test_customer_id_given_as_slot_text_is_understood(repo, sessions, anna) -> None:
    add_order(sessions, customer_id=anna, number="10234", status="pending")
    assert repo.find_order_for("10234", customer_id=str(anna), email=None) is not None
    assert repo.find_order_for("10234", customer_id=str(anna + 1), email=None) is None
    add_order(sessions, email="guest@example.com", number="20001", status="pending")
    assert repo.find_order_for("20001", customer_id="", email="guest@example.com") is not None
