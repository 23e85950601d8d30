"""Batch scoring on the real process: JSON Lines in, NDJSON out, bounded, bad lines named."""

from __future__ import annotations

import json

import pytest

from api.schemas import MAX_BATCH_LINES
from tests.api.conftest import Answer, RunningApi, request
from tests.api.test_api_calls import assert_problem

BATCH = "/v1/batch/propensity"
SCORES = "scores:read"


def send(api: RunningApi, body: bytes, token: str, media: str = "application/x-ndjson") -> Answer:
    return request(
        api.url + BATCH, token=token, method="POST", data=body, headers={"Content-Type": media}
    )


def lines(answer: Answer) -> list[dict]:
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in answer.body.splitlines()]


def test_each_customer_gets_the_score_a_single_call_gives_in_order(api: RunningApi) -> None:
    token = api.token(SCORES)
    ids = [api.shop.customer_id, api.shop.unscored_customer_id, api.shop.customer_id]
    body = "\n".join(json.dumps({"customer_id": i}) for i in ids[:2]) + f"\n{ids[2]}\n"

    results = lines(send(api, body.encode(), token))

    assert [(r["line"], r["customer_id"], r["error"]) for r in results] == [
        (1, ids[0], None),
        (2, ids[1], None),
        (3, ids[2], None),
    ]
    single = api.get(f"/v1/customers/{ids[0]}/propensity", token).body
    assert results[0]["propensity"] == single == results[2]["propensity"]
    assert results[1]["propensity"]["probability"] is None  # signed up after training


def test_bad_lines_and_unknown_customers_are_errors_on_their_own_lines(api: RunningApi) -> None:
    body = b"\n".join(
        [
            b"{not json",
            b'"anna"',
            b'{"customer_id": -1}',
            b'{"id": 5}',
            b"",  # blank lines are skipped but keep the numbering
            b"true",
            b'{"customer_id": NaN}',
            b'{"customer_id": 987654}',
            str(api.shop.customer_id).encode(),
        ]
    )
    results = lines(send(api, body, api.token(SCORES)))

    errors = {r["line"]: r["error"] for r in results}
    assert sorted(errors) == [1, 2, 3, 4, 6, 7, 8, 9]
    assert [errors[n]["status"] for n in (1, 2, 3, 4, 6, 7)] == [400] * 6
    assert "not JSON" in errors[1]["detail"] and "customer_id" in errors[4]["detail"]
    assert errors[8]["status"] == 404 and "987654" in errors[8]["detail"]
    assert errors[9] is None and results[-1]["propensity"]["customer_id"] == api.shop.customer_id


def test_more_lines_than_allowed_get_413_before_anything_is_scored(api: RunningApi) -> None:
    body = "\n".join(["1"] * (MAX_BATCH_LINES + 1)).encode()
    answer = send(api, body, api.token(SCORES))
    assert_problem(answer, 413, "body-too-large")
    assert str(MAX_BATCH_LINES) in answer.body["detail"]
    assert send(api, "\n".join(["1"] * MAX_BATCH_LINES).encode(), api.token(SCORES)).status == 200


@pytest.mark.parametrize(
    ("body", "media", "status", "kind"),
    [
        (b"", "application/x-ndjson", 400, "invalid-body"),
        (b"\n \n", "application/x-ndjson", 400, "invalid-body"),
        (b"\xff\xfe", "application/x-ndjson", 400, "invalid-body"),
        (b'{"customer_id": 1}', "text/plain", 415, "unsupported-media-type"),
        (b"1\n" * 40_000, "application/x-ndjson", 413, "body-too-large"),
    ],
)
def test_a_batch_that_cannot_be_read_is_one_problem(
    api: RunningApi, body: bytes, media: str, status: int, kind: str
) -> None:
    assert_problem(send(api, body, api.token(SCORES), media), status, kind)


def test_batch_scoring_needs_the_scores_scope(api: RunningApi) -> None:
    answer = send(api, b"1\n", api.token("recommendations:read", "offers:decide"))
    assert_problem(answer, 403, "forbidden")


def test_the_openapi_document_describes_the_batch_as_json_lines(api: RunningApi) -> None:
    operation = api.get("/v1/openapi.json").body["paths"][BATCH]["post"]
    assert operation["security"] == [{"apiKey": [SCORES]}]
    assert "application/x-ndjson" in operation["requestBody"]["content"]
    assert "application/x-ndjson" in operation["responses"]["200"]["content"]
    assert {"413", "415"} <= set(operation["responses"])
