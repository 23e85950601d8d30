"""store.api_keys: keys are checked by their hashed secret, scoped, and revocable."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from store.api_keys import ApiKeyError, ApiKeys
from tests.factories import migrated_store


@pytest.fixture
def keys(tmp_path: Path) -> ApiKeys:
    clock = iter(datetime(2026, 12, 6, 9, 0) + timedelta(minutes=n) for n in range(100))
    return ApiKeys(migrated_store(tmp_path), clock=lambda: next(clock))


def test_a_token_authenticates_as_its_key_with_its_scopes(keys: ApiKeys) -> None:
    key, token = keys.create("  Newsletter   tool ", ["scores:read", "recommendations:read"])
    found = keys.authenticate(token)
    assert found == key
    assert found.name == "Newsletter tool"
    assert found.scopes == ("recommendations:read", "scores:read")
    assert token.startswith(f"ck_{key.key_id}_")


def test_a_wrong_secret_another_keys_id_or_garbage_authenticates_nobody(keys: ApiKeys) -> None:
    first, first_token = keys.create("A", ["scores:read"])
    second, second_token = keys.create("B", ["scores:read"])
    first_secret = first_token.split("_", 2)[2]
    assert keys.authenticate(f"ck_{second.key_id}_{first_secret}") is None
    assert keys.authenticate(first_token[:-1] + ("A" if first_token[-1] != "A" else "B")) is None
    for garbage in ("", "ck_", "Bearer " + first_token, first_token + "\0", "x" * 500):
        assert keys.authenticate(garbage) is None
    assert keys.authenticate(second_token) == second


def test_revoking_is_immediate_and_idempotent(keys: ApiKeys) -> None:
    key, token = keys.create("A", ["scores:read"])
    revoked = keys.revoke(key.key_id)
    again = keys.revoke(key.key_id.upper())
    assert revoked.revoked_at is not None and not revoked.active
    assert again.revoked_at == revoked.revoked_at
    assert keys.authenticate(token) is None
    assert [k.active for k in keys.list()] == [False]


def test_keys_need_a_name_and_a_scope(keys: ApiKeys) -> None:
    with pytest.raises(ApiKeyError, match="needs a name"):
        keys.create(" ", ["scores:read"])
    with pytest.raises(ApiKeyError, match="needs a name"):
        keys.create("x" * 101, ["scores:read"])
    with pytest.raises(ApiKeyError, match="at least one scope"):
        keys.create("A", [])
    with pytest.raises(ApiKeyError, match="no API key"):
        keys.revoke("nope")
    assert keys.list() == []
