"""RulePolicy's look-up of the rules without walking the whole conversation for nothing.

RulePolicy has no ``max_history``: every prediction hands it the states of the whole
conversation. Two parts of Rasa 3.6's ``_find_action_from_rules`` then grow with it although
the answer does not (BENCHMARKS.md, "Turn cost"):

- ``_get_possible_keys`` filters the rules once for every state, back to the first. A rule
  of ``n`` states is checked against the last ``n`` only: from the ``n``-th state back it is
  kept without a look (``_is_rule_applicable`` returns True). Once the walk is past the
  longest rule, every rule left stays, so :func:`_possible_keys` stops there. It also stops
  when no rule is left. The set it returns is Rasa's.
- Every state is formatted into a string for one ``structlogger.debug`` call, which is built
  even when debug logging is off. :func:`_formatted_when_logged` returns
  :class:`FormattedStates`, which formats only when a log renderer asks for the text and
  then gives exactly Rasa's string. Rasa passes it to ``copy.deepcopy`` (which returns the
  same object, as for a string) and to nothing else.

:func:`look_up_rules_without_the_whole_walk` installs both; the concierge channel calls it
before the model loads. tests/rasa_side/test_rule_lookup.py compares every rule look-up of
the end-to-end test stories with Rasa's own.
"""

from __future__ import annotations

from typing import Any

_rasas_format: Any = None
_rasas_possible_keys: Any = None


class FormattedStates:
    """Rasa's ``format_tracker_states(states)``, made only when a log renders it."""

    __slots__ = ("_states", "_text")

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self._states = states
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = _rasas_format(self._states)
        return self._text

    # structlog's console renderer shows a value's repr, its JSON renderer asks
    # ``__structlog__``; both then print what Rasa's string would print.
    __repr__ = __str__

    def __structlog__(self) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> FormattedStates:
        # The states are never changed after a prediction asked for them; a string's
        # deepcopy is the string itself, and so is this one's.
        return self


def _formatted_when_logged(states: list[dict[str, Any]]) -> Any:
    return FormattedStates(states)


def _possible_keys(self: Any, lookup: dict[str, str], states: list[dict[str, Any]]) -> set[str]:
    possible_keys = set(lookup)
    if not possible_keys:
        return possible_keys
    longest = max(len(self._rule_key_to_state(key)) for key in possible_keys)
    for index, state in enumerate(reversed(states)):
        if index >= longest or not possible_keys:
            break  # every rule left is applicable from here back (Rasa's own rule)
        possible_keys = {
            key for key in possible_keys if self._is_rule_applicable(key, index, state)
        }
    return possible_keys


def look_up_rules_without_the_whole_walk() -> None:
    """Install :func:`_possible_keys` and the lazy state formatting (idempotent)."""
    global _rasas_format, _rasas_possible_keys
    from rasa.core.policies.policy import Policy
    from rasa.core.policies.rule_policy import RulePolicy

    if RulePolicy.__dict__.get("_get_possible_keys") is _possible_keys:
        return
    _rasas_possible_keys = RulePolicy.__dict__["_get_possible_keys"]
    _rasas_format = Policy.__dict__["format_tracker_states"].__func__
    RulePolicy._get_possible_keys = _possible_keys
    # Only RulePolicy calls it, and only for the debug log (rule_policy.py, 3.6.x).
    Policy.format_tracker_states = staticmethod(_formatted_when_logged)
