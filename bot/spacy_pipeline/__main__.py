"""Builds the spaCy pipeline: ``.venv-rasa/bin/python -m bot.spacy_pipeline CATALOGUE.json OUT``.

Run it in the Rasa environment after exporting the catalogue from the main environment
(``.venv/bin/python -m store.catalogue_export``). It rebuilds only when the export
changed, unless --force is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.spacy_pipeline.builder import CatalogueError, build


def main(argv=None) -> int:
    """Command line entry point; 1 with a clear message when the export is unusable."""
    parser = argparse.ArgumentParser(prog="python -m bot.spacy_pipeline", description=__doc__)
    parser.add_argument("catalogue", type=Path, help="catalogue export (JSON)")
    parser.add_argument("out", type=Path, help="folder to save the spaCy pipeline in")
    parser.add_argument("--force", action="store_true", help="rebuild even if unchanged")
    args = parser.parse_args(argv)
    try:
        built = build(args.catalogue, args.out, force=args.force)
    except (CatalogueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if built is None:
        print(f"[spacy] {args.out} is up to date with {args.catalogue}; not rebuilt.")
    else:
        print(f"[spacy] built {built} from {args.catalogue}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
