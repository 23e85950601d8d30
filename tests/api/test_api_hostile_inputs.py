"""Hostile and careless calls to every endpoint get a clear 4xx problem, never a 5xx.

The endpoints come from the API's own table (``api.routes.ENDPOINTS``), so an endpoint
added later is covered by every rule here that applies to it without a new test.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.routes import ENDPOINTS, Endpoint
from api.schemas import MAX_BODY_BYTES, MAX_K
from store.api_keys import SCOPES
from tests.api.conftest import Answer, RunningApi, request
from tests.api.test_api_calls import assert_problem

KEYED = [e for e in ENDPOINTS if e.scope is not None]
UNKNOWN_ID = 987654
TEN_MB = 10 * 1024 * 1024
# A body each endpoint accepts, and the media type it is sent as (None: the endpoint has none).
GOOD_BODY: dict[str, tuple[bytes, str]] = {
    "application/json": (b'{"trigger": "with_recommendation"}', "application/json"),
    "application/x-ndjson": (b'{"customer_id": 1}\n', "application/x-ndjson"),
}


def ids(endpoint: Endpoint) -> str:
    return endpoint.name


def path_of(api: RunningApi, endpoint: Endpoint, *, known: bool = True) -> str:
    """The endpoint's path for a real customer or product (or an unknown one)."""
    customer = api.shop.customer_id if known else UNKNOWN_ID
    product = _a_trained_product(api) if known else UNKNOWN_ID
    return endpoint.path.format(customer_id=customer, product_id=product)


def _a_trained_product(api: RunningApi) -> int:
    found = api.get(f"/v1/customers/{api.shop.customer_id}/recommendations?k=1",
                    api.token("recommendations:read"))  # fmt: skip
    return int(found.body["items"][0]["product_id"])


def call(
    api: RunningApi,
    endpoint: Endpoint,
    path: str,
    token: str | None,
    *,
    body: bytes | None = None,
    media: str | None = None,
    query: str = "",
) -> Answer:
    """Call ``endpoint`` with its usual body unless another is given."""
    if body is None and endpoint.body is not None:
        body, media = GOOD_BODY[endpoint.body_media]
    headers = {"Content-Type": media} if media else {}
    if endpoint.query is not None and "q" in endpoint.query.model_fields:
        query = f"{query}&q=lamp" if query else "?q=lamp"  # the search's required text
    return request(
        api.url + path + query,
        token=token,
        method=endpoint.method,
        data=body,
        headers=headers,
    )


@pytest.mark.parametrize("endpoint", KEYED, ids=ids)
def test_every_keyed_endpoint_refuses_a_call_without_a_key_with_401(
    api: RunningApi, endpoint: Endpoint
) -> None:
    answer = call(api, endpoint, path_of(api, endpoint), None)
    assert_problem(answer, 401, "unauthorized")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", KEYED, ids=ids)
def test_a_key_with_every_other_scope_gets_403_naming_the_one_needed(
    api: RunningApi, endpoint: Endpoint
) -> None:
    others = api.token(*(s for s in SCOPES if s != endpoint.scope))
    answer = call(api, endpoint, path_of(api, endpoint), others)
    assert_problem(answer, 403, "forbidden")
    assert str(endpoint.scope) in answer.body["detail"]


@pytest.mark.parametrize("endpoint", [e for e in KEYED if e.path_params], ids=ids)
def test_an_unknown_customer_or_product_gets_a_404_naming_it(
    api: RunningApi, endpoint: Endpoint
) -> None:
    token = api.token(str(endpoint.scope))
    answer = call(api, endpoint, path_of(api, endpoint, known=False), token)
    assert_problem(answer, 404, "not-found")
    assert str(UNKNOWN_ID) in answer.body["detail"]


K_QUERIED = [e for e in KEYED if e.query is not None and "k" in e.query.model_fields]


@pytest.mark.parametrize("k", ["-1", "0", str(MAX_K + 1), str(10**30), "1e3", "NaN", ""])
@pytest.mark.parametrize("endpoint", K_QUERIED, ids=ids)
def test_a_k_out_of_bounds_or_not_a_number_gets_a_400_naming_k(
    api: RunningApi, endpoint: Endpoint, k: str
) -> None:
    token = api.token(str(endpoint.scope))
    answer = call(api, endpoint, path_of(api, endpoint), token, query=f"?k={k}")
    assert_problem(answer, 400, "invalid-parameter")
    assert [e["parameter"] for e in answer.body["errors"]] == ["k"]


