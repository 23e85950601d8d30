"""Runs the Rasa-side unit tests (tests/rasa_side) inside .venv-rasa, where Rasa lives.

The custom components and the spaCy builder import Rasa, TensorFlow and spaCy, which exist
only in the Python 3.10 Rasa environment; this test starts that environment's pytest and
fails with its output when any of those tests fails.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from concierge.settings import ROOT

pytestmark = pytest.mark.rasa

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


# Rasa training and two TensorFlow model loads: ~3 minutes on a quiet machine, up to 8 when
# the two cores are shared.
@pytest.mark.timeout(1800)
def test_rasa_side_component_tests_pass_in_the_rasa_environment(tmp_path):
    assert RASA_PYTHON.is_file(), f"no Rasa environment at {RASA_PYTHON.parent.parent}"
    has_pytest = subprocess.run([str(RASA_PYTHON), "-c", "import pytest"], capture_output=True)
    assert has_pytest.returncode == 0, (
        "pytest is missing from .venv-rasa: install bot/requirements.txt there"
    )
    result = subprocess.run(
        [
            str(RASA_PYTHON),
            "-m",
            "pytest",
            "tests/rasa_side",
            "-q",
            "-p",
            "no:cacheprovider",
            # The repository's top conftest imports main-environment code (Python 3.11).
            "--confcutdir",
            "tests/rasa_side",
            "--basetemp",
            str(tmp_path / "rasa_side"),
            "-W",
            "ignore::pytest.PytestConfigWarning",
            "-W",
            "ignore::DeprecationWarning",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1700,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", SQLALCHEMY_SILENCE_UBER_WARNING="1"),
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 30, summary
