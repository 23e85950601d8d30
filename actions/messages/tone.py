"""What the assistant says to an upset customer, to a request it leaves to the team, and
when it is unsure what the customer meant (the two-stage fallback's question)."""

from __future__ import annotations

# Payloads the buttons send: the intents that answer them are in bot/domain/*.yml.
REQUEST_HUMAN_PAYLOAD = "/request_human"
DENY_PAYLOAD = "/deny"
# Rasa's two-stage fallback asks to rephrase when the answer to "Did you mean" is this intent.
SOMETHING_ELSE_PAYLOAD = "/out_of_scope"

TALK_TO_A_PERSON = "Talk to a person"
PASS_ME_ON = "Yes, pass me on"
NO_THANKS = "No thanks"
SOMETHING_ELSE = "Something else"

# Said first in a turn whose message was frustrated, before whatever answers it. Varied, so a
# customer who is upset twice does not read the same line twice in a row.
APOLOGIES = (
    "I'm sorry this is taking so long — let me sort it out.",
    "I'm really sorry about the trouble. Let me help you with this now.",
    "Sorry for the hassle — I'll do my best to get this sorted for you.",
    "I'm sorry, that's frustrating. Let's get it fixed.",
)
# Said to pure frustration with no request in it, after the apology.
HOW_CAN_I_PUT_IT_RIGHT = (
    "Tell me what you need and I'll try again — or I can pass you to a member of our team."
)
SHALL_I_PASS_YOU_ON = "Shall I pass you on to them?"


def apology(turn: int) -> str:
    """The apology for the customer's ``turn``-th message (a different one each time)."""
    return APOLOGIES[turn % len(APOLOGIES)]


def is_apology(text: str | None) -> bool:
    """True when ``text`` is one of our apologies (so a turn apologises only once)."""
    return text in APOLOGIES


def did_you_mean(label: str) -> str:
    """The two-stage fallback's question, in the customer's words."""
    return f"Sorry, I'm not sure I understood. Did you mean: {label}?"


def did_you_mean_one_of() -> str:
    """The question when the fallback offers more than one guess."""
    return "Sorry, I'm not sure I understood. Did you mean one of these?"
