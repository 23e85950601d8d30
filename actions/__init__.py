"""The Concierge action server: custom actions and form validation for the Rasa assistant.

Run it with ``python -m rasa_sdk --actions actions``. Every module of this package is
imported by rasa_sdk at start; nothing here opens a database until the first action runs
(see ``actions.services``).
"""
