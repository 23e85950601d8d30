"""What the assistant says around the errands: greetings, farewells, handoff, outages."""

from __future__ import annotations

from concierge.formatting import join_words, money

STORE_UNREACHABLE = (
    "I can't reach our order system right now — please try again in a few minutes, "
    "or ask for a human."
)


NOT_AN_EMAIL = "Hmm, that doesn't look like an e-mail address — could you type it again?"


def welcome_back(name: str) -> str:
    """The first thing a returning customer reads."""
    return f"Welcome back, {name}!"


HOW_CAN_I_HELP = "How can I help you today?"


def greeting(name: str | None) -> str:
    """A greeting, by name when we know the customer."""
    who = f", {name}" if name else ""
    return f"Hello{who}! {HOW_CAN_I_HELP}"


def goodbye(name: str | None) -> str:
    """A farewell, by name when we know the customer."""
    who = f", {name}" if name else ""
    return f"Goodbye{who} — thanks for chatting with us!"


def handoff_requested(already_waiting: bool) -> str:
    """The promise we make when the customer asks for a person."""
    if already_waiting:
        return "You're already in the queue for our team — someone will reply right here soon."
    return (
        "I've asked a member of our team to take over — they'll reply right here in "
        "this chat as soon as they can."
    )


# Offers: what the chat says around a campaign's own (templated) offer text.
GUEST_NO_OFFER = "Offers are for signed-in customers — sign in and I'll see what I have for you."
GUEST_NOTHING_TO_STOP = "You won't get offers from me as a guest — there's nothing to stop."
YES_TO_NOTHING = "Great! What else can I help you with?"
CONFIRM_ACCEPT = "Just to be sure: shall I send you the code?"

# Recommendations and search.
CANT_RECOMMEND = (
    "I'm sorry — I can't recommend products right now. Please try again a little later, "
    "or browse our best sellers on the shop's home page."
)
RECOMMEND_INTRO_LIKED = "If you like the {title}, you might also like:"
RECOMMEND_INTRO_POPULAR = "Here's what other customers love right now:"
RECOMMEND_INTRO_PERSONAL = "Here are a few things I think you'll like:"
SEARCH_DOWN_INTRO = "I can't search the catalogue right now, but these are popular at the moment:"
SEARCH_INTRO = "Here's what I found:"
BOUGHT_TOGETHER_INTRO = "By the way, customers who bought that often add:"
SHOW_POPULAR = "Show me popular items"


def suggestion_line(title: str, price: float | None, reason: str, currency: str) -> str:
    """One line of a product list: "• Oak stool — £45: bought with your lamp"."""
    shown = f" — {money(price, currency)}" if price is not None else ""
    return f"• {title}{shown}: {reason}"


def more_like(title: str) -> str:
    """The quick reply asking for more like a suggestion."""
    return f"More like {title}"


def nothing_found(
    text: str,
    categories: list[str] | tuple[str, ...],
    min_price: float | None,
    max_price: float | None,
    currency: str,
) -> str:
    """Why a search found nothing, naming the limits that were applied, and what to try."""
    limits = []
    if categories:
        limits.append("in " + join_words(categories, last="or"))
    if max_price is not None:
        limits.append(f"under {money(max_price, currency)}")
    if min_price is not None:
        limits.append(f"over {money(min_price, currency)}")
    within = f" {' '.join(limits)}" if limits else ""
    return (
        f"I couldn't find anything{within} in stock that matches “{text}”. "
        "You could try a different budget or fewer details — or I can show you what's popular."
    )


# What the chat says to an accept / decline / opt-out that has no campaign text of its own
# (promotions.service.OfferReply.status).
OFFER_REPLIES = {
    "no_offer": "I don't have an open offer for you right now.",
    "offer_expired": "That offer has expired, I'm afraid.",
    "budget_spent": "I'm sorry — that offer has just run out.",
    "offer_withdrawn": "I'm sorry — that offer has ended since I mentioned it, so I can't apply it.",
    "offers_off": (
        "I can't apply that offer, as offers are switched off for your account. You can turn "
        "them back on in your account settings."
    ),
    "declined": "No problem — I won't bring it up again for a while.",
    "opted_out": (
        "Done — I won't send you any more offers. You can turn them back on in your account "
        "settings."
    ),
}


def offer_reply(status: str, campaign_text: str | None) -> str:
    """The campaign's own message when it has one, else the chat's sentence for ``status``."""
    if campaign_text:
        return campaign_text
    return OFFER_REPLIES.get(status, OFFER_REPLIES["no_offer"])
