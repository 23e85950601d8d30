"""A link code e-mailed to the address on file: a real SQLite shop and a real SMTP server.

The e-mail that arrives carries a code that then links the chat through the normal link
path; an unknown address gets the same answer and no e-mail; requests over the limits are
refused without an e-mail; a relay that is down gets an apology and costs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.events import SlotSet

from actions.link_code_mail import ActionEmailLinkCode, ValidateLinkEmailForm
from actions.linking import ActionLinkAccount
from actions.messages import linking as words
from actions.services import reset_services
from store.account_linking import CODE_ALPHABET, CODE_LENGTH
from store.link_code_mail import MAX_MAILS_PER_ADDRESS, MAX_MAILS_PER_USER
from store.link_codes import LinkCode
from tests.actions.shop_data import Shop
from tests.actions.trackers import form_tracker, parse_data, run, texts, tracker
from tests.factories import add_customer
from tests.support.servers import free_port
from tests.support.smtp import SmtpRecorder, smtp_server

TELEGRAM_USER = "telegram-777"
TELEGRAM = {"channel": "telegram"}
CODE_IN_TEXT = re.compile(rf"/link ([{CODE_ALPHABET}]{{{CODE_LENGTH}}})")


@pytest.fixture
def relay(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpRecorder]:
    """A real SMTP server the action server's settings point at."""
    with smtp_server() as recorder:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(recorder.port))
        reset_services()  # rebuilt from the environment on the next action
        yield recorder


