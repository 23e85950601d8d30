"""The Redis throttle, chat-start limit and replay guard keep the in-memory ones' semantics.

Each behaviour runs against both implementations (the in-memory one and the Redis one on a
real redis-server), with the same fake clock; what only Redis can show (two instances
counting together, a burst from two processes) has its own tests below.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from console.chat.identity import ReplayGuard
from console.chat.start_guard import StartLimiter
from console.shared.limits import RedisReplayGuard, RedisSignInThrottle, RedisStartLimiter
from console.shared.redis_client import sync_client
from console.staff.sign_in_throttle import SignInThrottle

pytestmark = pytest.mark.engines


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    made = sync_client(redis_url)
    yield made
    made.close()


@pytest.fixture(params=["memory", "redis"])
def make_throttle(
    request: pytest.FixtureRequest, client: redis.Redis
) -> Callable[..., SignInThrottle]:
    if request.param == "memory":
        return SignInThrottle
    return lambda **kw: RedisSignInThrottle(client, **kw)


@pytest.fixture(params=["memory", "redis"])
def make_limiter(
    request: pytest.FixtureRequest, client: redis.Redis
) -> Callable[..., StartLimiter]:
    if request.param == "memory":
        return StartLimiter
    return lambda **kw: RedisStartLimiter(client, **kw)


def test_three_failures_are_free_then_the_wait_doubles(
    make_throttle: Callable[..., SignInThrottle],
) -> None:
    clock = Clock()
    throttle = make_throttle(free_failures=3, base_wait_seconds=2.0, clock=clock)

    for _ in range(2):
        throttle.failed("email:sam")
        assert throttle.wait_seconds("email:sam") == 0.0
    throttle.failed("email:sam")
    assert throttle.wait_seconds("email:sam") == 2.0
    throttle.failed("email:sam")
    assert throttle.wait_seconds("email:sam") == 4.0
    clock.now += 3.0
    assert throttle.wait_seconds("email:sam") == 1.0
    clock.now += 1.0
    assert throttle.wait_seconds("email:sam") == 0.0


def test_wait_counts_the_worst_of_email_and_address(
    make_throttle: Callable[..., SignInThrottle],
) -> None:
    throttle = make_throttle(free_failures=1, base_wait_seconds=5.0, clock=Clock())

    throttle.failed("ip:10.0.0.1")

    assert throttle.wait_seconds("email:other", "ip:10.0.0.1") == 5.0
    assert throttle.wait_seconds("email:other", "ip:10.0.0.2") == 0.0


def test_success_forgets_the_failures(make_throttle: Callable[..., SignInThrottle]) -> None:
    throttle = make_throttle(free_failures=1, base_wait_seconds=5.0, clock=Clock())
    throttle.failed("email:sam")

    throttle.succeeded("email:sam")

    assert throttle.wait_seconds("email:sam") == 0.0


def test_an_attempt_is_counted_before_its_password_is_checked(
    make_throttle: Callable[..., SignInThrottle],
) -> None:
    throttle = make_throttle(free_failures=3, base_wait_seconds=5.0, clock=Clock())

    admitted = [throttle.reserve("email:sam", "ip:10.0.0.1") for _ in range(10)]

    assert admitted == [True, True, True] + [False] * 7
    assert throttle.wait_seconds("email:sam") == 5.0


def test_a_released_reservation_is_given_back(make_throttle: Callable[..., SignInThrottle]) -> None:
    throttle = make_throttle(free_failures=2, base_wait_seconds=5.0, clock=Clock())
    assert throttle.reserve("email:sam") and throttle.reserve("email:sam")

    throttle.release("email:sam")

    assert throttle.reserve("email:sam")
    assert not throttle.reserve("email:sam")


def test_failures_older_than_an_hour_are_forgotten(
    make_throttle: Callable[..., SignInThrottle],
) -> None:
    clock = Clock()
    throttle = make_throttle(free_failures=2, base_wait_seconds=5.0, clock=clock)
    throttle.failed("email:sam")
    throttle.failed("email:sam")
    clock.now += 3601

    throttle.failed("email:sam")

    assert throttle.wait_seconds("email:sam") == 0.0


def test_two_instances_count_the_same_failures(client: redis.Redis) -> None:
    clock = Clock()
    on_a = RedisSignInThrottle(client, free_failures=3, base_wait_seconds=60.0, clock=clock)
    other = sync_client(_url(client))
    on_b = RedisSignInThrottle(other, free_failures=3, base_wait_seconds=60.0, clock=clock)

    assert on_a.reserve("email:sam") and on_b.reserve("email:sam") and on_a.reserve("email:sam")

    assert not on_b.reserve("email:sam")
    assert on_b.wait_seconds("email:sam") == 60.0
    other.close()


def test_a_parallel_burst_across_instances_gets_only_the_free_attempts(redis_url: str) -> None:
    clients = [sync_client(redis_url) for _ in range(4)]
    throttles = [RedisSignInThrottle(c, free_failures=3, base_wait_seconds=60.0) for c in clients]

    with ThreadPoolExecutor(8) as pool:
        admitted = list(
            pool.map(lambda i: throttles[i % 4].reserve("email:sam", "ip:10.0.0.9"), range(40))
        )

    assert admitted.count(True) == 3
    for made in clients:
        made.close()


def test_email_addresses_are_not_written_into_redis_keys(client: redis.Redis) -> None:
    RedisSignInThrottle(client).failed("email:sam@shop.example")

    keys = client.keys("*")
    assert keys and not any("sam" in str(key) for key in keys)


def test_chat_starts_slide_out_of_the_window(make_limiter: Callable[..., StartLimiter]) -> None:
    clock = Clock()
    limiter = make_limiter(max_starts=3, window_seconds=60.0, clock=clock)

    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("10.0.0.2")
    clock.now += 30
    assert not limiter.allow("10.0.0.1")
    clock.now += 30.5
    assert limiter.allow("10.0.0.1")


def test_two_instances_share_one_chat_start_window(redis_url: str) -> None:
    clock = Clock()
    a, b = (sync_client(redis_url) for _ in range(2))
    on_a = RedisStartLimiter(a, max_starts=4, clock=clock)
    on_b = RedisStartLimiter(b, max_starts=4, clock=clock)

    allowed = [(on_a if i % 2 else on_b).allow("10.0.0.1") for i in range(6)]

    assert allowed == [True] * 4 + [False] * 2
    a.close()
    b.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_a_token_id_is_used_once_until_its_window_ends(kind: str, client: redis.Redis) -> None:
    now = time.time()
    guard = ReplayGuard() if kind == "memory" else RedisReplayGuard(client)

    assert guard.first_use("token-one-0001", now + 0.5)
    assert not guard.first_use("token-one-0001", now + 0.5)
    assert guard.first_use("token-two-0002", now + 0.5)
    time.sleep(0.7)
    assert guard.first_use("token-one-0001", time.time() + 5)


def test_a_token_used_on_one_instance_is_a_replay_on_another(redis_url: str) -> None:
    a, b = sync_client(redis_url), sync_client(redis_url)
    forget_after = time.time() + 60

    assert RedisReplayGuard(a).first_use("shared-token-01", forget_after)
    assert not RedisReplayGuard(b).first_use("shared-token-01", forget_after)
    a.close()
    b.close()


def _url(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"
