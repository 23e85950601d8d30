"""``python -m recsys evaluate`` on a generic CSV file: table, report and plots; clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from concierge.settings import ROOT
from recsys.interactions import DataError, random_split, read_interactions_csv
from tests.recsys.conftest import planted_pairs


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONCIERGE_VAR_DIR": str(tmp_path / "var"), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "recsys", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture
def csv_file(tmp_path):
    frame = planted_pairs(n_users=200).to_frame()[["user", "item", "timestamp", "weight"]]
    path = tmp_path / "interactions.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("split", ["temporal", "random"])
def test_evaluate_on_a_csv_prints_every_model_and_writes_a_report(tmp_path, csv_file, split):
    result = _run(
        tmp_path, "evaluate", "--source", "csv", str(csv_file), "--split", split, "--no-tune"
    )
    assert result.returncode == 0, result.stderr
    for model in ("popularity", "item_knn", "als", "ease", "hybrid"):
        assert model in result.stdout
    report = tmp_path / "var" / "reports" / f"evaluate-csv-{split}.md"
    assert report.exists()
    assert "| hybrid | new |" in report.read_text()
    assert (
        tmp_path / "var" / "reports" / f"evaluate-csv-{split}_ndcg_at_k.png"
    ).stat().st_size > 1000


def test_a_csv_of_unix_seconds_is_split_in_time_and_says_how_it_was_read(tmp_path):
    # Unix seconds used to be read as nanoseconds: every row fell in January 1970 and the
    # temporal split found an empty period.
    frame = planted_pairs(n_users=200).to_frame()[["user", "item", "timestamp"]]
    frame["timestamp"] = frame["timestamp"].astype("datetime64[s]").astype("int64")
    path = tmp_path / "unix.csv"
    frame.to_csv(path, index=False)
    result = _run(tmp_path, "evaluate", "--source", "csv", str(path), "--split", "temporal",
                  "--no-tune")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "unix.csv: timestamps read as Unix seconds" in result.stderr
    assert "1970" not in result.stdout + result.stderr


def test_evaluate_names_a_missing_file(tmp_path):
    result = _run(tmp_path, "evaluate", "--source", "csv", str(tmp_path / "nope.csv"))
    assert result.returncode == 2
    assert "nope.csv does not exist" in result.stderr


def test_csv_without_a_timestamp_column_is_refused_by_name(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("user,item\n1,2\n")
    with pytest.raises(DataError, match="timestamp"):
        read_interactions_csv(path)


def test_random_split_holds_out_whole_user_item_pairs(csv_file):
    data = read_interactions_csv(csv_file)
    split = random_split(data, test_fraction=0.3, seed=1)
    train_pairs = set(zip(split.train.users.tolist(), split.train.items.tolist(), strict=True))
    test_pairs = set(zip(split.test.users.tolist(), split.test.items.tolist(), strict=True))
    assert test_pairs and not (train_pairs & test_pairs)
    assert len(split.train) + len(split.test) == len(data)
    assert np.isin(np.unique(split.test.users), np.unique(split.train.users)).all()
