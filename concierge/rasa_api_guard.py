"""Refuse any Rasa command line that would open Rasa's HTTP API.

Rasa's HTTP API, opened without a token, lets anyone who reaches the port set any slot of
any conversation (a customer id included). This project never opens it: the console and
the channels are the only ways in. Rasa's argparse accepts any unambiguous prefix of an
option, so ``--ena`` or ``--enable`` is ``--enable-api`` too; a check for the exact flag
let those through. Used by ``python -m concierge.rasa_cli`` (``make shell``) and by the Rasa
image's entrypoint (a compose override), on Python 3.10 and 3.11 alike.
"""

from __future__ import annotations

from collections.abc import Sequence

FLAG = "--enable-api"
# The shortest prefix Rasa 3.6's `run` and `shell` parsers read as --enable-api
# ("--en" could also be --endpoints, so argparse refuses it as ambiguous).
SHORTEST = "--ena"
REFUSAL = (
    f"{FLAG} is refused: Rasa's HTTP API would let anyone set any slot. "
    "Review conversations in the console instead."
)


def opens_http_api(arguments: Sequence[str]) -> str | None:
    """The argument that would switch Rasa's HTTP API on, or None."""
    for argument in arguments:
        name = argument.split("=", 1)[0]
        if name.startswith(SHORTEST) and FLAG.startswith(name):
            return argument
    return None
