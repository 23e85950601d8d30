"""The evaluation's summary lines: gains over the best baseline and the reference, never
a percentage against a model that scored zero."""

from __future__ import annotations

import warnings

from recsys.evaluation import RankingResult
from recsys.experiments import BASELINES, RecommenderComparison


def _comparison(ndcg: dict[str, float]) -> RecommenderComparison:
    results = [
        RankingResult(model, mode, 10, 0.1, 0.1, value, 0.1, 0.5)
        for model, value in ndcg.items()
        for mode in ("all", "new")
    ]
    return RecommenderComparison("random", "-", results)


def test_gain_over_the_best_baseline_and_the_reference_in_percent() -> None:
    assert "ease" in BASELINES  # the issue counts EASE among the baselines to beat
    scores = dict.fromkeys(BASELINES, 0.1) | {BASELINES[-1]: 0.2, "personal_popularity": 0.25}
    lines = _comparison({**scores, "hybrid": 0.22}).summary_lines()
    assert f"hybrid vs best baseline ({BASELINES[-1]}), all: +10.0% NDCG@10" in lines
    assert "hybrid vs personal_popularity (reference, not a baseline), new: -12.0%" in lines


def test_a_reference_that_scored_zero_gives_no_percentage_and_no_warning() -> None:
    scores = dict.fromkeys(BASELINES, 0.1) | {"personal_popularity": 0.0, "hybrid": 0.3}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lines = _comparison(scores).summary_lines()
    reference = [line for line in lines if "personal_popularity" in line]
    assert reference == [
        "hybrid vs personal_popularity (reference, not a baseline), all: n/a (the other model "
        "scored 0)",
        "hybrid vs personal_popularity (reference, not a baseline), new: n/a (the other model "
        "scored 0)",
    ]
    assert all("%" not in line for line in reference)
