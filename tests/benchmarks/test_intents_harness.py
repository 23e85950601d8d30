"""`python -m benchmarks.intents` end to end on a tiny generated data set (real Rasa training).

Runs the command in a subprocess, as a user would: it trains the NLU of a small config in
.venv-rasa, parses the test split there, and prints the scores. About a minute.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from concierge.settings import ROOT

pytestmark = pytest.mark.rasa

TEMPLATES = {
    "order_status": [
        "where is my order {}",
        "has order {} shipped yet",
        "track parcel {}",
        "when will order {} arrive",
        "status of my order {}",
    ],
    "return_item": [
        "i want to return the {}",
        "how do i send back the {}",
        "return my {} please",
        "the {} broke, i want a refund",
        "can i return a {}",
    ],
    "greet": ["hello {}", "hi there {}", "good morning {}", "hey {}", "hiya {}"],
    "out_of_scope": [
        "what is the capital of {}",
        "weather in {} tomorrow",
        "who won the match in {}",
        "book me a flight to {}",
        "population of {}",
    ],
}
FILLERS = ["lamp", "mug", "vase", "10234", "scarf", "france", "spain", "anna", "paris", "team"]

LIGHT_CONFIG = """\
recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: bot.components.linear_intent_classifier.LinearIntentClassifier
  - name: FallbackClassifier
    threshold: 0.3
"""


def write_split(path: Path, per_intent: int, rng: random.Random) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        for intent, templates in TEMPLATES.items():
            for _ in range(per_intent):
                writer.writerow([rng.choice(templates).format(rng.choice(FILLERS)), intent])
    return path


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.intents", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_tiny_data_set_is_trained_scored_and_timed(tmp_path):
    rng = random.Random(4)
    train = write_split(tmp_path / "train.csv", 20, rng)
    test = write_split(tmp_path / "test.csv", 6, rng)
    config = tmp_path / "light.yml"
    config.write_text(LIGHT_CONFIG)
    out = tmp_path / "run"
    result = harness(
        "--train",
        str(train),
        "--test",
        str(test),
        "--config",
        str(config),
        "--oos-label",
        "out_of_scope",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "in-scope acc." in result.stdout and "parse latency   p50" in result.stdout
    assert "(chosen on the validation split)" in result.stdout
    (record,) = json.loads((out / "results.json").read_text())["results"]
    scores = record["scores"]
    assert scores["accuracy"] >= 0.9
    assert scores["in_scope_accuracy"] >= 0.9 and scores["oos_recall"] >= 0.8
    assert record["train_examples"] == 72  # 80 minus the 10% validation split (2 per intent)
    assert record["test_examples"] == 24
    assert 0 < record["parse_p50_ms"] <= record["parse_p95_ms"] < 1000
    assert record["train_seconds"] > 0
    assert "| light | " in result.stdout  # the Markdown summary row


def test_tuning_scores_on_held_out_training_data_and_never_reads_the_test_file(tmp_path):
    train = write_split(tmp_path / "train.csv", 8, random.Random(5))
    config = tmp_path / "light.yml"
    config.write_text(LIGHT_CONFIG)
    out = tmp_path / "run"
    # --data points at a folder whose test.csv does not exist: tuning must not need it.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_bytes(train.read_bytes())
    result = harness(
        "--data",
        str(tmp_path / "data"),
        "--tune",
        "0.25",
        "--config",
        str(config),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "scoring on 8 held-out training examples; the test split is not read" in result.stdout
    (record,) = json.loads((out / "results.json").read_text())["results"]
    assert record["train_examples"] == 24 and record["test_examples"] == 8  # 2 of 8 per intent
    assert record["scores"]["accuracy"] >= 0.5


def test_a_tuning_fraction_outside_0_1_is_refused(tmp_path):
    train = write_split(tmp_path / "train.csv", 2, random.Random(0))
    result = harness("--train", str(train), "--tune", "1.5")
    assert result.returncode == 2
    assert "--tune must lie between 0 and 1, got 1.5" in result.stderr


def test_a_missing_test_file_is_reported_without_a_traceback(tmp_path):
    train = write_split(tmp_path / "train.csv", 2, random.Random(0))
    result = harness("--train", str(train), "--test", str(tmp_path / "nope.csv"))
    assert result.returncode == 1
    assert "nope.csv: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_oos_label_absent_from_the_data_is_refused(tmp_path):
    train = write_split(tmp_path / "train.csv", 2, random.Random(0))
    result = harness("--train", str(train), "--test", str(train), "--oos-label", "chitchat")
    assert result.returncode == 1
    assert "'chitchat' occurs in neither split" in result.stderr


DISTANCE_CONFIG = """\
recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: bot.components.minilm_featurizer.MiniLMFeaturizer
  - name: bot.components.linear_intent_classifier.LinearIntentClassifier
  - name: bot.components.out_of_distribution.OutOfDistributionRejector
  - name: FallbackClassifier
    threshold: 0.3
"""


def test_distance_rejection_is_scored_beside_the_confidence_baseline(tmp_path):
    rng = random.Random(6)
    train = write_split(tmp_path / "train.csv", 20, rng)
    test = write_split(tmp_path / "test.csv", 6, rng)
    config = tmp_path / "distance.yml"
    config.write_text(DISTANCE_CONFIG)
    out = tmp_path / "run"
    result = harness(
        "--train",
        str(train),
        "--test",
        str(test),
        "--config",
        str(config),
        "--holdout-intents",
        "1",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (record,) = json.loads((out / "results.json").read_text())["results"]
    variants = record["variants"]
    assert set(variants) == {"distance", "confidence+distance", "component"}
    # The chosen variants carry the thresholds the validation split gave; the component's
    # own threshold was learned inside training. The held-out intent and the real
    # out_of_scope messages lie far from what was trained, so the component catches most.
    assert variants["distance"]["distance_threshold"] is not None
    assert variants["distance"]["threshold"] == 0.0
    assert variants["confidence+distance"]["distance_threshold"] is not None
    assert variants["component"]["oos_recall"] > 0.5
    for scores in variants.values():
        assert 0 <= scores["in_scope_accuracy"] <= 1 and 0 <= scores["oos_recall"] <= 1
    assert "| distance | confidence (baseline) |" in result.stdout
    assert "| distance | component |" in result.stdout
