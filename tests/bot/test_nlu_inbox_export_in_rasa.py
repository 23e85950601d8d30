"""The NLU inbox's exports load in Rasa 3.6 itself (.venv-rasa), with awkward customer text."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from concierge.settings import ROOT
from console.staff.nlu_export import e2e_stories_yaml, nlu_yaml
from console.staff.nlu_inbox import Correction

pytestmark = pytest.mark.rasa

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
# Runs in .venv-rasa: Rasa's own YAML readers, with warnings about our files collected.
PROBE = """
import json, sys, warnings
from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
nlu_file, stories_file, domain_dir = sys.argv[1:4]
domain = Domain.load(domain_dir)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    data = RasaYAMLReader().read(nlu_file)
    steps = YAMLStoryReader(domain).read_from_file(stories_file)
print(json.dumps({
    "examples": sorted(
        [m.get("text"), m.get("intent"), m.get("intent_response_key")]
        for m in data.training_examples
    ),
    "story_intents": [
        e.intent_name for s in steps for e in s.events if getattr(e, "intent_name", None)
    ],
    "warnings": [str(w.message) for w in caught if issubclass(w.category, UserWarning)],
}))
"""

AWKWARD_TEXTS = [
    ("the blue thingy broke", "request_return"),
    ('is it guaranteed: #1 "really"?', "faq/warranty"),
    ("- starts with a dash & has [brackets](here)", "order_status"),
    ("Größe 42 — passt nicht 🙁", "request_return"),
    ("yes: definitely", "affirm"),
]


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs the .venv-rasa environment")
def test_exported_nlu_and_test_stories_load_in_rasa_without_warnings(tmp_path: Path) -> None:
    at = datetime(2024, 11, 20, 10, 0)
    corrections = [
        Correction(n, text, intent, "nlu_fallback", "sam@shop.example", at + timedelta(minutes=n))
        for n, (text, intent) in enumerate(AWKWARD_TEXTS)
    ]
    nlu_file = tmp_path / "nlu_inbox_corrections.yml"
    stories_file = tmp_path / "test_nlu_inbox_stories.yml"
    nlu_file.write_text(nlu_yaml(corrections), encoding="utf-8")
    stories_file.write_text(e2e_stories_yaml(corrections), encoding="utf-8")

    result = subprocess.run(
        [str(RASA_PYTHON), "-c", PROBE, str(nlu_file), str(stories_file), "bot/domain"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["warnings"] == []
    assert loaded["examples"] == sorted(
        [
            ["the blue thingy broke", "request_return", None],
            ['is it guaranteed: #1 "really"?', "faq", "faq/warranty"],
            ["- starts with a dash & has brackets here", "order_status", None],
            ["Größe 42 — passt nicht 🙁", "request_return", None],
            ["yes: definitely", "affirm", None],
        ]
    )
    assert loaded["story_intents"] == [
        "request_return",
        "faq",
        "order_status",
        "request_return",
        "affirm",
    ]
