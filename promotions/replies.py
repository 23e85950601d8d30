"""The quick replies under an offer: what a campaign's button does and what the chat sends.

A button's ``action`` is what a marketer writes in a campaign file; its payload is the
message the chat sends back when the button is pressed, which the bot reads as an intent
of the dialogue contract (bot/domain/promotions.yml). Both sides import these names, so a
payload is spelt once.
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
