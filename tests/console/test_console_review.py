"""Review of a conversation: state, tags and notes, audited, refused without CSRF or role."""

from __future__ import annotations

from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import Session, sessionmaker

from console.staff.accounts import StaffDirectory
from console.staff.reviews import ReviewDesk
from tests.console.conversation_helpers import add_session
from tests.console.staff_helpers import add_account, csrf_of, sign_in

pytestmark = pytest.mark.asyncio


@pytest.fixture
def conversation(sessions: sessionmaker[Session]) -> int:
    return add_session(sessions, "web-anna", datetime(2024, 11, 20, 10))


async def agent_token(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> str:
    add_account(sessions, "sam@shop.example", "agent")
    await sign_in(client, "sam@shop.example")
    return await csrf_of(client, f"/staff/conversations/{conversation}")


async def test_agent_sets_state_and_tags_and_the_change_is_audited(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    token = await agent_token(client, sessions, conversation)

    response = await client.post(
        f"/staff/conversations/{conversation}/review",
        data={
            "state": "needs_fix",
            "tags": "Wrong Intent, refund,  wrong intent",
            "csrf_token": token,
        },
        allow_redirects=False,
    )

    assert response.status == 303
    review = ReviewDesk(sessions).review_of(conversation)
    assert review.state == "needs_fix" and review.tags == ("refund", "wrong intent")
    entry = StaffDirectory(sessions).audit_log()[0]
    assert (entry.actor_email, entry.action, entry.target) == (
        "sam@shop.example",
        "review_updated",
        f"conversation {conversation}",
    )
    assert entry.detail == {
        "state": "needs_fix",
        "previous_state": "new",
        "tags": ["refund", "wrong intent"],
    }


async def test_hostile_note_is_kept_and_shown_as_text(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    token = await agent_token(client, sessions, conversation)
    hostile = "<script>alert('note')</script> call back tomorrow"

    await client.post(
        f"/staff/conversations/{conversation}/notes", data={"text": hostile, "csrf_token": token}
    )
    body = await (await client.get(f"/staff/conversations/{conversation}")).text()

    assert ReviewDesk(sessions).review_of(conversation).notes[0].text == hostile
    assert "<script>alert(" not in body
    assert "&lt;script&gt;alert(&#39;note&#39;)&lt;/script&gt; call back tomorrow" in body
    assert StaffDirectory(sessions).audit_log()[0].action == "note_added"


@pytest.mark.parametrize(
    "path, data, message",
    [
        ("review", {"state": "done", "tags": ""}, "review state must be one of new, reviewed"),
        ("review", {"state": "reviewed", "tags": "<b>"}, "may only use letters, digits"),
        ("notes", {"text": "   "}, "write something before adding a note"),
    ],
)
async def test_invalid_review_input_is_explained(
    client: TestClient,
    sessions: sessionmaker[Session],
    conversation: int,
    path: str,
    data: dict[str, str],
    message: str,
) -> None:
    token = await agent_token(client, sessions, conversation)

    response = await client.post(
        f"/staff/conversations/{conversation}/{path}", data={**data, "csrf_token": token}
    )

    assert response.status == 400
    assert message in (await response.text()).replace("&#39;", "'")
    assert ReviewDesk(sessions).review_of(conversation).state == "new"


async def test_review_without_csrf_token_is_refused(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    await agent_token(client, sessions, conversation)

    response = await client.post(
        f"/staff/conversations/{conversation}/review", data={"state": "reviewed", "tags": ""}
    )

    assert response.status == 403
    assert ReviewDesk(sessions).review_of(conversation).state == "new"


async def test_marketer_cannot_review(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    add_account(sessions, "mia@shop.example", "marketer")
    await sign_in(client, "mia@shop.example")
    token = await csrf_of(client, "/staff")

    response = await client.post(
        f"/staff/conversations/{conversation}/notes", data={"text": "hi", "csrf_token": token}
    )

    assert response.status == 403
    assert ReviewDesk(sessions).review_of(conversation).notes == ()


async def test_review_of_an_unknown_conversation_is_not_found(
    client: TestClient, sessions: sessionmaker[Session], conversation: int
) -> None:
    token = await agent_token(client, sessions, conversation)

    response = await client.post(
        "/staff/conversations/4242/review",
        data={"state": "reviewed", "tags": "", "csrf_token": token},
    )

    assert response.status == 404
