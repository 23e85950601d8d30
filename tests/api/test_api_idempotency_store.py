"""store.api_idempotency: one owner per key, replays of its answer, conflicts and take-overs."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from store.api_idempotency import PENDING, ApiIdempotencyKeys, IdempotencyConflict, Stored
from tests.factories import migrated_store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys(tmp_path: Path, clock: Clock) -> ApiIdempotencyKeys:
    return ApiIdempotencyKeys(migrated_store(tmp_path), clock, stale_after=timedelta(minutes=2))


def test_the_first_claim_owns_the_key_and_its_answer_is_replayed(keys: ApiIdempotencyKeys) -> None:
    assert keys.claim("key1", "idem", "sha-a") is None
    assert keys.claim("key1", "idem", "sha-a") == Stored(PENDING, {})  # still being worked on
    keys.complete("key1", "idem", 200, {"recorded": True, "exposure_id": 7})

    assert keys.claim("key1", "idem", "sha-a") == Stored(200, {"recorded": True, "exposure_id": 7})
    assert keys.stored("key1", "idem") == Stored(200, {"recorded": True, "exposure_id": 7})


def test_the_same_key_with_another_request_is_a_conflict(keys: ApiIdempotencyKeys) -> None:
    assert keys.claim("key1", "idem", "sha-a") is None
    with pytest.raises(IdempotencyConflict):
        keys.claim("key1", "idem", "sha-b")
    assert keys.claim("key2", "idem", "sha-b") is None  # another API key's own key


def test_a_released_claim_can_be_claimed_again_but_an_answer_is_never_released(
    keys: ApiIdempotencyKeys,
) -> None:
    assert keys.claim("key1", "idem", "sha-a") is None
    keys.release("key1", "idem")
    assert keys.stored("key1", "idem") is None
    assert keys.claim("key1", "idem", "sha-a") is None
    keys.complete("key1", "idem", 200, {"n": 1})
    keys.release("key1", "idem")
    assert keys.stored("key1", "idem") == Stored(200, {"n": 1})


def test_a_claim_left_pending_by_a_crash_is_taken_over_once_stale(
    keys: ApiIdempotencyKeys, clock: Clock
) -> None:
    assert keys.claim("key1", "idem", "sha-a") is None
    clock.now += timedelta(minutes=1)
    assert keys.claim("key1", "idem", "sha-a") == Stored(PENDING, {})
    clock.now += timedelta(minutes=2)
    assert keys.claim("key1", "idem", "sha-a") is None  # taken over
    assert keys.claim("key1", "idem", "sha-a") == Stored(PENDING, {})  # by one caller only


def test_answered_keys_older_than_the_cutoff_are_forgotten_pending_ones_kept(
    keys: ApiIdempotencyKeys, clock: Clock
) -> None:
    assert keys.claim("key1", "old", "sha-a") is None
    keys.complete("key1", "old", 200, {"n": 1})
    assert keys.claim("key1", "working", "sha-b") is None
    clock.now += timedelta(days=2)
    assert keys.claim("key1", "new", "sha-c") is None
    keys.complete("key1", "new", 200, {"n": 2})

    assert keys.forget_before(clock.now - timedelta(days=1)) == 1
    assert keys.stored("key1", "old") is None
    assert keys.stored("key1", "working") == Stored(PENDING, {})
    assert keys.stored("key1", "new") == Stored(200, {"n": 2})
