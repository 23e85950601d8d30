"""Rasa input channels of Concierge (imported by Rasa from credentials.yml)."""

from bot.channels.concierge_rest import ConciergeRestInput
from bot.channels.telegram import ConciergeTelegramInput

__all__ = ["ConciergeRestInput", "ConciergeTelegramInput"]
