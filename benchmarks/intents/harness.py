"""One benchmark run: for each Rasa config, train its NLU, choose a threshold, score the test set."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.intents.data import Example, stratified_split, write_rasa_nlu
from benchmarks.intents.metrics import (
    Prediction,
    Scores,
    choose_both_thresholds,
    choose_distance_threshold,
    choose_threshold,
    latency_ms,
    score,
)
from benchmarks.intents.rasa_runner import RasaEnvironment, parse, prepare_config, train_nlu


@dataclass(frozen=True)
class Plan:
    """What to run: data, configs and how out-of-scope messages are judged."""

    train: list[Example]
    test: list[Example]
    configs: list[Path]
    work_dir: Path
    oos_label: str | None = None
    threshold: float | None = None  # None with an OOS label: choose it on a validation split
    validation_fraction: float = 0.1
    min_in_scope: float = 0.95
    epochs: int | None = None
    seed: int = 0
    train_on_oos: bool = True  # False: OOS examples only validate (held-out intents)


@dataclass
class Result:
    """Everything reported for one config."""

    config: str
    scores: Scores
    train_seconds: float
    train_examples: int
    test_examples: int
    parse_p50_ms: float
    parse_p95_ms: float
    load_seconds: float
    fallback_share: float
    epochs: int | None = None
    validation: Scores | None = None
    notes: list[str] = field(default_factory=list)
    # With a distance to the training data (OutOfDistributionRejector): the same test set
    # judged by "distance" alone, by "confidence+distance", each with thresholds chosen on
    # the validation split, and by "component" (the component's own rejections, its
    # threshold learned inside training). "scores" above stays the confidence-only baseline.
    variants: dict[str, Scores] = field(default_factory=dict)


def run(plan: Plan, env: RasaEnvironment, log=print) -> list[Result]:
    """Trains and evaluates every config of the plan, in order."""
    plan.work_dir.mkdir(parents=True, exist_ok=True)
    fit = plan.train
    validation: list[Example] = []
    if plan.oos_label is not None and plan.threshold is None:
        fit, validation = stratified_split(plan.train, plan.validation_fraction, plan.seed)
    if not plan.train_on_oos:
        fit = [e for e in fit if e.label != plan.oos_label]
    nlu_file = write_rasa_nlu(fit, plan.work_dir / "train_nlu.yml")
    results = []
    for source in plan.configs:
        name = Path(source).stem
        config, notes = prepare_config(source, plan.work_dir / f"{name}.yml", plan.epochs)
        for note in notes:
            log(f"[{name}] {note}")
        log(f"[{name}] training NLU on {len(fit)} examples ...")
        model, train_seconds = train_nlu(env, config, nlu_file, plan.work_dir / "models", name)
        log(f"[{name}] trained in {train_seconds:.0f} s; parsing the test set ...")
        threshold, validation_scores = plan.threshold or 0.0, None
        chosen: dict[str, tuple[float, float | None]] = {}
        if validation and plan.oos_label is not None:  # a validation split implies OOS
            parsed = parse(
                env, model, [e.text for e in validation], plan.work_dir, f"{name}-validation"
            )
            preds = _predictions(validation, parsed)
            threshold = choose_threshold(preds, plan.oos_label, plan.min_in_scope)
            validation_scores = score(preds, plan.oos_label, threshold)
            if all(p.distance is not None for p in preds):
                chosen = {
                    "distance": (
                        0.0,
                        choose_distance_threshold(preds, plan.oos_label, plan.min_in_scope),
                    ),
                    "confidence+distance": choose_both_thresholds(
                        preds, plan.oos_label, plan.min_in_scope
                    ),
                }
        parsed = parse(env, model, [e.text for e in plan.test], plan.work_dir, f"{name}-test")
        rows = parsed["predictions"]
        p50, p95 = latency_ms([row["seconds"] for row in rows])
        test_preds = _predictions(plan.test, parsed)
        variants = {
            label: score(test_preds, plan.oos_label, conf, dist)
            for label, (conf, dist) in chosen.items()
        }
        if plan.oos_label is not None and all("rejected" in row for row in rows):
            variants["component"] = score(
                [
                    Prediction(p.label, plan.oos_label if row["rejected"] else p.intent, 1.0)
                    for p, row in zip(test_preds, rows, strict=True)
                ],
                plan.oos_label,
            )
        result = Result(
            config=name,
            scores=score(test_preds, plan.oos_label, threshold),
            train_seconds=train_seconds,
            train_examples=len(fit),
            test_examples=len(plan.test),
            parse_p50_ms=p50,
            parse_p95_ms=p95,
            load_seconds=parsed["load_seconds"],
            fallback_share=sum(r["returned"] == "nlu_fallback" for r in rows) / max(len(rows), 1),
            epochs=plan.epochs,
            validation=validation_scores,
            notes=notes,
            variants=variants,
        )
        log(format_result(result))
        results.append(result)
    (plan.work_dir / "results.json").write_text(
        json.dumps(
            {
                "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
                "results": [asdict(r) for r in results],
            },
            indent=2,
        )
    )
    return results


def _predictions(examples: list[Example], parsed: dict) -> list[Prediction]:
    return [
        Prediction(
            label=e.label,
            intent=row["intent"] or "",
            confidence=row["confidence"],
            distance=row.get("distance"),
        )
        for e, row in zip(examples, parsed["predictions"], strict=True)
    ]


def format_result(r: Result) -> str:
    """One block of human-readable lines for a config's result."""
    s = r.scores
    lines = [
        f"== {r.config}" + (f" ({'; '.join(r.notes)})" if r.notes else ""),
        f"   accuracy        {s.accuracy:.4f}",
        f"   macro-F1        {s.macro_f1:.4f}",
    ]
    if s.in_scope_accuracy is not None:
        lines += [
            f"   in-scope acc.   {s.in_scope_accuracy:.4f}",
            f"   OOS recall      {s.oos_recall:.4f}",
            f"   threshold       {s.threshold:.4f}"
            + (" (chosen on the validation split)" if r.validation else ""),
        ]
    for label, v in r.variants.items():
        how = (
            "threshold learned in training"
            if label == "component"
            else f"confidence >= {v.threshold:.4f}, distance <= {v.distance_threshold:.4f}"
        )
        lines.append(
            f"   {label:<19} in-scope acc. {v.in_scope_accuracy:.4f}, OOS recall "
            f"{v.oos_recall:.4f} ({how})"
        )
    lines += [
        f"   training        {r.train_seconds:.1f} s on {r.train_examples} examples",
        f"   parse latency   p50 {r.parse_p50_ms:.1f} ms, p95 {r.parse_p95_ms:.1f} ms"
        f" over {r.test_examples} messages (model load {r.load_seconds:.1f} s)",
        f"   Rasa returned nlu_fallback for {100 * r.fallback_share:.1f}% of test messages",
    ]
    return "\n".join(lines)


