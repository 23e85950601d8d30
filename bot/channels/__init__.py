"""Rasa input channels of Concierge (imported by Rasa from credentials.yml)."""

from bot.channels.concierge_rest import ConciergeRestInput

__all__ = ["ConciergeRestInput"]