@pytest.fixture
def relay_down(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings pointing at a port nothing listens on."""
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))
    reset_services()


def _anna(shop: Shop) -> int:
    return add_customer(shop.sessions, email="anna@example.com", first_name="Anna")


def _address_given(email: str, sender_id: str = TELEGRAM_USER) -> Any:
    """The tracker when link_email_form is done with ``email`` as the answer."""
    return tracker(
        sender_id=sender_id,
        slots={"session_started_metadata": TELEGRAM, "link_email": email, "link_by_email": True},
        latest_message=parse_data(email, "inform", metadata=TELEGRAM),
    )


def _code_message(code: str) -> Any:
    entities = [{"entity": "link_code", "value": code}]
    message = parse_data(f'/link_account{{"link_code": "{code}"}}', "link_account", entities)
    return tracker(
        sender_id=TELEGRAM_USER,
        slots={"session_started_metadata": TELEGRAM, "link_code": code},
        latest_message=message | {"metadata": TELEGRAM},
    )


def _unused_codes(shop: Shop) -> int:
    with shop.sessions() as s:
        return s.query(LinkCode).filter(LinkCode.used_at.is_(None)).count()


async def test_the_emailed_code_links_the_chat_through_the_normal_path(
    shop: Shop, relay: SmtpRecorder
) -> None:
    anna = _anna(shop)
    events, dispatcher = await run(ActionEmailLinkCode(), _address_given("Anna@Example.com"))
    assert texts(dispatcher) == [words.CODE_MAIL_ON_ITS_WAY]
    assert SlotSet("link_email", None) in events and SlotSet("link_by_email", None) in events
    [mail] = relay.to("Anna@example.com")  # parse_email lowers the domain only
    assert mail["Subject"] == words.CODE_MAIL_SUBJECT
    body = mail.get_content()
    assert body.startswith("Hello Anna,")
    match = CODE_IN_TEXT.search(body)
    assert match is not None, body
    code = match.group(1)

    events, dispatcher = await run(ActionLinkAccount(), _code_message(code))
    assert texts(dispatcher) == [words.linked("Anna")]
    assert SlotSet("customer_id", str(anna)) in events
    linked = shop.repo.customer_for_sender(TELEGRAM_USER, "telegram")
    assert linked is not None and linked.id == anna


async def test_an_unknown_address_gets_the_same_answer_and_no_email(
    shop: Shop, relay: SmtpRecorder
) -> None:
    _anna(shop)
    _, dispatcher = await run(ActionEmailLinkCode(), _address_given("nobody@example.com"))
    assert texts(dispatcher) == [words.CODE_MAIL_ON_ITS_WAY]
    assert relay.messages == []
    assert _unused_codes(shop) == 0


async def test_a_user_over_the_limit_is_refused_without_an_email(
    shop: Shop, relay: SmtpRecorder
) -> None:
    _anna(shop)
    for _ in range(MAX_MAILS_PER_USER):
        _, dispatcher = await run(ActionEmailLinkCode(), _address_given("anna@example.com"))
        assert texts(dispatcher) == [words.CODE_MAIL_ON_ITS_WAY]
    assert len(relay.messages) == MAX_MAILS_PER_USER
    _, dispatcher = await run(ActionEmailLinkCode(), _address_given("anna@example.com"))
    assert texts(dispatcher) == [words.CODE_MAILS_LIMITED]
    assert len(relay.messages) == MAX_MAILS_PER_USER
    # Unknown addresses count too, so the limit says nothing about which are on file.
    _, dispatcher = await run(ActionEmailLinkCode(), _address_given("other@example.com"))
    assert texts(dispatcher) == [words.CODE_MAILS_LIMITED]


async def test_an_address_over_the_limit_is_refused_whoever_asks(
    shop: Shop, relay: SmtpRecorder
) -> None:
    _anna(shop)
    for n in range(MAX_MAILS_PER_ADDRESS):
        await run(ActionEmailLinkCode(), _address_given("anna@example.com", f"telegram-{n}"))
    assert len(relay.messages) == MAX_MAILS_PER_ADDRESS
    _, dispatcher = await run(
        ActionEmailLinkCode(), _address_given("ANNA@example.com", "telegram-new")
    )
    assert texts(dispatcher) == [words.CODE_MAILS_LIMITED]
    assert len(relay.messages) == MAX_MAILS_PER_ADDRESS


async def test_a_relay_that_is_down_gets_an_apology_and_costs_nothing(
    shop: Shop, relay_down: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _anna(shop)
    for _ in range(MAX_MAILS_PER_USER + 1):
        _, dispatcher = await run(ActionEmailLinkCode(), _address_given("anna@example.com"))
        assert texts(dispatcher) == [words.CODE_MAIL_FAILED]
    assert _unused_codes(shop) == 0  # the code that was not sent is void
    # Once the relay is back, the failed requests did not use up the limit.
    with smtp_server() as recorder:
        monkeypatch.setenv("SMTP_PORT", str(recorder.port))
        reset_services()
        _, dispatcher = await run(ActionEmailLinkCode(), _address_given("anna@example.com"))
        assert texts(dispatcher) == [words.CODE_MAIL_ON_ITS_WAY]
        assert len(recorder.to("anna@example.com")) == 1


async def test_the_web_chat_never_emails_a_code(shop: Shop, relay: SmtpRecorder) -> None:
    _anna(shop)
    web = {"channel": "web"}
    guest = tracker(
        sender_id="web-abc",
        slots={"session_started_metadata": web, "link_email": "anna@example.com"},
        latest_message=parse_data("anna@example.com", "inform", metadata=web),
    )
    _, dispatcher = await run(ActionEmailLinkCode(), guest)
    assert texts(dispatcher) == []
    assert relay.messages == []


def _answer(text: str, entities: list[dict[str, Any]] | None = None) -> Any:
    built = form_tracker(
        "link_email_form",
        candidates={"link_email": text},
        slots={"session_started_metadata": TELEGRAM},
        requested_slot="link_email",
        text=text,
        sender_id=TELEGRAM_USER,
    )
    built.latest_message["entities"] = entities or []
    return built


def _slot(events: list[dict[str, Any]], name: str) -> Any:
    return [e["value"] for e in events if e.get("event") == "slot" and e["name"] == name][-1]


async def test_a_well_formed_address_is_taken(shop: Shop) -> None:
    events, dispatcher = await run(ValidateLinkEmailForm(), _answer("it's Jane@Example.COM"))
    assert texts(dispatcher) == []
    assert _slot(events, "link_email") == "Jane@example.com"


async def test_something_else_ends_the_form_with_a_clear_word(shop: Shop) -> None:
    events, dispatcher = await run(ValidateLinkEmailForm(), _answer("no thanks"))
    assert texts(dispatcher) == [words.NOT_AN_ACCOUNT_EMAIL]
    assert _slot(events, "link_email") is None
    assert _slot(events, "requested_slot") is None


async def test_a_code_sent_instead_ends_the_form_quietly_and_is_redeemed_after_it(
    shop: Shop, relay: SmtpRecorder
) -> None:
    code_entity = [{"entity": "link_code", "value": "K7M2QR9X"}]
    events, dispatcher = await run(
        ValidateLinkEmailForm(), _answer('/link_account{"link_code": "K7M2QR9X"}', code_entity)
    )
    assert texts(dispatcher) == []
    assert _slot(events, "requested_slot") is None
    # The submit action redeems it as action_link_account would (unknown code here).
    _, dispatcher = await run(ActionEmailLinkCode(), _code_message("K7M2QR9X"))
    assert texts(dispatcher) == [words.REFUSALS[words.LinkOutcome.UNKNOWN]]
    assert relay.messages == []
