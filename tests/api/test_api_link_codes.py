"""Link codes from the real API process, redeemed the way the bot's action redeems them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from store.account_linking import CODE_LIFETIME, AccountLinking, LinkOutcome
from store.models import Identity
from tests.api.conftest import RunningApi
from tests.api.test_api_calls import assert_problem

WRITE = "identities:write"


def link_codes(customer_id: int | str) -> str:
    return f"/v1/customers/{customer_id}/link-codes"


def test_a_code_from_the_api_links_a_telegram_user_once(api: RunningApi) -> None:
    customer = api.shop.customer_id
    before = datetime.now(UTC)

    answer = api.post(link_codes(customer), {}, api.token(WRITE))

    assert answer.status == 200, answer.body
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.body
    assert (body["customer_id"], body["channel"]) == (customer, "telegram")
    assert body["deep_link"] is None  # this API runs without TELEGRAM_BOT_NAME
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.tzinfo is not None
    assert before + CODE_LIFETIME - timedelta(seconds=5) <= expires
    assert expires <= datetime.now(UTC) + CODE_LIFETIME + timedelta(seconds=5)

    linking = AccountLinking(api.shop.sessions)
    first = linking.redeem(body["code"], "telegram", "tg-api-linked-1")
    assert first.outcome is LinkOutcome.LINKED
    assert first.customer is not None and first.customer.id == customer
    with api.shop.sessions() as s:
        identity = s.scalar(select(Identity).where(Identity.channel_user_id == "tg-api-linked-1"))
    assert identity is not None and identity.customer_id == customer

    again = linking.redeem(body["code"], "telegram", "tg-api-linked-2")
    assert again.outcome is LinkOutcome.USED
    # The secret never reaches the API's log (the call log names the route template only).
    assert body["code"] not in api.log_path.read_text()


def test_a_new_code_cancels_the_customers_unused_one(api: RunningApi) -> None:
    token = api.token(WRITE)
    old = api.post(link_codes(api.shop.customer_id), {}, token).body["code"]
    new = api.post(link_codes(api.shop.customer_id), {}, token).body["code"]

    linking = AccountLinking(api.shop.sessions)
    assert linking.redeem(old, "telegram", "tg-api-old-code").outcome is LinkOutcome.UNKNOWN
    assert linking.redeem(new, "telegram", "tg-api-new-code").outcome is LinkOutcome.LINKED


def test_link_codes_need_a_key_with_the_identities_scope(api: RunningApi) -> None:
    path = link_codes(api.shop.customer_id)
    assert_problem(api.post(path, {}), 401, "unauthorized")
    refused = api.post(path, {}, api.token("recommendations:read", "scores:read", "offers:decide"))
    assert_problem(refused, 403, "forbidden")
    assert WRITE in refused.body["detail"]


def test_an_unknown_or_malformed_customer_gets_a_clear_4xx(api: RunningApi) -> None:
    token = api.token(WRITE)
    missing = api.post(link_codes(999_999_999), {}, token)
    assert_problem(missing, 404, "not-found")
    assert "999999999" in missing.body["detail"]
    assert_problem(api.post(link_codes("abc"), {}, token), 400, "invalid-parameter")
    assert_problem(api.get(link_codes(api.shop.customer_id), token), 405, "method-not-allowed")


def test_the_openapi_document_describes_link_codes_and_the_docs_page(api: RunningApi) -> None:
    doc = api.get("/v1/openapi.json").body
    operation = doc["paths"]["/v1/customers/{customer_id}/link-codes"]["post"]
    assert operation["security"] == [{"apiKey": [WRITE]}]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "413", "429"}
    link_code = doc["components"]["schemas"]["LinkCode"]
    assert {"code", "expires_at", "channel", "deep_link"} <= set(link_code["required"])
    assert doc["paths"]["/v1/docs"]["get"]["security"] == []
    assert WRITE in doc["components"]["securitySchemes"]["apiKey"]["x-scopes"]


def test_the_docs_page_lists_every_operation_without_a_key(api: RunningApi) -> None:
    doc = api.get("/v1/openapi.json").body
    answer = api.get("/v1/docs")

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    page = answer.body
    assert "<script" not in page and "http://" not in page and "https://cdn" not in page
    for path, item in doc["paths"].items():
        assert f"<code>{path}</code>" in page
        for operation in item.values():
            assert f"id='{operation['operationId']}'" in page
    for scope in doc["components"]["securitySchemes"]["apiKey"]["x-scopes"]:
        assert f"<span class='scope'>{scope}</span>" in page
