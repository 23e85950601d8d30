"""Intent benchmark: ``python -m benchmarks.intents --data ../shared/data/banking77``.

Converts ``text,category`` CSVs to Rasa NLU data, trains the NLU part of each config in the
Rasa environment, and prints accuracy, macro-F1, in-scope accuracy and out-of-scope recall
(with --oos-label), training time and parse latency p50/p95. The first config is the
project's (default: config.yml); every further --config runs in the same invocation.
``--tune 0.2`` scores on a stratified fifth of the training data instead, so settings can be
chosen without looking at the test split.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks.intents.data import (
    DataError,
    hold_out_intents,
    read_csv,
    read_rasa_nlu,
    stratified_split,
)
from benchmarks.intents.harness import Plan, run, summary_table
from benchmarks.intents.rasa_runner import DEFAULT_RASA_VENV, RasaEnvironment, RasaRunError
from concierge.settings import ROOT, Settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.intents",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", type=Path, help="folder with train.csv and test.csv")
    p.add_argument("--train", type=Path, help="training CSV (text,category)")
    p.add_argument("--test", type=Path, help="test CSV (text,category)")
    p.add_argument(
        "--nlu",
        type=Path,
        action="append",
        help="Rasa NLU YAML file or folder (repeatable) instead of CSVs; "
        "split into train and test by --test-fraction",
    )
    p.add_argument("--test-fraction", type=float, default=0.25)
    p.add_argument(
        "--tune",
        type=float,
        metavar="FRACTION",
        help="choose settings without touching the test split: hold out FRACTION of the "
        "training data (stratified) and score on it; the test data is never read",
    )
    p.add_argument(
        "--config",
        type=Path,
        action="append",
        dest="configs",
        help="Rasa config; repeat to compare (default: config.yml)",
    )
    p.add_argument("--oos-label", help="the category that marks out-of-scope messages")
    p.add_argument(
        "--threshold",
        type=float,
        help="fallback threshold; by default chosen on a validation split",
    )
    p.add_argument("--validation-fraction", type=float, default=0.1)
    p.add_argument(
        "--min-in-scope",
        type=float,
        default=0.95,
        help="in-scope accuracy the chosen threshold must keep on validation",
    )
    p.add_argument(
        "--holdout-intents",
        type=int,
        metavar="K",
        help="treat K random intents as out of scope: never trained on, "
        "used to choose the threshold and to measure OOS recall",
    )
    p.add_argument("--epochs", type=int, help="override every epochs setting (quick runs)")
    p.add_argument("--rasa-venv", type=Path, default=DEFAULT_RASA_VENV)
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="train under nice -n N (timed parsing keeps normal priority)",
    )
    p.add_argument(
        "--train-timeout",
        type=float,
        default=RasaEnvironment.train_timeout,
        help="seconds one `rasa train nlu` may take (default 8 hours)",
    )
    p.add_argument("--out", type=Path, help="work folder (default var/benchmarks/intents/...)")
    args = p.parse_args(argv)
    if args.data:
        args.train = args.train or args.data / "train.csv"
        args.test = args.test or args.data / "test.csv"
    if not args.nlu and (not args.train or (not args.test and args.tune is None)):
        p.error("give --data DIR, both --train and --test, or --nlu")
    if args.tune is not None and not 0 < args.tune < 1:
        p.error(f"--tune must lie between 0 and 1, got {args.tune}")
    args.configs = args.configs or [ROOT / "config.yml"]
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        p.error(f"--threshold must lie between 0 and 1, got {args.threshold}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints the results; 1 with a clear message on user errors."""
    args = parse_args(argv)
    try:
        if args.nlu:
            train, test = stratified_split(read_rasa_nlu(args.nlu), args.test_fraction, seed=1)
        elif args.tune is not None:
            train, test = read_csv(args.train), []
        else:
            train, test = read_csv(args.train), read_csv(args.test)
        if args.tune is not None:
            # Seed 2: not the validation split the threshold search draws (seed 0).
            train, test = stratified_split(train, args.tune, seed=2)
            print(
                f"tuning: scoring on {len(test)} held-out training examples; "
                "the test split is not read"
            )
        for config in args.configs:
            if not config.is_file():
                raise DataError(f"no Rasa config at {config}")
        held: list[str] = []
        if args.holdout_intents:
            args.oos_label = args.oos_label or "out_of_scope"
            train, test, held = hold_out_intents(train, test, args.holdout_intents, args.oos_label)
        if args.oos_label and args.oos_label not in {e.label for e in train + test}:
            raise DataError(f"the out-of-scope label {args.oos_label!r} occurs in neither split")
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = args.out or Settings.from_env().var_dir / "benchmarks" / "intents" / (
        f"{(args.nlu[0] if args.nlu else args.train).resolve().parent.name}-{stamp}"
    )
    plan = Plan(
        train=train,
        test=test,
        configs=[c.resolve() for c in args.configs],
        work_dir=work.resolve(),
        oos_label=args.oos_label,
        threshold=args.threshold,
        validation_fraction=args.validation_fraction,
        min_in_scope=args.min_in_scope,
        epochs=args.epochs,
        train_on_oos=not held,
    )
    if held:
        print(f"held out as {args.oos_label}: {', '.join(held)}")
    print(
        f"{len(train)} training / {len(test)} test examples, "
        f"{len({e.label for e in train})} intents; work folder {plan.work_dir}"
    )
    try:
        results = run(
            plan, RasaEnvironment(args.rasa_venv.resolve(), args.nice, args.train_timeout)
        )
    except RasaRunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print()
    print(summary_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
