"""The API latency benchmark runs end to end on a small generated, really trained shop."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.api_latency import main
from store.api_keys import ApiKeys
from tests.support.servers import isolated_settings
from tests.support.trained_shop import generate_and_train


def test_benchmark_times_every_call_over_http_and_in_process_and_revokes_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = isolated_settings(tmp_path / "shop")
    sessions = generate_and_train(settings, seed=3, customers=80, products=30, days=120)

    status = main(
        ["--requests", "20", "--clients", "1,3", "--db-url", settings.db_url]
        + ["--artifacts", str(settings.artifacts_dir)]
    )

    assert status == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].startswith("| call | clients | HTTP p50 ms")
    cells = [row.split(" | ") for row in rows[1:]]
    assert [(c[0], c[1]) for c in cells] == [
        ("| recommendations (k=10)", "1"),
        ("| recommendations (k=10)", "3"),
        ("| propensity", "1"),
        ("| propensity", "3"),
        ("| offer decision (record: false)", "1"),
        ("| offer decision (record: false)", "3"),
    ]
    for row in cells:
        http_p50, http_p95, direct_p50, direct_p95 = (float(v) for v in row[2:6])
        assert 0 < http_p50 <= http_p95 and 0 < direct_p50 <= direct_p95
        assert row[6].endswith("x") and row[7].removesuffix(" |").endswith("x")
    assert [k.active for k in ApiKeys(sessions).list()] == [False]  # revoked when done
    sessions.kw["bind"].dispose()
