"""The outreach scheduler of the stack: ``python -m promotions outreach run`` every N seconds.

``make demo`` runs it every minute (``OUTREACH_EVERY_SECONDS``, 60 in demo mode, 0 = off,
which is the default outside demo mode: a shop schedules the command itself, with cron or
a systemd timer, where it can watch it). Each run is a child process of its own, like the
services, in its own process group, so a run that hangs is ended with the stack and
nothing else; its output goes to ``var/logs/outreach.log``. A run never overlaps the
previous one: the next starts ``every`` seconds after the last one ended. Sending exactly
once does not depend on that (the outbox makes a second run harmless), only the load does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from concierge.settings import ROOT, Settings

COMMAND = (sys.executable, "-m", "promotions", "outreach", "run")
# A run that takes longer than this is stopped (its rows stay claimed; see the outbox).
RUN_TIMEOUT_SECONDS = 600.0


class OutreachScheduler:
    """Runs outreach every ``every`` seconds in a background thread, until ``stop``."""

    def __init__(self, every: float, env: dict[str, str], log_path: Path) -> None:
        if every <= 0:
            raise ValueError("the outreach scheduler needs an interval above 0 seconds")
        self.every = every
        self.env = env
        self.log_path = log_path
        self.runs = 0  # finished runs (whatever their exit code)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the first run now and the next ones every ``every`` seconds."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="outreach-scheduler", daemon=True)
        self._thread.start()

    def is_running(self) -> bool:
        """True while the scheduler's thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, grace: float = 10.0) -> None:
        """Stop scheduling, end a run in progress (its process group, by PID) and wait."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None:
            _end_group(process, grace)
        if self._thread is not None:
            self._thread.join(timeout=grace + 10.0)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._run_once()
            self._stopping.wait(self.every)

    def _run_once(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            with self._lock:
                if self._stopping.is_set():
                    return
                self._process = subprocess.Popen(
                    COMMAND,
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            try:
                self._process.wait(timeout=RUN_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                _end_group(self._process, 5.0)
            with self._lock:
                self._process = None
            self.runs += 1


def _end_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL, to the run's own process group (its PID), never anything else."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)


def outreach_variables(settings: Settings) -> dict[str, str]:
    """What a run reads besides the stack's shared environment: its relay, sender, links."""
    return {
        "SMTP_HOST": settings.smtp_host,
        "SMTP_PORT": str(settings.smtp_port),
        "OUTREACH_FROM": settings.outreach_from,
        "CONCIERGE_PUBLIC_URL": settings.public_url,
    }


def schedule_line(settings: Settings) -> str:
    """How the stack's start-up message describes the schedule."""
    every = settings.outreach_every_seconds
    if not every:
        return "not scheduled (OUTREACH_EVERY_SECONDS=0; run python -m promotions outreach run)"
    return f"every {every}s (python -m promotions outreach run; log outreach.log)"
