"""The console's side of erasure: look a customer up, then forget them (admins only).

The work is :func:`store.erasure.forget_customer`, the same as ``python -m store forget``;
this desk only holds what it needs (the shop database, Rasa's tracker store, the log
folder) so the page handlers stay small. Each erasure opens the tracker store for
writing and closes it again: the console otherwise only ever reads it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from store.erasure import ErasureReport, forget_customer
from store.repository import ShopRepository
from store.tracker_store import TrackerStore
from store.views import CustomerView


class ErasureDesk:
    """Find the customer an admin named, and erase them with the admin as the audited actor."""

    def __init__(
        self,
        repository: ShopRepository,
        sessions: sessionmaker[Session],
        tracker_db_url: str,
        log_dir: Path,
    ) -> None:
        self._repository = repository
        self._sessions = sessions
        self._tracker_db_url = tracker_db_url
        self._log_dir = log_dir

    def customer(self, customer_id: int) -> CustomerView | None:
        """The customer to confirm before erasing, or None."""
        return self._repository.get_customer(customer_id)

    def forget(self, customer_id: int, actor: str) -> ErasureReport:
        """Erase the customer; raises store.erasure.UnknownCustomer."""
        tracker = TrackerStore(self._tracker_db_url)
        try:
            return forget_customer(
                self._sessions, tracker, customer_id, actor=actor, log_dir=self._log_dir
            )
        finally:
            tracker.close()
