"""The Hillstrom uplift benchmark runs end to end on a small sample of the real data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from benchmarks.uplift_hillstrom import DEFAULT_PATH, SELECTED, main

pytestmark = pytest.mark.skipif(
    not DEFAULT_PATH.exists(), reason=f"Hillstrom data not found at {DEFAULT_PATH}"
)


def test_benchmark_scores_every_ranking_and_draws_the_chosen_curves(tmp_path: Path) -> None:
    report, svg = tmp_path / "uplift.md", tmp_path / "qini.svg"

    status = main(
        ["--sample", "2000", "--folds", "2", "--outcomes", "visit", "--arm", "mens"]
        + ["--families", "HGB shallow,linear", "--report", str(report), "--svg", str(svg)]
    )

    assert status == 0
    text = report.read_text()
    assert "treatment: mens e-mail vs none" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    # header + 6 learners (3 kinds x 2 families) + the chosen one + 2 propensity + random
    assert len(rows) == 1 + 6 + 1 + 2 + 1
    assert rows[1].startswith(f"| {SELECTED} | ")
    assert "Chosen per fold:" in text and "higher in" in text
    drawn = ET.fromstring(svg.read_text()).findall("{http://www.w3.org/2000/svg}polyline")
    # the chosen model (the default-HGB T-learner is not in this run), propensity x2, random
    assert len(drawn) == 1 + 2 + 1
