"""Marketer pages that read a campaign: preview for a customer, and results with SVG charts."""

from __future__ import annotations

import html
import re

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from promotions.models import PromoExposure
from promotions.report import arm_cells
from promotions.results import campaign_results
from promotions.timeline import campaign_timeline
from tests.console.campaign_helpers import save_campaign, seed_experiment
from tests.console.staff_helpers import add_account, sign_in
from tests.factories import add_customer

pytestmark = pytest.mark.asyncio

_CELL = re.compile(r'<td data-cell="([a-z_]+)">([^<]*)</td>')


async def as_marketer(client: TestClient, sessions: sessionmaker[Session]) -> None:
    add_account(sessions, "mia@shop.example", "marketer")
    await sign_in(client, "mia@shop.example")


def exposures(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(PromoExposure))


def table_rows(page: str) -> dict[str, dict[str, str]]:
    """The results table as {arm: {cell: text}}."""
    rows = {}
    for chunk in page.split('data-testid="arm-row"')[1:]:
        cells = dict(_CELL.findall(chunk.split("</tr>")[0]))
        rows[html.unescape(cells["arm"])] = {k: html.unescape(v) for k, v in cells.items()}
    return rows


async def test_preview_renders_every_variant_for_the_customer_and_records_nothing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions, control_share=0.0)
    anna = add_customer(sessions, first_name="Anna", marketing_consent=True)
    await as_marketer(client, sessions)

    response = await client.get(f"/marketing/campaigns/spring/preview?customer={anna}")

    page = html.unescape(await response.text())
    assert response.status == 200
    assert "Hi Anna, take 10% off!" in page
    assert "Welcome back, Anna!" in page
    assert page.count("this customer's variant") == 1
    assert "would be shown this campaign now" in page
    assert "In the chat right now, across all active campaigns:\n    offer from" in page
    assert exposures(sessions) == 0


async def test_preview_says_why_a_customer_would_not_get_the_offer(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions, status="draft")
    no_name = add_customer(sessions, first_name=None, marketing_consent=True)
    no_consent = add_customer(sessions, marketing_consent=False)
    await as_marketer(client, sessions)

    draft = html.unescape(
        await (await client.get(f"/marketing/campaigns/spring/preview?customer={no_name}")).text()
    )
    assert "cannot get it: the campaign is not active" in draft and "not_active" in draft
    assert "Hi there, take 10% off!" in draft  # variant a falls back to 'there'
    assert "Not shown to this customer: missing_slot:first_name" in " ".join(
        re.sub(r"<[^>]+>", " ", draft).split()
    )

    refused = await (
        await client.get(f"/marketing/campaigns/spring/preview?customer={no_consent}")
    ).text()
    assert "has not given marketing consent" in refused and "no_consent" in refused
    unknown = await (await client.get("/marketing/campaigns/spring/preview?customer=4242")).text()
    assert "is not a customer of the shop" in unknown


async def test_preview_with_bad_input_names_what_is_wrong(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions)
    await as_marketer(client, sessions)

    bad_id = await client.get("/marketing/campaigns/spring/preview?customer=anna")
    assert bad_id.status == 400
    assert "Customer id must be a whole number, got 'anna'." in html.unescape(await bad_id.text())
    bad_basket = await client.get("/marketing/campaigns/spring/preview?customer=1&basket=lots")
    assert "Basket value must be a number like 45.50, got 'lots'." in html.unescape(
        await bad_basket.text()
    )


async def test_hostile_template_and_name_are_rendered_as_text_in_the_preview(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    variants = [{"key": "x", "template": "<b onmouseover=alert(1)>Hey</b> {{ first_name }}"}]
    save_campaign(sessions, variants=variants, control_share=0.0)
    mallory = add_customer(sessions, first_name="<script>alert(2)</script>", marketing_consent=True)
    await as_marketer(client, sessions)

    page = await (
        await client.get(f"/marketing/campaigns/spring/preview?customer={mallory}")
    ).text()

    assert "<b onmouseover" not in page and "<script>alert(2)" not in page
    assert "&lt;b onmouseover=alert(1)&gt;Hey&lt;/b&gt; alert(2)" in page  # name cleaned of tags


async def test_results_page_shows_the_promotions_results_figures_and_charts(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions)
    seed_experiment(sessions, shown=20, control=20)
    await as_marketer(client, sessions)

    response = await client.get("/marketing/campaigns/spring/results")

    page = await response.text()
    assert response.status == 200
    (expected,) = campaign_results(sessions).campaigns
    for name in ("eligible", "exposed", "accepted", "redeemed"):
        assert f'data-testid="summary-{name}">{getattr(expected, name)}<' in page
    assert (expected.exposed, expected.accepted, expected.redeemed) == (20, 6, 3)
    rows = table_rows(page)
    assert set(rows) == {"a", "b", "control"}
    for arm in expected.arms:
        if arm.customers or arm.arm != "holdout":
            assert rows[arm.arm] == arm_cells(arm)
    a = next(x for x in expected.arms if x.arm == "a")
    assert rows["a"]["conversion"] == (
        f"{a.conversion_rate:.1%} ({a.conversion_low:.1%}–{a.conversion_high:.1%})"
    )
    assert rows["a"]["p_value"] == f"{a.lift.p_value:.3f}"
    assert 'data-testid="srm-ok"' in page and 'data-testid="srm-warning"' not in page

    days = campaign_timeline(sessions, "spring")
    bars = re.findall(r'data-testid="timeline-bar" data-value="(\d+)"', page)
    assert [int(b) for b in bars] == [d.exposed for d in days]
    assert sum(int(b) for b in bars) == expected.exposed
    rates = re.findall(
        r'data-testid="conversion-row" data-arm="([a-z]+)" data-rate="([\d.]+)"', page
    )
    assert [(arm, float(rate)) for arm, rate in rates] == [
        (x.arm, round(x.conversion_rate, 4)) for x in expected.arms if x.customers
    ]
    assert page.count('data-testid="interval"') == 3


async def test_results_page_warns_of_a_sample_ratio_mismatch(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions)  # configured 50% control
    seed_experiment(sessions, shown=60, control=10)
    await as_marketer(client, sessions)

    page = html.unescape(await (await client.get("/marketing/campaigns/spring/results")).text())

    assert 'data-testid="srm-warning"' in page
    assert "sample ratio mismatch: observed {'control': 10, 'a': 30, 'b': 30}" in page


async def test_results_of_a_campaign_nobody_saw_say_so_instead_of_drawing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    save_campaign(sessions)
    await as_marketer(client, sessions)

    page = await (await client.get("/marketing/campaigns/spring/results")).text()

    assert 'data-testid="timeline-empty"' in page and 'data-testid="conversion-empty"' in page
    assert "<svg" not in page
