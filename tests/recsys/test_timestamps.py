"""Timestamps read as the CSV writes them: ISO dates or Unix time in any unit, detected;
a bad column is named with its first bad value."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from recsys.interactions import DataError, read_interactions_csv, read_timestamps

SECONDS = [881250949, 891717742, 878887116]  # MovieLens-style Unix seconds (1997–98)
EXPECTED = pd.to_datetime(["1997-12-04 15:55:49", "1998-04-04 19:22:22", "1997-11-07 07:18:36"])


@pytest.mark.parametrize(
    ("scale", "said"),
    [(1, "Unix seconds"), (1_000, "Unix milliseconds"), (1_000_000, "Unix microseconds")],
)
def test_unix_times_are_read_in_the_unit_their_size_says(scale: int, said: str) -> None:
    times, how = read_timestamps(pd.Series([s * scale for s in SECONDS], name="timestamp"))
    assert how == said
    assert list(times) == list(EXPECTED)


def test_iso_dates_with_and_without_offsets_are_read_as_utc() -> None:
    column = pd.Series(["2024-03-01", "2024-03-01T12:30:00+02:00", "2024-03-02 08:00"])
    times, how = read_timestamps(column.rename("timestamp"))
    assert how == "ISO dates"
    assert list(times) == list(
        pd.to_datetime(["2024-03-01 00:00", "2024-03-01 10:30", "2024-03-02 08:00"])
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["2024-03-01", "yesterday"], "column 'when': unreadable timestamp 'yesterday' (row 2)"),
        ([881250949, -5], "column 'when': -5 (row 2) is not a Unix time"),
        ([881250949.0, np.nan], "column 'when': nan (row 2) is not a Unix time"),
        ([True, False], "column 'when' holds true/false values"),
    ],
)
def test_a_bad_column_is_refused_by_name_with_its_first_bad_value(values, message) -> None:
    with pytest.raises(DataError) as refused:
        read_timestamps(pd.Series(values, name="when"))
    assert message in str(refused.value)


def test_a_csv_of_unix_seconds_says_how_it_was_read(tmp_path, caplog) -> None:
    path = tmp_path / "ratings.csv"
    pd.DataFrame({"user": ["1", "2", "1"], "item": ["a", "b", "c"], "timestamp": SECONDS}).to_csv(
        path, index=False
    )
    with caplog.at_level(logging.INFO, logger="recsys.interactions"):
        data = read_interactions_csv(path)
    assert "ratings.csv: timestamps read as Unix seconds" in caplog.text
    assert data.timestamps.dtype == np.dtype("datetime64[s]")
    assert list(data.timestamps) == list(EXPECTED.to_numpy().astype("datetime64[s]"))
