"""The harness's pure parts: CSV reading, splitting, Rasa YAML, scores, threshold choice."""

from __future__ import annotations

import math
import random
import time

import pytest
import yaml

from benchmarks.intents.data import (
    DataError,
    Example,
    read_csv,
    read_rasa_nlu,
    stratified_split,
    write_rasa_nlu,
)
from benchmarks.intents.metrics import (
    Prediction,
    accuracy,
    choose_both_thresholds,
    choose_distance_threshold,
    choose_threshold,
    latency_ms,
    macro_f1,
    score,
)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_categories_become_rasa_intent_names(tmp_path):
    path = write(
        tmp_path / "d.csv", 'text,category\n"Was my  card\nreverted?",reverted_card_payment?\n'
    )
    assert read_csv(path) == [Example("Was my card reverted?", "reverted_card_payment")]


def test_a_csv_without_a_category_column_is_refused_by_name(tmp_path):
    path = write(tmp_path / "d.csv", "text,label\nhello,greet\n")
    with pytest.raises(DataError, match="missing category"):
        read_csv(path)


def test_an_empty_text_is_refused_with_its_line(tmp_path):
    path = write(tmp_path / "d.csv", "text,category\nhello,greet\n,greet\n")
    with pytest.raises(DataError, match="line 3"):
        read_csv(path)


def test_rasa_nlu_yaml_gives_plain_texts_and_top_level_intents(tmp_path):
    (tmp_path / "nlu").mkdir()
    write(
        tmp_path / "nlu" / "orders.yml",
        """\
version: "3.1"
nlu:
- intent: order_status
  examples: |
    - where is order [10234](order_number)?
    - track [my parcel]{"entity": "product"}
- intent: faq/shipping_costs
  examples: |
    - how much is delivery
- synonym: parcel
  examples: |
    - package
""",
    )
    assert read_rasa_nlu([tmp_path / "nlu"]) == [
        Example("where is order 10234?", "order_status"),
        Example("track my parcel", "order_status"),
        Example("how much is delivery", "faq"),
    ]


def test_split_holds_out_a_share_of_every_label_and_loses_nothing():
    examples = [Example(f"a{i}", "a") for i in range(20)] + [
        Example(f"b{i}", "b") for i in range(5)
    ]
    keep, held = stratified_split(examples, 0.2, seed=3)
    assert sorted(e.label for e in held) == ["a"] * 4 + ["b"]
    assert sorted(keep + held, key=lambda e: e.text) == sorted(examples, key=lambda e: e.text)


def test_rasa_yaml_holds_every_example_under_its_intent(tmp_path):
    examples = [
        Example("where is my card?", "card_arrival"),
        Example("top up: failed", "top_up"),
        Example("card still not here", "card_arrival"),
    ]
    data = yaml.safe_load(write_rasa_nlu(examples, tmp_path / "nlu.yml").read_text())
    blocks = {b["intent"]: b["examples"].splitlines() for b in data["nlu"]}
    assert blocks == {
        "card_arrival": ["- where is my card?", "- card still not here"],
        "top_up": ["- top up: failed"],
    }


def test_text_rasa_would_read_as_entity_markup_is_refused(tmp_path):
    with pytest.raises(DataError, match="entity markup"):
        write_rasa_nlu([Example("send [the lamp](product) back", "return")], tmp_path / "n.yml")


def test_accuracy_and_macro_f1_on_a_worked_example():
    truth = ["a", "a", "a", "b"]
    guess = ["a", "a", "b", "b"]
    assert accuracy(truth, guess) == 0.75
    # a: P=1, R=2/3 -> F1 0.8; b: P=0.5, R=1 -> F1 2/3
    assert macro_f1(truth, guess) == pytest.approx((0.8 + 2 / 3) / 2)


def test_low_confidence_becomes_out_of_scope_and_is_scored_separately():
    preds = [
        Prediction("a", "a", 0.9),
        Prediction("a", "b", 0.4),
        Prediction("oos", "a", 0.3),
        Prediction("oos", "oos", 0.8),
    ]
    result = score(preds, oos_label="oos", threshold=0.5)
    assert result.in_scope_accuracy == 0.5  # the second one fell back: no longer "a"
    assert result.oos_recall == 1.0
    assert result.accuracy == 0.75


def test_chosen_threshold_keeps_the_in_scope_floor_and_maximises_oos_recall():
    preds = [Prediction("a", "a", c) for c in (0.95, 0.9, 0.85, 0.8, 0.6)] + [
        Prediction("oos", "a", c) for c in (0.7, 0.5, 0.3)
    ]
    threshold = choose_threshold(preds, "oos", min_in_scope=0.8)
    result = score(preds, "oos", threshold)
    assert result.in_scope_accuracy >= 0.8
    assert result.oos_recall == 1.0  # 0.8 > 0.7: every OOS message falls back, one in-scope too
    assert threshold == 0.8


def test_without_a_reachable_floor_the_best_balance_is_chosen():
    preds = [Prediction("a", "a", 0.9), Prediction("a", "b", 0.6), Prediction("oos", "a", 0.4)]
    threshold = choose_threshold(preds, "oos", min_in_scope=0.99)  # "a" -> "b" always fails
    result = score(preds, "oos", threshold)
    assert (result.in_scope_accuracy, result.oos_recall) == (0.5, 1.0)
    assert threshold == 0.6  # the lowest of the equally good thresholds


