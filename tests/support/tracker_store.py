"""What Rasa's tracker store holds for a conversation, read the way the console reads it.

Rasa's HTTP API is closed (issue 12), so tests look at a conversation where it is kept:
the ``events`` table of the SQL tracker store, opened read-only.
"""

from __future__ import annotations

from typing import Any

from console.staff.tracker_reader import TrackerReader


def tracker_events(tracker_db_url: str, sender_id: str) -> list[dict[str, Any]]:
    """Every event Rasa stored for ``sender_id``, oldest first, as Rasa's JSON dicts."""
    reader = TrackerReader(tracker_db_url)
    try:
        return [event.data for event in reader.events_of(sender_id, 0.0, None)]
    finally:
        reader.close()


def tracker_state(tracker_db_url: str, sender_id: str) -> dict[str, Any]:
    """The slots and active loop the stored events add up to, like Rasa's tracker JSON."""
    events = tracker_events(tracker_db_url, sender_id)
    slots: dict[str, Any] = {}
    active_loop: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot":
            slots[event["name"]] = event.get("value")
        elif event.get("event") == "active_loop":
            active_loop = {"name": event["name"]} if event.get("name") else {}
        elif event.get("event") == "session_started":
            # Slots the session start does not carry over come back as SlotSet events.
            slots = {}
            active_loop = {}
    return {"events": events, "slots": slots, "active_loop": active_loop}
