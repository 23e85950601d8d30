"""Words for the second of two requests made in one message (actions/multi_intent.py)."""

from __future__ import annotations

OTHER_QUESTION_LEAD = "And on your other question:"
# The policy question answered before the form's next question, while it waits.
FIRST_QUESTION_LEAD = "First, your other question:"


def other_question_answer(answer: str) -> str:
    """A policy answer that follows the answer to the request asked before it."""
    return f"{OTHER_QUESTION_LEAD} {answer}"


def answer_before_question(answer: str) -> str:
    """A policy answer given before the form asks what it still needs."""
    return f"{FIRST_QUESTION_LEAD} {answer}"
