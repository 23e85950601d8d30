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


# -- a code by e-mail (a Telegram guest without a code) ---------------------------------

LINK_BY_PAGE_OR_EMAIL = (
    "Happy to connect this chat to your shop account. Either sign in on the shop's "
    'website, open your account page, choose "Connect Telegram" and send me its code like '
    "this: /link ABCD2345 — or tell me the e-mail address of your shop account and I'll "
    "e-mail you a code."
)
# The same answer whether or not the address belongs to an account.
CODE_MAIL_ON_ITS_WAY = (
    "If that address belongs to an account, a code is on its way; send it to me here "
    "like this: /link ABCD2345. It works once, for 15 minutes."
)
NOT_AN_ACCOUNT_EMAIL = (
    "That doesn't look like an e-mail address, so I haven't sent anything. To get a code "
    'by e-mail, say "link my account" again and then type the address, like '
    "name@example.com. If you already have a code, send it like this: /link ABCD2345"
)
CODE_MAILS_LIMITED = (
    "I've sent a few codes in the last hour already, so I won't send another one just now. "
    "Please check your inbox (and spam folder) for the latest code, or try again in an hour."
)
CODE_MAIL_FAILED = (
    "Sorry — I couldn't send the e-mail just now. Nothing has changed on your account; "
    'please say "link my account" again in a few minutes, or get a code from your '
    "account page."
)
CODE_MAIL_SUBJECT = "Your code to connect Telegram to your shop account"


def code_mail_text(first_name: str, code: str) -> str:
    """The e-mail's text: the code, how to send it, and that ignoring it is safe."""
    greeting = f"Hello {first_name}," if first_name else "Hello,"
    return (
        f"{greeting}\n\n"
        "Someone, we hope you, asked our shop assistant on Telegram to connect that chat "
        "to your shop account. Your one-time code is:\n\n"
        f"    {code}\n\n"
        "Send it to the assistant in the Telegram chat like this:\n\n"
        f"    /link {code}\n\n"
        "The code works once, for 15 minutes. If you didn't ask for it, ignore this "
        "e-mail: nothing is connected without the code.\n"
    )
