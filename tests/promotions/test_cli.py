"""`python -m promotions` on a real SQLite file: every command, and clear errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from promotions.assignment import assign_arm, in_global_holdout
from promotions.cli import main
from promotions.files import SAMPLE_DIR
from tests.factories import add_customer, add_order, migrated_store, sqlite_url
from tests.promotions.conftest import NOW

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(str(p) for p in SAMPLE_DIR.glob("*.yml"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A migrated shop database with one lapsed, consenting customer (id returned in the URL's file)."""
    sessions = migrated_store(tmp_path)
    lapsed = add_customer(sessions, first_name="Lena", marketing_consent=True)
    add_order(sessions, customer_id=lapsed, placed_at=NOW - timedelta(days=90))
    add_customer(sessions, first_name="Nora", marketing_consent=False)
    sessions.kw["bind"].dispose()
    return sqlite_url(tmp_path)


def test_module_entry_point_validates_and_lists_with_the_settings_database(
    db: str, tmp_path: Path
) -> None:
    env = {**os.environ, "CONCIERGE_DB_URL": db, "CONCIERGE_VAR_DIR": str(tmp_path / "var")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "promotions", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    validated = cli("validate", *SAMPLES)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.count(": OK") == len(SAMPLES)
    imported = cli("import", *SAMPLES)
    assert imported.returncode == 0, imported.stderr
    listed = cli("list")
    assert listed.returncode == 0
    assert "welcome-back" in listed.stdout and "hold-out 5%" in listed.stdout


def test_validate_reports_a_broken_rule_with_its_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yml"
    data = yaml.safe_load((SAMPLE_DIR / "welcome-back.yml").read_text())
    data["eligibility"] = "segmnt == 'loyal'"
    broken.write_text(yaml.safe_dump(data))
    status, out, err = run(capsys, "validate", str(broken))
    assert status == 1
    assert "unknown field 'segmnt' at column 1 — did you mean 'segment'?" in err
    assert "segmnt == 'loyal'\n" in err and "^" in err


def test_import_list_show_preview_simulate_results_export(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "--db", db, "import", *SAMPLES)
    assert (
        status == 0
        and "saved welcome-back (active, 2 variant(s))" in out
        and "saved global settings" in out
    )

    status, out, _ = run(capsys, "--db", db, "list")
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()[1:6]] == [
        "hesitation-shipping",
        "welcome-back",
        "pair-it",
        "loyal-thank-you",
        "summer-preview",
    ]

    status, out, _ = run(capsys, "--db", db, "show", "welcome-back")
    assert status == 0 and yaml.safe_load(out)["variants"][0]["key"] == "percent-15"

    at = NOW.isoformat()
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "preview",
        "--customer",
        "1",
        "--at",
        at,
        "--trigger",
        "returning_session_start",
    )
    assert status == 0
    assert "customer 1 (Lena)" in out and "days_since_last_order=90" in out
    if in_global_holdout(1, 0.05):
        expected = "holdout welcome-back"
    else:
        arm = assign_arm(1, "welcome-back", 0.2, [("percent-15", 1), ("amount-5", 1)])
        expected = "control welcome-back" if arm == "control" else f"offer welcome-back/{arm}"
    assert f"[returning_session_start] {expected}" in out
    if expected.startswith("offer"):
        assert "message: " in out and "Lena" in out and "-> /accept_offer" in out

    status, out, _ = run(capsys, "--db", db, "preview", "--customer", "2", "--at", at)
    assert status == 0 and out.count("none (no_consent)") == 4

    sim_csv = tmp_path / "sim.csv"
    status, out, _ = run(capsys, "--db", db, "simulate", "--at", at, "--csv", str(sim_csv))
    assert status == 0 and "2 customers x 4 moment(s)" in out and "nothing: no_consent" in out
    with sim_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and {r["customer_id"] for r in rows} == {"1", "2"}

    status, out, _ = run(capsys, "--db", db, "results")
    assert status == 0 and "welcome-back — Welcome back lapsed customers [active]" in out

    status, out, _ = run(capsys, "--db", db, "results", "--json")
    assert status == 0 and {c["key"] for c in json.loads(out)["campaigns"]} >= {"welcome-back"}

    exported = tmp_path / "exported"
    status, out, _ = run(capsys, "--db", db, "export", str(exported))
    assert (
        status == 0
        and (exported / "welcome-back.yml").exists()
        and (exported / "global_settings.yml").exists()
    )
    other = sqlite_url(tmp_path, "other.db")
    status, _, _ = run(
        capsys, "--db", other, "import", *sorted(str(p) for p in exported.glob("*.yml"))
    )
    assert status == 0
    assert run(capsys, "--db", other, "list")[1] == run(capsys, "--db", db, "list")[1]


def test_unknown_campaign_and_customer_are_clear_errors(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "--db", db, "show", "nope")
    assert status == 1 and "no campaign with key 'nope'" in err
    status, _, err = run(capsys, "--db", db, "preview", "--customer", "999")
    assert status == 1 and "no customer with id 999" in err
    status, _, err = run(capsys, "--db", db, "preview", "--customer", "1", "--product", "Lamp")
    assert status == 1 and "give --product and --price together" in err


def test_redemptions_and_demo_commands_run(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--db", db, "redemptions")
    assert status == 0 and "0 of 0 coupon uses redeemed" in out
    status, out, _ = run(capsys, "--db", db, "demo", "--seed", "3")
    assert status == 0 and out.startswith("campaigns 5, visits ")


def test_simulation_explains_why_campaigns_were_passed_over(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--db", db, "import", *SAMPLES)
    later = (NOW + timedelta(days=400)).isoformat()  # Lena's last order is now 490 days old
    status, out, _ = run(
        capsys, "--db", db, "simulate", "--at", later, "--trigger", "after_order_resolved"
    )
    assert status == 0
    assert "(passed over loyal-thank-you: not_eligible)" in out  # one order, not a regular
    assert "wrong_trigger" not in out
