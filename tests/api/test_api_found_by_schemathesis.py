"""What schemathesis found against the document, each kept as a plain test.

1. Times in answers were naive ("2026-12-06T16:41:08.832032"): not an RFC 3339
   ``date-time``, as the document promises; a caller in another time zone misread them.
2. A preview ignored a malformed ``Idempotency-Key`` (over 100 characters) that the
   document refuses, so a client's bug went unnoticed until it recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.conftest import RunningApi
from tests.api.test_api_calls import assert_problem
from tests.api.test_api_offers import DECIDE, decisions, new_customer


def assert_utc(value: str) -> None:
    moment = datetime.fromisoformat(value)
    assert moment.utcoffset() == timedelta(0), value


def test_every_time_in_an_answer_says_it_is_utc(api: RunningApi) -> None:
    preview = api.post(
        decisions(new_customer(api.shop)), {"trigger": "with_recommendation"}, api.token(DECIDE)
    )
    assert preview.status == 200, preview.body
    assert_utc(preview.body["decided_at"])

    models = api.get("/v1/models", api.token("scores:read")).body["models"]
    assert models
    for model in models:
        assert_utc(model["trained_at"])

    code = api.post(
        f"/v1/customers/{api.shop.customer_id}/link-codes", b"", api.token("identities:write")
    )
    assert code.status == 200, code.body
    assert_utc(code.body["expires_at"])


@pytest.mark.parametrize("key", ["k" * 101, " ", ""])
def test_a_preview_with_a_malformed_idempotency_key_gets_a_400(api: RunningApi, key: str) -> None:
    answer = api.post(
        decisions(new_customer(api.shop)),
        {"trigger": "with_recommendation"},
        api.token(DECIDE),
        {"Idempotency-Key": key},
    )
    assert_problem(answer, 400, "idempotency-key-missing")
    assert "Idempotency-Key" in answer.body["detail"]


def test_a_preview_with_a_good_key_or_none_is_answered(api: RunningApi) -> None:
    token = api.token(DECIDE)
    body = {"trigger": "with_recommendation"}
    customer = new_customer(api.shop)
    assert api.post(decisions(customer), body, token).status == 200
    assert api.post(decisions(customer), body, token, {"Idempotency-Key": "k" * 100}).status == 200
