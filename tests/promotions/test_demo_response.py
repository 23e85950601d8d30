"""The demo's hidden response types: deterministic per customer, and tied to their taste."""

from __future__ import annotations

from collections import Counter

from promotions.demo_response import RESPONSE_RATES, true_response

BARGAIN_HUNTER = {"frequency": "occasional", "price_band": "budget"}
REGULAR = {"frequency": "loyal", "price_band": "premium"}


def test_the_same_customer_always_has_the_same_response() -> None:
    first = [true_response(i, BARGAIN_HUNTER) for i in range(200)]
    assert first == [true_response(i, BARGAIN_HUNTER) for i in range(200)]
    assert len({r.kind for r in first}) > 1  # a draw per customer, not one type for all
    assert true_response(5, BARGAIN_HUNTER, seed="other") is not None


def test_occasional_bargain_hunters_are_mostly_persuadable_and_regulars_buy_anyway() -> None:
    hunters = Counter(true_response(i, BARGAIN_HUNTER).kind for i in range(2000))
    regulars = Counter(true_response(i, REGULAR).kind for i in range(2000))
    assert hunters.most_common(1)[0][0] == "persuadable"
    assert regulars.most_common(1)[0][0] == "sure_thing"
    assert regulars["sleeping_dog"] > hunters["sleeping_dog"]


def test_uplift_is_the_difference_the_offer_makes() -> None:
    for customer in range(50):
        response = true_response(customer, REGULAR)
        without, with_offer = RESPONSE_RATES[response.kind]
        assert response.uplift == with_offer - without
        assert response.rate(offered=True) == with_offer
        assert response.rate(offered=False) == without
    assert RESPONSE_RATES["sleeping_dog"][1] < RESPONSE_RATES["sleeping_dog"][0]
    assert true_response(1, None).kind in RESPONSE_RATES  # customers made outside the generator
