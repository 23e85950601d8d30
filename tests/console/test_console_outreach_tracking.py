"""Opens and clicks of outreach e-mail: a real run, a real SMTP server, the console's routes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from promotions.models import OutreachMessage
from promotions.outreach_links import TrackingSigner, UnsubscribeSigner, is_shop_path
from store.db import utcnow
from tests.console.conftest import FakeRasa, make_settings
from tests.factories import add_customer
from tests.promotions.conftest import FakeClock
from tests.support.outreach import CONSOLE_SECRET, make_runner, proactive_campaign, save_campaign
from tests.support.smtp import SmtpRecorder, smtp_server


@pytest.fixture
def settings(tmp_path: Path, sessions: sessionmaker[Session], fake_rasa: FakeRasa) -> Settings:
    return replace(make_settings(tmp_path, fake_rasa.port), console_secret=CONSOLE_SECRET)


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    with smtp_server() as recorder:
        yield recorder


async def _emailed(sessions: sessionmaker[Session], smtp: SmtpRecorder) -> tuple[str, str]:
    """Run outreach to one customer; the open pixel's and the shop link's path + query."""
    add_customer(sessions, email="anna@example.com", marketing_consent=True, email_opt_in=True)
    save_campaign(sessions, proactive_campaign())
    runner = make_runner(
        sessions, smtp.port, FakeClock(utcnow()), tracking=TrackingSigner(CONSOLE_SECRET)
    )
    assert (await runner.run()).sent == 1
    rich = smtp.messages[0].get_body(("html",))
    plain = smtp.messages[0].get_body(("plain",))
    assert rich is not None and plain is not None
    html = rich.get_content()
    pixel = re.search(r'<img src="([^"]+)"', html)
    link = re.search(r'<a href="([^"]+)">Visit the shop</a>', html)
    assert pixel is not None and link is not None
    shop_link = link.group(1).replace("&amp;", "&")
    assert shop_link in plain.get_content()  # the text part carries the same tracked link
    return _local(pixel.group(1)), _local(shop_link)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _tracked(sessions: sessionmaker[Session]) -> tuple[datetime | None, datetime | None]:
    with sessions() as s:
        row = s.scalars(select(OutreachMessage)).one()
        return row.opened_at, row.clicked_at


async def test_first_open_and_first_click_are_recorded_once(
    client: TestClient, sessions: sessionmaker[Session], smtp: SmtpRecorder, settings: Settings
) -> None:
    pixel, link = await _emailed(sessions, smtp)
    assert _tracked(sessions) == (None, None)

    image = await client.get(pixel)
    assert image.status == 200 and image.content_type == "image/gif"
    assert (await image.read()).startswith(b"GIF89a")
    opened, clicked = _tracked(sessions)
    assert opened is not None and clicked is None
    assert (await client.get(pixel)).status == 200
    assert _tracked(sessions) == (opened, None)  # the first open stands

    redirect = await client.get(link, allow_redirects=False)
    assert redirect.status == 302
    assert redirect.headers["Location"] == settings.demo_shop_url + "/"
    first_click = _tracked(sessions)[1]
    assert first_click is not None
    assert (await client.get(link, allow_redirects=False)).status == 302
    assert _tracked(sessions) == (opened, first_click)


async def test_a_click_without_the_pixel_counts_as_an_open_too(
    client: TestClient, sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    _, link = await _emailed(sessions, smtp)

    assert (await client.get(link, allow_redirects=False)).status == 302

    opened, clicked = _tracked(sessions)
    assert opened is not None and clicked is not None


async def test_forged_or_unknown_tokens_get_404_and_record_nothing(
    client: TestClient, sessions: sessionmaker[Session], smtp: SmtpRecorder
) -> None:
    pixel, link = await _emailed(sessions, smtp)
    with sessions() as s:
        message_id = s.scalars(select(OutreachMessage.id)).one()
    path, _, query = link.partition("?")
    flipped = path[:-1] + ("0" if path[-1] != "0" else "1")
    genuine_elsewhere = TrackingSigner(CONSOLE_SECRET)
    other_secret = TrackingSigner("a-different-console-secret-0123456789")
    unsubscribe = UnsubscribeSigner(CONSOLE_SECRET).token(message_id, "winback")
    attempts = [
        flipped + "?" + query,  # one hex digit changed
        path + "?to=/account",  # a path other than the one signed
        path + "?to=//evil.example/",  # another host
        path,  # no path at all
        pixel.replace("/outreach/open/", "/outreach/click/").replace(".open.", ".click."),
        _local(genuine_elsewhere.click_url("http://x", message_id + 1, "/")),  # no such row
        _local(genuine_elsewhere.open_url("http://x", message_id + 1)),
        _local(other_secret.open_url("http://x", message_id)),  # signed with another key
        f"/outreach/open/{unsubscribe}",  # an unsubscribe token is no tracking token
    ]

    for attempt in attempts:
        response = await client.get(attempt, allow_redirects=False)
        assert response.status == 404, attempt
        assert "Location" not in response.headers

    assert _tracked(sessions) == (None, None)


@pytest.mark.parametrize(
    "path",
    ["//evil.example", "/\\evil.example", "https://evil.example/", "evil", "", "/\\/x"],
)
def test_a_tracked_link_cannot_be_made_to_leave_the_shop(path: str) -> None:
    assert not is_shop_path(path)
    with pytest.raises(ValueError, match="a path on the shop"):
        TrackingSigner(CONSOLE_SECRET).click_url("http://shop", 1, path)


def test_paths_on_the_shop_are_allowed() -> None:
    for path in ("/", "/offers", "/products/42?ref=mail"):
        assert is_shop_path(path)
