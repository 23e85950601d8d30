"""Builds the project's own spaCy pipeline for Rasa's SpacyNLP (no model download).

Blank English tokenizer, the lookup lemmatizer from ``spacy-lookups-data`` and an
``EntityRuler`` whose patterns come from the shop's catalogue export (product titles,
categories, colours) plus rules for order numbers, return numbers, e-mails and amounts.
The result is saved with ``nlp.to_disk``; the lemma tables travel inside the saved
pipeline, so serving needs spaCy only. The catalogue's fingerprint is saved next to it so
a rebuild happens only when the catalogue changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FINGERPRINT_FILE = "catalogue.sha256"

# Entity labels are the Rasa entity names in docs/dialogue-contract.md.
PRODUCT, CATEGORY, COLOUR = "product", "category", "colour"
ORDER_NUMBER, RETURN_NUMBER, EMAIL, AMOUNT = "order_number", "return_number", "email", "amount"
ENTITY_LABELS = (PRODUCT, CATEGORY, COLOUR, ORDER_NUMBER, RETURN_NUMBER, EMAIL, AMOUNT)

CURRENCY_SYMBOLS = ["£", "$", "€"]
CURRENCY_WORDS = [
    "pound",
    "pounds",
    "quid",
    "gbp",
    "euro",
    "euros",
    "eur",
    "dollar",
    "dollars",
    "usd",
    "p",
    "pence",
]


class CatalogueError(ValueError):
    """The catalogue export is missing or malformed; the message names the file and key."""


@dataclass(frozen=True)
class CatalogueTerms:
    """The words customers use for the shop's products."""

    titles: tuple
    categories: tuple
    colours: tuple


def load_catalogue(path: Path) -> CatalogueTerms:
    """Reads the JSON written by the catalogue exporter (lists of titles, categories, colours)."""
    path = Path(path)
    if not path.is_file():
        raise CatalogueError(
            f"no catalogue export at {path}; write it with "
            "`.venv/bin/python -m store.catalogue_export --out {path}`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"{path} is not valid JSON: {exc}") from exc
    terms = {}
    for key in ("titles", "categories", "colours"):
        values = data.get(key) if isinstance(data, dict) else None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise CatalogueError(f"{path}: `{key}` must be a list of strings")
        terms[key] = tuple(sorted({" ".join(v.split()) for v in values if v.strip()}))
    return CatalogueTerms(**terms)


def fingerprint(path: Path) -> str:
    """SHA-256 of the catalogue export's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rule_patterns() -> list[dict[str, Any]]:
    """Patterns that do not depend on the catalogue: numbers, e-mails, amounts."""
    return [
        # Order numbers are 5-6 digits, credit notes carry a C prefix (C536379).
        {"label": ORDER_NUMBER, "pattern": [{"TEXT": {"REGEX": r"^[Cc]?\d{5,6}$"}}]},
        {"label": RETURN_NUMBER, "pattern": [{"TEXT": {"REGEX": r"^[Rr]-?\d{4,}$"}}]},
        {"label": EMAIL, "pattern": [{"LIKE_EMAIL": True}]},
        {"label": AMOUNT, "pattern": [{"ORTH": {"IN": CURRENCY_SYMBOLS}}, {"LIKE_NUM": True}]},
        {"label": AMOUNT, "pattern": [{"LIKE_NUM": True}, {"LOWER": {"IN": CURRENCY_WORDS}}]},
    ]


def catalogue_patterns(terms: CatalogueTerms) -> list[dict[str, Any]]:
    """Phrase patterns for every title, category and colour (matched case-insensitively)."""
    patterns = []
    for label, values in (
        (PRODUCT, terms.titles),
        (CATEGORY, terms.categories),
        (COLOUR, terms.colours),
    ):
        patterns += [{"label": label, "pattern": value.lower()} for value in values]
    return patterns


def build_pipeline(terms: CatalogueTerms):
    """The spaCy ``Language``: tokenizer, lookup lemmatizer, entity ruler."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # LOWER: customers rarely type titles with the catalogue's capitals.
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    try:
        nlp.initialize()  # loads the lemma lookup table from spacy-lookups-data
    except ValueError as exc:
        raise RuntimeError(
            "spaCy's lookup lemmatizer needs the tables of spacy-lookups-data: "
            "`pip install spacy-lookups-data` in the Rasa environment"
        ) from exc
    ruler.add_patterns(rule_patterns() + catalogue_patterns(terms))
    nlp.meta["name"] = "concierge_shop"
    nlp.meta["description"] = "Concierge: lookup lemmas and shop entities from the catalogue."
    return nlp


def build(catalogue: Path, out_dir: Path, force: bool = False) -> Path | None:
    """Builds and saves the pipeline; returns None when the saved one matches the catalogue."""
    out_dir = Path(out_dir)
    print_hash = fingerprint(catalogue) if Path(catalogue).is_file() else None
    stamp = out_dir / FINGERPRINT_FILE
    if not force and print_hash and stamp.is_file() and stamp.read_text().strip() == print_hash:
        return None
    terms = load_catalogue(catalogue)
    nlp = build_pipeline(terms)
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    stamp.write_text(f"{print_hash}\n")
    return out_dir


def entities(nlp, text: str) -> Sequence[tuple]:
    """(label, text) of every entity the pipeline finds; a convenience for checks."""
    return [(ent.label_, ent.text) for ent in nlp(text).ents]
