"""A Telegram guest without a code gets one by e-mail, at the address of their shop account.

``action_link_account`` sets ``link_by_email`` for a Telegram guest who asks to connect
without a code; a rule then starts ``link_email_form``, whose question
(``action_ask_link_email``) offers both ways: the account page's code, or an e-mailed one.
The answer is checked here (``validate_link_email_form``: a code sent instead is redeemed,
anything that is not an address ends the form with a clear word) and
``action_email_link_code`` asks the store for a code (``store.link_code_mail``: limited per
user and per address, and silent about whether the address is on file) and sends it over
SMTP with the outreach's mailer. The customer then sends the code as any other code.
"""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from actions.base import EventList, ShopAction
from actions.forms_base import stop_wins
from actions.linking import LINK_BY_EMAIL, code_of, offers_code_by_email, redeem_code
from actions.messages import linking as words
from actions.parsing import parse_email
from actions.services import Services
from concierge.settings import Settings
from promotions.outreach_email import Delivery, DeliveryResult, SmtpMailer
from store.db import make_session_factory
from store.link_code_mail import CodeMailRequest, LinkCodeMail, MailOutcome

logger = logging.getLogger(__name__)

LINK_EMAIL = "link_email"
# A customer waits in the chat for this answer: a relay that does not answer in this
# time is down for now (the outreach's 30 s suit a batch run, not a conversation).
SMTP_TIMEOUT_SECONDS = 10.0


def compose_code_mail(settings: Settings, to: str, request: CodeMailRequest) -> EmailMessage:
    """The e-mail with the code and how to send it (plain text: it carries one code)."""
    assert request.code is not None  # only issued requests are mailed
    message = EmailMessage()
    message["From"] = settings.outreach_from
    message["To"] = to
    message["Subject"] = words.CODE_MAIL_SUBJECT
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(settings.outreach_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("link-code", domain=domain)
    message.set_content(words.code_mail_text(request.first_name, request.code.code))
    return message


async def send_code_mail(settings: Settings, message: EmailMessage) -> DeliveryResult:
    """Send one message over its own connection with the outreach's mailer, then close it."""
    mailer = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=SMTP_TIMEOUT_SECONDS,
    )
    try:
        return await mailer.send(message)
    finally:
        await mailer.close()


class ActionAskLinkEmail(Action):
    """The form's question: a code from the account page, or the account's e-mail address."""

    def name(self) -> str:
        """The ask action Rasa runs for ``link_email``."""
        return "action_ask_link_email"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Offer both ways to connect; the words are in ``actions.messages.linking``."""
        dispatcher.utter_message(text=words.LINK_BY_PAGE_OR_EMAIL)
        return []


class ValidateLinkEmailForm(FormValidationAction):
    """Takes a well-formed address; anything else ends the form (nothing is sent)."""

    def name(self) -> str:
        """The validation action of ``link_email_form``."""
        return "validate_link_email_form"

    async def validate_link_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The address, or the form ends: a code sent instead is redeemed after it."""
        if code_of(tracker) is not None:
            return {LINK_EMAIL: None, REQUESTED_SLOT: None}
        email = parse_email(value)
        if email is None:
            # Not asked again: "never mind" must not trap the guest in a loop of questions.
            dispatcher.utter_message(text=words.NOT_AN_ACCOUNT_EMAIL)
            return {LINK_EMAIL: None, REQUESTED_SLOT: None}
        return {LINK_EMAIL: email}

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventList:
        """Validate, and let a decision to end the form stand."""
        return stop_wins(await super().run(dispatcher, tracker, domain))


class ActionEmailLinkCode(ShopAction):
    """E-mails a link code to the account with the given address, if there is one."""

    def name(self) -> str:
        """The action the rules run when ``link_email_form`` is done."""
        return "action_email_link_code"

    def act(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
        services: Services,
    ) -> EventList:
        """Request a code and send it; the same answer whether or not the address is known."""
        done: EventList = [SlotSet(LINK_EMAIL, None), SlotSet(LINK_BY_EMAIL, None)]
        code = code_of(tracker)
        if code is not None:
            return [*done, *redeem_code(dispatcher, tracker, services, code)]
        email = parse_email(tracker.get_slot(LINK_EMAIL))
        if email is None or not offers_code_by_email(tracker):
            return done  # the validation already said why; the web chat never gets here
        dispatcher.utter_message(text=self._request_and_send(services, tracker.sender_id, email))
        return done

    @staticmethod
    def _request_and_send(services: Services, sender_id: str, email: str) -> str:
        """What to answer after counting the request and sending any code."""
        mail = LinkCodeMail(make_session_factory(services.engine))
        request = mail.request(sender_id, email)
        logger.info("Link code by e-mail for %s: %s", sender_id, request.outcome.value)
        if request.outcome is MailOutcome.LIMITED:
            return words.CODE_MAILS_LIMITED
        if request.outcome is MailOutcome.NO_ACCOUNT:
            return words.CODE_MAIL_ON_ITS_WAY
        message = compose_code_mail(services.settings, email, request)
        # act runs in a worker thread of its own (ShopAction.run), so it may run a loop.
        result = asyncio.run(send_code_mail(services.settings, message))
        if result.outcome is Delivery.SENT:
            return words.CODE_MAIL_ON_ITS_WAY
        # The outcome only: the relay's words may quote the address.
        logger.warning("Link code e-mail for %s not sent: %s", sender_id, result.outcome.value)
        mail.withdraw(request)
        return words.CODE_MAIL_FAILED
