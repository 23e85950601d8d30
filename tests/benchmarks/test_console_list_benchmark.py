"""The console list benchmark runs end to end on a small generated set."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.console_list import SCENARIOS, main


def test_benchmark_fills_times_every_filter_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--conversations", "400", "--repeats", "2", "--dir", str(tmp_path)])

    out = capsys.readouterr().out
    assert status == 0
    table = [line for line in out.splitlines() if line.startswith("| ") and "ms" not in line]
    assert len(table) == len(SCENARIOS) + 2
    baseline = table[0].split(" | ")
    assert baseline[0] == "| baseline: unfiltered, first page" and baseline[1] == "25"
    assert any(line.startswith("| NLU inbox, first page | 25 |") for line in table)
