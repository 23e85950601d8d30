"""Exports the catalogue's entity vocabulary for the Rasa side: titles, categories, colours.

    .venv/bin/python -m store.catalogue_export [--db-url URL] [--out var/catalogue/entities.json]

The main environment owns the store; the Rasa environment builds its spaCy EntityRuler from
this JSON file (``python -m bot.spacy_pipeline``), so nothing crosses as an import. The file
is written only when its content changed, so its timestamp and hash mark catalogue changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import make_url, select
from sqlalchemy.exc import SQLAlchemyError

from concierge.settings import Settings, exits_on_settings_error
from store.db import make_engine, make_session_factory
from store.models import Product


def catalogue_terms(db_url: str) -> dict[str, list[str]]:
    """Distinct, sorted product titles, categories and colours in the store."""
    url = make_url(db_url)
    # Opening a missing SQLite file would create an empty database in its place.
    database = url.database or ""
    on_disk = url.drivername.startswith("sqlite") and database not in ("", ":memory:")
    if on_disk and not Path(database).is_file():
        raise ValueError(
            f"no store database at {database}; generate the demo data first "
            "(`.venv/bin/python -m store generate`)"
        )
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(select(Product.title, Product.category, Product.colour)).all()
    finally:
        engine.dispose()
    return {
        "titles": sorted({title for title, _, _ in rows if title}),
        "categories": sorted({category for _, category, _ in rows if category}),
        "colours": sorted({colour for _, _, colour in rows if colour}),
    }


def export(db_url: str, out: Path) -> bool:
    """Writes the export; returns False when the file already held the same terms."""
    terms = catalogue_terms(db_url)
    if not terms["titles"]:
        raise ValueError(
            f"the store at {db_url} has no products; generate the demo data first "
            "(`.venv/bin/python -m store generate`)"
        )
    text = json.dumps(terms, indent=1, ensure_ascii=False) + "\n"
    if out.is_file() and out.read_text(encoding="utf-8") == text:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return True


@exits_on_settings_error
def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m store.catalogue_export", description=__doc__)
    parser.add_argument("--db-url", default=settings.db_url)
    parser.add_argument(
        "--out", type=Path, default=settings.var_dir / "catalogue" / "entities.json"
    )
    args = parser.parse_args(argv)
    try:
        changed = export(args.db_url, args.out)
    except (ValueError, SQLAlchemyError) as exc:
        print(f"error: cannot export the catalogue: {exc}", file=sys.stderr)
        return 1
    print(f"[catalogue] {'wrote' if changed else 'unchanged:'} {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
