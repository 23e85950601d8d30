"""Targeting by uplift: offer a campaign only to customers an offer is predicted to move.

A campaign's eligibility rule says who *may* get it; ``targeting`` narrows that to the
customers whose predicted uplift (``recsys.uplift_train`` writes ``uplift`` and
``uplift_rank`` into ``Customer.tags``) is high enough, so coupons are not spent on
people who buy anyway. Written in a campaign file as one of::

    targeting: {by: uplift, top_share: 0.3}     # the top 30% of customers by uplift
    targeting: {by: uplift, min_uplift: 0.02}   # predicted uplift of at least 2 points

A customer without a score is not targeted (reason ``no_uplift_score``). Rejections are
reason codes with their numbers (``below_uplift_top:0.3``, ``below_min_uplift:0.012<0.02``)
so preview can say why in words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promotions.checking import FieldChecker

TARGETING_BY = ("uplift",)
_FIELDS = {"by", "top_share", "min_uplift"}


@dataclass(frozen=True)
class Targeting:
    """Who among the eligible gets the campaign: a top share or a minimum predicted uplift."""

    by: str = "uplift"
    top_share: float | None = None
    min_uplift: float | None = None

    def rejection(self, uplift: float | None, uplift_rank: float | None) -> str | None:
        """Why a customer with this score is not targeted, or None when they are."""
        if uplift is None or (self.top_share is not None and uplift_rank is None):
            return "no_uplift_score"
        if self.top_share is not None and uplift_rank is not None and uplift_rank > self.top_share:
            return f"below_uplift_top:{self.top_share:g}"
        if self.min_uplift is not None and uplift < self.min_uplift:
            return f"below_min_uplift:{uplift:.3f}<{self.min_uplift:g}"
        return None

    def why_targeted(self, uplift: float, uplift_rank: float | None) -> str:
        """The sentence for a customer who passes: 'uplift 0.034 ≥ 0.02'."""
        if self.min_uplift is not None:
            return f"uplift {uplift:.3f} ≥ {self.min_uplift:g}"
        rank = f"top {uplift_rank:.0%}" if uplift_rank is not None else "no rank"
        return f"uplift {uplift:.3f}, {rank}: within the top {self.top_share:.0%} by uplift"

    def describe(self) -> str:
        """The rule in a marketer's words."""
        if self.min_uplift is not None:
            return f"predicted uplift of at least {self.min_uplift:g}"
        return f"the top {self.top_share:.0%} of customers by predicted uplift"


def explain_targeting(reason: str) -> str | None:
    """A sentence for one of this module's reason codes; None for any other code."""
    if reason == "no_uplift_score":
        return "has no predicted uplift yet (run `python -m recsys train`), so is not targeted"
    if reason.startswith("below_uplift_top:"):
        share = float(reason.split(":", 1)[1])
        return f"is below the top {share:.0%} by uplift"
    if reason.startswith("below_min_uplift:"):
        value, minimum = reason.split(":", 1)[1].split("<")
        return f"has uplift {value} < {minimum}, the campaign's minimum"
    return None


def targeting_from_dict(check: FieldChecker, raw: Any) -> Targeting | None:
    """Validate a campaign's ``targeting`` block (None when absent); problems go to ``check``."""
    if raw is None:
        return None
    shape = "write it as {by: uplift, top_share: 0.3} or {by: uplift, min_uplift: 0.02}"
    if not isinstance(raw, Mapping):
        check.fail("targeting", f"must be a mapping; {shape}")
        return None
    for name in sorted(set(raw) - _FIELDS):
        check.fail(f"targeting.{name}", f"unknown field (known: {', '.join(sorted(_FIELDS))})")
    by = raw.get("by")
    if by not in TARGETING_BY:
        check.fail("targeting.by", f"must be one of {', '.join(TARGETING_BY)}, got {by!r}")
    given = [name for name in ("top_share", "min_uplift") if raw.get(name) is not None]
    if len(given) != 1:
        check.fail("targeting", f"give exactly one of top_share or min_uplift; {shape}")
        return None
    if given == ["top_share"]:
        share = check.number(raw, "top_share", "targeting.", 0.3, low=0.01, high=1.0)
        return Targeting(top_share=share)
    minimum = check.number(raw, "min_uplift", "targeting.", 0.0, low=-1.0, high=1.0)
    return Targeting(min_uplift=minimum)


def targeting_to_dict(targeting: Targeting) -> dict[str, Any]:
    """The plain mapping of ``targeting``, as written to YAML."""
    data: dict[str, Any] = {"by": targeting.by}
    if targeting.top_share is not None:
        data["top_share"] = targeting.top_share
    else:
        data["min_uplift"] = targeting.min_uplift
    return data
