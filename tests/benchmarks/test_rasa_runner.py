"""The harness's Rasa runner: a training that overruns its limit fails with a clear message."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.intents.__main__ import main
from benchmarks.intents.rasa_runner import RasaEnvironment, RasaRunError, train_nlu


def fake_rasa_venv(tmp_path: Path, seconds: float) -> Path:
    """A venv whose `rasa` only sleeps, standing in for a training that takes too long."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    rasa = venv / "bin" / "rasa"
    rasa.write_text(f"#!{sys.executable}\nimport time\ntime.sleep({seconds})\n")
    rasa.chmod(0o755)
    return venv


def test_an_overrunning_training_is_stopped_with_a_message_naming_the_option(tmp_path):
    env = RasaEnvironment(fake_rasa_venv(tmp_path, 30), train_timeout=0.5)
    with pytest.raises(RasaRunError, match=r"did not finish within 0 s.*--train-timeout"):
        train_nlu(env, tmp_path / "config.yml", tmp_path / "nlu.yml", tmp_path / "out", "m")


def test_the_default_limit_leaves_room_for_rasas_default_pipeline_on_banking77():
    # ~100 epochs of ~70 s on two quiet cores, more when they are shared.
    assert RasaEnvironment().train_timeout >= 4 * 3600


def test_the_command_line_passes_the_limit_on(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    rows = "text,category\n" + "".join(
        f"message number {i} about {c},{c}\n" for i in range(6) for c in ("a", "b")
    )
    (data / "train.csv").write_text(rows)
    (data / "test.csv").write_text(rows)
    venv = fake_rasa_venv(tmp_path, 30)
    code = main(
        [
            "--data",
            str(data),
            "--rasa-venv",
            str(venv),
            "--train-timeout",
            "0.5",
            "--out",
            str(tmp_path / "work"),
        ]
    )
    assert code != 0
    assert "--train-timeout" in capsys.readouterr().err
