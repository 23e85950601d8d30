"""Play the dialogue benchmark against the real stack and print how much went fully right.

    .venv/bin/python -m benchmarks.dialogues [--url http://127.0.0.1:PORT] [--only THEME|ID]
        [--limit N] [--model models/concierge.tar.gz] [--min-share 0.95]

Without ``--url`` it starts the stack (Rasa, action server, console) on free loopback ports
on a private copy of ``var/concierge.db`` (restored after each dialogue that returns or
cancels something), so runs repeat. With ``--url`` it talks to a running Rasa server and
takes the channel secret and the store and tracker-store URLs from the environment, as the
services do (``CONCIERGE_CHANNEL_SECRET``, ``CONCIERGE_DB_URL``, ...); that store is not
restored. Exit code 0 unless ``--min-share`` is given and the share is below it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.dialogues.report import failure_lines, share, share_table
from benchmarks.dialogues.runner import DialogueResult, Target, play_all, started_stack
from benchmarks.dialogues.schema import Dialogue, load_dialogues
from concierge.settings import Settings
from concierge.stack import MODEL_PATH


def select(dialogues: list[Dialogue], only: str | None, limit: int | None) -> list[Dialogue]:
    """The dialogues of one theme or the one with that id, at most ``limit`` of them."""
    if only:
        dialogues = [d for d in dialogues if only in (d.theme, d.id)]
        if not dialogues:
            raise SystemExit(f"No theme or dialogue id is {only!r}.")
    return dialogues[:limit] if limit else dialogues


def _progress(result: DialogueResult) -> None:
    mark = "✓" if result.ok else "✗"
    print(f"{mark} {result.dialogue.theme}/{result.dialogue.id}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dialogues", description=__doc__)
    parser.add_argument("--url", help="a running Rasa server (settings from the environment)")
    parser.add_argument("--only", help="one theme or one dialogue id")
    parser.add_argument("--limit", type=int, help="play at most this many dialogues")
    parser.add_argument("--model", type=Path, default=MODEL_PATH, help="model to serve")
    parser.add_argument("--min-share", type=float, help="exit 1 below this share fully right")
    args = parser.parse_args(argv)
    # A plain `kill` stops the stack this started, like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    dialogues = select(load_dialogues(), args.only, args.limit)
    print(f"{len(dialogues)} dialogues, {sum(len(d.turns) for d in dialogues)} turns", flush=True)
    started = time.monotonic()
    if args.url:
        results = play_all(
            dialogues, Target.from_settings(Settings.from_env(), args.url), _progress
        )
    else:
        with (
            tempfile.TemporaryDirectory(prefix="dialogue-bench-") as scratch,
            started_stack(Path(scratch), args.model) as target,
        ):
            print(f"stack ready in {time.monotonic() - started:.0f} s", flush=True)
            results = play_all(dialogues, target, _progress)
    print()
    for result in results:
        for line in failure_lines(result):
            print(line)
    print()
    print(share_table(results))
    print(f"played in {time.monotonic() - started:.0f} s")
    if args.min_share is not None and share(results) < args.min_share:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
