"""Sticky assignment: a stable SHA-256 hash of customer and campaign."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter

from promotions.assignment import CONTROL, assign_arm, in_global_holdout, unit_interval


def test_unit_interval_is_the_first_eight_bytes_of_sha256() -> None:
    digest = hashlib.sha256(b"campaign:spring|42").digest()
    assert unit_interval(42, "campaign:spring") == int.from_bytes(digest[:8], "big") / 2**64


def test_assignment_is_the_same_in_processes_with_different_hash_seeds() -> None:
    code = (
        "from promotions.assignment import assign_arm;"
        "print([assign_arm(c, 'spring', 0.2, [('a', 1), ('b', 1)]) for c in range(50)])"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    here = [assign_arm(c, "spring", 0.2, [("a", 1), ("b", 1)]) for c in range(50)]
    assert outputs.pop().strip() == str(here)


def test_split_follows_control_share_and_weights() -> None:
    counts = Counter(assign_arm(c, "spring", 0.2, [("a", 3), ("b", 1)]) for c in range(20_000))
    assert abs(counts[CONTROL] / 20_000 - 0.20) < 0.015
    assert abs(counts["a"] / 20_000 - 0.60) < 0.015
    assert abs(counts["b"] / 20_000 - 0.20) < 0.015


def test_zero_weight_variant_gets_nobody_and_campaigns_split_independently() -> None:
    arms = [assign_arm(c, "spring", 0.5, [("a", 1), ("off", 0)]) for c in range(2000)]
    assert "off" not in arms
    other = [assign_arm(c, "autumn", 0.5, [("a", 1), ("off", 0)]) for c in range(2000)]
    assert arms != other  # a customer in one campaign's control is not in every control


def test_global_holdout_takes_its_share() -> None:
    held = sum(in_global_holdout(c, 0.05) for c in range(20_000))
    assert abs(held / 20_000 - 0.05) < 0.006
