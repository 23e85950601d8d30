"""Command line: ``python -m recsys train`` and ``python -m recsys evaluate``.

python -m recsys train [--force] [--no-tune]
python -m recsys evaluate [--source store | csv PATH | online-retail [PATH]]
                          [--split temporal|random] [--name NAME] [--no-tune]
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from concierge.settings import ROOT, Settings, exits_on_settings_error
from recsys.artifacts import ArtifactError
from recsys.interactions import Catalogue, DataError

ONLINE_RETAIL = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recsys", description="Train and evaluate recsys models."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train every model on the store and save artifacts")
    train.add_argument(
        "--force", action="store_true", help="retrain even if the data did not change"
    )
    train.add_argument("--no-tune", action="store_true", help="skip the validation tuning search")
    evaluate = sub.add_parser(
        "evaluate", help="compare every model with the baselines; write a report"
    )
    evaluate.add_argument("--source", nargs="+", default=["store"], metavar="SOURCE",
                          help="store | csv PATH | online-retail [PATH]")  # fmt: skip
    evaluate.add_argument("--split", choices=("temporal", "random"), default="temporal")
    evaluate.add_argument("--test-days", type=int, default=30)
    evaluate.add_argument("--name", help="report name (default: evaluate-<source>-<split>)")
    evaluate.add_argument(
        "--no-tune", action="store_true", help="defaults instead of validation tuning"
    )
    return parser


def _embedded(catalogue: Catalogue, settings: Settings) -> Catalogue:
    from recsys.embeddings import TextEmbedder, embed_catalogue
    from recsys.training import embeddings_cache

    return embed_catalogue(catalogue, TextEmbedder(), embeddings_cache(settings), progress=True)


def _online_retail_orders(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers (first purchase = sign-up) and invoices with their totals."""
    frame = pd.read_csv(path, usecols=["InvoiceNo", "Quantity", "UnitPrice", "CustomerID", "InvoiceDate"],
                        dtype={"InvoiceNo": str})  # fmt: skip
    frame = frame[
        frame["CustomerID"].notna()
        & ~frame["InvoiceNo"].str.startswith("C")
        & (frame["Quantity"] > 0)
    ]
    frame = frame.assign(
        amount=frame["Quantity"] * frame["UnitPrice"],
        timestamp=pd.to_datetime(frame["InvoiceDate"]),
    )
    orders = (
        frame.groupby(["CustomerID", "InvoiceNo"], as_index=False)
        .agg(timestamp=("timestamp", "min"), amount=("amount", "sum"))
        .rename(columns={"CustomerID": "customer", "InvoiceNo": "order"})
    )
    customers = orders.groupby("customer", as_index=False)["timestamp"].min()
    customers = customers.rename(columns={"timestamp": "created_at"})
    return customers, orders


def evaluate(args: argparse.Namespace, settings: Settings) -> Path:
    """Run the comparison for the chosen source and write the report."""
    from tqdm import tqdm

    from recsys.experiments import compare_propensity, compare_recommenders
    from recsys.interactions import read_interactions_csv, read_online_retail
    from recsys.reports import write_report
    from recsys.training import feature_kwargs, load_from_settings

    kind, *rest = args.source
    propensity = None
    if kind == "store":
        data = load_from_settings(settings)
        interactions, catalogue = data.interactions, _embedded(data.catalogue, settings)
        customers, orders, extra = data.customers, data.orders, feature_kwargs(data)
    elif kind == "online-retail":
        path = Path(rest[0]) if rest else ONLINE_RETAIL
        interactions, catalogue = read_online_retail(path)
        catalogue = _embedded(catalogue, settings)
        customers, orders = _online_retail_orders(path)
        extra = {}
    elif kind == "csv":
        if not rest:
            raise DataError("--source csv needs the file: --source csv PATH")
        interactions = read_interactions_csv(rest[0])
        catalogue = Catalogue.bare(pd.unique(interactions.items))
        customers = None
    else:
        raise DataError(f"unknown source {kind!r}: use store, csv PATH or online-retail")

    print(
        f"{len(interactions)} interactions, {len(pd.unique(interactions.users))} users, {len(catalogue)} items"
    )
    recs = compare_recommenders(interactions, catalogue, split=args.split, test_days=args.test_days,
                                tune=not args.no_tune, progress=tqdm, log=print)  # fmt: skip
    print(recs.table().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    for line in recs.summary_lines():
        print(line)
    if customers is not None:
        end = pd.Timestamp(interactions.end.item())
        propensity = compare_propensity(customers, orders, end=end, feature_kwargs=extra)
        print(propensity.table().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    name = args.name or f"evaluate-{kind}-{args.split}"
    command = "python -m recsys " + shlex.join(sys.argv[1:])
    source = " ".join(args.source)
    return write_report(settings.var_dir / "reports", name, source=source, command=command,
                        recommenders=recs, propensity=propensity)  # fmt: skip


@exits_on_settings_error
def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    # The tabular models here are small: OpenMP threads buy little, and on shared cores
    # their spin-waiting made HistGradientBoosting ~20x slower in our measurements.
    with threadpool_limits(1, "openmp"):
        return _run(args, settings)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.command == "train":
            from recsys.training import load_from_settings, train_all

            report = train_all(
                settings, load_from_settings(settings), force=args.force, tune=not args.no_tune
            )
            if report.skipped:
                print(
                    f"artifacts are up to date (data fingerprint {report.fingerprint}); use --force to retrain"
                )
            else:
                print(f"trained {report.versions} on data {report.fingerprint}; "
                      f"tagged {report.tagged_customers} customers")  # fmt: skip
                for name, metrics in report.metrics.items():
                    print(f"  {name}: {metrics}")
            if report.uplift:
                print(report.uplift)
        else:
            path = evaluate(args, settings)
            print(f"report written to {path}")
    except (DataError, ArtifactError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
