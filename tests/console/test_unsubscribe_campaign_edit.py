"""Editing a proactive campaign in the console keeps its outreach block (the form has no fields
for it yet), and unticking the outreach trigger turns outreach off."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from promotions.repository import PromotionRepository
from tests.console.campaign_helpers import editor_form
from tests.console.staff_helpers import add_account, csrf_of, sign_in
from tests.support.outreach import proactive_campaign

pytestmark = pytest.mark.asyncio

QUIET = {"start": "21:00", "end": "08:00"}


async def _edit(
    client: TestClient, sessions: sessionmaker[Session], *, outreach_ticked: bool
) -> None:
    PromotionRepository(sessions).save_campaign_data(
        proactive_campaign(
            "spring",
            triggers=["outreach", "returning_session_start"],
            outreach={"quiet_hours": QUIET, "timezone_default": "Europe/Paris"},
        )
    )
    add_account(sessions, "mia@shop.example", "marketer", name="Mia")
    await sign_in(client, "mia@shop.example")
    token = await csrf_of(client, "/marketing/campaigns/spring")
    form = editor_form(token, name="Spring, by e-mail too")
    if outreach_ticked:
        form.append(("trigger", "outreach"))
    response = await client.post("/marketing/campaigns/spring", data=form)
    assert response.status == 200
    assert 'data-testid="campaign-saved"' in await response.text()


async def test_an_edit_keeps_the_outreach_block(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await _edit(client, sessions, outreach_ticked=True)

    saved = PromotionRepository(sessions).campaign("spring")
    assert saved.name == "Spring, by e-mail too"
    assert saved.outreach is not None and saved.outreach.timezone_default == "Europe/Paris"
    assert saved.outreach.quiet_hours is not None


async def test_unticking_the_outreach_trigger_turns_outreach_off(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    await _edit(client, sessions, outreach_ticked=False)

    saved = PromotionRepository(sessions).campaign("spring")
    assert saved.outreach is None and "outreach" not in saved.triggers
