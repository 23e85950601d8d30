"""schemathesis calls the real API with what its OpenAPI document allows, and what it does not.

A second ``python -m api`` runs on the package's trained shop with a rate limit no test
reaches (the default would answer 429 after 20 calls, and schemathesis would be testing
the limiter). Every operation is called with generated data (positive: within the
document; negative: outside it), once with generated ids and once with a real customer or
product, so both the 404s and the full answers are checked. No answer may be a 5xx, and
each must be one the document declares: status, media type, headers and body schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.batch import NDJSON
from concierge.stack import Stack
from store.api_keys import SCOPES
from tests.api.conftest import TrainedShop, request
from tests.support.servers import free_port

# Generated calls per operation and mode: enough to reach every parameter's edges (bounds,
# types, missing and extra fields) while the whole file stays within a few minutes.
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schemathesis.serializer(NDJSON)
def _json_lines(ctx: Any, value: Any) -> bytes:
    """A batch of one line: the document describes one line's object."""
    return json.dumps(value).encode() + b"\n"


@pytest.fixture(scope="module")
def unthrottled_api(trained_shop: TrainedShop) -> Iterator[str]:
    """The API on its own port, over the same store and artifacts, with no practical limit."""
    shop_settings = replace(
        trained_shop.settings,
        api_port=free_port(),
        api_rate_per_minute=1_000_000,
        api_rate_burst=1_000_000,
    )
    stack = Stack(shop_settings, services=("api",))
    stack.start(timeout=120)
    try:
        yield shop_settings.api_url
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def token(trained_shop: TrainedShop) -> str:
    return trained_shop.keys.create("schemathesis", list(SCOPES))[1]


def _operations(url: str) -> list[APIOperation]:
    schema = schemathesis.openapi.from_url(url + "/v1/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the document itself is wrong: that is the failure
            raise result.err()
        operations.append(result.ok())
    return operations


def _real_ids(url: str, shop: TrainedShop, token: str) -> dict[str, int]:
    recs = request(f"{url}/v1/customers/{shop.customer_id}/recommendations?k=1", token=token).body
    return {"customer_id": shop.customer_id, "product_id": recs["items"][0]["product_id"]}


@pytest.mark.parametrize("ids", ["generated", "real"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_call_the_document_allows_or_refuses_gets_a_5xx_or_an_undocumented_answer(
    unthrottled_api: str, trained_shop: TrainedShop, token: str, mode: GenerationMode, ids: str
) -> None:
    url = unthrottled_api
    real = _real_ids(url, trained_shop, token)
    operations = _operations(url)
    assert {op.path for op in operations} >= {
        "/v1/customers/{customer_id}/recommendations",
        "/v1/customers/{customer_id}/offer-decisions",
        "/v1/products/{product_id}/similar",
        "/v1/search/products",
        "/v1/batch/propensity",
    }
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        fixed = {n: v for n, v in real.items() if n in names} if ids == "real" else None
        if ids == "real" and not fixed:
            continue  # nothing to fix: the generated run covered it
        if mode is GenerationMode.NEGATIVE and not _can_be_invalid(operation, bool(fixed)):
            continue  # no parameter or body left to make invalid (/v1/models, /healthz)
        try:
            statuses = _run(operation, url, token, mode, fixed, _checks(operation, mode))
        except BaseException as exc:
            exc.add_note(f"while calling {operation.label} ({mode.value} data, {ids} ids)")
            raise
        if mode is GenerationMode.POSITIVE and ids == "real":
            # Real ids and valid data: the full answers were checked, not only problems.
            assert 200 in statuses, f"{operation.label} never answered 200: {statuses}"


def _checks(operation: APIOperation, mode: GenerationMode) -> list[Any]:
    """What must hold; invalid data must be refused, except a batch's lines.

    A batch answers 200 with an error on each bad line (so one typo does not cost the other
    999 scores: README, api/batch.py), which is its documented answer to an invalid line.
    """
    if (
        mode is GenerationMode.NEGATIVE
        and NDJSON not in operation.get_request_payload_content_types()
    ):
        return [*CHECKS, negative_data_rejection]
    return CHECKS


def _can_be_invalid(operation: APIOperation, ids_fixed: bool) -> bool:
    headers = [h for h in operation.headers if h.name != "Authorization"]  # ours, fixed
    sent = len(operation.query) + len(headers) + len(operation.body)
    return bool(sent or (len(operation.path_parameters) and not ids_fixed))


def _run(
    operation: APIOperation,
    url: str,
    token: str,
    mode: GenerationMode,
    path_parameters: dict[str, int] | None,
    checks: list[Any],
) -> list[int]:
    """Run the generated calls; the statuses they got (checked, not only counted)."""
    statuses: list[int] = []
    strategy = operation.as_strategy(
        generation_mode=mode,
        headers={"Authorization": f"Bearer {token}"},
        path_parameters=path_parameters,
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same calls every run: a failure here fails again
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case: Any) -> None:
        response = case.call(base_url=url, timeout=60)
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    call()
    return statuses
