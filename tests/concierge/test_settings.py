"""Settings: a configuration mistake stops start-up with a message, never a traceback."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from concierge.settings import ROOT, SECRET_VARIABLES, Settings, SettingsError

# Every variable a person sets to configure the main environment: settings.py reads each
# one; the README's configuration table is where a newcomer looks for them.
SETTINGS_FILE = ROOT / "concierge" / "settings.py"
README = ROOT / "README.md"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _variables_settings_reads():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("url", ["postgres:/oops", "nonsense", "postgres://u@db/concierge"])
@pytest.mark.parametrize("variable", ["CONCIERGE_DB_URL", "CONCIERGE_TRACKER_DB_URL"])
def test_a_database_url_sqlalchemy_cannot_open_names_the_variable_and_an_example(
    clean_env: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    clean_env.setenv(variable, url)
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    message = str(raised.value)
    assert variable in message
    assert repr(url) in message
    assert "postgresql+psycopg://" in message and "sqlite:///" in message


@pytest.mark.parametrize("url", ["sqlite:///tmp/x.db", "postgresql+psycopg://u:pw@db/concierge"])
def test_a_well_formed_database_url_is_kept_as_written(
    clean_env: pytest.MonkeyPatch, url: str
) -> None:
    clean_env.setenv("CONCIERGE_DB_URL", url)
    assert Settings.from_env().db_url == url


@pytest.mark.parametrize("value", ["abc", "50.5", "70000", "-1", "0"])
@pytest.mark.parametrize("variable", ["RASA_PORT", "ACTION_PORT", "CONSOLE_PORT"])
def test_a_port_that_is_not_a_port_number_names_the_variable_and_the_range(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    clean_env.setenv(variable, value)
    with pytest.raises(SettingsError, match=rf"{variable} must be a port number from 1 to 65535"):
        Settings.from_env()


def test_the_metrics_port_may_be_zero_to_serve_no_metrics(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ACTION_METRICS_PORT", "0")
    clean_env.setenv("RASA_PORT", " 5006 ")
    settings = Settings.from_env()
    assert (settings.action_metrics_port, settings.rasa_port) == (0, 5006)


# Each command a person starts; each must turn bad configuration into a message and exit 2.
ENTRY_POINTS = [
    ["-m", "concierge.stack"],
    ["-m", "concierge.rasa_cli", "validate"],
    ["-m", "console"],
    ["-m", "store", "stats"],
    ["-m", "store.catalogue_export", "--out", "unused.json"],
    ["-m", "recsys", "train"],
    ["-m", "promotions", "list"],
    ["-m", "actions", "--actions", "actions"],
]


@pytest.mark.parametrize("command", ENTRY_POINTS, ids=lambda c: " ".join(c[1:]))
@pytest.mark.parametrize(
    ("variable", "value"), [("CONCIERGE_DB_URL", "postgres:/oops"), ("RASA_PORT", "abc")]
)
def test_entry_points_stop_with_the_message_and_exit_2_instead_of_a_traceback(
    tmp_path: Path, command: list[str], variable: str, value: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _variables_settings_reads()}
    env.update({variable: value, "CONCIERGE_VAR_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    done = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stderr
    assert f"Concierge cannot start: {variable}" in done.stderr


def test_every_setting_is_used_somewhere_outside_the_settings_module() -> None:
    """A variable nothing reads misleads whoever sets it (CONCIERGE_SESSION_MINUTES did)."""
    sources = "\n".join(
        path.read_text()
        for package in (
            "actions",
            "benchmarks",
            "concierge",
            "console",
            "promotions",
            "recsys",
            "store",
        )
        for path in (ROOT / package).rglob("*.py")
        if path != SETTINGS_FILE
    )
    unused = [f.name for f in fields(Settings) if not re.search(rf"\.{f.name}\b", sources)]
    assert unused == []


def test_the_readme_documents_exactly_the_variables_settings_reads() -> None:
    table = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z_]+)`", table))
    assert documented == _variables_settings_reads()


def _variables_settings_reads() -> set[str]:
    """The names passed to the env readers in settings.py and env_values.py, and the secrets'."""
    calls = [
        node
        for path in (SETTINGS_FILE, SETTINGS_FILE.with_name("env_values.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
    ]
    # The secrets are read in a loop over SECRET_VARIABLES, not one literal per call.
    return set(SECRET_VARIABLES.values()) | {
        node.args[0].value
        for node in calls
        if isinstance(node.func, ast.Name)
        and (node.func.id == "env" or node.func.id.endswith("_env"))
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
