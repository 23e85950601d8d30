"""The API tests' shop: generated, really trained, and served by the real ``python -m api``.

The shop and its models are made once for the package (generation and a training run
without tuning take seconds); the API process is started by the supervisor
(``concierge.stack``, as ``make demo`` starts it) on a free loopback port and stopped by
its process group whatever happens.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from concierge.settings import Settings
from concierge.stack import Stack
from store.api_keys import ApiKeys
from store.models import Order
from tests.factories import add_customer
from tests.support.servers import free_port, isolated_settings
from tests.support.trained_shop import generate_and_train

METRICS_TOKEN = "api-test-metrics-token"


@dataclass(frozen=True)
class TrainedShop:
    """A generated shop with trained artifacts, its best customer and one never scored."""

    settings: Settings
    sessions: sessionmaker[Session]
    customer_id: int
    unscored_customer_id: int

    @property
    def keys(self) -> ApiKeys:
        return ApiKeys(self.sessions)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class RunningApi:
    url: str
    shop: TrainedShop
    log_path: Path

    def get(self, path: str, token: str | None = None) -> Answer:
        """GET ``path``; the answer whatever its status, with the JSON body decoded."""
        return request(self.url + path, token=token)

    def post(
        self,
        path: str,
        payload: Any,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """POST ``payload`` as JSON (bytes are sent as they are)."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return request(
            self.url + path,
            token=token,
            method="POST",
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def token(self, *scopes: str) -> str:
        """A fresh key holding ``scopes``."""
        return self.shop.keys.create("test caller", scopes)[1]


def request(
    url: str,
    *,
    token: str | None = None,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """The answer whatever its status: JSON bodies decoded, others (metrics) as text."""
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=sent, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return Answer(response.status, dict(response.headers), _decoded(response))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, dict(exc.headers), _decoded(exc))


def _decoded(response: Any) -> Any:
    raw = response.read()
    media = response.headers.get("Content-Type", "").split(";")[0].strip()
    if media in ("application/json", "application/problem+json"):
        return json.loads(raw)
    return raw.decode()


@pytest.fixture(scope="package")
def trained_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedShop]:
    settings = replace(
        isolated_settings(tmp_path_factory.mktemp("api-shop")),
        api_port=free_port(),
        metrics_token=METRICS_TOKEN,
    )
    sessions = generate_and_train(settings, seed=5, customers=250, products=60, days=240)
    with sessions() as s:
        best = s.scalar(
            select(Order.customer_id)
            .where(Order.customer_id.is_not(None))
            .group_by(Order.customer_id)
            .order_by(func.count(Order.id).desc(), Order.customer_id)
            .limit(1)
        )
    assert best is not None
    unscored = add_customer(sessions, email="signed-up-after-training@example.com")
    yield TrainedShop(settings, sessions, best, unscored)
    sessions.kw["bind"].dispose()


@pytest.fixture(scope="package")
def api(trained_shop: TrainedShop) -> Iterator[RunningApi]:
    stack = Stack(trained_shop.settings, services=("api",))
    stack.start(timeout=120)
    try:
        yield RunningApi(
            trained_shop.settings.api_url, trained_shop, stack.services["api"].log_path
        )
    finally:
        stack.stop()
