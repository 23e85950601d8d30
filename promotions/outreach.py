"""Proactive outreach: a run picks who hears from a campaign now, and messages them once.

A run (``python -m promotions outreach run``, or ``OutreachRunner.run``) has two steps:

1. **Choose.** Every customer with marketing consent and a channel that reaches them
   (``email_opt_in`` for e-mail, a linked Telegram account for Telegram, a signed-in web
   chat before for the web chat; the campaign's ``channels`` tried in the customer's order,
   ``preferred_channel`` first) goes through the same ``promotions.decision.decide`` as the
   chat, at the ``outreach`` trigger, with every active campaign, their offer history, the
   global settings and coupon counts. So eligibility rules, caps shared with in-chat offers,
   control groups and the global hold-out all apply. A customer whose local time (their
   ``customers.timezone``, else the campaign's ``timezone_default``) is in the chosen
   campaign's quiet hours is left for a later run, with nothing recorded. Otherwise the
   exposure and its outbox row are written together (``promotions.outreach_outbox``):
   ``pending`` for an offer, ``skipped`` for control and hold-out (recorded, never sent).
2. **Send.** Each ``pending`` row is claimed (``sending``, committed), e-mailed, sent by
   Telegram (``promotions.outreach_telegram``) or left waiting in the web chat
   (``promotions.outreach_web``), and recorded ``sent``, ``bounced`` (SMTP 5xx,
   Telegram 403 / 400; never retried) or back to ``pending`` for a temporary failure
   until ``max_attempts``, then ``failed``. A row stuck in ``sending`` is never re-sent.

Exposures are written when a customer is assigned, whether or not the e-mail then arrives:
the experiment compares everyone assigned to an arm (intention to treat), as the control
group, which is sent nothing by design, can only be counted that way too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from email.message import EmailMessage
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from promotions.acceptance import ShownOffer
from promotions.campaigns import Campaign
from promotions.decision import (
    CONTROL_OUTCOME,
    HOLDOUT,
    NOTHING,
    Decision,
    OfferContext,
    Profile,
    decide,
)
from promotions.outreach_email import Delivery, DeliveryResult, SmtpMailer, compose
from promotions.outreach_links import TrackingSigner, UnsubscribeSigner
from promotions.outreach_outbox import Contact, Outbox, Pending, Queued, Status
from promotions.outreach_report import RunReport, unreachable_reason
from promotions.outreach_spec import OutreachSpec
from promotions.outreach_telegram import CHANNEL as TELEGRAM
from promotions.outreach_telegram import TelegramSender, send_message_body
from promotions.outreach_web import CHANNEL as WEB
from promotions.profiles import build_profile, load_facts
from promotions.repository import PromotionRepository
from promotions.service import render_offer
from promotions.templates import MissingSlot, render
from promotions.triggers import Trigger
from store.db import utcnow

MAX_ATTEMPTS = 3
_MAX_IDS_IN_QUERY = 5000
AfterSend = Callable[[Pending], None]


__all__ = ["OutreachRunner", "RunReport", "channel_for", "idempotency_key"]


def channel_for(contact: Contact, channels: tuple[str, ...]) -> str | None:
    """The first of ``channels`` that reaches the customer, their preferred one first.

    Marketing consent is checked by the caller; here e-mail needs its opt-in, Telegram a
    linked account and the web chat a signed-in chat before (linking and signing in are the
    customer's own steps, and consent covers the message).
    """
    opted_in = {
        "email": contact.email_opt_in,
        TELEGRAM: contact.telegram_chat is not None,
        WEB: contact.web_chat,
    }
    ordered = sorted(channels, key=lambda c: c != contact.preferred_channel)
    return next((c for c in ordered if opted_in.get(c)), None)


def idempotency_key(campaign_key: str, customer_id: int, now: datetime) -> str:
    """One message per campaign, customer and (UTC) day, whatever runs or crashes."""
    return f"{campaign_key}:{customer_id}:{now:%Y-%m-%d}"


class OutreachRunner:
    """Chooses, records and sends one run of proactive messages."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        mailer: SmtpMailer,
        signer: UnsubscribeSigner,
        *,
        public_url: str,
        sender: str,
        clock: Callable[[], datetime] = utcnow,
        max_attempts: int = MAX_ATTEMPTS,
        after_send: AfterSend | None = None,
        telegram: TelegramSender | None = None,
        tracking: TrackingSigner | None = None,
    ) -> None:
        self.sessions = sessions
        self.tracking = tracking  # None: e-mail without the open pixel and tracked link
        self.mailer = mailer
        self.telegram = telegram  # None: Telegram is not configured, so never chosen
        self.signer = signer
        self.public_url = public_url
        self.sender = sender
        self.clock = clock
        self.max_attempts = max_attempts
        # Called after the relay accepted a message, before it is recorded: the tests stop
        # a run there to show that a crash at the worst moment sends nothing twice.
        self.after_send = after_send
        self.repo = PromotionRepository(sessions, clock)
        self.outbox = Outbox(sessions)

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: sessionmaker[Session], **kwargs: object
    ) -> OutreachRunner:
        """A runner with the SMTP relay, sender, signing secret and Telegram bot of ``settings``."""
        settings.require("console_secret")
        mailer = SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
        return cls(
            sessions,
            mailer,
            UnsubscribeSigner(settings.console_secret),
            public_url=settings.public_url or settings.console_url,
            tracking=TrackingSigner(settings.console_secret),
            sender=settings.outreach_from,
            telegram=(
                TelegramSender(settings.telegram_token, settings.telegram_api_url)
                if settings.telegram_enabled
                else None
            ),
            **kwargs,  # type: ignore[arg-type]
        )

    async def run(self, dry_run: bool = False) -> RunReport:
        """One run: choose and queue, then send what is pending."""
        now = self.clock()
        campaigns = self.repo.campaigns(statuses=["active"])
        report = RunReport(dry_run=dry_run)
        proactive = [c for c in campaigns if c.outreach is not None and c.is_live(now)]
        report.campaigns = tuple(c.key for c in proactive)
        if proactive:
            self._choose(campaigns, proactive, now, report)
        if dry_run:
            report.waiting = len(self.outbox.pending())
        else:
            try:
                await self._send({c.key: c for c in proactive}, report)
            finally:
                await self.mailer.close()  # the run's one SMTP connection, if it opened one
        return report

    def _choose(
        self,
        campaigns: list[Campaign],
        proactive: list[Campaign],
        now: datetime,
        report: RunReport,
    ) -> None:
        reachable = self._reachable(proactive, report)
        # Thousands of ids in one IN (...) are fine; beyond that, reading everyone is cheaper
        # than SQLite's limit on bound parameters.
        ids = list(reachable) if len(reachable) <= _MAX_IDS_IN_QUERY else None
        facts = load_facts(self.sessions, ids)
        histories = self.repo.histories(ids)
        settings, coupons = self.repo.settings(), self.repo.coupons_issued()
        by_key = {c.key: c for c in proactive}
        for customer_id, (channel, contact) in reachable.items():
            profile = build_profile(*facts[customer_id], now)
            context = OfferContext(Trigger.OUTREACH, channel=channel)
            history = histories.get(customer_id, [])
            decision = decide(profile, context, campaigns, history, now, settings, coupons)
            campaign = by_key.get(decision.campaign_key or "")
            if decision.outcome == NOTHING or campaign is None:
                report.skipped[decision.reason] += 1
                continue
            item = self._item(decision, campaign, profile, contact, context, now, report)
            if item is None:
                continue
            if not report.dry_run and self.outbox.queue(item, Trigger.OUTREACH, now) is None:
                report.skipped["already queued today"] += 1
            elif decision.outcome == CONTROL_OUTCOME:
                report.control += 1
            elif decision.outcome == HOLDOUT:
                report.holdout += 1
            else:
                report.queued += 1

    def _reachable(
        self, proactive: list[Campaign], report: RunReport
    ) -> dict[int, tuple[str, Contact]]:
        """Customer id -> (channel, contact), for those with consent and a channel."""
        channels = self._usable(
            tuple(dict.fromkeys(ch for c in proactive if c.outreach for ch in c.outreach.channels))
        )
        reachable: dict[int, tuple[str, Contact]] = {}
        for contact in self.outbox.contacts():
            channel = channel_for(contact, channels)
            if not contact.consent:
                report.skipped["no marketing consent"] += 1
            elif contact.opted_out:
                report.skipped["opted out of offers"] += 1
            elif channel is None:
                report.skipped[unreachable_reason(channels)] += 1
            else:
                reachable[contact.customer_id] = (channel, contact)
        return reachable

    def _usable(self, channels: tuple[str, ...]) -> tuple[str, ...]:
        """``channels`` without Telegram when no bot is configured to send with."""
        return tuple(c for c in channels if c != TELEGRAM or self.telegram is not None)

    def _item(
        self,
        decision: Decision,
        campaign: Campaign,
        profile: Profile,
        contact: Contact,
        context: OfferContext,
        now: datetime,
        report: RunReport,
    ) -> Queued | None:
        """The exposure and outbox row to write for this decision, or None (and why)."""
        spec = campaign.outreach
        assert spec is not None  # only proactive campaigns list the outreach trigger
        # The channel was chosen over every live campaign's channels; this one may list fewer.
        channel: str | None = context.channel
        if channel not in spec.channels:
            channel = channel_for(contact, self._usable(spec.channels))
        if channel is None:
            report.skipped["not opted in to the campaign's channels"] += 1
            return None
        if spec.is_quiet(now, contact.timezone):
            report.skipped["quiet hours (left for a later run)"] += 1
            return None
        if not spec.is_due(now, contact.timezone):
            report.skipped["not its scheduled time (left for a later run)"] += 1
            return None
        queued = partial(
            Queued,
            customer_id=profile.customer_id,
            campaign_key=campaign.key,
            arm=decision.arm,
            channel=channel,
            idempotency_key=idempotency_key(campaign.key, profile.customer_id, now),
        )
        if decision.outcome in (CONTROL_OUTCOME, HOLDOUT):
            note = "control group" if decision.outcome == CONTROL_OUTCOME else "hold-out"
            return queued(status=Status.SKIPPED, note=note)
        variant = campaign.variant(decision.variant_key or "")
        assert variant is not None  # the decision names the campaign's own variants
        try:
            text, buttons = render_offer(campaign, variant, profile, context, now)
        except MissingSlot as exc:
            report.skipped[f"missing_slot:{exc.slot}"] += 1
            return None
        return queued(
            variant_key=variant.key,
            message=text,
            # The buttons as rendered, for Telegram's inline keyboard when the row is sent.
            offer_spec={**ShownOffer.of(variant).to_json(), "buttons": list(buttons)},
            status=Status.PENDING,
        )

    async def _send(self, live: dict[str, Campaign], report: RunReport) -> None:
        report.gave_up_stuck = self.outbox.give_up_stuck(self.clock())
        down: set[str] = set()  # channels whose relay or API did not answer this run
        for pending in self.outbox.pending():
            now = self.clock()
            campaign = live.get(pending.campaign_key)
            if campaign is None or campaign.outreach is None:
                self.outbox.finish(pending.id, Status.SKIPPED, now, "campaign no longer live")
                report.skipped["campaign no longer live"] += 1
                continue
            if not pending.still_wanted:
                self.outbox.finish(pending.id, Status.SKIPPED, now, "opted out before sending")
                report.skipped["opted out before sending"] += 1
                continue
            if campaign.outreach.is_quiet(now, pending.timezone):
                report.skipped["quiet hours (left for a later run)"] += 1
                continue
            if pending.channel in down:
                continue  # its relay or API did not answer this run: left pending
            if pending.channel == TELEGRAM and self.telegram is None:
                report.skipped["Telegram is not configured (left pending)"] += 1
                continue
            try:
                send = self._sender(pending, campaign.outreach)
            except ValueError as exc:  # e.g. an address the e-mail headers cannot carry
                self.outbox.finish(pending.id, Status.FAILED, now, f"not sendable: {exc}")
                report.failed += 1
                continue
            if not self.outbox.claim(pending.id, now):
                continue  # another run took it
            result = await send()
            if result.outcome == Delivery.SENT and self.after_send is not None:
                self.after_send(pending)
            self._record(pending, result.outcome, result.detail, report)
            if result.outcome == Delivery.UNREACHABLE:
                down.add(pending.channel)
                if pending.channel == TELEGRAM:
                    report.telegram_unreachable = True
                else:
                    report.relay_unreachable = True

    def _sender(
        self, pending: Pending, spec: OutreachSpec
    ) -> Callable[[], Awaitable[DeliveryResult]]:
        """What sends ``pending`` on its channel; raises ``ValueError`` when it cannot be sent."""
        if pending.channel == WEB:
            if not pending.text.strip():
                raise ValueError("the offer text is empty")
            return _left_waiting  # the body is stored when the row is recorded sent
        if pending.channel == TELEGRAM:
            assert self.telegram is not None and pending.telegram_chat is not None  # checked
            body = send_message_body(pending.telegram_chat, pending.text, pending.buttons)
            return partial(self.telegram.send, body)
        return partial(self.mailer.send, self._message(pending, spec))

    def _message(self, pending: Pending, spec: OutreachSpec) -> EmailMessage:
        """The e-mail for ``pending``; raises ``ValueError`` when it cannot be built."""
        try:
            subject = render(spec.subject, {"first_name": pending.first_name})
        except MissingSlot:
            subject = render(spec.subject, {"first_name": "there"})
        return compose(
            sender=self.sender,
            to=pending.email,
            subject=" ".join(subject.split()),  # a header is one line
            text=pending.text,
            unsubscribe_url=self.signer.url(
                self.public_url, pending.customer_id, pending.campaign_key
            ),
            idempotency_key=pending.idempotency_key,
            **self._tracked_links(pending),
        )

    def _tracked_links(self, pending: Pending) -> dict[str, str]:
        """The tracked shop link and open pixel of ``pending``'s e-mail, when tracking is on."""
        if self.tracking is None:
            return {}
        return {
            "shop_url": self.tracking.click_url(self.public_url, pending.id, "/"),
            "open_url": self.tracking.open_url(self.public_url, pending.id),
        }

    def _record(self, pending: Pending, outcome: Delivery, detail: str, report: RunReport) -> None:
        now = self.clock()
        if outcome == Delivery.SENT:
            body = pending.text if pending.channel == WEB else None
            self.outbox.finish(pending.id, Status.SENT, now, body=body)
            report.sent += 1
            report.sent_by_channel[pending.channel] += 1
        elif outcome == Delivery.BOUNCED:
            self.outbox.finish(pending.id, Status.BOUNCED, now, detail)
            report.bounced += 1
        elif pending.attempts + 1 >= self.max_attempts:
            self.outbox.finish(pending.id, Status.FAILED, now, detail)
            report.failed += 1
        else:
            self.outbox.finish(pending.id, Status.PENDING, now, detail)
            report.retry_later += 1


async def _left_waiting() -> DeliveryResult:
    """A web-chat message needs no outside service: it waits in the store for the visit."""
    return DeliveryResult(Delivery.SENT)
