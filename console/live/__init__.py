"""The staff pages' live feed: new conversations and customers waiting for a person.

With an event broker (``CONCIERGE_BROKER_URL``) every console instance consumes Rasa's
tracker events from RabbitMQ (:mod:`console.live.consumer`) into an in-memory
:class:`~console.live.feed.LiveFeed`; without one, or for a period the consumer did not
see whole, the same summary is read from the shop database
(:mod:`console.live.store_summary`). The handoff queue and the conversations list poll
``/staff/live/summary`` (:mod:`console.live.pages`) to say "N new conversations" without
a reload.
"""