def test_latency_percentiles_are_in_milliseconds():
    p50, p95 = latency_ms([0.010] * 19 + [0.100])
    assert p50 == pytest.approx(10.0)
    assert 10.0 < p95 <= 100.0
    assert all(math.isnan(v) for v in latency_ms([]))


def _threshold_by_rescoring(predictions, oos_label, min_in_scope):
    """The former choose_threshold: rescores every candidate (quadratic), kept as the oracle."""

    def or_zero(value):
        return 0.0 if value is None or math.isnan(value) else value

    candidates = sorted({0.0, *(round(p.confidence, 4) for p in predictions)})
    best_kept = best_any = None
    for threshold in candidates:
        result = score(predictions, oos_label, threshold)
        inside, recall = or_zero(result.in_scope_accuracy), or_zero(result.oos_recall)
        if inside >= min_in_scope:
            key = (recall, inside, -threshold)
            best_kept = key if best_kept is None or key > best_kept else best_kept
        pair = (inside + recall, -threshold)
        best_any = pair if best_any is None or pair > best_any else best_any
    return -best_kept[2] if best_kept is not None else -best_any[1]


@pytest.mark.parametrize("seed", range(60))
def test_the_sweep_picks_the_same_threshold_as_rescoring_every_candidate(seed):
    rng = random.Random(seed)
    labels = ["oos", "a", "b", "c"][: rng.randint(1, 4)]
    if rng.random() < 0.2:
        labels = [label for label in labels if label != "oos"] or ["a"]
    digits = rng.choice([2, 3, 4, 6])  # few digits: ties; many: rounding to 4 places
    preds = [
        Prediction(
            rng.choice(labels), rng.choice(["oos", "a", "b", "c"]), round(rng.random(), digits)
        )
        for _ in range(rng.randint(0, 80))
    ]
    floor = rng.choice([0.0, 0.5, 0.8, 0.95, 1.0])
    assert choose_threshold(preds, "oos", floor) == _threshold_by_rescoring(preds, "oos", floor)


def test_choosing_a_threshold_on_a_large_split_takes_well_under_a_second():
    rng = random.Random(7)
    preds = [
        Prediction(rng.choice(["oos", "a", "b"]), rng.choice(["oos", "a", "b"]), rng.random())
        for _ in range(20_000)
    ]
    started = time.perf_counter()
    choose_threshold(preds, "oos", 0.9)
    assert time.perf_counter() - started < 1.0  # rescoring each candidate took minutes


def test_beyond_the_distance_threshold_a_confident_message_is_out_of_scope():
    preds = [
        Prediction("a", "a", 0.99, distance=0.1),
        Prediction("oos", "a", 0.99, distance=0.6),
    ]
    assert score(preds, "oos").oos_recall == 0.0
    scores = score(preds, "oos", 0.0, distance_threshold=0.5)
    assert scores.in_scope_accuracy == 1.0 and scores.oos_recall == 1.0
    assert scores.distance_threshold == 0.5


def test_distance_threshold_keeps_the_floor_and_catches_the_far_messages():
    # Confidence cannot tell these apart (all 0.9); distance can, up to the one in-scope
    # message that lies far out (0.5), which the floor of 0.75 lets go.
    preds = [Prediction("a", "a", 0.9, distance=d) for d in (0.1, 0.2, 0.25, 0.5)] + [
        Prediction("oos", "a", 0.9, distance=d) for d in (0.3, 0.45, 0.7)
    ]
    assert choose_threshold(preds, "oos", 0.75) == 0.0
    threshold = choose_distance_threshold(preds, "oos", 0.75)
    scores = score(preds, "oos", 0.0, threshold)
    assert scores.in_scope_accuracy == 0.75 and scores.oos_recall == 1.0
    assert 0.25 <= threshold < 0.3
    # A stricter floor keeps every in-scope message and gives up the near ones.
    strict = score(preds, "oos", 0.0, choose_distance_threshold(preds, "oos", 1.0))
    assert strict.in_scope_accuracy == 1.0 and strict.oos_recall == pytest.approx(1 / 3)


def test_both_thresholds_together_catch_what_each_alone_misses():
    preds = [Prediction("a", "a", 0.9, distance=0.1) for _ in range(8)] + [
        Prediction("oos", "a", 0.2, distance=0.1),  # near, but unsure: confidence catches it
        Prediction("oos", "a", 0.95, distance=0.8),  # sure, but far: distance catches it
    ]
    confidence, distance = choose_both_thresholds(preds, "oos", 0.95)
    scores = score(preds, "oos", confidence, distance)
    assert scores.in_scope_accuracy == 1.0 and scores.oos_recall == 1.0
    assert score(preds, "oos", choose_threshold(preds, "oos", 0.95)).oos_recall == 0.5


def test_a_distance_threshold_needs_distances():
    with pytest.raises(ValueError, match="no distance"):
        choose_distance_threshold([Prediction("a", "a", 0.9)], "oos")
