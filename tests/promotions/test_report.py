"""The results table as text: the console's cells are the CLI's row."""

from __future__ import annotations

from promotions.report import CELL_KEYS, arm_cells, format_results
from promotions.results import ArmResult, ResultsReport
from promotions.stats import lift, wilson_interval
from tests.promotions.conftest import NOW


def arm(label: str, n: int, converted: int, base: ArmResult | None = None) -> ArmResult:
    low, high = wilson_interval(converted, n)
    return ArmResult(
        label, n, 3, 2, converted, converted / n, low, high, 150.0, 150.0 / n,
        lift(converted, n, base.converted, base.customers) if base else None,
    )  # fmt: skip


def test_variant_cells_carry_rate_interval_lift_and_p_value() -> None:
    control = arm("control", 10, 1)
    cells = arm_cells(arm("a", 10, 4, control))

    assert tuple(cells) == CELL_KEYS
    assert cells["arm"] == "a"
    assert (cells["customers"], cells["accepted"], cells["redeemed"]) == ("10", "3", "2")
    assert cells["conversion"] == "40.0% (16.8%–68.7%)"
    assert cells["lift"].startswith("+30.0 pp (")
    assert cells["lift"].endswith(", +300%)")
    assert cells["p_value"] == f"{lift(4, 10, 1, 10).p_value:.3f}"
    assert cells["revenue_per_customer"] == "£15"


def test_control_cells_have_no_funnel_and_match_the_printed_report() -> None:
    control = arm("control", 10, 1)
    cells = arm_cells(control)

    assert (cells["accepted"], cells["redeemed"], cells["lift"], cells["p_value"]) == (
        "-",
        "-",
        "-",
        "-",
    )
    report = ResultsReport((), control, control, 14, NOW)
    assert "  ".join(cells.values()).split() == format_results(report).splitlines()[-1].split()
