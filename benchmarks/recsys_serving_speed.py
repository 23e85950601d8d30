"""Serving speed, in-process, on the UCI Online Retail catalogue (3,659 products).

Measures what the action server does per request, after warm-up:

* top-10 recommendations from the hybrid for a known customer (scoring, stock and
  just-bought filters, a reason per item), for a guest, and "more like this";
* the same for the popularity baseline (the ratio shows the hybrid's cost);
* semantic search including the query embedding, and the query embedding alone.

Prints p50 / p95 / p99 in milliseconds and the machine's load average (the machine is
shared, so numbers move with it). Nothing here asserts a time.

    nice -n 10 .venv/bin/python -m benchmarks.recsys_serving_speed
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from concierge.settings import ROOT, Settings
from recsys.embeddings import TextEmbedder, embed_catalogue
from recsys.hybrid import Hybrid
from recsys.interactions import read_online_retail
from recsys.popularity import Popularity
from recsys.search import SemanticSearch, search_products
from recsys.training import embeddings_cache

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
QUERIES = (
    "a red lamp for my daughter under 20 pounds", "christmas decorations", "tea set for my mother",
    "something for the garden between 5 and 15 pounds", "vintage heart shaped mirror",
    "children's party bags", "white candle holder under 3 pounds", "retro alarm clock",
    "blue polka dot mug", "gift wrap for a birthday", "cake stand for afternoon tea",
    "pink bag under 2 pounds", "storage jar for the kitchen", "doormat", "paper lanterns",
)  # fmt: skip


def timed(fn: Callable[[int], object], n: int) -> np.ndarray:
    """Milliseconds of ``n`` calls of ``fn(i)``."""
    out = np.empty(n)
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        out[i] = (time.perf_counter() - started) * 1000
    return out


def summary(name: str, ms: np.ndarray, baseline: np.ndarray | None = None) -> str:
    """One Markdown table row."""
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    ratio = f"{p95 / np.percentile(baseline, 95):.1f}x" if baseline is not None else "—"
    return f"| {name} | {len(ms)} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {ratio} |"


def main() -> None:
    """Parse arguments, measure under the thread limit, print (and write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--report", type=Path, help="write the Markdown table here")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP/torch threads while serving (default 1, as in the action server)")  # fmt: skip
    args = parser.parse_args()
    with threadpool_limits(args.threads):
        lines = measure(args)
    print("\n".join(lines))
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text("\n".join(lines) + "\n")


def measure(args: argparse.Namespace) -> list[str]:
    """Fit, warm up and time every request kind; returns the report lines."""

    interactions, catalogue = read_online_retail(args.data)
    embedder = TextEmbedder(num_threads=args.threads)
    catalogue = embed_catalogue(catalogue, embedder, embeddings_cache(Settings.from_env()))
    hybrid = Hybrid().fit(interactions, catalogue)
    # The costliest blend tuning can choose: every component weighed, rank scaling (one
    # argsort of the catalogue per component) and TIFU-KNN's neighbours summed per request.
    heavy = Hybrid(w_knn=0.5, w_tifu=1.0, fusion="rank").fit(interactions, catalogue)
    popularity = Popularity().fit(interactions, catalogue)
    index = SemanticSearch().fit(catalogue)
    rng = np.random.default_rng(0)
    users = rng.choice(hybrid.user_ids_, size=args.requests)
    seeds = rng.choice(catalogue.item_ids, size=args.requests)
    n_search = max(args.requests // 5, 50)

    for i in range(50):  # warm-up: page in the matrices, let torch pick its kernels
        hybrid.recommend(users[i], 10)
        heavy.recommend(users[i], 10)
        search_products(index, embedder, QUERIES[i % len(QUERIES)])

    pop = timed(lambda i: popularity.recommend(users[i], 10), args.requests)
    known = timed(lambda i: hybrid.recommend(users[i], 10), args.requests)
    every = timed(lambda i: heavy.recommend(users[i], 10), args.requests)
    guest = timed(lambda i: hybrid.recommend(None, 10), args.requests)
    like = timed(lambda i: hybrid.recommend(None, 10, like_items=(seeds[i],)), args.requests)
    embed = timed(lambda i: embedder.encode_one(QUERIES[i % len(QUERIES)]), n_search)
    search = timed(lambda i: search_products(index, embedder, QUERIES[i % len(QUERIES)]), n_search)

    load = os.getloadavg()
    lines = [
        f"catalogue {len(catalogue)} items, {len(hybrid.user_ids_)} customers; "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores, "
        f"{args.threads} thread(s) per pool",
        "",
        "| request | n | p50 ms | p95 ms | p99 ms | p95 vs baseline |",
        "|---|---|---|---|---|---|",
        summary("popularity top-10 (baseline)", pop),
        summary("hybrid top-10, known customer", known, pop),
        summary("hybrid top-10, known customer, every component + rank scaling", every, pop),
        summary("hybrid top-10, guest", guest, pop),
        summary("hybrid top-10, more like this", like, pop),
        summary("query embedding alone (baseline)", embed),
        summary("semantic search incl. embedding", search, embed),
    ]
    return lines


if __name__ == "__main__":
    main()
