"""Start the action server and load the store and product models in the background.

``python -m actions --actions actions --port 5055`` takes rasa_sdk's own arguments. The
server answers health checks at once; the warm-up thread loads the models (the text
encoder takes seconds) while Rasa is still starting, instead of during a customer's turn.
"""

from __future__ import annotations

import threading

from rasa_sdk.__main__ import main as run_action_server

from actions.services import warm_up


def main() -> None:
    """Start the warm-up thread, then run rasa_sdk's server with the command line's arguments."""
    threading.Thread(target=warm_up, name="concierge-warm-up", daemon=True).start()
    run_action_server()


if __name__ == "__main__":
    main()
