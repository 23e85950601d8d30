"""Which intents the two-stage fallback offers as "Did you mean …?", and their topics.

Shared by the action that asks (``actions.fallback_wording``) and by the Rasa server's
response selectors (``bot.components.gated_response_selector``), which pick an FAQ or
small-talk topic only for a message where that intent is chosen or would be offered.
Plain Python (the standard library and ``actions.intent_labels``): both the action server
(Python 3.11) and Rasa (Python 3.10) import it.
"""

from __future__ import annotations

from typing import Any

from actions.intent_labels import MULTI_INTENT_SPLIT

FALLBACK_INTENT = "nlu_fallback"
# Guesses not worth offering: a button must lead somewhere useful.
NOT_OFFERED = {FALLBACK_INTENT, "out_of_scope", "inform", "affirm", "deny", "restart", "back"}
MAX_GUESSES = 2
# A second guess is offered only when it is nearly as likely as the first.
SECOND_GUESS_SHARE = 0.5


def guesses(parse_data: dict[str, Any]) -> list[str]:
    """The intents worth offering, best first (the fallback's own intent skipped).

    Entries of ``NOT_OFFERED`` never count, so the answer is the same before and after
    Rasa puts ``nlu_fallback`` or ``out_of_scope`` first in the ranking.
    """
    ranking = parse_data.get("intent_ranking") or []
    if not ranking:
        intent = (parse_data.get("intent") or {}).get("name")
        ranking = [{"name": intent, "confidence": 1.0}] if intent else []
    offered: list[tuple[str, float]] = []
    for entry in ranking:
        name = entry.get("name")
        if not name or name in NOT_OFFERED:
            continue
        offered.append((name, float(entry.get("confidence") or 0.0)))
    if not offered:
        return []
    best = offered[0][1]
    kept = [offered[0]] + [g for g in offered[1:] if g[1] >= best * SECOND_GUESS_SHARE]
    return [name for name, _ in kept[:MAX_GUESSES]]


def names_in_play(parse_data: dict[str, Any]) -> set[str]:
    """Every intent the answer to this message may name: the chosen one and the guesses,
    with two-question intents split into their parts."""
    chosen = (parse_data.get("intent") or {}).get("name")
    names = ([chosen] if chosen else []) + guesses(parse_data)
    return {part for name in names for part in name.split(MULTI_INTENT_SPLIT)}
