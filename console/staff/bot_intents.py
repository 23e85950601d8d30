"""What the bot can recognise, read from the Rasa project's YAML (the console never imports Rasa).

Intents come from ``bot/domain/*.yml``; a retrieval intent such as ``faq`` is replaced by
its sub-intents (``faq/warranty``) found in ``nlu_data/``, because a training example
must name the full retrieval intent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from concierge.settings import ROOT

DOMAIN_DIR = ROOT / "bot" / "domain"
NLU_DIR = ROOT / "nlu_data"
CONFIG_FILE = ROOT / "config.yml"
# Rasa's own default for FallbackClassifier when config.yml does not set one.
DEFAULT_FALLBACK_THRESHOLD = 0.3
# Intents Rasa adds by itself; nobody trains them with examples.
NOT_TRAINABLE = frozenset({"nlu_fallback"})


def _yaml_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def domain_intents(domain_dir: Path = DOMAIN_DIR) -> set[str]:
    """Intent names declared in the domain files (plain names or ``{name: {...}}`` entries)."""
    found: set[str] = set()
    for path in _yaml_files(domain_dir):
        for entry in _load(path).get("intents") or []:
            if isinstance(entry, str):
                found.add(entry)
            elif isinstance(entry, dict):
                found.update(str(name) for name in entry)
    return found


def nlu_intents(nlu_dir: Path = NLU_DIR) -> set[str]:
    """Intent names that have training examples in the NLU files."""
    found: set[str] = set()
    for path in _yaml_files(nlu_dir):
        for block in _load(path).get("nlu") or []:
            if isinstance(block, dict) and isinstance(block.get("intent"), str):
                found.add(block["intent"])
    return found


def bot_intents(domain_dir: Path = DOMAIN_DIR, nlu_dir: Path = NLU_DIR) -> list[str]:
    """Every intent an example can be labelled with, sorted."""
    declared = domain_intents(domain_dir)
    examples = nlu_intents(nlu_dir)
    retrieval = {name.split("/", 1)[0] for name in examples if "/" in name}
    plain = declared - retrieval - NOT_TRAINABLE
    sub_intents = {name for name in examples if name.split("/", 1)[0] in declared}
    return sorted(plain | sub_intents)


def fallback_threshold(config_file: Path = CONFIG_FILE) -> float:
    """The FallbackClassifier threshold of the NLU pipeline: under it the bot is unsure."""
    if not config_file.exists():
        return DEFAULT_FALLBACK_THRESHOLD
    for component in _load(config_file).get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            value = component.get("threshold", DEFAULT_FALLBACK_THRESHOLD)
            return float(value) if isinstance(value, int | float) else DEFAULT_FALLBACK_THRESHOLD
    return DEFAULT_FALLBACK_THRESHOLD
