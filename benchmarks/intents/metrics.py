"""Scores for intent predictions: accuracy, macro-F1, out-of-scope detection, latency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Prediction:
    """The classifier's best intent for a message, its confidence and the true label."""

    label: str
    intent: str
    confidence: float
    # Distance to the training data (bot.components.distance_ood); None when not measured.
    distance: float | None = None


def decide(
    prediction: Prediction,
    threshold: float,
    oos_label: str | None,
    distance_threshold: float | None = None,
) -> str:
    """The intent the bot acts on: out of scope below the confidence threshold or beyond the
    distance threshold, else the best intent."""
    if oos_label is None:
        return prediction.intent
    if prediction.confidence < threshold:
        return oos_label
    if (
        distance_threshold is not None
        and prediction.distance is not None
        and prediction.distance > distance_threshold
    ):
        return oos_label
    return prediction.intent


def accuracy(truth: Sequence[str], guess: Sequence[str]) -> float:
    """Share of exact matches."""
    if not truth:
        return float("nan")
    return float(np.mean([t == g for t, g in zip(truth, guess, strict=True)]))


def macro_f1(truth: Sequence[str], guess: Sequence[str]) -> float:
    """Unweighted mean of per-label F1 over the labels in the truth."""
    scores = []
    for label in sorted(set(truth)):
        tp = sum(t == label and g == label for t, g in zip(truth, guess, strict=True))
        fp = sum(t != label and g == label for t, g in zip(truth, guess, strict=True))
        fn = sum(t == label and g != label for t, g in zip(truth, guess, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else float("nan")


@dataclass(frozen=True)
class Scores:
    """What the harness reports for one model on one test set."""

    accuracy: float
    macro_f1: float
    in_scope_accuracy: float | None = None
    oos_recall: float | None = None
    threshold: float | None = None
    distance_threshold: float | None = None


def score(
    predictions: Sequence[Prediction],
    oos_label: str | None = None,
    threshold: float = 0.0,
    distance_threshold: float | None = None,
) -> Scores:
    """Scores predictions; with an out-of-scope label, also in-scope accuracy and OOS recall."""
    truth = [p.label for p in predictions]
    guess = [decide(p, threshold, oos_label, distance_threshold) for p in predictions]
    if oos_label is None:
        return Scores(accuracy(truth, guess), macro_f1(truth, guess))
    inside = [(t, g) for t, g in zip(truth, guess, strict=True) if t != oos_label]
    outside = [g for t, g in zip(truth, guess, strict=True) if t == oos_label]
    return Scores(
        accuracy=accuracy(truth, guess),
        macro_f1=macro_f1(truth, guess),
        in_scope_accuracy=accuracy([t for t, _ in inside], [g for _, g in inside]),
        oos_recall=float(np.mean([g == oos_label for g in outside])) if outside else float("nan"),
        threshold=threshold,
        distance_threshold=distance_threshold,
    )


def choose_threshold(
    predictions: Sequence[Prediction], oos_label: str, min_in_scope: float = 0.95
) -> float:
    """The fallback threshold with the best OOS recall that keeps in-scope accuracy >= floor.

    When no threshold keeps the floor, the one with the best in-scope accuracy + OOS recall.
    Candidates are the confidences themselves, so the choice is exact on this split.
    Rescoring every candidate was quadratic (minutes on a 10,000-message split); instead the
    predictions are sorted by confidence once and each candidate only moves the messages
    that newly fall below it, so the two counts that decide are kept up to date: O(n log n).
    """
    ranked = sorted(predictions, key=lambda p: p.confidence)
    n_inside = sum(p.label != oos_label for p in ranked)
    n_outside = len(ranked) - n_inside
    # At a threshold no confidence is below: in-scope right when the intent is the label,
    # out-of-scope caught only when the classifier itself said the OOS label.
    inside_right = sum(p.label != oos_label and p.intent == p.label for p in ranked)
    outside_caught = sum(p.label == oos_label and p.intent == oos_label for p in ranked)
    below = 0  # ranked[:below] have confidence < threshold and fall back to out of scope
    best_kept: tuple[float, float, float] | None = None  # (recall, in-scope, -threshold)
    best_any: tuple[float, float] | None = None  # (sum, -threshold)
    for threshold in sorted({0.0, *(round(p.confidence, 4) for p in predictions)}):
        while below < len(ranked) and ranked[below].confidence < threshold:
            fallen = ranked[below]
            if fallen.label != oos_label:
                inside_right -= fallen.intent == fallen.label
            else:
                outside_caught += fallen.intent != oos_label
            below += 1
        inside = inside_right / n_inside if n_inside else 0.0
        recall = outside_caught / n_outside if n_outside else 0.0
        if inside >= min_in_scope:
            key = (recall, inside, -threshold)
            best_kept = key if best_kept is None or key > best_kept else best_kept
        pair = (inside + recall, -threshold)
        best_any = pair if best_any is None or pair > best_any else best_any
    if best_kept is not None:
        return -best_kept[2]
    assert best_any is not None
    return -best_any[1]


def choose_distance_threshold(
    predictions: Sequence[Prediction], oos_label: str, min_in_scope: float = 0.95
) -> float:
    """The distance threshold chosen by ``choose_threshold``'s rule (messages beyond it are
    out of scope): the same sweep over the negated distances."""
    flipped = [Prediction(p.label, p.intent, -_distance(p)) for p in predictions]
    return -choose_threshold(flipped, oos_label, min_in_scope)


def choose_both_thresholds(
    predictions: Sequence[Prediction],
    oos_label: str,
    min_in_scope: float = 0.95,
    grid: int = 40,
) -> tuple[float, float]:
    """A confidence and a distance threshold, chosen together by ``choose_threshold``'s rule.

    For each confidence threshold on a grid (quantiles of the confidences, and 0), the
    messages below it already count as out of scope and the distance threshold is swept
    over the rest; the pair with the best OOS recall that keeps the in-scope floor wins,
    else the best in-scope accuracy + OOS recall.
    """
    confidences = np.array([p.confidence for p in predictions])
    candidates = sorted({0.0, *np.round(np.quantile(confidences, np.linspace(0, 0.5, grid)), 4)})
    best_kept: tuple[float, float] | None = None
    best_any: tuple[float, float] | None = None
    kept_key: tuple[float, float, float, float] | None = None
    any_key: tuple[float, float, float] | None = None
    for threshold in candidates:
        moved = [
            p if p.confidence >= threshold else Prediction(p.label, oos_label, p.confidence, 0.0)
            for p in predictions
        ]
        distance = choose_distance_threshold(moved, oos_label, min_in_scope)
        s = score(predictions, oos_label, float(threshold), distance)
        assert s.in_scope_accuracy is not None and s.oos_recall is not None
        recall = 0.0 if np.isnan(s.oos_recall) else s.oos_recall
        if s.in_scope_accuracy >= min_in_scope:
            key = (recall, s.in_scope_accuracy, -threshold, distance)
            if kept_key is None or key > kept_key:
                kept_key, best_kept = key, (float(threshold), distance)
        pair = (s.in_scope_accuracy + recall, -threshold, distance)
        if any_key is None or pair > any_key:
            any_key, best_any = pair, (float(threshold), distance)
    result = best_kept or best_any
    assert result is not None
    return result


def _distance(prediction: Prediction) -> float:
    if prediction.distance is None:
        raise ValueError("a prediction has no distance: the model did not report one")
    return prediction.distance


def latency_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 of per-message durations, in milliseconds."""
    if not seconds:
        return float("nan"), float("nan")
    values = np.asarray(seconds, dtype=float) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))
