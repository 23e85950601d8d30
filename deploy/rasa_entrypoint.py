"""Entrypoint of the Rasa image: write ``endpoints.yml`` from the environment, then run Rasa.

On one machine :class:`concierge.stack.Stack` writes Rasa's endpoints file from the settings
(tracker store, lock store and event broker follow the URLs) just before it starts
``rasa run``. A container has no Stack around it, so this does the same step with the same
code (:func:`concierge.rasa_endpoints.write_endpoints`, on Python 3.10 in the Rasa
environment) and then replaces itself with the command compose gives, which is the command
Stack builds (tests/deploy checks both). A malformed URL stops the container with the
settings' message naming the variable, exit status 2.

    python deploy/rasa_entrypoint.py rasa run ... --endpoints /app/var/rasa/endpoints.yml
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The image runs this file by path; the concierge package sits next to deploy/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from concierge.rasa_api_guard import REFUSAL, opens_http_api  # noqa: E402
from concierge.rasa_endpoints import write_endpoints  # noqa: E402
from concierge.settings import Settings, SettingsError, exits_on_settings_error  # noqa: E402


def endpoints_argument(command: list[str]) -> str | None:
    """The file ``--endpoints`` names in a Rasa command line, if it names one."""
    for i, part in enumerate(command):
        if part == "--endpoints" and i + 1 < len(command):
            return command[i + 1]
        if part.startswith("--endpoints="):
            return part.split("=", 1)[1]
    return None


@exits_on_settings_error
def main(command: list[str]) -> int:
    """Write the endpoints file for this container's settings and exec ``command``."""
    if not command:
        print("usage: rasa_entrypoint.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    if opens_http_api(command[1:]) is not None:
        # A compose override must not open Rasa's HTTP API either (concierge/rasa_api_guard.py).
        print(REFUSAL, file=sys.stderr)
        return 2
    written = write_endpoints(Settings.from_env())
    named = endpoints_argument(command)
    # Rasa would otherwise read another (or no) file and silently use other stores.
    if named is not None and Path(named).resolve() != written.resolve():
        raise SettingsError(
            f"the command reads {named} but the endpoints file for CONCIERGE_VAR_DIR is "
            f"{written}; pass --endpoints {written}."
        )
    os.execvp(command[0], command)
    return 0  # not reached: execvp replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
