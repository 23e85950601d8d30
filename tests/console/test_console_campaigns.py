"""Marketer pages: campaign list and editor — roles, CSRF, validation messages, audit."""

from __future__ import annotations

import html

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from console.staff.accounts import StaffDirectory
from promotions.repository import PromotionRepository, UnknownCampaign
from tests.console.campaign_helpers import editor_form, save_campaign, seed_experiment
from tests.console.staff_helpers import add_account, csrf_of, sign_in

pytestmark = pytest.mark.asyncio

PAGES = [
    "/marketing/campaigns",
    "/marketing/campaigns/new",
    "/marketing/campaigns/spring",
    "/marketing/campaigns/spring/preview?customer=1",
    "/marketing/campaigns/spring/results",
]


async def as_marketer(client: TestClient, sessions: sessionmaker[Session]) -> str:
    """Sign in as a marketer; return the CSRF token of the editor's form."""
    add_account(sessions, "mia@shop.example", "marketer", name="Mia")
    await sign_in(client, "mia@shop.example")
    return await csrf_of(client, "/marketing/campaigns/new")


def audit_actions(sessions: sessionmaker[Session]) -> list[tuple[str, str, dict]]:
    return [
        (e.action, e.target, e.detail)
        for e in StaffDirectory(sessions).audit_log()
        if e.action.startswith(("campaign", "promotion"))
    ]


@pytest.mark.parametrize("path", PAGES)
async def test_agent_is_refused_every_marketer_page(
    client: TestClient, sessions: sessionmaker[Session], path: str
) -> None:
    save_campaign(sessions)
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(client, "sam@shop.example")

    response = await client.get(path)

    assert response.status == 403
    assert "needs the role marketer; your account has agent" in await response.text()


async def test_signed_out_visitor_is_sent_to_sign_in(client: TestClient) -> None:
    response = await client.get("/marketing/campaigns", allow_redirects=False)

    assert response.status == 303
    assert response.headers["Location"] == "/staff/sign-in?next=%2Fmarketing%2Fcampaigns"


async def test_agent_cannot_save_a_campaign_even_with_a_valid_csrf_token(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions)
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(client, "sam@shop.example")
    token = await csrf_of(client, "/staff")

    response = await client.post(
        "/marketing/campaigns/spring", data=editor_form(token, name="Hijacked")
    )

    assert response.status == 403
    assert PromotionRepository(sessions).campaign("spring").name == "Campaign spring"


async def test_list_shows_status_priority_schedule_triggers_and_exposures(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions, starts_at="2025-05-01T08:00")
    save_campaign(sessions, "quiet", status="draft", priority=3)
    seed_experiment(sessions, shown=6, control=4)
    add_account(sessions, "boss@shop.example", "admin")
    await sign_in(client, "boss@shop.example")  # an admin may use the marketer pages too

    response = await client.get("/marketing/campaigns")

    page = await response.text()
    assert response.status == 200
    assert page.index('data-key="spring"') < page.index('data-key="quiet"')  # priority order
    spring = page[page.index('data-key="spring"') : page.index('data-key="quiet"')]
    assert ">active<" in spring and "2025-05-01 08:00" in spring and "open-ended" in spring
    assert "returning_session_start" in spring
    assert 'data-testid="campaign-exposed">6<' in spring
    assert 'data-testid="campaign-accepted">6<' in spring
    assert ">draft<" in page


