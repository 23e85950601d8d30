"""``python -m recsys train``: fit every model on the store and save versioned artifacts.

Steps: read the store, embed the catalogue (cached), tune and fit the hybrid recommender,
index the catalogue for search, fit propensity and segments, write the customers' tags
(one bulk update), save artifacts. Skipped when the store's data fingerprint equals the
one the latest artifacts were trained on, unless forced. The uplift model
(``recsys.uplift_train``) has an input of its own (the data plus the campaigns'
exposures) and is retrained, and its tags rewritten, only when that input changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from concierge.settings import Settings
from recsys.artifacts import latest_metadata, save_artifact
from recsys.embeddings import TextEmbedder, embed_catalogue
from recsys.evaluation import MODES, evaluate_ranking
from recsys.experiments import compare_propensity
from recsys.features import customer_features, monthly_cutoffs, training_frame
from recsys.interactions import Catalogue, DataError, temporal_split
from recsys.names import DEFAULT_RECOMMENDER
from recsys.propensity import PropensityModel
from recsys.registry import build_recommender
from recsys.search import SemanticSearch
from recsys.segments import RECENCY_CAPS, RFMSegmenter
from recsys.served import ServedRecommender, ranked_by
from recsys.store_data import StoreData, load_store_data, write_customer_tags
from recsys.tuning import tune_hybrid
from recsys.uplift_train import (
    NotEnoughExposures,
    exposure_data,
    exposures_fingerprint,
    fit_uplift,
    load_exposures,
    uplift_tags,
    write_uplift_tags,
)
from store.db import make_engine, make_session_factory

log = logging.getLogger(__name__)

ARTIFACT_NAMES = ("recommender", "search", "propensity", "segments")
# Bump when a model class changes shape: artifacts of another format are retrained even
# if the data did not change (a pickle of an older class may load and then fail).
ARTIFACT_FORMAT = 2
UPLIFT_ARTIFACT = "uplift"  # not in ARTIFACT_NAMES: a store without campaigns has none
UPLIFT_FORMAT = 1
HORIZON_DAYS = 30
MIN_CLASS_EXAMPLES = 10  # buyers and non-buyers each, for calibration folds to exist
MIN_DAYS_TO_TUNE = 90  # below this the validation month would starve the training data


@dataclass
class TrainReport:
    """What a training run did."""

    skipped: bool
    fingerprint: str
    versions: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, dict] = field(default_factory=dict)
    tagged_customers: int = 0
    uplift: str = ""  # what the uplift step did, in a sentence


def embeddings_cache(settings: Settings) -> Path:
    """Where catalogue embeddings are cached."""
    return settings.var_dir / "cache" / "embeddings"


def is_up_to_date(settings: Settings, fingerprint: str) -> bool:
    """True when every artifact exists and was trained on data with this fingerprint, and
    the recommender is the one the settings choose (``CONCIERGE_RECOMMENDER``)."""
    for name in ARTIFACT_NAMES:
        meta = latest_metadata(settings.artifacts_dir, name)
        if meta is None or meta.data_fingerprint != fingerprint:
            return False
        if meta.params.get("format") != ARTIFACT_FORMAT:
            return False
    served = latest_metadata(settings.artifacts_dir, "recommender")
    return served is not None and served.params.get("model", DEFAULT_RECOMMENDER) == (
        settings.recommender
    )


def train_all(
    settings: Settings,
    data: StoreData,
    *,
    force: bool = False,
    embedder: TextEmbedder | None = None,
    progress: bool = True,
    tune: bool = True,
) -> TrainReport:
    """Train, save and write back tags; no-op if the data did not change (unless ``force``)."""
    fingerprint = data.fingerprint()
    if not force and is_up_to_date(settings, fingerprint):
        report = TrainReport(skipped=True, fingerprint=fingerprint)
        report.uplift = train_uplift(settings, data, fingerprint)
        return report
    report = TrainReport(skipped=False, fingerprint=fingerprint)
    steps = tqdm(total=6, desc="recsys train", disable=not progress, unit="step")

    steps.set_postfix_str("embedding the catalogue")
    embedder = embedder or TextEmbedder()
    catalogue = embed_catalogue(
        data.catalogue, embedder, embeddings_cache(settings), progress=progress
    )
    steps.update()

    steps.set_postfix_str("recommender")
    recommender, rec_metrics, params = _train_recommender(
        data, catalogue, tune=tune, name=settings.recommender
    )
    report.metrics["recommender"] = rec_metrics
    steps.update()

    steps.set_postfix_str("search index")
    search = SemanticSearch().fit(catalogue)
    steps.update()

    steps.set_postfix_str("propensity")
    end = pd.Timestamp(data.interactions.end.astype("datetime64[s]").item())
    kwargs = feature_kwargs(data)
    propensity, prop_metrics = _train_propensity(data, end, kwargs)
    report.metrics["propensity"] = prop_metrics
    steps.update()

    steps.set_postfix_str("segments")
    now_features = customer_features(
        data.customers, data.orders, end + pd.Timedelta(seconds=1), **kwargs
    )
    segmenter = RFMSegmenter().fit(now_features)
    segments = segmenter.predict(now_features)
    lifecycle = segmenter.lifecycle(now_features)
    report.metrics["segments"] = {"sizes": segments.value_counts().to_dict()}
    steps.update()

    steps.set_postfix_str("saving")
    artifacts = {
        "recommender": (recommender, params),
        "search": (search, {}),
        "propensity": ({"model": propensity, "features": kwargs, "horizon_days": HORIZON_DAYS}, {}),
        "segments": (segmenter, {"recency_caps_days": list(RECENCY_CAPS)}),
    }
    for name, (model, model_params) in artifacts.items():
        meta = save_artifact(settings.artifacts_dir, name, model, data_fingerprint=fingerprint,
                             metrics=report.metrics.get(name, {}),
                             params={**model_params, "format": ARTIFACT_FORMAT})  # fmt: skip
        report.versions[name] = meta.version
    scores = propensity.predict_proba(now_features)
    reasons = propensity.reasons(now_features)
    version = "+".join(f"{n}:{v}" for n, v in report.versions.items())
    tags = {
        int(customer): {
            "segment": segments[customer],
            "lifecycle": lifecycle[customer],
            "propensity": round(float(score), 4),
            "propensity_reasons": [r.text() for r in why],
            "recsys_version": version,
        }
        for customer, score, why in zip(now_features.index, scores, reasons, strict=True)
    }
    report.tagged_customers = write_customer_tags(settings_factory(settings), tags)
    steps.update()
    steps.close()
    report.uplift = train_uplift(settings, data, fingerprint, force=force)
    return report


def train_uplift(
    settings: Settings, data: StoreData, data_fingerprint: str, *, force: bool = False
) -> str:
    """Fit the uplift model on the exposures and tag every customer, unless nothing changed."""
    factory = settings_factory(settings)
    exposures, window = load_exposures(factory)
    key = exposures_fingerprint(data_fingerprint, exposures, window)
    meta = latest_metadata(settings.artifacts_dir, UPLIFT_ARTIFACT)
    fresh = meta is not None and meta.data_fingerprint == key
    if not force and fresh and meta and meta.params.get("format") == UPLIFT_FORMAT:
        return f"uplift {meta.version} is up to date"
    kwargs = feature_kwargs(data)
    try:
        examples = exposure_data(data.customers, data.orders, exposures, window, kwargs)
        model = fit_uplift(examples)
    except NotEnoughExposures as exc:
        log.warning("uplift not trained: %s", exc)
        return f"uplift not trained: {exc}"
    end = pd.Timestamp(data.interactions.end.astype("datetime64[s]").item())
    now = customer_features(data.customers, data.orders, end + pd.Timedelta(seconds=1), **kwargs)
    now = now.reindex(columns=examples.X.columns, fill_value=0.0)
    metrics = {
        "chosen": model.chosen_,
        "validation_qini": model.validation_scores_,
        "exposures": len(examples.y),
        "treated": int(examples.treatment.sum()),
        "ordered_treated": float(examples.y[examples.treatment == 1].mean()),
        "ordered_untreated": float(examples.y[examples.treatment == 0].mean()),
    }
    artifact = {"model": model, "columns": list(examples.X.columns), "window_days": window}
    meta = save_artifact(settings.artifacts_dir, UPLIFT_ARTIFACT, artifact, data_fingerprint=key,
                         metrics=metrics, params={"format": UPLIFT_FORMAT})  # fmt: skip
    tags = {c: {**t, "uplift_version": meta.version} for c, t in uplift_tags(model, now).items()}
    tagged = write_uplift_tags(factory, tags)
    return f"uplift {meta.version} trained ({model.chosen_}), {tagged} customers tagged"


def settings_factory(settings: Settings) -> sessionmaker[Session]:
    """Session factory for the store at ``settings.db_url``."""
    return make_session_factory(make_engine(settings.db_url))


def load_from_settings(settings: Settings) -> StoreData:
    """Read the store named by the settings."""
    return load_store_data(settings_factory(settings))


def feature_kwargs(data: StoreData) -> dict:
    """Propensity feature inputs of the store: lines, events and its 8 biggest categories."""
    top = data.lines["category"].value_counts().index[:8].tolist()
    return {"lines": data.lines, "events": data.events, "top_categories": top}


def _train_recommender(
    data: StoreData, catalogue: Catalogue, *, tune: bool, name: str = DEFAULT_RECOMMENDER
) -> tuple[ServedRecommender, dict, dict]:
    """Fit the recommender ``name`` (the hybrid tuned on a validation month first) and
    measure it on the last month held out, as every model of ``recsys evaluate`` is."""
    interactions = data.interactions
    span_days = (interactions.end - interactions.timestamps.min()) / pd.Timedelta(
        days=1
    ).to_timedelta64()
    params: dict[str, Any] = {}
    metrics: dict = {}
    if tune and span_days >= MIN_DAYS_TO_TUNE:
        # Hold out the last month to *measure*; tune on the month before it.
        split = temporal_split(interactions, test_days=HORIZON_DAYS)
        if name == "hybrid":
            params.update(tune_hybrid(split.train, catalogue).params)
        held_out = build_recommender(name, **params).fit(split.train, catalogue)
        for mode in MODES:
            result = evaluate_ranking(ranked_by(held_out), split.test, mode=mode)
            metrics[f"ndcg@10_{mode}"] = float(result.ndcg)
            metrics[f"precision@10_{mode}"] = float(result.precision)
    model = build_recommender(name, **params).fit(interactions, catalogue)
    return model, metrics, {**params, "model": name}


def _train_propensity(
    data: StoreData, end: pd.Timestamp, kwargs: dict
) -> tuple[PropensityModel, dict]:
    metrics: dict = {}
    try:
        comparison = compare_propensity(data.customers, data.orders, end=end, feature_kwargs=kwargs)
        metrics = {**comparison.metrics, "calibration": comparison.calibration}
    except DataError as exc:
        log.warning("propensity not evaluated: %s", exc)
    last = end - pd.Timedelta(days=HORIZON_DAYS)
    X, y, _ = training_frame(data.customers, data.orders, monthly_cutoffs(last, 6, HORIZON_DAYS),
                             horizon_days=HORIZON_DAYS, **kwargs)  # fmt: skip
    if y.value_counts().reindex([0, 1], fill_value=0).min() < MIN_CLASS_EXAMPLES:
        raise DataError(
            f"propensity needs at least {MIN_CLASS_EXAMPLES} customers who ordered and {MIN_CLASS_EXAMPLES} "
            f"who did not in the {HORIZON_DAYS} days after the monthly cut-offs; the store's "
            f"{len(data.orders)} orders do not give both (generate or import more history)"
        )
    return PropensityModel().fit(X, y), metrics
