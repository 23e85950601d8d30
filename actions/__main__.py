"""``python -m actions``: the action server (see ``actions.server``)."""

from actions.server import main

if __name__ == "__main__":
    main()
