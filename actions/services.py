"""The store services and models every action uses, built once per process on first use.

Nothing is connected at import time: rasa_sdk imports every module of ``actions`` when it
starts, and a database that is down then must not stop the server from starting. The
first action that needs the store builds the repository from ``Settings.from_env()`` and
migrates the database (so a fresh SQLite file works); if that fails because the database
is unreachable, the next action tries again.

The recommendation models (``get_advisor``) are loaded the same way, once, by the first
action that recommends: loading the text encoder takes seconds and must not delay the
server's start. Their versions (or why they are missing) go to the log. While the advisor
runs degraded, a newer artifact written by ``python -m recsys train`` is picked up by the
next request, so training after the server started needs no restart.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from actions.product_advice import ProductAdvisor, artifact_stamp, load_advisor
from concierge.settings import Settings
from promotions.service import PromotionService
from recsys.embeddings import TextEmbedder
from store.db import make_engine, make_session_factory, upgrade
from store.policy import ShopPolicy, load_policy
from store.repository import ShopRepository

logger = logging.getLogger(__name__)

# What "the database can't be reached right now" looks like: the driver cannot connect or
# lost the connection (OperationalError, InterfaceError), the pool is exhausted
# (TimeoutError), or a SQLite file's folder cannot be created (OSError from make_engine).
STORE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    OSError,
)


@dataclass(frozen=True)
class Services:
    """The repository, policy and promotions of the shop the action server works for."""

    settings: Settings
    repository: ShopRepository
    policy: ShopPolicy
    engine: Engine
    promotions: PromotionService


_lock = threading.Lock()
_services: Services | None = None


def build_services(settings: Settings) -> Services:
    """Migrate the database of ``settings`` and build its repository and policy."""
    # The policy is read first: a broken policy file is our configuration error and must
    # fail loudly, not be mistaken for an unreachable database.
    policy = load_policy(settings.policy_file)
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    sessions = make_session_factory(engine)
    repository = ShopRepository(sessions, policy=policy)
    logger.info(
        "Store ready at %s (policy %s)", engine.url.render_as_string(), settings.policy_file
    )
    return Services(
        settings=settings,
        repository=repository,
        policy=policy,
        engine=engine,
        promotions=PromotionService(sessions),
    )


def get_services() -> Services:
    """The process-wide services, built from the environment on the first call."""
    global _services
    if _services is not None:
        return _services
    with _lock:
        if _services is None:
            _services = build_services(Settings.from_env())
        return _services


def reset_services() -> None:
    """Forget the built services (and models) so the next call rebuilds them."""
    global _services, _advisor
    with _lock:
        if _services is not None:
            _services.engine.dispose()
        _services = None
    with _advisor_lock:
        _advisor = None


_advisor_lock = threading.Lock()
_advisor: ProductAdvisor | None = None


def text_encoder() -> TextEmbedder:
    """The sentence encoder for search queries, on one thread (cores are shared)."""
    return TextEmbedder(num_threads=1)


def get_advisor(services: Services) -> ProductAdvisor:
    """The process-wide product advisor, loaded on first use (reloaded while degraded)."""
    global _advisor
    advisor = _advisor
    artifacts_dir = services.settings.artifacts_dir
    if advisor is not None and not (
        advisor.degraded and artifact_stamp(artifacts_dir) != advisor.stamp
    ):
        return advisor
    with _advisor_lock:
        if _advisor is None or (
            _advisor.degraded and artifact_stamp(artifacts_dir) != _advisor.stamp
        ):
            encoder = _advisor.encoder if _advisor is not None else None
            _advisor = load_advisor(
                artifacts_dir,
                make_session_factory(services.engine),
                (lambda: encoder) if encoder is not None else text_encoder,
            )
        return _advisor


def warm_up() -> bool:
    """Build the services and load the product models now, so no customer waits for them.

    Run in a background thread when the action server starts (``python -m actions``);
    a database that is down only gets logged here, and the first action tries again.
    """
    try:
        advisor = get_advisor(get_services())
    except STORE_UNAVAILABLE as exc:
        logger.warning("Warm-up: the store is unreachable (%s); the first action retries.", exc)
        return False
    logger.info(
        "Warm-up done: %s.", "degraded recommendations" if advisor.degraded else "models loaded"
    )
    return True
