"""The API's endpoints on the real process, a generated shop and really trained models."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from recsys.artifacts import latest_metadata
from recsys.training import ARTIFACT_NAMES
from store.models import Customer, Order, OrderLine, Product
from tests.api.conftest import RunningApi, request

REC = "recommendations:read"
SCORES = "scores:read"


def recommendations(api: RunningApi, customer_id: int, query: str = "") -> str:
    return f"/v1/customers/{customer_id}/recommendations{query}"


def assert_problem(answer, status: int, kind: str) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.body["status"] == status
    assert answer.body["type"] == f"/v1/problems/{kind}"
    assert answer.body["title"] and answer.body["detail"]


def test_a_call_without_a_key_gets_401_with_a_bearer_challenge(api: RunningApi) -> None:
    answer = api.get(recommendations(api, api.shop.customer_id))
    assert_problem(answer, 401, "unauthorized")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in answer.body["detail"]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-key",
        "ck_000000000000_" + "x" * 43,  # well formed, no such key
    ],
)
def test_a_malformed_or_unknown_key_gets_401(api: RunningApi, token: str) -> None:
    assert_problem(api.get(recommendations(api, api.shop.customer_id), token), 401, "unauthorized")


def test_a_real_key_id_with_a_wrong_secret_gets_401(api: RunningApi) -> None:
    key_id = api.token(REC).split("_")[1]
    forged = f"ck_{key_id}_{'A' * 43}"
    assert_problem(api.get(recommendations(api, api.shop.customer_id), forged), 401, "unauthorized")


def test_a_key_without_the_endpoints_scope_gets_403_naming_it(api: RunningApi) -> None:
    scores_only, recs_only = api.token(SCORES), api.token(REC)

    refused = api.get(recommendations(api, api.shop.customer_id), scores_only)
    assert_problem(refused, 403, "forbidden")
    assert REC in refused.body["detail"]
    assert_problem(api.get(f"/v1/customers/{api.shop.customer_id}/propensity", recs_only), 403,
                   "forbidden")  # fmt: skip
    assert_problem(api.get("/v1/models", recs_only), 403, "forbidden")


def test_recommendations_give_k_ranked_items_with_todays_facts_and_the_model_version(
    api: RunningApi,
) -> None:
    answer = api.get(recommendations(api, api.shop.customer_id, "?k=5"), api.token(REC))

    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.body
    assert body["customer_id"] == api.shop.customer_id
    meta = latest_metadata(api.shop.settings.artifacts_dir, "recommender")
    assert meta is not None and body["model_version"] == meta.version
    items = body["items"]
    assert len(items) == 5
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    assert all(item["reason"] for item in items)
    with api.shop.sessions() as s:
        rows = {p.id: p for p in s.scalars(select(Product))}
    for item in items:
        row = rows[item["product_id"]]
        assert (item["title"], item["price"], item["in_stock"]) == (
            row.title,
            float(row.price),
            row.stock > 0,
        )


def test_exclude_purchased_leaves_out_everything_the_customer_bought(api: RunningApi) -> None:
    customer = api.shop.customer_id
    with api.shop.sessions() as s:
        bought = set(
            s.scalars(select(OrderLine.product_id).join(Order).where(Order.customer_id == customer))
        )
    token = api.token(REC)
    plain = api.get(recommendations(api, customer, "?k=20"), token).body["items"]
    fresh = api.get(recommendations(api, customer, "?k=20&exclude_purchased=true"), token)

    assert bought & {item["product_id"] for item in plain}  # repeats would be shown otherwise
    assert fresh.status == 200
    assert not bought & {item["product_id"] for item in fresh.body["items"]}


@pytest.mark.parametrize("endpoint", ["recommendations", "propensity"])
def test_an_unknown_customer_gets_a_404_problem(api: RunningApi, endpoint: str) -> None:
    answer = api.get(f"/v1/customers/987654/{endpoint}", api.token(REC, SCORES))
    assert_problem(answer, 404, "not-found")
    assert "987654" in answer.body["detail"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("?k=0", "k"), ("?k=51", "k"), ("?k=-3", "k"), ("?k=ten", "k"), ("?K=5", "K")],
)
def test_a_bad_query_parameter_gets_a_400_naming_it(
    api: RunningApi, query: str, parameter: str
) -> None:
    answer = api.get(recommendations(api, api.shop.customer_id, query), api.token(REC))
    assert_problem(answer, 400, "invalid-parameter")
    assert [e["parameter"] for e in answer.body["errors"]] == [parameter]


@pytest.mark.parametrize("customer", ["anna", "0", "-1", "99999999999999999999999"])
def test_a_customer_id_that_cannot_be_one_gets_a_400(api: RunningApi, customer: str) -> None:
    answer = api.get(f"/v1/customers/{customer}/propensity", api.token(SCORES))
    assert_problem(answer, 400, "invalid-parameter")
    assert answer.body["errors"][0]["parameter"] == "customer_id"


def test_propensity_is_the_score_training_wrote_with_its_reasons(api: RunningApi) -> None:
    customer = api.shop.customer_id
    answer = api.get(f"/v1/customers/{customer}/propensity", api.token(SCORES))

    assert answer.status == 200, answer.body
    with api.shop.sessions() as s:
        row = s.get(Customer, customer)
        assert row is not None
        tags = row.tags
    body = answer.body
    assert body["probability"] == pytest.approx(tags["propensity"])
    assert body["reasons"] == tags["propensity_reasons"]
    assert body["band"] in ("low", "medium", "high")
    assert (body["segment"], body["lifecycle_stage"]) == (tags["segment"], tags["lifecycle"])
    assert body["horizon_days"] == 30
    meta = latest_metadata(api.shop.settings.artifacts_dir, "propensity")
    assert meta is not None and body["model_version"] == meta.version


def test_a_customer_who_signed_up_after_training_has_no_score_yet(api: RunningApi) -> None:
    customer = api.shop.unscored_customer_id
    answer = api.get(f"/v1/customers/{customer}/propensity", api.token(SCORES))
    assert answer.status == 200
    assert answer.body["probability"] is None and answer.body["reasons"] == []
    assert answer.body["model_version"] is None

    # The recommender answers them like a guest: what is popular now.
    recs = api.get(recommendations(api, customer, "?k=3"), api.token(REC))
    assert recs.status == 200 and len(recs.body["items"]) == 3


def test_models_lists_every_artifact_with_its_version_and_data(api: RunningApi) -> None:
    answer = api.get("/v1/models", api.token(SCORES))
    assert answer.status == 200
    by_name = {m["name"]: m for m in answer.body["models"]}
    assert set(by_name) == set(ARTIFACT_NAMES)
    for name, info in by_name.items():
        meta = latest_metadata(api.shop.settings.artifacts_dir, name)
        assert meta is not None
        assert (info["version"], info["data_fingerprint"]) == (meta.version, meta.data_fingerprint)
    assert by_name["recommender"]["loaded"] is True
    assert by_name["propensity"]["metrics"]["propensity"]["roc_auc"] > 0.5


def test_unknown_routes_and_methods_are_problems_too(api: RunningApi) -> None:
    assert_problem(api.get("/v2/anything"), 404, "not-found")
    answer = request(api.url + "/v1/models", method="POST")
    assert_problem(answer, 405, "method-not-allowed")
    assert answer.headers["Allow"] == "GET"


def test_health_needs_no_key(api: RunningApi) -> None:
    answer = api.get("/healthz")
    assert answer.status == 200
    assert answer.body == {"status": "ok", "models_loaded": ["recommender", "search"]}


def test_the_call_log_names_routes_and_keys_never_customers_or_secrets(api: RunningApi) -> None:
    token = api.token(REC)
    key_id = token.split("_")[1]
    customer = api.shop.customer_id
    assert api.get(recommendations(api, customer, "?k=2"), token).status == 200

    log = api.log_path.read_text()
    assert "GET /v1/customers/{customer_id}/recommendations 200" in log
    assert f"key={key_id}" in log
    assert f"/customers/{customer}/" not in log
    assert token.split("_", 2)[2] not in log
    assert "k=2" not in log


def test_the_openapi_document_is_openapi_3_1_and_covers_every_endpoint(api: RunningApi) -> None:
    answer = api.get("/v1/openapi.json")
    assert answer.status == 200
    doc = answer.body
    assert doc["openapi"].startswith("3.1.")
    assert doc["info"]["title"] and doc["info"]["version"]
    paths = doc["paths"]
    assert {
        "/v1/customers/{customer_id}/recommendations",
        "/v1/customers/{customer_id}/propensity",
        "/v1/models",
        "/v1/openapi.json",
    } <= set(paths)
    recs = paths["/v1/customers/{customer_id}/recommendations"]["get"]
    assert recs["security"] == [{"apiKey": [REC]}]
    k = next(p for p in recs["parameters"] if p["name"] == "k")
    assert (k["in"], k["schema"]["minimum"], k["schema"]["maximum"]) == ("query", 1, 50)
    assert set(recs["responses"]) == {"200", "400", "401", "403", "404", "413", "429", "503"}
    assert "application/problem+json" in recs["responses"]["404"]["content"]
    assert doc["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    _assert_refs_resolve(doc, doc)
    _validate_with_openapi_spec_validator(doc)


def _assert_refs_resolve(node: object, doc: dict) -> None:
    """Every ``$ref`` in the document points at something inside it."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target: object = doc
            for part in ref.removeprefix("#/").split("/"):
                assert isinstance(target, dict) and part in target, f"dangling $ref {ref}"
                target = target[part]
        for value in node.values():
            _assert_refs_resolve(value, doc)
    elif isinstance(node, list):
        for value in node:
            _assert_refs_resolve(value, doc)


def _validate_with_openapi_spec_validator(doc: dict) -> None:
    """The full OpenAPI 3.1 check where openapi-spec-validator is installed (not in .venv yet)."""
    try:
        from openapi_spec_validator import validate
    except ImportError:
        return
    validate(json.loads(json.dumps(doc)))
