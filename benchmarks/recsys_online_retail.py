"""Recommendation benchmark on UCI Online Retail: the hybrid against every baseline.

Runs the documented protocol (``recsys/README.md``): temporal split with the last 30
days as the test period, baselines and hybrid tuned on the 30 days before it, NDCG@10
etc. on all purchases and on new-to-the-customer items. Writes
``var/reports/<name>.md`` with plots and prints whether the hybrid beats the best
baseline by the target margin in both views (a statement about this run, not a test).

    nice -n 10 .venv/bin/python -m benchmarks.recsys_online_retail [--split temporal|random]
"""

from __future__ import annotations

import argparse
import sys

from threadpoolctl import threadpool_limits
from tqdm import tqdm

from concierge.settings import ROOT, Settings
from recsys.embeddings import TextEmbedder, embed_catalogue
from recsys.experiments import compare_recommenders
from recsys.interactions import read_online_retail
from recsys.reports import write_report
from recsys.training import embeddings_cache

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
TARGET_LIFT = 0.10


def main() -> None:
    """Run, print the table and the verdict, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("temporal", "random"), default="temporal")
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    settings = Settings.from_env()
    interactions, catalogue = read_online_retail(DEFAULT_PATH)
    catalogue = embed_catalogue(catalogue, TextEmbedder(), embeddings_cache(settings))
    with threadpool_limits(1, "openmp"):
        result = compare_recommenders(
            interactions, catalogue, split=args.split, progress=tqdm, log=print
        )
    print(result.table().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    for mode in ("all", "new"):
        best, lift = result.lift_over_best_baseline(mode)
        verdict = "meets" if lift is not None and lift >= TARGET_LIFT else "MISSES"
        print(f"{mode}: hybrid {result.ndcg('hybrid', mode):.4f} vs {best} {result.ndcg(best, mode):.4f} "
              f"({verdict} the +{TARGET_LIFT:.0%} target)")  # fmt: skip
    for line in result.summary_lines():
        print(line)
    name = args.name or f"benchmark-online-retail-{args.split}"
    command = "python -m benchmarks.recsys_online_retail " + " ".join(sys.argv[1:])
    path = write_report(settings.var_dir / "reports", name, source="UCI Online Retail",
                        command=command.strip(), recommenders=result)  # fmt: skip
    print(f"report written to {path}")


if __name__ == "__main__":
    main()