def summary_table(results: list[Result]) -> str:
    """A Markdown table of the headline numbers, ready for BENCHMARKS.md."""
    oos = any(r.scores.in_scope_accuracy is not None for r in results)
    head = "| config | accuracy | macro-F1 |" + (
        " in-scope acc. | OOS recall | threshold |" if oos else ""
    )
    head += " NLU training | parse p50 | parse p95 |"
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        s = r.scores
        row = f"| {r.config} | {100 * s.accuracy:.2f}% | {s.macro_f1:.4f} |"
        if oos:
            row += (
                f" {s.in_scope_accuracy:.4f} | {s.oos_recall:.4f} | {s.threshold:.3f} |"
                if s.in_scope_accuracy is not None
                else " – | – | – |"
            )
        row += f" {r.train_seconds:.0f} s | {r.parse_p50_ms:.1f} ms | {r.parse_p95_ms:.1f} ms |"
        rows.append(row)
    variants = [(r.config, label, v) for r in results for label, v in r.variants.items()]
    if variants:
        rows += [
            "",
            "| config | rejection | in-scope acc. | OOS recall | confidence thr. | distance thr. |",
            "|---|---|---|---|---|---|",
        ]
        for r in results:
            s = r.scores
            if s.in_scope_accuracy is not None and r.variants:
                rows.append(
                    f"| {r.config} | confidence (baseline) | {s.in_scope_accuracy:.4f} | "
                    f"{s.oos_recall:.4f} | {s.threshold:.3f} | – |"
                )
        for config, label, v in variants:
            conf = "learned" if label == "component" else f"{v.threshold:.3f}"
            dist = (
                "learned"
                if label == "component"
                else f"{v.distance_threshold:.4f}"
                if v.distance_threshold is not None
                else "–"
            )
            rows.append(
                f"| {config} | {label} | {v.in_scope_accuracy:.4f} | {v.oos_recall:.4f} | "
                f"{conf} | {dist} |"
            )
    return "\n".join(rows)
