"""How sure must the FAQ selector be before a question typed inside a form is answered as one?

    .venv/bin/python -m benchmarks.faq_digressions [--model models/concierge.tar.gz]
        [--picks PICKS.json]

Parses every example of ``nlu_data`` with the served model (in the Rasa environment,
``rasa_selector.py``), keeps those a form would treat as a possible digression (a
question with no order number, e-mail or return reason: ``actions.form_turns.could_digress``)
and prints, for each threshold, how many FAQ questions the selector would answer with
their own topic and how many other questions it would wrongly answer as an FAQ.
``--picks`` reads an earlier run's parses instead of parsing again. The FAQ examples are
the selector's training data, so their share is an upper bound; the other questions were
never shown to the selector, so their share is what the threshold is chosen on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from actions.form_turns import FAQ_CONFIDENCE
from actions.parsing import could_digress

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def parse_examples(model: Path, out: Path) -> None:
    """Run the Rasa-side script on the NLU data; fail with the end of its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    script = Path(__file__).with_name("rasa_selector.py")
    done = subprocess.run(
        [str(RASA_PYTHON), str(script), str(model), str(ROOT / "nlu_data"), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"Parsing the NLU data failed:\n{done.stderr[-3000:]}")


def table(rows: list[dict[str, Any]]) -> str:
    """Per threshold: FAQ questions answered with their topic, other questions answered.

    Two-question examples with an FAQ part ("order_status+faq") are counted apart: an
    FAQ answer is right for half of them.
    """
    questions = [r for r in rows if could_digress(r["text"])]
    faq = [r for r in questions if str(r["label"]).startswith("faq/")]
    mixed = [r for r in questions if "+faq" in str(r["label"])]
    other = [r for r in questions if r not in faq and r not in mixed]
    lines = [
        f"{len(rows)} examples; of the questions a form would weigh as a digression: "
        f"{len(faq)} FAQ, {len(other)} other intents, {len(mixed)} two-question with an FAQ",
        "threshold   FAQ answered right   other answered as FAQ   two-question answered",
    ]
    for threshold in THRESHOLDS:
        right = sum(
            1 for r in faq if r["faq_confidence"] >= threshold and r["faq_key"] == r["label"]
        )
        wrong = sum(1 for r in other if r["faq_confidence"] >= threshold)
        half = sum(1 for r in mixed if r["faq_confidence"] >= threshold)
        mark = "  <- FAQ_CONFIDENCE" if threshold == FAQ_CONFIDENCE else ""
        lines.append(
            f"{threshold:9.3f}   {right:4d} ({right / max(len(faq), 1):6.1%})"
            f"        {wrong:4d} ({wrong / max(len(other), 1):6.1%})"
            f"          {half:4d} ({half / max(len(mixed), 1):6.1%}){mark}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.faq_digressions", description=__doc__
    )
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "concierge.tar.gz")
    parser.add_argument("--picks", type=Path, help="parses saved by an earlier run")
    args = parser.parse_args(argv)
    if args.picks is None:
        with tempfile.TemporaryDirectory(prefix="faq-digressions-") as scratch:
            picks = Path(scratch) / "picks.json"
            parse_examples(args.model, picks)
            rows = json.loads(picks.read_text(encoding="utf-8"))
    else:
        rows = json.loads(args.picks.read_text(encoding="utf-8"))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
