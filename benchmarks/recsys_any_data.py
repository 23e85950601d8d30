"""Does the hybrid hold on data unlike the data it was built on? Generated sets, both splits.

Generates (seeded) a ratings-like set (no repeat purchases, long tail, cold items) and a
shop-like set (repeat purchases), writes them as CSV under ``--out`` (default
``/tmp/recsys_any_data``, never the repository), reads them back the way ``python -m
recsys evaluate --source csv`` does, runs ``compare_recommenders`` for the random and the
temporal split on each, prints every table and whether the hybrid is at least as good as
the best other model of the same run on NDCG@10, all and new items.

    nice -n 10 .venv/bin/python -m benchmarks.recsys_any_data [--sets ratings shop] [--splits random temporal]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from recsys.evaluation import MODES
from recsys.experiments import RecommenderComparison, compare_recommenders
from recsys.interactions import Catalogue, read_interactions_csv
from recsys.synthetic import SHAPES, SyntheticShape, generate, write_csv


def verdict_lines(result: RecommenderComparison, model: str = "hybrid") -> list[str]:
    """Per view: ``model`` against the best *other* model of the run (EASE and references too)."""
    lines = []
    for mode in MODES:
        others = {r.model: r.ndcg for r in result.results if r.mode == mode and r.model != model}
        best = max(others, key=lambda name: others[name])
        mine = result.ndcg(model, mode)
        ok = "holds" if mine >= others[best] else "LOSES"
        lines.append(f"{mode}: {model} {mine:.4f} vs best other ({best}) {others[best]:.4f}: {ok}")
    return lines


def main() -> None:
    """Generate, evaluate, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--splits", nargs="+", choices=("random", "temporal"),
                        default=["random", "temporal"])  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/recsys_any_data"))
    args = parser.parse_args()
    summary = []
    for kind in args.sets:
        path = write_csv(generate(SyntheticShape(kind=kind), seed=args.seed),
                         args.out / f"{kind}-seed{args.seed}.csv")  # fmt: skip
        interactions = read_interactions_csv(path)
        catalogue = Catalogue.bare(pd.unique(interactions.items))
        print(f"\n## {kind}: {len(interactions):,} rows, {len(catalogue):,} items ({path})")
        for split in args.splits:
            started = time.perf_counter()
            with threadpool_limits(1, "openmp"):
                result = compare_recommenders(interactions, catalogue, split=split, log=print)
            print(f"\n### {kind}, {split} split ({time.perf_counter() - started:.0f} s)")
            print(result.table().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
            lines = verdict_lines(result)
            summary += [f"{kind} {split} {line}" for line in lines]
            print("\n".join(lines))
    print("\n## verdicts\n" + "\n".join(summary))


if __name__ == "__main__":
    main()
