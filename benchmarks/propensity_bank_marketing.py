"""Propensity benchmark on UCI Bank Marketing (``duration`` dropped: it leaks the outcome).

Stratified 5-fold cross-validation; in every fold the same rows train and test
scikit-learn's default ``HistGradientBoostingClassifier``, a one-hot logistic regression
and ``recsys.propensity.PropensityModel``. Prints mean ± std of ROC AUC, PR AUC and
Brier score and (with ``--report``) writes a Markdown table.

    nice -n 10 .venv/bin/python -m benchmarks.propensity_bank_marketing
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from concierge.settings import ROOT
from recsys.propensity import PropensityModel

DEFAULT_PATH = ROOT.parent / "shared" / "data" / "bank_marketing" / "bank-full.csv"


def load_bank(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Features (categoricals as ``category`` dtype, no ``duration``) and the 0/1 target."""
    if not path.exists():
        raise SystemExit(f"Bank Marketing file not found at {path}; pass --data PATH")
    frame = pd.read_csv(path, sep=";")
    y = (frame.pop("y") == "yes").astype(int).to_numpy()
    frame = frame.drop(columns=["duration"])
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    return frame, y


def logistic(X: pd.DataFrame) -> object:
    """One-hot + scaled logistic regression (a linear reference point)."""
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in X.columns if c not in categorical]
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), categorical), (StandardScaler(), numeric)
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000))


def run(path: Path, folds: int = 5, seed: int = 0) -> pd.DataFrame:
    """Per-fold metrics of every model."""
    X, y = load_bank(path)
    rows = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(X, y)):
        models = {
            "sklearn HGB (default)": HistGradientBoostingClassifier(random_state=seed),
            "logistic regression (one-hot)": logistic(X),
            "propensity (HGB + calibration)": PropensityModel(random_state=seed),
        }
        for name, model in models.items():
            started = time.perf_counter()
            model.fit(X.iloc[train], y[train])
            p = model.predict_proba(X.iloc[test])
            p = p[:, 1] if p.ndim == 2 else p
            rows.append({
                "fold": fold, "model": name, "roc_auc": roc_auc_score(y[test], p),
                "pr_auc": average_precision_score(y[test], p), "brier": brier_score_loss(y[test], p),
                "fit_s": time.perf_counter() - started,
                "calibration": getattr(model, "calibration_", ""),
            })  # fmt: skip
            print(
                f"fold {fold} {name:32s} AUC {rows[-1]['roc_auc']:.4f} Brier {rows[-1]['brier']:.4f}",
                flush=True,
            )
    return pd.DataFrame(rows)


def summarise(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over folds."""
    agg = per_fold.groupby("model", sort=False)[["roc_auc", "pr_auc", "brier", "fit_s"]].agg(
        ["mean", "std"]
    )
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    return agg


def main() -> None:
    """Run the benchmark and print (and optionally write) the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--report", type=Path, help="write a Markdown summary here")
    args = parser.parse_args()
    # One thread for every model: the machine is shared, and OpenMP spinning on busy
    # cores slows HistGradientBoosting down ~20x. Every model gets the same limit.
    with threadpool_limits(1):
        per_fold = run(args.data, args.folds)
    summary = summarise(per_fold)
    table = "\n".join(
        f"| {name} | {r.roc_auc_mean:.4f} ± {r.roc_auc_std:.4f} | {r.pr_auc_mean:.4f} ± {r.pr_auc_std:.4f} "
        f"| {r.brier_mean:.4f} ± {r.brier_std:.4f} | {r.fit_s_mean:.1f} |"
        for name, r in summary.iterrows()
    )
    header = "| model | ROC AUC | PR AUC | Brier | fit s |\n|---|---|---|---|---|\n"
    chosen = per_fold.loc[per_fold["calibration"] != "", "calibration"].value_counts().to_dict()
    print(header + table)
    print(f"calibration chosen per fold: {chosen}")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(header + table + f"\n\ncalibration chosen per fold: {chosen}\n")


if __name__ == "__main__":
    main()
