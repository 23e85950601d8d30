"""What the assistant says when a Telegram chat is connected to a shop account, or not.

The store answers a redemption with a ``LinkOutcome`` code; each refusal has its own kind
sentence here, saying what to do next (usually: get a fresh code from the account page).
"""

from __future__ import annotations

from store.account_linking import LinkOutcome


def linked(name: str) -> str:
    """The answer to a code that connected the chat."""
    return f"You're connected, {name} — ask me about your orders here too."


LINK_HOW = (
    "To connect your shop account here, sign in on the shop's website, open your account "
    'page and choose "Connect Telegram". Then tap the link it shows, or send me its code '
    "like this: /link ABCD2345"
)
LINK_ONLY_IN_TELEGRAM = (
    "Those codes are for connecting Telegram, so please send it to me there. Here on the "
    "shop's website, your account is already known when you're signed in."
)
UNLINK_ONLY_IN_TELEGRAM = (
    "To disconnect Telegram from your shop account, send /unlink in the Telegram chat."
)
UNLINKED = (
    "Done — this chat is no longer connected to your shop account. You can connect it "
    "again any time with a new code from your account page."
)
NOTHING_TO_UNLINK = "This chat isn't connected to a shop account, so there's nothing to undo."

REFUSALS: dict[LinkOutcome, str] = {
    LinkOutcome.UNKNOWN: (
        "Hmm, I don't recognise that code. Please check it against your account page and "
        "send it again, or get a fresh one there."
    ),
    LinkOutcome.EXPIRED: (
        "That code has expired — codes last 15 minutes. Please get a fresh one from your "
        "account page and send it to me."
    ),
    LinkOutcome.USED: (
        "That code has already been used. To connect this chat, please get a fresh one "
        "from your account page."
    ),
    LinkOutcome.LIMITED: (
        "A few codes in a row didn't match, so let's pause for a bit to keep your account "
        "safe. Please try again in an hour with a fresh code from your account page."
    ),
}


def link_refused(outcome: LinkOutcome) -> str:
    """Why a code did not connect the chat, and what to do instead."""
    return REFUSALS[outcome]
