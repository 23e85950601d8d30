"""Evaluation reports: a Markdown file plus PNG plots (NDCG@k, ROC, precision-recall, calibration)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from recsys.experiments import PropensityComparison, RecommenderComparison


def _plt() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def markdown_table(frame: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table (no ``tabulate`` dependency)."""

    def cell(v: object) -> str:
        return f"{v:.{digits}f}" if isinstance(v, float | np.floating) else str(v)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def plot_ndcg_curves(comparison: RecommenderComparison, path: Path) -> Path:
    """NDCG@k for k = 1..20, one panel per view."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=False)
    for ax, mode in zip(axes, ("all", "new"), strict=True):
        for result in comparison.results:
            if result.mode == mode:
                ks = list(result.ndcg_curve)
                ax.plot(ks, list(result.ndcg_curve.values()), marker=".", label=result.model)
        ax.set_title(f"NDCG@k — {'all purchases' if mode == 'all' else 'new-to-customer items'}")
        ax.set_xlabel("k")
        ax.set_xticks([1, 5, 10, 15, 20])
        ax.set_ylabel("NDCG@k")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_propensity(comparison: PropensityComparison, folder: Path, prefix: str) -> list[Path]:
    """ROC, precision-recall and calibration (reliability) plots."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    plt = _plt()
    y = comparison.y_true
    paths = []
    for kind in ("roc", "precision_recall", "calibration"):
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        for name, p in comparison.predictions.items():
            if kind == "roc":
                fpr, tpr, _ = roc_curve(y, p)
                ax.plot(fpr, tpr, label=f"{name} (AUC {comparison.metrics[name]['roc_auc']:.3f})")
                ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
                ax.set(xlabel="false positive rate", ylabel="true positive rate")
            elif kind == "precision_recall":
                precision, recall, _ = precision_recall_curve(y, p)
                ax.plot(
                    recall, precision, label=f"{name} (AP {comparison.metrics[name]['pr_auc']:.3f})"
                )
                ax.axhline(y.mean(), color="grey", lw=0.8, ls="--")
                ax.set(xlabel="recall", ylabel="precision")
            else:
                observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
                ax.plot(
                    predicted,
                    observed,
                    marker="o",
                    label=f"{name} (Brier {comparison.metrics[name]['brier']:.3f})",
                )
                ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
                ax.set(xlabel="predicted probability", ylabel="observed frequency")
        ax.set_title(kind.replace("_", "-"))
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        path = folder / f"{prefix}_propensity_{kind}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def write_report(
    folder: Path,
    name: str,
    *,
    source: str,
    command: str,
    recommenders: RecommenderComparison | None = None,
    propensity: PropensityComparison | None = None,
) -> Path:
    """Write ``<folder>/<name>.md`` and its plots; returns the Markdown path."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# recsys evaluation — {source}",
        "",
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} by `{command}`.",
        "",
    ]
    if recommenders is not None:
        plot = plot_ndcg_curves(recommenders, folder / f"{name}_ndcg_at_k.png")
        lines += [
            f"## Recommendations ({recommenders.split} split, cut-off {recommenders.cutoff})",
            "",
            "Protocol: `recsys/evaluation.py`. `all` = every purchase in the test period counts; "
            "`new` = only items the customer had not bought before, bought-before items removed "
            "from every ranking.",
            "",
            markdown_table(recommenders.table()),
            "",
        ]
        lines += [f"- {line}" for line in recommenders.summary_lines()]
        lines += ["", "Chosen parameters (validation period before the cut-off):", ""]
        lines += [f"- {model}: `{params}`" for model, params in recommenders.params.items()]
        lines += ["", f"![NDCG@k]({plot.name})", ""]
    if propensity is not None:
        plots = plot_propensity(propensity, folder, name)
        lines += [
            f"## Propensity (buy within 30 days of {propensity.cutoff})",
            "",
            f"{propensity.rows} customers held out, {propensity.positive_rate:.1%} bought; "
            f"calibration chosen on validation: {propensity.calibration}.",
            "",
            markdown_table(propensity.table()),
            "",
            *[f"![{p.stem}]({p.name})" for p in plots],
            "",
        ]
    path = folder / f"{name}.md"
    path.write_text("\n".join(lines))
    return path
