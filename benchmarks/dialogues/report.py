"""The benchmark's figures: the share of dialogues fully right, per theme, and what failed."""

from __future__ import annotations

from collections import defaultdict

from benchmarks.dialogues.runner import DialogueResult


def _short(text: str, width: int = 160) -> str:
    flat = " / ".join(line.strip() for line in text.splitlines() if line.strip())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def share_table(results: list[DialogueResult]) -> str:
    """Dialogues fully right per theme and overall, as an aligned table."""
    by_theme: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_theme[r.dialogue.theme].append(r.ok)
    lines = [f"{'theme':<22} {'right':>5} {'of':>4} {'share':>7}"]
    for theme, oks in by_theme.items():
        lines.append(f"{theme:<22} {sum(oks):>5} {len(oks):>4} {sum(oks) / len(oks):>7.1%}")
    total = [r.ok for r in results]
    if total:
        lines.append(f"{'all':<22} {sum(total):>5} {len(total):>4} {sum(total) / len(total):>7.1%}")
    turns = [t.ok for r in results for t in r.turns]
    if turns:
        lines.append(f"turns right: {sum(turns)} of {len(turns)} ({sum(turns) / len(turns):.1%})")
    return "\n".join(lines)


def failure_lines(result: DialogueResult) -> list[str]:
    """Each failing turn of ``result``: what was said, expected and got."""
    if result.ok:
        return []
    lines = [f"✗ {result.dialogue.theme}/{result.dialogue.id} ({result.dialogue.customer})"]
    for n, turn in enumerate(result.turns, start=1):
        if turn.ok:
            continue
        lines.append(f"  turn {n}: {turn.user!r}")
        lines.extend(f"    wrong: {p}" for p in turn.problems)
        lines.append(f"    got actions: {', '.join(turn.outcome.actions) or '(none)'}")
        lines.append(f"    got text: {_short(turn.outcome.text) or '(nothing)'}")
    if result.error:
        lines.append(f"  {result.error}")
    return lines


def share(results: list[DialogueResult]) -> float:
    return sum(r.ok for r in results) / len(results) if results else 0.0
