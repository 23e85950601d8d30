"""Plain-text rendering of campaign results for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from promotions.assignment import NO_OFFER_ARMS, Arm
from promotions.campaigns import money
from promotions.outreach_results import ChannelCounts
from promotions.results import ArmResult, ResultsReport


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def _rate(arm: ArmResult) -> str:
    if not arm.customers:
        return "-"
    return f"{arm.conversion_rate:.1%} ({arm.conversion_low:.1%}–{arm.conversion_high:.1%})"


def _lift(arm: ArmResult) -> tuple[str, str]:
    if arm.lift is None:
        return "-", "-"
    lift = arm.lift
    relative = f", {lift.relative:+.0%}" if lift.relative is not None else ""
    text = f"{lift.difference * 100:+.1f} pp ({lift.low * 100:+.1f} to {lift.high * 100:+.1f}{relative})"
    return text, f"{lift.p_value:.3f}"


def _arm_row(arm: ArmResult, show_funnel: bool) -> list[str]:
    lift, p_value = _lift(arm)
    return [
        arm.arm,
        str(arm.customers),
        str(arm.accepted) if show_funnel else "-",
        str(arm.redeemed) if show_funnel else "-",
        str(arm.converted),
        _rate(arm),
        lift,
        p_value,
        money(arm.revenue_per_customer) if arm.customers else "-",
    ]


def _channel(counts: ChannelCounts) -> str:
    name = {"email": "e-mail", "telegram": "Telegram"}.get(counts.channel, counts.channel)
    waiting = f", {counts.waiting} waiting" if counts.waiting else ""
    return f"{name} {counts.sent} sent, {counts.bounced} bounced, {counts.failed} failed{waiting}"


HEADERS = (
    "arm",
    "customers",
    "accepted",
    "redeemed",
    "converted",
    "conversion (95% CI)",
    "lift vs control (95% CI)",
    "p",
    "revenue/customer",
)


def format_results(report: ResultsReport) -> str:
    """The results report as the CLI prints it."""
    out = [
        f"Results as of {report.computed_at:%Y-%m-%d %H:%M}; a conversion is an order within "
        f"{report.attribution_days} days of the first assignment (offer, control or hold-out)."
    ]
    if not report.campaigns:
        out.append("\nno campaigns yet")
    for c in report.campaigns:
        out.append(
            f"\n{c.key} — {c.name} [{c.status}]\n"
            f"  eligible {c.eligible} · exposed {c.exposed} · accepted {c.accepted} · "
            f"redeemed {c.redeemed}"
        )
        rows = [
            _arm_row(a, a.arm not in NO_OFFER_ARMS)
            for a in c.arms
            if a.customers or a.arm != Arm.HOLDOUT
        ]
        out.append("  " + table(HEADERS, rows).replace("\n", "\n  "))
        if c.outreach:
            out.append("  outreach messages: " + "; ".join(_channel(ch) for ch in c.outreach))
        if c.srm_warning:
            out.append(f"  WARNING: {c.srm_warning}")
        elif c.sample_ratio is not None:
            out.append(
                f"  split check: p={c.sample_ratio.p_value:.2f} against the configured split, OK"
            )
    exposed, holdout = report.overall_exposed, report.overall_holdout
    out.append("\nAll offers against the global hold-out (customers, from their first assignment):")
    out.append(
        "  "
        + table(HEADERS, [_arm_row(exposed, False), _arm_row(holdout, False)]).replace("\n", "\n  ")
    )
    return "\n".join(out)


CELL_KEYS = (
    "arm",
    "customers",
    "accepted",
    "redeemed",
    "converted",
    "conversion",
    "lift",
    "p_value",
    "revenue_per_customer",
)


def arm_cells(arm: ArmResult) -> dict[str, str]:
    """One arm's row as ``format_results`` prints it, keyed by ``CELL_KEYS``."""
    row = _arm_row(arm, arm.arm not in NO_OFFER_ARMS)
    return dict(zip(CELL_KEYS, row, strict=True))
