"""The store services every action uses, built once per process on first use.

Nothing is connected at import time: rasa_sdk imports every module of ``actions`` when it
starts, and a database that is down then must not stop the server from starting. The
first action that needs the store builds the repository from ``Settings.from_env()`` and
migrates the database (so a fresh SQLite file works); if that fails because the database
is unreachable, the next action tries again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from concierge.settings import Settings
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
    """The repository and policy of the shop the action server works for."""

    settings: Settings
    repository: ShopRepository
    policy: ShopPolicy
    engine: Engine


_lock = threading.Lock()
_services: Services | None = None


def build_services(settings: Settings) -> Services:
    """Migrate the database of ``settings`` and build its repository and policy."""
    # The policy is read first: a broken policy file is our configuration error and must
    # fail loudly, not be mistaken for an unreachable database.
    policy = load_policy(settings.policy_file)
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    repository = ShopRepository(make_session_factory(engine), policy=policy)
    logger.info(
        "Store ready at %s (policy %s)", engine.url.render_as_string(), settings.policy_file
    )
    return Services(settings=settings, repository=repository, policy=policy, engine=engine)


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
    """Forget the built services so the next call rebuilds them from the environment."""
    global _services
    with _lock:
        if _services is not None:
            _services.engine.dispose()
        _services = None
