"""The action server as it was before issue 15's cuts, for ``benchmarks/action_calls.py``.

    .venv/bin/python -m benchmarks.action_server_before --actions actions --port 5055

The same server as ``python -m actions`` (``actions.server``) with the cuts undone, so both
run side by side in one benchmark: the heap is not frozen after the warm-up, campaign
templates are checked again on every read (``promotions.templates`` caches them), and
``action_offer_promotion`` stores the session's activity again after the recommendation
of its turn stored it. (Reading session events from the end is not undone.)
"""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from actions import server
from actions.base import ShopAction
from actions.promotions import ActionOfferPromotion
from promotions import campaigns, templates

_OFFER_RECORDS_ACTIVITY_NOW = ActionOfferPromotion.records_activity_now


def create_app_before(
    action_executor: ActionExecutor, action_token: str, **options: object
) -> Sanic:
    """``actions.server.create_app`` with the cuts undone."""
    undo_cuts()
    return server.create_app(action_executor, action_token, freeze_after_warm_up=False, **options)


def undo_cuts() -> None:
    """The uncached template check, and a session-history write on every offer call."""
    campaigns.check_template = templates.check_template.__wrapped__  # type: ignore[assignment]
    ActionOfferPromotion.records_activity_now = ShopAction.records_activity_now  # type: ignore[method-assign]


def redo_cuts() -> None:
    """The code as it is (after :func:`undo_cuts` in the same process)."""
    campaigns.check_template = templates.check_template
    ActionOfferPromotion.records_activity_now = _OFFER_RECORDS_ACTIVITY_NOW  # type: ignore[method-assign]


if __name__ == "__main__":
    server.main(app_factory=create_app_before)
