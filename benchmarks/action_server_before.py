"""The action server as it was before issue 15's cuts, for ``benchmarks/action_calls.py``.

    .venv/bin/python -m benchmarks.action_server_before --actions actions --port 5055

The same server as ``python -m actions`` (``actions.server``) with two of the cuts undone,
so both run side by side in one benchmark: the heap is not frozen after the warm-up, and
campaign templates are checked again on every read (``promotions.templates`` caches them).
"""

from __future__ import annotations

from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from actions import server


def create_app_before(
    action_executor: ActionExecutor, action_token: str, **options: object
) -> Sanic:
    """``actions.server.create_app`` without the frozen heap or the template cache."""
    undo_template_cache()
    return server.create_app(action_executor, action_token, freeze_after_warm_up=False, **options)


def undo_template_cache() -> None:
    """Point the campaign parser at the uncached template check."""
    from promotions import campaigns, templates

    campaigns.check_template = templates.check_template.__wrapped__  # type: ignore[assignment]


if __name__ == "__main__":
    server.main(app_factory=create_app_before)
