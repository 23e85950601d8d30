"""Drives the Rasa environment through files and subprocesses: train NLU, parse messages.

The main environment never imports Rasa; it writes configs and data to a work folder, runs
``rasa train nlu`` and ``rasa_parse.py`` with the Rasa environment's interpreter, and reads
JSON back.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from concierge.settings import ROOT

PARSE_SCRIPT = Path(__file__).resolve().parent / "rasa_parse.py"
DEFAULT_RASA_VENV = ROOT / ".venv-rasa"


class RasaRunError(RuntimeError):
    """A Rasa subprocess failed; the message carries the end of its output."""


@dataclass(frozen=True)
class RasaEnvironment:
    """Where the Rasa virtual environment lives and how politely to use the CPU."""

    venv: Path = DEFAULT_RASA_VENV
    nice: int = 0
    # Rasa's default pipeline needs ~2 h on BANKING77 on two quiet cores (100 DIET epochs
    # of ~70 s), longer when the cores are shared: a 2 h limit killed it at epoch ~75.
    train_timeout: float = 8 * 3600

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def rasa(self) -> Path:
        return self.venv / "bin" / "rasa"

    def check(self) -> None:
        """Fails with a clear message when the environment is not usable."""
        if not self.rasa.is_file():
            raise RasaRunError(
                f"no Rasa installation at {self.venv} ({self.rasa} is missing); run "
                "`make setup` or pass --rasa-venv with a Rasa 3.6 environment"
            )

    def command(self, *args: str | Path, polite: bool = True) -> list[str]:
        prefix = ["nice", "-n", str(self.nice)] if self.nice and polite else []
        return [*prefix, *(str(arg) for arg in args)]


def prepare_config(source: Path, target: Path, epochs: int | None = None) -> tuple[Path, list[str]]:
    """Copies a Rasa config for a CSV data set; returns the copy and what was changed.

    Rasa writes an assistant_id into configs lacking one, so the original is never used.
    Entity-only DIET components are dropped: CSV data has no entities, and DIET with
    nothing to learn fails. With ``epochs``, every ``epochs`` setting is replaced.
    """
    source = Path(source)
    if not source.is_file():
        raise FileNotFoundError(f"no Rasa config at {source}")
    config: dict[str, Any] = yaml.safe_load(source.read_text()) or {}
    if not config.get("pipeline"):
        raise ValueError(f"{source} has no NLU pipeline")
    config.setdefault("assistant_id", "intent-benchmark")
    notes = []
    kept = []
    for component in config["pipeline"]:
        if (
            component.get("name") == "DIETClassifier"
            and component.get("intent_classification", True) is False
        ):
            notes.append("dropped the entity-only DIETClassifier (the data has no entities)")
            continue
        if epochs is not None and (
            "epochs" in component or component.get("name") in _EPOCH_COMPONENTS
        ):
            component["epochs"] = epochs
        kept.append(component)
    config["pipeline"] = kept
    if epochs is not None:
        notes.append(f"epochs overridden to {epochs}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target, notes


# Components that train for a number of epochs even when the config leaves it at default.
_EPOCH_COMPONENTS = {"DIETClassifier", "ResponseSelector"}


def train_nlu(
    env: RasaEnvironment,
    config: Path,
    nlu_file: Path,
    out_dir: Path,
    name: str,
    timeout: float | None = None,
) -> tuple[Path, float]:
    """Runs ``rasa train nlu``; returns the model archive and the wall-clock seconds."""
    env.check()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = _run(
        env.command(
            env.rasa,
            "train",
            "nlu",
            "--config",
            config,
            "--nlu",
            nlu_file,
            "--out",
            out_dir,
            "--fixed-model-name",
            name,
        ),
        env.train_timeout if timeout is None else timeout,
    )
    seconds = time.perf_counter() - started
    model = out_dir / f"{name}.tar.gz"
    if result.returncode != 0 or not model.is_file():
        raise RasaRunError(
            f"`rasa train nlu` with {config} failed (exit {result.returncode}):\n" + _tail(result)
        )
    return model, seconds


def parse(
    env: RasaEnvironment,
    model: Path,
    texts: list[str],
    work_dir: Path,
    tag: str,
    timeout: float = 3600,
) -> dict[str, Any]:
    """Parses every text with the model in the Rasa environment; returns rasa_parse.py's JSON."""
    env.check()
    texts_file = work_dir / f"{tag}-texts.json"
    out_file = work_dir / f"{tag}-parsed.json"
    texts_file.write_text(json.dumps(texts))
    # Timed parsing runs at normal priority: under nice, the latency measured would be the
    # scheduler's treatment of a low-priority process on a shared machine.
    result = _run(
        env.command(env.python, PARSE_SCRIPT, model, texts_file, out_file, polite=False),
        timeout,
    )
    if result.returncode != 0 or not out_file.is_file():
        raise RasaRunError(
            f"parsing with {model} failed (exit {result.returncode}):\n" + _tail(result)
        )
    return json.loads(out_file.read_text())


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    # Rasa imports custom components (bot.components...) relative to the project root.
    env = dict(
        os.environ,
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        # No crash reports or usage data leave the machine.
        RASA_TELEMETRY_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    try:
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise RasaRunError(
            f"`{' '.join(command[:6])} ...` did not finish within {timeout:,.0f} s and was "
            "stopped; give it longer with --train-timeout (seconds)"
        ) from exc


def _tail(result: subprocess.CompletedProcess[str], chars: int = 3000) -> str:
    return (result.stdout[-chars:] + "\n" + result.stderr[-chars:]).strip()
