"""Is the customer upset? A pure detector, and the apology that opens such a turn.

An angry message still carries a request ("third time I'm asking, where the hell is my
order"): the request gets its answer, but the first thing the customer reads is an
apology with a way to a person. The action bases call :func:`apologise_if_frustrated`
before their own work; the apology is said once per user turn however many actions run.
The order forms use :func:`is_frustrated` to keep words of such a sentence out of their slots.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.messages import tone

# Whole words with their usual endings only: "Arsenal", "shiitake" or "crape" are not swearing.
_SWEARING = (
    r"f+u+c+k\w*|f\*+k|wtf|ffs|shit(?:e|s|ty|ting|tier)?|crap(?:py|pier)?|bloody|"
    r"damn(?:ed|it)?|hell|piss(?:ed|ing)?|arse(?:s|d|hole|holes)?|bollocks|sodding|"
    r"bugger(?:ed|ing|s)?|god'?s sake|christ'?s sake"
)
_REPEATING = (
    # "the third time I'm asking", "for the second time": not "the second time I order".
    r"(?:second|third|fourth|fifth|sixth|tenth|hundredth|umpteenth|2nd|3rd|\d+th) time "
    r"(?:(?:now |that |today )?(?:i'?m |i am |i'?ve |i have |i )?(?:been )?)"
    r"(?:ask|contact|writ|messag|chas|tell|tr(?:y|ied)|call|e-?mail|chat|phon|complain)\w*|"
    r"for the (?:second|third|fourth|fifth|umpteenth|2nd|3rd|\d+th) time|"
    r"how many (?:more )?times|(?:asking|asked|told you|tell you|said|ask) (?:this |it |you )?"
    r"(?:again|already|before|twice)|already (?:told|asked|said|explained)|"
    r"again and again|over and over|keep (?:asking|telling|saying)|for the last time|"
    r"still (?:waiting|nothing|no\b|not\b|haven'?t|hasn'?t|doesn'?t|don'?t|can'?t)|"
    r"once again|yet again"
)
_VERDICTS = (
    r"useless|ridiculous|pathetic|rubbish|a joke|joke of a|waste of (?:my |your )?time|"
    r"terrible|awful|appalling|disgrace\w*|disgusting|unacceptable|shocking|hopeless|absurd|"
    r"fed up|sick (?:of|and tired)|had enough|annoy\w*|frustrat\w*|furious|angry|livid|"
    r"fuming|not happy|stupid|idiot\w*|dumb|garbage|worst|not listening|even listening|"
    r"listen to me|not good enough|nonsense|no help|not helping|not helpful|unhelpful|"
    r"incompetent|clueless|pointless|for nothing"
)
_PATTERNS = {
    "swearing": re.compile(rf"(?<![a-z])(?:{_SWEARING})(?![a-z])", re.IGNORECASE),
    "repeating": re.compile(rf"(?<![a-z])(?:{_REPEATING})", re.IGNORECASE),
    "verdict": re.compile(rf"(?<![a-z])(?:{_VERDICTS})(?![a-z])", re.IGNORECASE),
    "exclamations": re.compile(r"!{2,}|\?!|!\?"),
}
# Shouting: at least this many words of two letters or more, all in capitals.
_SHOUTED_WORDS = 3
_WORD = re.compile(r"\b[A-Za-z]{2,}\b")


def frustration_signals(text: str | None) -> tuple[str, ...]:
    """The kinds of frustration in ``text``: swearing, repeating, verdict, exclamations, caps."""
    if not text:
        return ()
    found = [kind for kind, pattern in _PATTERNS.items() if pattern.search(text)]
    words = _WORD.findall(text)
    shouted = [w for w in words if w.isupper()]
    # "VAT" or "DPD" alone is not shouting; a sentence in capitals is.
    if len(shouted) >= _SHOUTED_WORDS and len(shouted) * 2 > len(words):
        found.append("caps")
    return tuple(found)


def is_frustrated(text: str | None) -> bool:
    """True when the customer's message sounds upset (see :func:`frustration_signals`)."""
    return bool(frustration_signals(text))


def talk_to_a_person_button() -> dict[str, str]:
    """The quick reply that asks for a member of the team."""
    return {"title": tone.TALK_TO_A_PERSON, "payload": tone.REQUEST_HUMAN_PAYLOAD}


def _events_of_this_turn(tracker: Tracker) -> list[dict[str, Any]]:
    events = tracker.events or []
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1 :]
    return []


def already_apologised(tracker: Tracker) -> bool:
    """True when an earlier action of this user turn already said our apology."""
    return any(
        e.get("event") == "bot" and tone.is_apology(e.get("text"))
        for e in _events_of_this_turn(tracker)
    )


def _user_turns(tracker: Tracker) -> int:
    return sum(1 for e in tracker.events or [] if e.get("event") == "user")


def apologise_if_frustrated(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Open the turn with an apology and a "Talk to a person" button if the customer is upset.

    Returns True when it apologised. Said at most once per user turn: later actions of the
    same turn see the apology among the events after the user's message.
    """
    text = tracker.latest_message.get("text") if tracker.latest_message else None
    if not is_frustrated(text) or already_apologised(tracker):
        return False
    if any(tone.is_apology(m.get("text")) for m in dispatcher.messages):
        return False
    dispatcher.utter_message(
        text=tone.apology(_user_turns(tracker)), buttons=[talk_to_a_person_button()]
    )
    return True
