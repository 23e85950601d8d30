"""Corrections from the NLU inbox written as Rasa 3 training data and end-to-end test stories.

Both files are YAML in Rasa's ``version: "3.1"`` format, ready to copy into ``nlu_data/``
and ``bot/tests/``. When the same text was corrected more than once, the latest
correction wins, so the export never teaches one sentence two intents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from console.staff.nlu_inbox import Correction

RASA_YAML_VERSION = "3.1"
# In an NLU example "[words](entity)" is an entity annotation; an agent's correction only
# names the intent, so brackets in a customer's text must not become annotations.
_ANNOTATION_CHARS = re.compile(r"[\[\]{}()]")


class _Literal(str):
    """A string PyYAML writes as a ``|`` block, the way Rasa's own files look."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


class _RasaDumper(yaml.SafeDumper):
    """Safe dumper that knows :class:`_Literal`."""


_RasaDumper.add_representer(_Literal, _literal)


def example_text(text: str) -> str:
    """One line of customer text made safe as an NLU example."""
    return " ".join(_ANNOTATION_CHARS.sub(" ", text).split())


def latest_by_text(corrections: Iterable[Correction]) -> list[Correction]:
    """One correction per (case-insensitive) example text, the latest one, in first-seen order."""
    chosen: dict[str, Correction] = {}
    for correction in corrections:
        key = example_text(correction.text).casefold()
        if not key:
            continue
        previous = chosen.get(key)
        if previous is None or correction.corrected_at >= previous.corrected_at:
            chosen[key] = correction
    return list(chosen.values())


def nlu_yaml(corrections: Sequence[Correction]) -> str:
    """Rasa NLU training data: one ``- intent:`` block per corrected intent, sorted by name."""
    by_intent: dict[str, list[str]] = {}
    for correction in latest_by_text(corrections):
        by_intent.setdefault(correction.intent, []).append(example_text(correction.text))
    blocks = [
        {"intent": intent, "examples": _Literal("".join(f"- {t}\n" for t in texts))}
        for intent, texts in sorted(by_intent.items())
    ]
    header = "# Corrections from the console's NLU inbox; review, then add to nlu_data/.\n"
    return header + _dump("nlu", blocks)


def e2e_stories_yaml(corrections: Sequence[Correction]) -> str:
    """End-to-end test stories: each corrected message must be recognised as its intent."""
    stories = [
        {
            "story": f"nlu inbox correction {c.event_id}: {c.intent}",
            "steps": [{"user": _Literal(example_text(c.text) + "\n"), "intent": c.intent}],
        }
        for c in latest_by_text(corrections)
    ]
    header = "# Test stories from the console's NLU inbox; run with `rasa test core --stories`.\n"
    return header + _dump("stories", stories)


def _dump(key: str, items: list[dict[str, Any]]) -> str:
    # Written by hand so the version reads "3.1" exactly as in Rasa's own files.
    return f'version: "{RASA_YAML_VERSION}"\n' + yaml.dump(
        {key: items},
        Dumper=_RasaDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1000,
    )
