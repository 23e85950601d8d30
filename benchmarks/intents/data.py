"""Labelled intent data: read ``text,category`` CSV files, split them, write Rasa NLU YAML."""

from __future__ import annotations

import csv
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

# Rasa reads "[words](entity)" / "[words]{...}" inside a training example as entity markup.
_ENTITY_MARKUP = re.compile(r"\[[^\]]+\](\(|\{|\[)")
# Rasa intent names: anything else (BANKING77 has "reverted_card_payment?") becomes "_".
_NOT_IN_INTENT_NAME = re.compile(r"[^A-Za-z0-9_\-]+")


class DataError(ValueError):
    """A data file is missing, malformed or unusable; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    label: str


def read_csv(path: Path) -> list[Example]:
    """Reads a ``text,category`` CSV file (header required, UTF-8)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "category"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(
                f"{path}: the header must name the columns text and category; "
                f"missing {', '.join(sorted(missing))}"
            )
        examples = []
        for line, row in enumerate(reader, start=2):
            text = " ".join((row["text"] or "").split())
            label = intent_name(row["category"] or "")
            if not text or not label:
                raise DataError(f"{path}, line {line}: empty text or category")
            examples.append(Example(text, label))
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


_MARKUP_TEXT = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def read_rasa_nlu(paths: list[Path]) -> list[Example]:
    """Reads the intent examples of Rasa NLU YAML files (folders are searched for *.yml).

    Entity markup is reduced to its text and a retrieval intent (``faq/shipping_costs``)
    to the intent Rasa's classifier predicts (``faq``); the response selector's sub-intent
    is not what this benchmark scores.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted([*path.rglob("*.yml"), *path.rglob("*.yaml")])
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    examples = []
    for file in files:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise DataError(f"{file}: not valid YAML ({exc})") from exc
        for block in data.get("nlu") or []:
            if not isinstance(block, dict) or "intent" not in block:
                continue  # synonyms, regexes, lookup tables
            label = intent_name(str(block["intent"]).split("/")[0])
            for line in str(block.get("examples") or "").splitlines():
                text = " ".join(_MARKUP_TEXT.sub(r"\1", line.strip().removeprefix("- ")).split())
                if line.strip().startswith("- ") and text:
                    examples.append(Example(text, label))
    if not examples:
        raise DataError(f"no intent examples in {', '.join(map(str, paths))}")
    return examples


def intent_name(category: str) -> str:
    """The category as a Rasa intent name: letters, digits, _ and - only."""
    return _NOT_IN_INTENT_NAME.sub("_", category.strip()).strip("_")


def stratified_split(
    examples: list[Example], fraction: float, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """Splits off ``fraction`` of each label (at least one when it has two or more)."""
    if not 0 < fraction < 1:
        raise ValueError(f"the validation fraction must lie between 0 and 1, got {fraction}")
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    rng = random.Random(seed)
    keep: list[Example] = []
    held: list[Example] = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        n = round(len(group) * fraction) if len(group) > 1 else 0
        n = max(n, 1) if len(group) > 1 else 0
        held += group[:n]
        keep += group[n:]
    return keep, held


def hold_out_intents(
    train: list[Example], test: list[Example], count: int, oos_label: str, seed: int = 0
) -> tuple[list[Example], list[Example], list[str]]:
    """Relabels ``count`` randomly chosen intents as out of scope in both splits.

    Their messages become "unknown unknowns": the model never trains on them, so the
    benchmark measures how well low confidence catches intents the bot was not built for.
    """
    labels = sorted({e.label for e in train} - {oos_label})
    if not 0 < count < len(labels):
        raise DataError(f"can hold out 1 to {len(labels) - 1} intents, not {count}")
    chosen = sorted(random.Random(seed).sample(labels, count))

    def relabel(examples: list[Example]) -> list[Example]:
        return [Example(e.text, oos_label) if e.label in chosen else e for e in examples]

    return relabel(train), relabel(test), chosen


def write_rasa_nlu(examples: list[Example], path: Path) -> Path:
    """Writes the examples as Rasa 3 NLU YAML, one ``intent`` block per label."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        if _ENTITY_MARKUP.search(example.text):
            raise DataError(
                f"training text {example.text!r} would be read by Rasa as entity markup; "
                "rephrase or drop it"
            )
        by_label[example.label].append(example.text)
    nlu = [
        {"intent": label, "examples": "".join(f"- {text}\n" for text in texts)}
        for label, texts in sorted(by_label.items())
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.dump(
            {"version": "3.1", "nlu": nlu},
            Dumper=_LiteralDumper,
            sort_keys=False,
            allow_unicode=True,
            width=10_000,
        ),
        encoding="utf-8",
    )
    return path


class _LiteralDumper(yaml.SafeDumper):
    """Dumps multi-line strings as ``|`` blocks, the way Rasa's own files look."""


def _literal_str(dumper: yaml.SafeDumper, value: str) -> yaml.nodes.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _literal_str)
