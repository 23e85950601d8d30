"""The guard against Rasa's HTTP API reads Rasa's command line as Rasa 3.6 itself does.

Rasa's argparse accepts any unambiguous prefix of an option; the guard must flag exactly
the arguments that switch ``enable_api`` on, for ``run`` and for ``shell``.
"""

import contextlib
import io

import pytest
from rasa.__main__ import create_argument_parser

from concierge.rasa_api_guard import FLAG, opens_http_api

CANDIDATES = [FLAG[:n] for n in range(3, len(FLAG) + 1)] + ["--endpoints", "--debug"]


def enable_api_after(command: str, argument: str) -> bool | None:
    """Rasa's own reading of ``rasa <command> <argument>``; None when Rasa rejects it."""
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            parsed = create_argument_parser().parse_args([command, argument])
    except SystemExit:
        return None  # ambiguous or incomplete: Rasa would not start
    return bool(parsed.enable_api)


@pytest.mark.parametrize("command", ["run", "shell"])
@pytest.mark.parametrize("argument", CANDIDATES)
def test_the_guard_flags_what_rasa_reads_as_enable_api(command: str, argument: str) -> None:
    opens = enable_api_after(command, argument)
    if opens is None:
        return  # Rasa refuses it itself
    assert (opens_http_api([argument]) is not None) == opens


def test_every_prefix_rasa_accepts_is_caught() -> None:
    accepted = [a for a in CANDIDATES[:-2] if enable_api_after("run", a)]
    assert "--ena" in accepted and FLAG in accepted  # abbreviations do open it
    assert all(opens_http_api(["--port", "5005", a]) == a for a in accepted)