async def test_marketer_creates_a_campaign_with_every_field_and_it_is_audited(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_marketer(client, sessions)

    response = await client.post(
        "/marketing/campaigns", data=editor_form(token), allow_redirects=False
    )

    assert response.status == 303, await response.text()
    assert response.headers["Location"] == "/marketing/campaigns/spring?saved=1"
    c = PromotionRepository(sessions).campaign("spring")
    assert (c.name, c.status, c.priority, c.control_share) == ("Spring sale", "active", 20, 0.2)
    assert c.starts_at.isoformat() == "2025-04-01T09:00:00" and c.ends_at is None
    assert c.triggers == ("returning_session_start", "with_recommendation")
    assert (c.max_per_customer, c.cooldown_days, c.coupon_budget) == (2, 10, 500)
    a, b = c.variants
    assert (a.key, a.weight, a.coupon.kind, a.coupon.value, a.coupon.min_basket) == (
        "a",
        3.0,
        "amount",
        5.0,
        30.0,
    )
    assert a.coupon.validity_days == 10
    assert [(x.action, x.title) for x in a.buttons] == [
        ("accept", "Yes please"),
        ("decline", "No thanks"),
    ]
    assert (b.key, b.coupon, len(b.buttons)) == ("b", None, 3)  # empty box: default buttons
    assert audit_actions(sessions) == [
        ("campaign_created", "campaign spring", {"status": "active"})
    ]


async def test_editing_saves_the_change_and_audits_which_fields_changed(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_marketer(client, sessions)
    await client.post("/marketing/campaigns", data=editor_form(token))

    response = await client.post(
        "/marketing/campaigns/spring",
        data=editor_form(token, status="paused", v1_template="Hello again!", key="ignored"),
    )

    assert response.status == 200  # followed the redirect back to the editor
    assert 'data-testid="campaign-saved"' in await response.text()
    c = PromotionRepository(sessions).campaign("spring")
    assert (c.status, c.variants[1].template) == ("paused", "Hello again!")
    with pytest.raises(UnknownCampaign):
        PromotionRepository(sessions).campaign("ignored")
    assert audit_actions(sessions)[0] == (
        "campaign_updated",
        "campaign spring",
        {"changed": ["status", "variants"], "status": ["active", "paused"]},
    )


async def test_targeting_by_uplift_is_saved_shown_again_and_a_bad_share_is_named(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_marketer(client, sessions)
    await client.post("/marketing/campaigns", data=editor_form(token))

    response = await client.post(
        "/marketing/campaigns/spring",
        data=editor_form(token, targeting="top_share", targeting_value="0.3"),
    )

    page = await response.text()
    assert response.status == 200 and 'data-testid="campaign-saved"' in page
    assert '<option value="top_share" selected>' in page
    targeting = PromotionRepository(sessions).campaign("spring").targeting
    assert (targeting.by, targeting.top_share) == ("uplift", 0.3)
    assert audit_actions(sessions)[0][2]["changed"] == ["targeting"]

    refused = await client.post(
        "/marketing/campaigns/spring",
        data=editor_form(token, targeting="top_share", targeting_value="2"),
    )
    assert refused.status == 400
    assert 'data-testid="error-targeting_value">must be between 0.01 and 1, got 2' in (
        await refused.text()
    )
    assert PromotionRepository(sessions).campaign("spring").targeting.top_share == 0.3


async def test_an_edit_whose_audit_entry_cannot_be_written_is_not_saved(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_marketer(client, sessions)
    await client.post("/marketing/campaigns", data=editor_form(token))
    with sessions.begin() as s:  # the audit log breaks after the campaign was created
        s.execute(text("ALTER TABLE console_audit_log RENAME TO audit_log_moved"))

    response = await client.post(
        "/marketing/campaigns/spring", data=editor_form(token, status="paused")
    )
    settings = await client.post(
        "/marketing/settings", data={"csrf_token": token, "holdout_share": "0.3"}
    )

    assert response.status == 503
    page = html.unescape(await response.text())
    assert "the change and its audit entry could not be stored, so neither was" in page
    assert 'name="status"' in page  # the form is kept, to try again
    assert PromotionRepository(sessions).campaign("spring").status == "active"  # unchanged
    assert settings.status == 503
    assert "could not be stored" in html.unescape(await settings.text())
    assert PromotionRepository(sessions).settings().holdout_share != 0.3


async def test_broken_rule_is_rejected_with_a_pointer_and_the_form_keeps_what_was_typed(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions)
    token = await as_marketer(client, sessions)
    broken = "orders_count >= 2 and country = 'UK'"

    response = await client.post(
        "/marketing/campaigns/spring",
        data=editor_form(token, eligibility=broken, name="Typed but not saved"),
    )

    page = html.unescape(await response.text())
    assert response.status == 400
    assert "Nothing was saved" in page
    assert "'=' at column 31 — did you mean '=='?" in page
    assert f"{broken}\n{' ' * 34}^" in page  # the caret under the '=' (indented 4)
    assert 'data-testid="error-eligibility"' in page
    assert f">{broken}</textarea>" in page
    assert 'value="Typed but not saved"' in page
    assert PromotionRepository(sessions).campaign("spring").name == "Campaign spring"
    assert audit_actions(sessions) == []


async def test_broken_template_and_bad_numbers_are_named_by_variant_and_field(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_marketer(client, sessions)

    response = await client.post(
        "/marketing/campaigns",
        data=editor_form(
            token,
            v1_template="Hi {{ frist_name }}",
            v0_weight="lots",
            v0_buttons="accept: Yes\nshout: Hey",
            cooldown_days="-1",
        ),
    )

    page = html.unescape(await response.text())
    assert response.status == 400
    assert "uses unknown slot 'frist_name' — did you mean 'first_name'?" in page
    assert 'data-testid="error-v1_template"' in page
    assert "variants[0].weight: must be a number, got 'lots'" in page
    assert 'data-testid="error-v0_weight"' in page
    assert "variants[0].buttons[1].action: must be one of accept, decline, opt_out" in page
    assert 'data-testid="error-v0_buttons"' in page
    assert "caps.cooldown_days: must be at least 0, got -1" in page
    assert 'data-testid="error-cooldown_days"' in page
    assert PromotionRepository(sessions).campaigns() == []


async def test_save_without_a_csrf_token_is_refused_and_saves_nothing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await as_marketer(client, sessions)

    response = await client.post("/marketing/campaigns", data=editor_form("not-the-token"))

    assert response.status == 403
    assert "did not come from the console" in await response.text()
    assert PromotionRepository(sessions).campaigns() == []


async def test_hostile_text_in_a_template_is_shown_as_text(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_marketer(client, sessions)
    hostile = "<img src=x onerror=alert(1)> {{ discount }} off"
    await client.post(
        "/marketing/campaigns",
        data=editor_form(token, v0_template=hostile, name="<script>alert(2)</script>"),
    )

    for path in ("/marketing/campaigns/spring", "/marketing/campaigns"):
        page = await (await client.get(path)).text()
        assert "<img src=x" not in page and "<script>alert(2)" not in page
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page_of_editor(
        await (await client.get("/marketing/campaigns/spring")).text()
    )


def page_of_editor(page: str) -> str:
    return page[page.index('data-testid="campaign-form"') :]


async def test_new_campaign_with_a_key_in_use_is_refused(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions)
    token = await as_marketer(client, sessions)

    response = await client.post("/marketing/campaigns", data=editor_form(token))

    assert response.status == 400
    assert "a campaign called 'spring' exists already" in html.unescape(await response.text())
    assert PromotionRepository(sessions).campaign("spring").name == "Campaign spring"


async def test_a_variant_can_be_removed_and_an_unknown_campaign_is_not_found(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    token = await as_marketer(client, sessions)
    await client.post("/marketing/campaigns", data=editor_form(token))

    await client.post("/marketing/campaigns/spring", data=editor_form(token, v1_remove="1"))

    assert [v.key for v in PromotionRepository(sessions).campaign("spring").variants] == ["a"]
    assert (await client.get("/marketing/campaigns/nope")).status == 404


async def test_rules_across_campaigns_are_validated_saved_and_audited(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await as_marketer(client, sessions)
    token = await csrf_of(client, "/marketing/campaigns")
    good = {
        "holdout_share": "0.1",
        "max_offers_per_day": "2",
        "max_offers_per_week": "4",
        "attribution_days": "7",
        "csrf_token": token,
    }

    bad = await client.post("/marketing/settings", data=good | {"max_offers_per_day": "0"})
    assert bad.status == 400
    assert "max_offers_per_day: must be at least 1, got 0" in await bad.text()
    assert PromotionRepository(sessions).settings().max_offers_per_day == 1

    saved = await client.post("/marketing/settings", data=good)
    assert saved.status == 200 and 'data-testid="settings-saved"' in await saved.text()
    settings = PromotionRepository(sessions).settings()
    assert (settings.holdout_share, settings.max_offers_per_day, settings.attribution_days) == (
        0.1,
        2,
        7,
    )
    assert audit_actions(sessions)[0][0] == "promotion_settings_updated"
