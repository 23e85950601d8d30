"""``python -m api keys create|list|revoke`` from a shell, against the running API."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from store.api_keys import ApiKey
from tests.api.conftest import RunningApi

ROOT = Path(__file__).resolve().parents[2]


def run_api(api: RunningApi, *args: str) -> subprocess.CompletedProcess[str]:
    settings = api.shop.settings
    env = {
        **os.environ,
        "CONCIERGE_VAR_DIR": str(settings.var_dir),
        "CONCIERGE_DB_URL": settings.db_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_created_key_works_is_listed_without_its_secret_and_is_refused_once_revoked(
    api: RunningApi,
) -> None:
    created = run_api(api, "keys", "create", "Newsletter tool", "--scope", "recommendations:read")
    assert created.returncode == 0, created.stderr
    token = next(
        line.removeprefix("key: ")
        for line in created.stdout.splitlines()
        if line.startswith("key: ")
    )
    key_id, secret = token.removeprefix("ck_").split("_", 1)
    assert (
        f"created {key_id} (Newsletter tool) with scope(s) recommendations:read" in created.stdout
    )
    path = f"/v1/customers/{api.shop.customer_id}/recommendations?k=2"
    assert api.get(path, token).status == 200

    listed = run_api(api, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    [line] = [row for row in listed.stdout.splitlines() if row.startswith(key_id)]
    assert line.split("\t")[1:3] == ["Newsletter tool", "recommendations:read"]
    assert line.endswith("active")
    assert secret not in listed.stdout

    revoked = run_api(api, "keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"revoked {key_id} (Newsletter tool)"
    answer = api.get(path, token)
    assert answer.status == 401
    assert "revoked" in answer.body["detail"]
    [line] = [row for row in run_api(api, "keys", "list").stdout.splitlines() if key_id in row]
    assert "\trevoked " in line


def test_the_database_keeps_the_secrets_hash_never_the_secret(api: RunningApi) -> None:
    created = run_api(api, "keys", "create", "CRM", "--scope", "scores:read")
    token = created.stdout.split("key: ", 1)[1].split()[0]
    key_id, secret = token.removeprefix("ck_").split("_", 1)

    with api.shop.sessions() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    assert row is not None and row.scopes == ["scores:read"]
    assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    db_file = Path(api.shop.settings.db_url.removeprefix("sqlite:///"))
    stored = b"".join(
        p.read_bytes()
        for p in db_file.parent.glob(db_file.name + "*")  # the file and its WAL
    )
    assert secret.encode() not in stored
    assert token.encode() not in stored


def test_mistakes_are_named_with_exit_status_2(api: RunningApi) -> None:
    unknown = run_api(api, "keys", "revoke", "0123456789ab")
    assert unknown.returncode == 2
    assert "no API key with id '0123456789ab'" in unknown.stderr
    bad_scope = run_api(api, "keys", "create", "Web", "--scope", "offers:write")
    assert bad_scope.returncode == 2
    assert "invalid choice: 'offers:write'" in bad_scope.stderr
    no_scope = run_api(api, "keys", "create", "Web")
    assert no_scope.returncode == 2 and "--scope" in no_scope.stderr
    blank = run_api(api, "keys", "create", "  ", "--scope", "scores:read")
    assert blank.returncode == 2 and "needs a name" in blank.stderr
    assert "Traceback" not in unknown.stderr + bad_scope.stderr + no_scope.stderr + blank.stderr
