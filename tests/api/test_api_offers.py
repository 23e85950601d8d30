"""Offer decisions on the real API process: the chat's decision, and recording it once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from promotions.campaigns import GlobalSettings, campaign_from_dict
from promotions.decision import OfferContext
from promotions.models import PromoExposure
from promotions.repository import PromotionRepository
from promotions.service import PromotionService
from promotions.triggers import Trigger
from tests.api.conftest import Answer, RunningApi, TrainedShop
from tests.api.test_api_calls import assert_problem
from tests.factories import add_customer

DECIDE = "offers:decide"
COUPONED = "spring"  # offers 10% off on recommendations and returning sessions
MEASURED = "measured"  # after an order question, 90% of customers in its control group


def _campaign(key: str, triggers: list[str], control_share: float) -> dict[str, Any]:
    return {
        "key": key,
        "name": f"Campaign {key}",
        "status": "active",
        "priority": 10,
        "triggers": triggers,
        "eligibility": "orders_count >= 0",
        "control_share": control_share,
        "caps": {"max_per_customer": 3, "cooldown_days": 14, "coupon_budget": None},
        "variants": [
            {
                "key": "a",
                "weight": 1,
                "template": "Hi {{ first_name | default('there') }}, take {{ discount }} off!",
                "coupon": {"kind": "percent", "value": 10, "min_basket": 20, "validity_days": 7},
            }
        ],
    }


@pytest.fixture(scope="module", autouse=True)
def campaigns(trained_shop: TrainedShop) -> Iterator[None]:
    repo = PromotionRepository(trained_shop.sessions)
    # No global hold-out, so an eligible customer gets the campaign's offer or control.
    repo.save_settings(GlobalSettings(holdout_share=0.0, max_offers_per_day=1))
    repo.save_campaign(
        campaign_from_dict(
            _campaign(COUPONED, ["with_recommendation", "returning_session_start"], 0.0)
        )
    )
    repo.save_campaign(campaign_from_dict(_campaign(MEASURED, ["after_order_resolved"], 0.9)))
    yield


def decisions(customer_id: int | str) -> str:
    return f"/v1/customers/{customer_id}/offer-decisions"


def new_customer(shop: TrainedShop, *, consent: bool = True) -> int:
    return add_customer(shop.sessions, first_name="Maya", marketing_consent=consent)


def exposures(shop: TrainedShop, customer_id: int) -> int:
    with shop.sessions() as s:
        return s.scalar(
            select(func.count(PromoExposure.id)).where(PromoExposure.customer_id == customer_id)
        )


def record(api: RunningApi, customer_id: int, token: str, key: str | None, **body: Any) -> Answer:
    headers = {"Idempotency-Key": key} if key is not None else {}
    payload = {"trigger": "with_recommendation", "record": True, **body}
    return api.post(decisions(customer_id), payload, token, headers)


def test_a_preview_is_the_chats_offer_with_its_text_and_coupon_and_records_nothing(
    api: RunningApi,
) -> None:
    customer = new_customer(api.shop)
    answer = api.post(decisions(customer), {"trigger": "with_recommendation"}, api.token(DECIDE))

    assert answer.status == 200, answer.body
    body = answer.body
    chat = PromotionService(api.shop.sessions).preview(
        customer, OfferContext(Trigger.WITH_RECOMMENDATION)
    )
    assert (
        (body["outcome"], body["reason"])
        == ("offer", "chosen")
        == (
            chat.decision.outcome,
            chat.decision.reason,
        )
    )
    assert (body["campaign"], body["variant"]) == (COUPONED, "a")
    assert body["text"] == chat.text == "Hi Maya, take 10% off!"
    assert body["coupon"] == {
        "kind": "percent",
        "value": 10.0,
        "discount": "10%",
        "min_basket": 20.0,
        "currency": "GBP",
        "validity_days": 7,
    }
    assert body["recorded"] is False and body["exposure_id"] is None
    assert exposures(api.shop, customer) == 0


@pytest.mark.parametrize(
    ("consent", "extra", "reason"),
    [
        (False, {}, "no_consent"),
        (True, {"active_matters": ["complaint"]}, "blocked_by_complaint"),
        (True, {"trigger": "product_hesitation"}, "no_campaign"),
    ],
)
def test_no_offer_comes_with_the_chats_reason_code(
    api: RunningApi, consent: bool, extra: dict[str, Any], reason: str
) -> None:
    customer = new_customer(api.shop, consent=consent)
    payload = {"trigger": "with_recommendation", **extra}
    answer = api.post(decisions(customer), payload, api.token(DECIDE))

    assert answer.status == 200, answer.body
    assert (answer.body["outcome"], answer.body["reason"]) == ("none", reason)
    assert answer.body["text"] is None and answer.body["coupon"] is None
    if reason == "no_campaign":
        assert {"campaign": COUPONED, "reason": "wrong_trigger"} in answer.body["passed_over"]


def test_a_control_group_customer_is_recorded_as_control_and_shown_nothing(
    api: RunningApi,
) -> None:
    token = api.token(DECIDE)
    payload = {"trigger": "after_order_resolved"}
    for _ in range(30):  # 90% control: the first or second customer, almost surely
        customer = new_customer(api.shop)
        if api.post(decisions(customer), payload, token).body["outcome"] == "control":
            break
    else:
        pytest.fail("no customer of 30 fell in a 90% control group")

    answer = record(api, customer, token, str(uuid.uuid4()), **payload)
    assert answer.status == 200, answer.body
    assert (answer.body["outcome"], answer.body["reason"]) == ("control", "control_group")
    assert answer.body["campaign"] == MEASURED and answer.body["text"] is None
    assert answer.body["recorded"] is True
    assert exposures(api.shop, customer) == 1


def test_recording_without_an_idempotency_key_gets_400_and_records_nothing(
    api: RunningApi,
) -> None:
    customer = new_customer(api.shop)
    answer = record(api, customer, api.token(DECIDE), None)
    assert_problem(answer, 400, "idempotency-key-missing")
    assert "Idempotency-Key" in answer.body["detail"]
    assert_problem(record(api, customer, api.token(DECIDE), "x" * 101), 400,
                   "idempotency-key-missing")  # fmt: skip
    assert exposures(api.shop, customer) == 0


def test_a_recorded_decision_is_replayed_for_the_same_key_and_counts_once(
    api: RunningApi,
) -> None:
    customer, token, key = new_customer(api.shop), api.token(DECIDE), str(uuid.uuid4())
    first = record(api, customer, token, key)
    again = record(api, customer, token, key)

    assert first.status == 200, first.body
    assert first.body["outcome"] == "offer" and first.body["recorded"] is True
    assert first.body["exposure_id"] is not None
    assert "Idempotent-Replayed" not in first.headers
    assert again.status == 200 and again.body == first.body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert exposures(api.shop, customer) == 1
    # The exposure counts as the chat's would: today's cap is used up.
    later = api.post(decisions(customer), {"trigger": "with_recommendation"}, token)
    assert (later.body["outcome"], later.body["reason"]) == ("none", "daily_cap")


def test_the_same_key_for_another_request_gets_a_422_problem(api: RunningApi) -> None:
    customer, token, key = new_customer(api.shop), api.token(DECIDE), str(uuid.uuid4())
    assert record(api, customer, token, key).status == 200

    other = record(api, customer, token, key, basket_value=50)
    assert_problem(other, 422, "idempotency-key-reused")
    elsewhere = record(api, new_customer(api.shop), token, key)
    assert_problem(elsewhere, 422, "idempotency-key-reused")
    assert exposures(api.shop, customer) == 1


def test_idempotency_keys_belong_to_their_api_key(api: RunningApi) -> None:
    key = str(uuid.uuid4())
    first, second = new_customer(api.shop), new_customer(api.shop)
    assert record(api, first, api.token(DECIDE), key).body["recorded"] is True
    assert record(api, second, api.token(DECIDE), key).body["recorded"] is True
    assert exposures(api.shop, first) == exposures(api.shop, second) == 1


def test_two_identical_recordings_at_once_record_one_exposure(api: RunningApi) -> None:
    token = api.token(DECIDE)
    for _ in range(3):  # three races, each with its own customer and key
        customer, key = new_customer(api.shop), str(uuid.uuid4())
        start = threading.Barrier(2)
        answers: list[Answer] = []

        def call(
            customer: int = customer,
            key: str = key,
            start: threading.Barrier = start,
            answers: list[Answer] = answers,
        ) -> None:
            start.wait()
            answers.append(record(api, customer, token, key))

        threads = [threading.Thread(target=call) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert [a.status for a in answers] == [200, 200], [a.body for a in answers]
        assert answers[0].body == answers[1].body
        assert answers[0].body["recorded"] is True
        assert exposures(api.shop, customer) == 1


def test_a_key_without_the_offers_scope_gets_403(api: RunningApi) -> None:
    customer = new_customer(api.shop)
    answer = record(api, customer, api.token("scores:read", "recommendations:read"), "k1")
    assert_problem(answer, 403, "forbidden")
    assert DECIDE in answer.body["detail"]
    assert exposures(api.shop, customer) == 0


def test_an_unknown_customer_gets_404_and_leaves_the_key_free(api: RunningApi) -> None:
    token, key = api.token(DECIDE), str(uuid.uuid4())
    assert_problem(
        api.post(decisions(987654), {"trigger": "with_recommendation"}, token), 404, "not-found"
    )
    assert_problem(record(api, 987654, token, key), 404, "not-found")
    # A failed recording does not keep the key: the same call can be retried.
    assert_problem(record(api, 987654, token, key), 404, "not-found")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"trigger": "whenever"}, "trigger"),
        ({}, "trigger"),
        ({"trigger": "with_recommendation", "basket_value": -5}, "basket_value"),
        ({"trigger": "with_recommendation", "product_price": 1e12}, "product_price"),
        ({"trigger": "with_recommendation", "record": "yes"}, "record"),
        ({"trigger": "with_recommendation", "active_matters": ["lunch"]}, "active_matters.0"),
        ({"trigger": "with_recommendation", "channel": "Web Site!"}, "channel"),
        ({"trigger": "with_recommendation", "coupon": "FREE"}, "coupon"),
    ],
)
def test_a_bad_body_gets_a_400_naming_the_field(
    api: RunningApi, payload: dict[str, Any], field: str
) -> None:
    answer = api.post(decisions(new_customer(api.shop)), payload, api.token(DECIDE))
    assert_problem(answer, 400, "invalid-body")
    assert [e["parameter"] for e in answer.body["errors"]] == [field]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'{"trigger": NaN}'])
def test_a_body_that_is_not_a_json_object_gets_a_400(api: RunningApi, raw: bytes) -> None:
    answer = api.post(decisions(new_customer(api.shop)), raw, api.token(DECIDE))
    assert_problem(answer, 400, "invalid-body")


def test_a_body_that_is_not_declared_json_gets_415(api: RunningApi) -> None:
    answer = api.post(
        decisions(new_customer(api.shop)),
        b"trigger=with_recommendation",
        api.token(DECIDE),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(answer, 415, "unsupported-media-type")


def test_a_10_mb_body_gets_a_413_problem(api: RunningApi) -> None:
    payload = {"trigger": "with_recommendation", "product": "x" * (10 * 1024 * 1024)}
    answer = api.post(decisions(new_customer(api.shop)), payload, api.token(DECIDE))
    assert_problem(answer, 413, "body-too-large")


def test_the_openapi_document_describes_the_decision_body_and_its_key(api: RunningApi) -> None:
    doc = api.get("/v1/openapi.json").body
    operation = doc["paths"]["/v1/customers/{customer_id}/offer-decisions"]["post"]
    assert operation["security"] == [{"apiKey": [DECIDE]}]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/OfferDecisionRequest"
    schema = doc["components"]["schemas"]["OfferDecisionRequest"]
    assert schema["required"] == ["trigger"] and schema["additionalProperties"] is False
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert {"200", "400", "401", "403", "404", "413", "415", "422", "429"} <= set(
        operation["responses"]
    )
    assert DECIDE in doc["info"]["description"]
    assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]
    retry = operation["responses"]["429"]["headers"]["Retry-After"]
    assert retry["schema"] == {"type": "integer", "minimum": 1}
