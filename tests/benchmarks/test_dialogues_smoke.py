"""The dialogue benchmark (benchmarks/dialogues): its files, and its runner on the real stack.

The features the dialogues expect are still being built (issue 14), so the stack part does
not ask them to pass; it asks that the runner plays every turn, reads what the stack did
from the tracker store, and tells a turn that went right from one that did not.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from benchmarks.dialogues.placeholders import PLACEHOLDER, is_known
from benchmarks.dialogues.report import failure_lines, share_table
from benchmarks.dialogues.runner import Target, play_all
from benchmarks.dialogues.schema import (
    THEMES,
    Dialogue,
    DialogueFileError,
    Expectation,
    Turn,
    load_dialogues,
    load_file,
)
from concierge.stack import Stack
from tests.support.shop import Shop

# Dialogues that make sense on the suite's small shop and change nothing in it.
ON_THE_SUITE_SHOP = (
    "anna-tracks-order-by-number",
    "guest-tracks-order-step-by-step",
    "anna-more-about-first-lamp",
    "guest-third-time-asking",
)


def _placeholders(dialogue: Dialogue) -> set[str]:
    texts: list[str] = []
    for turn in dialogue.turns:
        e = turn.expect
        texts += [turn.user, *e.says, *e.says_any, *e.not_says]
        texts += [str(v) for v in e.slots.values() if v is not None]
    return {name for text in texts for name in PLACEHOLDER.findall(text)}


def test_files_hold_at_least_80_dialogues_covering_every_theme() -> None:
    dialogues = load_dialogues()
    assert len(dialogues) >= 80
    assert {d.theme for d in dialogues} == set(THEMES)
    assert {d.customer for d in dialogues} >= {"anna", "guest"}
    empty = Expectation()
    for dialogue in dialogues:
        for turn in dialogue.turns:
            assert any(
                getattr(turn.expect, f.name) != getattr(empty, f.name) for f in fields(Expectation)
            ), f"{dialogue.id}: turn {turn.user!r} expects nothing"


def test_every_placeholder_is_one_the_store_can_fill() -> None:
    unknown = {
        (d.id, name) for d in load_dialogues() for name in _placeholders(d) if not is_known(name)
    }
    assert not unknown


def test_a_turn_without_expectation_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(
        "theme: typos\ndialogues:\n  - id: x\n    as: guest\n    turns:\n      - user: hi\n"
    )
    with pytest.raises(DialogueFileError, match=r"x\) turn 1: needs an `expect`"):
        load_file(path)


def test_an_unknown_expectation_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(
        "theme: typos\ndialogues:\n  - id: x\n    as: guest\n    turns:\n"
        "      - user: hi\n        expect: {action: action_greet}\n"
    )
    with pytest.raises(DialogueFileError, match="unknown expectation keys"):
        load_file(path)


def test_runner_plays_and_checks_every_turn_on_the_real_stack(
    full_stack: tuple[Stack, Shop],
) -> None:
    stack, _ = full_stack
    chosen = [d for d in load_dialogues() if d.id in ON_THE_SUITE_SHOP]
    # A turn that goes right on today's bot and one that cannot: the runner must tell them apart.
    greet = Dialogue(
        "probe-greet",
        "happy_paths",
        "anna",
        (Turn("Hello!", Expectation(actions=("action_greet",))),),
    )
    impossible = Dialogue(
        "probe-impossible",
        "happy_paths",
        "guest",
        (Turn("hello", Expectation(actions=("action_nobody_wrote",), says=("zebra crossing",))),),
    )
    results = play_all([*chosen, greet, impossible], Target.from_settings(stack.settings))

    assert len(results) == len(ON_THE_SUITE_SHOP) + 2
    for result in results:
        assert result.error is None, result.error
        assert len(result.turns) == len(result.dialogue.turns)
        for turn in result.turns:
            assert turn.outcome.actions, f"{result.dialogue.id}: no action read for {turn.user!r}"
            assert turn.outcome.text
    assert results[-2].ok
    assert not results[-1].ok
    problems = results[-1].turns[0].problems
    assert "expected actions ['action_nobody_wrote'] to run" in problems
    assert any("zebra crossing" in p for p in problems)
    assert "probe-impossible" in "\n".join(failure_lines(results[-1]))
    assert "happy_paths" in share_table(results)
