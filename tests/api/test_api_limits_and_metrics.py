"""Per-key rate limits (in memory, in a real Redis, on the real process) and ``/metrics``."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api.rate_limits import RedisTokenBuckets, TokenBuckets
from concierge.engines import RedisServer, missing_engines
from concierge.settings import Settings, SettingsError
from concierge.stack import Stack
from tests.api.conftest import METRICS_TOKEN, RunningApi, TrainedShop, request
from tests.api.test_api_calls import assert_problem
from tests.support.servers import free_port

SCORES = "scores:read"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def takes(buckets: TokenBuckets, key_id: str, n: int) -> list[float]:
    async def run() -> list[float]:
        return [await buckets.take(key_id) for _ in range(n)]

    return asyncio.run(run())


def test_a_bucket_allows_its_burst_then_one_call_per_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)

    assert takes(buckets, "k1", 4) == [0, 0, 0, pytest.approx(1.0)]
    assert takes(buckets, "k2", 1) == [0]  # every key has its own bucket
    clock.now += 0.5
    assert takes(buckets, "k1", 1) == [pytest.approx(0.5)]  # refused calls spend nothing
    clock.now += 0.5
    assert takes(buckets, "k1", 2) == [0, pytest.approx(1.0)]
    clock.now += 3600  # a long pause refills to the burst, not beyond
    assert takes(buckets, "k1", 4)[:3] == [0, 0, 0] and takes(buckets, "k1", 1)[0] > 0


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if "redis-server" in missing_engines():
        pytest.skip("redis-server is not installed (bash scripts/setup.sh --engines)")
    with RedisServer(tmp_path / "redis") as server:
        yield server.url


def test_api_processes_share_one_bucket_per_key_in_redis(redis_url: str) -> None:
    clock = Clock()

    async def run() -> list[float]:
        first = RedisTokenBuckets(redis_url, per_minute=60, burst=2, clock=clock)
        second = RedisTokenBuckets(redis_url, per_minute=60, burst=2, clock=clock)
        try:
            waits = [await first.take("k1"), await second.take("k1"), await second.take("k1")]
            waits.append(await first.take("k2"))
            clock.now += 1.0
            waits.append(await first.take("k1"))
            return waits
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(run()) == [0, 0, pytest.approx(1.0), 0, 0]


def test_without_redis_the_limit_still_holds_in_this_process() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    async def run() -> list[float]:
        buckets = RedisTokenBuckets(url, per_minute=60, burst=2, clock=Clock())
        try:
            return [await buckets.take("k1") for _ in range(3)]
        finally:
            await buckets.close()

    assert asyncio.run(run()) == [0, 0, pytest.approx(1.0)]


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_a_rate_setting_that_cannot_work_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("API_RATE_BURST", value)
    with pytest.raises(SettingsError, match=rf"API_RATE_BURST must be .* got '{value}'"):
        Settings.from_env()


@pytest.fixture(scope="module")
def limited_api(trained_shop: TrainedShop) -> Iterator[RunningApi]:
    """A second API process on the same shop, allowing two calls and then one a minute."""
    settings = replace(
        trained_shop.settings,
        api_port=free_port(),
        api_rate_per_minute=1,
        api_rate_burst=2,
        instance_name="limited",  # its own log file
    )
    stack = Stack(settings, services=("api",))
    stack.start(timeout=120)
    try:
        yield RunningApi(settings.api_url, trained_shop, stack.services["api"].log_path)
    finally:
        stack.stop()


def test_a_key_over_its_limit_gets_429_with_retry_after_and_others_do_not(
    limited_api: RunningApi,
) -> None:
    api = limited_api
    token, other = api.token(SCORES), api.token(SCORES)
    path = f"/v1/customers/{api.shop.customer_id}/propensity"

    assert [api.get(path, token).status for _ in range(2)] == [200, 200]
    refused = api.get(path, token)
    assert_problem(refused, 429, "rate-limited")
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
    assert api.get(path, other).status == 200

    # Calls outside the key's scope spend its tokens too: probing is throttled as well.
    prober = api.token("recommendations:read")
    assert [api.get(path, prober).status for _ in range(3)] == [403, 403, 429]

    scraped = api.get("/metrics", METRICS_TOKEN).body
    key_id = token.split("_")[1]
    assert f'concierge_api_rate_limited_total{{key_id="{key_id}"}} 1.0' in scraped
    assert re.search(
        r'concierge_api_requests_total\{method="GET",'
        r'route="/v1/customers/\{customer_id\}/propensity",status="429"\} 2\.0',
        scraped,
    )


def test_metrics_need_the_metrics_token(api: RunningApi) -> None:
    for token in (None, "wrong", api.token(SCORES)):  # an API key is not the metrics token
        answer = api.get("/metrics", token)
        assert_problem(answer, 401, "unauthorized")
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_count_calls_by_route_and_status_without_ids_or_secrets(api: RunningApi) -> None:
    token = api.token(SCORES)
    customer = api.shop.customer_id
    assert api.get(f"/v1/customers/{customer}/propensity", token).status == 200
    assert api.get("/v1/customers/987654/propensity", token).status == 404

    answer = request(api.url + "/metrics", token=METRICS_TOKEN)
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    text = answer.body
    route = 'route="/v1/customers/{customer_id}/propensity"'
    for status in ("200", "404"):
        assert re.search(
            rf'concierge_api_requests_total\{{method="GET",{re.escape(route)},'
            rf'status="{status}"\}} [1-9]',
            text,
        )
    assert re.search(rf"concierge_api_request_seconds_bucket\{{le=\"0.5\",{re.escape(route)}\}}",
                     text)  # fmt: skip
    assert f"/customers/{customer}/" not in text and "987654" not in text
    assert token.split("_", 2)[2] not in text
    assert METRICS_TOKEN not in text


def test_two_api_processes_on_one_redis_share_each_keys_bucket(
    trained_shop: TrainedShop, redis_url: str
) -> None:
    stacks = []
    try:
        for name in ("shared-a", "shared-b"):
            settings = replace(
                trained_shop.settings,
                api_port=free_port(),
                api_rate_per_minute=1,
                api_rate_burst=2,
                redis_url=redis_url,
                instance_name=name,
            )
            stack = Stack(settings, services=("api",))
            stacks.append(stack)
            stack.start(timeout=120)
        first, second = (
            RunningApi(s.settings.api_url, trained_shop, s.services["api"].log_path) for s in stacks
        )
        token = first.token(SCORES)
        path = f"/v1/customers/{trained_shop.customer_id}/propensity"

        assert [first.get(path, token).status, second.get(path, token).status] == [200, 200]
        assert_problem(first.get(path, token), 429, "rate-limited")
        assert_problem(second.get(path, token), 429, "rate-limited")
    finally:
        for stack in stacks:
            stack.stop()
