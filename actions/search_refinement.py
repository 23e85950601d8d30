"""A colour or a budget said right after a search changes that search (issue 14).

"have you got any red cushions" → (cushions shown) → "sorry, I meant green ones": the second
message names no product, so searching its own words finds green anything, and the NLU,
which has no intent for half a request, is unsure of it and asks "Did you mean …?". The
search the bot ran in its last turn is kept in the ``last_search`` slot; a message made only
of a colour or a price (and words like "sorry, I meant … ones") is that search again with
the new colour or price in place of the old: "have you got any green cushions".

Used by ``action_search_products`` (a refinement the NLU read as a search) and by the
two-stage fallback's "Did you mean …?" (``actions.fallback_wording``), which hands a
refinement straight to the search instead of asking.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, UserUtteranceReverted

from recsys.search import SearchQuery, parse_price

LAST_SEARCH_SLOT = "last_search"
SEARCH_ACTION = "action_search_products"
SEARCH_INTENT = "search_products"
PRODUCT_ENTITY = "product"

# Words that can stand around a colour or a price without asking for anything else.
_FILLER_WORDS = """
    a about actually also an and any anything are aw but can colour color could did do
    does er for get got have hmm how i i'd i'm id im in instead is it just like ma'am maybe
    me meant mean might more my no not of oh okay ok one ones only oops or perhaps please
    prefer preferably rather really say see show so some something sorry than thanks that
    the them then there these they those to too uh um want wanted was well what which
    with would yes you
"""
_FILLER = frozenset(_FILLER_WORDS.split())
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

Parser = Callable[[str], SearchQuery]


def searched_last_turn(tracker: Tracker) -> str | None:
    """The query of the search the bot ran since the customer's previous message, if any."""
    previous = tracker.get_slot(LAST_SEARCH_SLOT)
    if not previous:
        return None
    users_seen = 0
    # Applied events: a fallback's turn reverted by `reissued_as_search` does not count.
    for event in reversed(tracker.applied_events()):
        kind = event.get("event")
        if kind == "session_started":
            return None  # a search of an earlier session is not what she is changing
        if kind == "user":
            users_seen += 1
            if users_seen == 2:
                return None
        elif kind == "action" and users_seen == 1 and event.get("name") == SEARCH_ACTION:
            return str(previous)
    return None


def _price_phrase(query: SearchQuery) -> str:
    low, high = query.min_price, query.max_price
    amount = "{:g}".format
    if low is not None and high is not None:
        return f"between {amount(low)} and {amount(high)}"
    if high is not None:
        return f"under {amount(high)}"
    return f"over {amount(low)}" if low is not None else ""


def _only_colour_or_price(message: str, query: SearchQuery) -> bool:
    """Whether ``message`` says nothing but a colour and / or a price (and filler words)."""
    _, _, rest = parse_price(message)
    colours = set(query.colours) | {"gray"}
    words = [w for w in _WORD.findall(rest.lower().replace("’", "'")) if w not in colours]
    return all(w in _FILLER for w in words)


def refined_query(
    previous: str, message: str, parse: Parser, names_a_product: bool = False
) -> str | None:
    """``previous`` with the colour or price of ``message`` in place of its own, or None.

    None when ``message`` is not a refinement: it names a product or category (a new
    search), names neither a colour nor a price, or says something else besides.
    """
    new = parse(message)
    has_price = new.min_price is not None or new.max_price is not None
    if names_a_product or new.categories or not (new.colours or has_price):
        return None
    if not _only_colour_or_price(message, new):
        return None
    text = previous
    if has_price:
        _, _, text = parse_price(text)
        text = f"{text.strip()} {_price_phrase(new)}"
    if new.colours:
        old = parse(previous).colours
        wanted = " or ".join(new.colours)
        pattern = (
            re.compile(r"\b(?:" + "|".join(map(re.escape, old)) + r")\b", re.I) if old else None
        )
        if pattern is not None and pattern.search(text):
            text = pattern.sub(wanted, text, count=1)
            text = pattern.sub("", text)
        else:
            text = f"{text.strip()} in {wanted}"
    return re.sub(r"\s+", " ", text).strip()


def names_a_product(tracker: Tracker) -> bool:
    """Whether the NLU found a product in the latest message."""
    entities = tracker.latest_message.get("entities") or []
    return any(e.get("entity") == PRODUCT_ENTITY for e in entities)


def query_for(tracker: Tracker, parse: Parser | None) -> str:
    """What to search for: the refined last search, or the latest message's own words."""
    message = str(tracker.latest_message.get("text") or "").strip()
    previous = searched_last_turn(tracker)
    if previous is None or parse is None:
        return message
    return refined_query(previous, message, parse, names_a_product(tracker)) or message


def reissued_as_search(tracker: Tracker) -> list[dict[str, Any]]:
    """Events that replace the unsure reading of the latest message by a search.

    What Rasa's own two-stage fallback does when the customer confirms a guess: the
    fallback's turn is reverted and the message is logged again with the confirmed
    intent (confidence 1.0), so the transcript reads the message as the search it was;
    then the search runs.
    """
    latest = next(
        (dict(e) for e in reversed(tracker.events or []) if e.get("event") == "user"), None
    )
    parse_data = dict(tracker.latest_message or {})
    parse_data["intent"] = {"name": SEARCH_INTENT, "confidence": 1.0}
    # Rasa checks returned events against its schema, where an entity's confidence must be a
    # number; spaCy's entities come with None ("colour": "white").
    parse_data["entities"] = [
        {key: value for key, value in entity.items() if value is not None}
        for entity in parse_data.get("entities") or []
    ]
    parse_data["intent_ranking"] = [parse_data["intent"]]
    user_event = {
        **(latest or {}),
        "event": "user",
        "text": parse_data.get("text"),
        "parse_data": parse_data,
    }
    user_event.pop("timestamp", None)
    return [
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
        user_event,
        FollowupAction(SEARCH_ACTION),
    ]
