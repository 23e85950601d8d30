"""Handoff to a person: the queue, taking a chat over, the live conversation."""
