"""What the API answers with: the chat's recommender and the scores training wrote.

The recommender is loaded once by ``recsys.serving.load_models`` (the code the action
server uses) and switched atomically when a newer artifact appears: :meth:`refresh` loads
the new version beside the old one and replaces the reference only once it loaded, so
every request is answered by one complete model and says which (``model_version``).
Propensity, segment and lifecycle stage are what ``python -m recsys train`` wrote onto
each customer, read through ``promotions.profiles``: the numbers the offers decide on.
Titles, prices and stock come from the store's current rows, not the training snapshot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, SupportsInt, cast, get_args

from sqlalchemy.orm import Session, sessionmaker

from api.schemas import (
    Band,
    ModelInfo,
    Models,
    Propensity,
    Recommendations,
    RecommendationsQuery,
    RecommendedItem,
)
from promotions.profiles import CustomerFacts, build_profile, load_facts
from recsys.artifacts import ArtifactError, latest_metadata
from recsys.serving import LoadedModels, load_models
from recsys.training import ARTIFACT_NAMES, HORIZON_DAYS
from store.db import utcnow
from store.product_facts import products_by_ids

log = logging.getLogger(__name__)


class UnknownCustomer(LookupError):
    """No customer with this id in the shop database."""


class ModelUnavailable(RuntimeError):
    """The model an answer needs is not trained or did not load; the message says which."""


class ModelService:
    """The served models of one API process and the answers built from them."""

    def __init__(self, artifacts_dir: Path, sessions: sessionmaker[Session]) -> None:
        self.artifacts_dir = Path(artifacts_dir)
        self.sessions = sessions
        self.models = LoadedModels()
        self._tried: str | None = None  # the latest version a load was attempted for
        self._loading = threading.Lock()

    def refresh(self) -> bool:
        """Load the latest recommender if it is newer than the one served; True if switched.

        A version that fails to load is tried once and logged; the one served stays.
        """
        meta = latest_metadata(self.artifacts_dir, "recommender")
        latest = meta.version if meta else None
        with self._loading:
            if latest is None or latest == self._tried:
                return False
            self._tried = latest
            loaded = load_models(self.artifacts_dir)
            if loaded.recommender is None and self.models.recommender is not None:
                log.warning("api: recommender %s not switched to: %s", latest,
                            loaded.problems.get("recommender"))  # fmt: skip
                return False
            self.models = loaded  # one reference assignment: requests see old or new
        log.info("api: serving recommender %s", loaded.versions.get("recommender"))
        return True

    def recommendations(self, customer_id: int, query: RecommendationsQuery) -> Recommendations:
        """The top ``k`` items for a customer, with today's titles, prices and stock."""
        models = self.models  # the same model for the whole answer, even mid-switch
        if models.recommender is None:
            problem = models.problems.get("recommender", "no recommender artifact yet")
            raise ModelUnavailable(f"The recommender is not loaded ({problem}).")
        self._check_customer(customer_id)
        picks = models.recommender.recommend(
            customer_id, k=query.k, exclude_seen=query.exclude_purchased
        )
        facts = {
            p.id: p for p in products_by_ids(self.sessions, (_item_id(r.item_id) for r in picks))
        }
        items = [
            RecommendedItem(
                product_id=fact.id,
                title=fact.title,
                price=fact.price,
                in_stock=fact.in_stock,
                score=round(r.score, 6),
                reason=r.reason,
            )
            for r in picks
            if (fact := facts.get(_item_id(r.item_id))) is not None  # left the catalogue since
        ]
        return Recommendations(
            customer_id=customer_id, model_version=models.versions["recommender"], items=items
        )

    def propensity(self, customer_id: int) -> Propensity:
        """The customer's purchase propensity, its reasons, segment and lifecycle stage."""
        found = self.propensities([customer_id]).get(customer_id)
        if found is None:
            raise UnknownCustomer(customer_id)
        return found

    def propensities(self, customer_ids: Iterable[int]) -> dict[int, Propensity]:
        """``propensity`` of many customers in two reads; unknown ids are left out."""
        now = utcnow()
        return {
            customer_id: _propensity(customer_id, facts, orders, now)
            for customer_id, (facts, orders) in load_facts(self.sessions, customer_ids).items()
        }

    def model_infos(self) -> Models:
        """Every trained artifact's latest version, training time, data and metrics."""
        loaded = self.models.versions
        infos = []
        for name in ARTIFACT_NAMES:
            try:
                meta = latest_metadata(self.artifacts_dir, name)
            except ArtifactError as exc:
                log.warning("api: %s", exc)
                continue
            if meta is None:
                continue
            infos.append(
                ModelInfo(
                    name=name,
                    version=meta.version,
                    trained_at=datetime.fromisoformat(meta.created_at),
                    data_fingerprint=meta.data_fingerprint,
                    metrics=meta.metrics,
                    loaded=loaded.get(name) == meta.version,
                )
            )
        return Models(models=infos)

    def _check_customer(self, customer_id: int) -> None:
        if customer_id not in load_facts(self.sessions, [customer_id]):
            raise UnknownCustomer(customer_id)


def _propensity(
    customer_id: int, facts: CustomerFacts, orders: list[tuple[datetime, float]], now: datetime
) -> Propensity:
    profile = build_profile(facts, orders, now)
    tags = facts.tags
    reasons = tags.get("propensity_reasons") or []
    scored = profile.propensity is not None
    return Propensity(
        customer_id=customer_id,
        probability=profile.propensity,
        band=_band(profile.propensity_band),
        horizon_days=HORIZON_DAYS,
        reasons=[str(r) for r in reasons] if scored else [],
        segment=profile.segment,
        lifecycle_stage=profile.lifecycle_stage,
        model_version=_scored_by(tags, "propensity") if scored else None,
    )


def _item_id(value: object) -> int:
    # The recommender's item ids are numpy integers: opaque objects to the type checker.
    if not isinstance(value, SupportsInt):
        raise TypeError(f"a product id must be a number, got {value!r}")
    return int(value)


def _band(value: str | None) -> Band | None:
    return cast(Band, value) if value in get_args(Band) else None


def _scored_by(tags: dict[str, Any], name: str) -> str | None:
    """The version of ``name`` in the ``recsys_version`` tag training wrote with the score."""
    for part in str(tags.get("recsys_version", "")).split("+"):
        artifact, _, version = part.partition(":")
        if artifact == name and version:
            return version
    return None