def test_k_is_checked_on_every_endpoint_that_takes_it() -> None:
    assert {e.name for e in K_QUERIED} >= {
        "getRecommendations",
        "getSimilarProducts",
        "searchProducts",
    }


JSON_BODIED = [e for e in KEYED if e.body is not None and e.body_media == "application/json"]


@pytest.mark.parametrize(
    "raw", [b"{", b"null", b'"text"', b"{}", b'{"trigger": Infinity}', b"\xff\xfe"]
)
@pytest.mark.parametrize("endpoint", JSON_BODIED, ids=ids)
def test_bad_json_gets_a_400_problem(api: RunningApi, endpoint: Endpoint, raw: bytes) -> None:
    token = api.token(str(endpoint.scope))
    answer = call(api, endpoint, path_of(api, endpoint), token, body=raw, media="application/json")
    assert_problem(answer, 400, "invalid-body")


@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded", None])
@pytest.mark.parametrize("endpoint", [e for e in KEYED if e.body is not None], ids=ids)
def test_a_body_of_the_wrong_content_type_gets_415(
    api: RunningApi, endpoint: Endpoint, media: str | None
) -> None:
    token = api.token(str(endpoint.scope))
    body = GOOD_BODY[endpoint.body_media][0]
    answer = call(api, endpoint, path_of(api, endpoint), token, body=body, media=media)
    assert_problem(answer, 415, "unsupported-media-type")
    assert endpoint.body_media in answer.body["detail"]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_a_10_mb_body_gets_a_413_problem_on_every_endpoint(
    api: RunningApi, endpoint: Endpoint
) -> None:
    token = api.token(endpoint.scope) if endpoint.scope else None
    media = endpoint.body_media if endpoint.body is not None else "application/json"
    body = json.dumps({"product": "x" * TEN_MB}).encode()
    answer = call(api, endpoint, path_of(api, endpoint), token, body=body, media=media)
    assert_problem(answer, 413, "body-too-large")
    assert str(MAX_BODY_BYTES) in answer.body["detail"]


@pytest.mark.parametrize("endpoint", [e for e in KEYED if e.method == "POST"], ids=ids)
def test_a_declared_10_mb_body_is_refused_before_it_is_sent(
    api: RunningApi, endpoint: Endpoint
) -> None:
    """Only the headers and 1 KB go out: an API that waited for the rest would never answer."""
    status, problem = _declare_and_stop(
        api, endpoint.method, path_of(api, endpoint), str(endpoint.scope), endpoint.body_media
    )
    assert status == 413
    assert problem["type"] == "/v1/problems/body-too-large"


def _declare_and_stop(
    api: RunningApi, method: str, path: str, scope: str, media: str
) -> tuple[int, Any]:
    url = urlsplit(api.url)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=20)
    try:
        connection.putrequest(method, path)
        connection.putheader("Authorization", f"Bearer {api.token(scope)}")
        connection.putheader("Content-Type", media)
        connection.putheader("Content-Length", str(TEN_MB))
        connection.endheaders()
        connection.send(b" " * 1024)
        response = connection.getresponse()  # a socket timeout here fails the test
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_the_openapi_document_lists_every_problem_the_rules_above_give(api: RunningApi) -> None:
    """What the hostile calls get is documented, so a client can code against it."""
    doc = api.get("/v1/openapi.json").body
    for endpoint in ENDPOINTS:
        responses = doc["paths"][endpoint.path][endpoint.method.lower()]["responses"]
        assert "413" in responses, endpoint.name
    for endpoint in KEYED:
        responses = doc["paths"][endpoint.path][endpoint.method.lower()]["responses"]
        assert {"401", "403", "429"} <= set(responses), endpoint.name
        if endpoint.path_params:
            assert "404" in responses, endpoint.name
        if endpoint.body is not None:
            assert {"400", "413", "415"} <= set(responses), endpoint.name
