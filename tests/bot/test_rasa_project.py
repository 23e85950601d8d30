"""The Rasa project itself, checked with Rasa's own command line in .venv-rasa.

These are the checks Sara's CI chain runs: the data validates, the end-to-end test
stories pass with --fail-on-prediction-errors against the trained model, and NLU
cross-validation on the bot's own data keeps intent F1 at 0.93 or better (0.95 before
issue 14's harder intents; BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from concierge.settings import ROOT
from concierge.stack import MODEL_PATH, RASA_BIN

pytestmark = pytest.mark.rasa

DATA_ARGS = ["--data", "nlu_data", "bot/data", "--domain", "bot/domain", "--config", "config.yml"]


def rasa(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SQLALCHEMY_SILENCE_UBER_WARNING="1")
    return subprocess.run(
        [str(RASA_BIN), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# Rasa 3.6's validator reports these although nothing is wrong: forms ask with
# utter_ask_* on their own, the fallback actions utter utter_default, retrieval responses
# are chosen by the ResponseSelector, and
# retrieval intents declared in split domain files are counted twice.
KNOWN_NOISE = (
    re.compile(r"The utterance 'utter_(ask_\w+|faq|chitchat|offer_human|default)' is not used"),
    re.compile(r"duplicated intents have been found across multiple domain files: chitchat, faq"),
)


def test_training_data_validates_without_warnings():
    result = rasa("data", "validate", *DATA_ARGS)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    warnings = [
        line
        for line in output.splitlines()
        if "UserWarning" in line and not any(p.search(line) for p in KNOWN_NOISE)
    ]
    assert warnings == [], "\n".join(warnings)
    assert "No story structure conflicts found" in output


def test_there_are_at_least_30_end_to_end_test_stories():
    stories = []
    for path in sorted((ROOT / "bot" / "tests").rglob("*.yml")):
        stories += (yaml.safe_load(path.read_text()) or {}).get("stories", [])
    assert len(stories) >= 30


def test_end_to_end_stories_pass_without_prediction_errors(tmp_path: Path):
    assert MODEL_PATH.exists(), "make test trains the model before the suite runs"
    out = tmp_path / "results"
    result = rasa(
        "test",
        "core",
        "--model",
        str(MODEL_PATH),
        "--stories",
        "bot/tests",
        "--endpoints",
        str(tmp_path / "none.yml"),
        "--out",
        str(out),
        "--fail-on-prediction-errors",
    )
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text()[-4000:] if failed.exists() else result.stdout[-4000:]
    assert result.returncode == 0, detail + result.stderr[-2000:]


# Measured 2026-11-24 with the MiniLM pipeline: weighted intent F1 0.950 / 0.948 in two
# runs (Rasa draws the folds unseeded). Issue 14 added four intents and five two-request
# intents ("order_status+faq"), harder by nature: a missed combination is read as its first
# part. Three runs of 2026-12-06 gave 0.942 / 0.945 / 0.947 (BENCHMARKS.md, "The bot's own
# NLU data"), so the floor is 0.93: a drop of more than a point below today's figures fails,
# noise between unseeded folds does not.
INTENT_F1_FLOOR = 0.93


@pytest.mark.timeout(3000)
def test_nlu_cross_validation_intent_f1_is_at_least_093_and_entity_f1_090(tmp_path: Path):
    # Rasa's own cross-validation (folds, training, parsing and reports), minus what is not
    # scored here: the second pass over each fold's training part and the two response
    # selectors, which change neither intents nor entities (scripts/nlu_cross_validation.py).
    out = tmp_path / "cv"
    result = subprocess.run(
        [
            str(RASA_BIN.parent / "python"),
            "scripts/nlu_cross_validation.py",
            "--nlu",
            "nlu_data",
            "--config",
            "config.yml",
            "--domain",
            "bot/domain",
            "--folds",
            "3",
            "--without",
            "bot.components.gated_response_selector.GatedResponseSelector",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=dict(os.environ, SQLALCHEMY_SILENCE_UBER_WARNING="1"),
        capture_output=True,
        text=True,
        timeout=2700,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((out / "intent_report.json").read_text())
    f1 = report["weighted avg"]["f1-score"]
    assert f1 >= INTENT_F1_FLOOR, f"intent F1 {f1:.3f} < {INTENT_F1_FLOOR}; worst: " + ", ".join(
        f"{k} {v['f1-score']:.2f}"
        for k, v in sorted(
            report.items(),
            key=lambda kv: (
                kv[1]["f1-score"] if isinstance(kv[1], dict) and "f1-score" in kv[1] else 1
            ),
        )[:5]
        if isinstance(v, dict)
    )
    # Entities (order and return numbers, e-mails, products, reasons) come from DIET;
    # regex and lookup features keep them above issue 4's 0.90 (0.93-0.96 measured).
    entities = json.loads((out / "DIETClassifier_report.json").read_text())
    entity_f1 = entities["weighted avg"]["f1-score"]
    assert entity_f1 >= 0.90, f"entity F1 {entity_f1:.3f} < 0.90"
