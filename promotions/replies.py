"""The quick replies under an offer: what a campaign's button does, what the chat sends,
and the status of the customer's answer.

A button's ``action`` is what a marketer writes in a campaign file; its payload is the
message the chat sends back when the button is pressed, which the bot reads as an intent
of the dialogue contract (bot/domain/promotions.yml). The answer's ``ReplyStatus`` is what
``promotions.service`` returns and the actions word. Both sides import these names, so
each is spelt once.
"""

from __future__ import annotations

from enum import StrEnum


class ButtonAction(StrEnum):
    """What pressing a quick reply under an offer does."""

    ACCEPT = "accept"
    DECLINE = "decline"
    OPT_OUT = "opt_out"


class OfferPayload(StrEnum):
    """The message a quick reply sends: ``/`` and the intent the bot answers it with."""

    ACCEPT = "/accept_offer"
    DECLINE = "/decline_offer"
    STOP = "/stop_offers"

    @property
    def intent(self) -> str:
        """The intent name the payload stands for, e.g. ``accept_offer``."""
        return self.value.removeprefix("/")


BUTTON_ACTIONS: tuple[ButtonAction, ...] = tuple(ButtonAction)

BUTTON_PAYLOADS: dict[ButtonAction, OfferPayload] = {
    ButtonAction.ACCEPT: OfferPayload.ACCEPT,
    ButtonAction.DECLINE: OfferPayload.DECLINE,
    ButtonAction.OPT_OUT: OfferPayload.STOP,
}


class ReplyStatus(StrEnum):
    """How an accept / decline / opt-out went (``promotions.service.OfferReply.status``)."""

    ISSUED = "issued"  # accepted; its coupon was issued now
    ALREADY_ISSUED = "already_issued"  # accepted again; the coupon issued before
    ACCEPTED = "accepted"  # accepted an offer without a coupon
    NO_OFFER = "no_offer"  # no open offer to answer
    OFFER_EXPIRED = "offer_expired"  # the open offer is too old to take
    BUDGET_SPENT = "budget_spent"  # the campaign's coupons ran out
    OFFER_WITHDRAWN = "offer_withdrawn"  # the campaign was paused or ended since it was shown
    OFFERS_OFF = "offers_off"  # the customer opted out or withdrew consent since it was shown
    DECLINED = "declined"
    OPTED_OUT = "opted_out"

    @property
    def took_offer(self) -> bool:
        """True when the customer now has the offer (and its coupon, if it has one)."""
        return self in (ReplyStatus.ISSUED, ReplyStatus.ALREADY_ISSUED, ReplyStatus.ACCEPTED)

    @property
    def refused_offer(self) -> bool:
        """True when the customer said yes to an open offer the shop could not honour."""
        return self in (
            ReplyStatus.BUDGET_SPENT,
            ReplyStatus.OFFER_WITHDRAWN,
            ReplyStatus.OFFERS_OFF,
        )
