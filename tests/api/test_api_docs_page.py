"""The docs page rendered from an OpenAPI dict, and the link-code route in an in-process app.

The in-process app (``create_app`` under aiohttp's test client, the real store and models)
covers what the shared API process cannot: a configured bot name and a tight rate limit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from api.app import create_app
from api.docs_page import render_docs
from store.account_linking import telegram_deep_link
from tests.api.conftest import TrainedShop

HOSTILE = "<script>alert('x')</script>"


def hostile_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": HOSTILE, "version": "1", "description": f"about `{HOSTILE}`"},
        "paths": {
            "/v1/things/{id}": {
                "post": {
                    "operationId": "x' onmouseover='alert(1)",
                    "summary": HOSTILE,
                    "parameters": [
                        {
                            "name": HOSTILE,
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/c/s/Thing"}}}
                    },
                    "responses": {"200": {"description": HOSTILE}},
                    "security": [{"apiKey": ["things:write"]}],
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "properties": {"size": {"type": "integer", "description": HOSTILE}},
                    "required": ["size"],
                }
            },
            "securitySchemes": {"apiKey": {"x-scopes": {"things:write": HOSTILE}}},
        },
    }


def test_every_text_of_the_document_is_escaped() -> None:
    page = render_docs(hostile_document())

    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "about <code>&lt;script&gt;" in page  # a Markdown code span, its text escaped
    assert "onmouseover='" not in page
    assert "<td>size</td><td>integer</td><td>yes</td>" in page
    assert "<span class='scope'>things:write</span>" in page
    assert "<td>integer, ≥ 1</td>" in page


async def test_a_configured_bot_name_gives_the_deep_link_and_limits_apply(
    trained_shop: TrainedShop, aiohttp_client: Any
) -> None:
    settings = replace(
        trained_shop.settings,
        telegram_bot_name="shop_concierge_bot",
        api_rate_per_minute=1,
        api_rate_burst=2,
    )
    client = await aiohttp_client(create_app(settings, refresh_seconds=3600))
    token = trained_shop.keys.create("link codes", ["identities:write"])[1]
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/v1/customers/{trained_shop.customer_id}/link-codes"

    answer = await client.post(path, headers=headers)
    assert answer.status == 200, await answer.text()
    body = await answer.json()
    assert body["deep_link"] == telegram_deep_link("shop_concierge_bot", body["code"])
    assert body["deep_link"].startswith("https://t.me/shop_concierge_bot?start=")

    assert (await client.post(path, headers=headers)).status == 200
    limited = await client.post(path, headers=headers)
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) >= 1

    docs = await client.get("/v1/docs")
    assert docs.status == 200 and docs.content_type == "text/html"
    assert "/v1/customers/{customer_id}/link-codes" in await docs.text()
