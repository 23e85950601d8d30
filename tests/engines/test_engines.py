"""The local engines start, answer, survive SIGKILL with their data, and stop without a trace.

These are the properties the scaled stack and its fault tests rely on: a killed engine comes
back on the same port with what it had written, and stopping leaves no process behind.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from concierge.engines import REDIS_BINARY, RedisServer, missing_engines

pytestmark = pytest.mark.engines


def _needs(binary: str) -> None:
    if binary in missing_engines():
        pytest.skip(f"{binary} is not installed (bash scripts/setup.sh --engines installs it)")


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _redis(port: int, *command: str) -> bytes:
    """Send one command in Redis's protocol and return the raw reply."""
    parts = [f"*{len(command)}\r\n".encode()]
    for word in command:
        parts.append(f"${len(word.encode())}\r\n{word}\r\n".encode())
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"".join(parts))
        return sock.recv(4096)


def test_redis_keeps_a_key_through_sigkill_and_restart(tmp_path: Path) -> None:
    _needs(REDIS_BINARY)
    with RedisServer(tmp_path / "redis") as redis:
        assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
        assert _redis(redis.port, "PING") == b"+PONG\r\n"
        assert _redis(redis.port, "SET", "conversation:42", "kept") == b"+OK\r\n"
        # appendfsync everysec: what was written more than a second ago survives a crash.
        time.sleep(1.5)
        first_pid = redis.pid
        assert first_pid is not None
        redis.kill()
        assert redis.pid is None and _pid_gone(first_pid)
        redis.restart()
        assert redis.pid not in (None, first_pid)
        assert _redis(redis.port, "GET", "conversation:42") == b"$4\r\nkept\r\n"
        last_pid = redis.pid
    assert last_pid is not None and _pid_gone(last_pid)
    assert redis.pid is None


def test_redis_listens_on_loopback_only_with_its_files_under_root(tmp_path: Path) -> None:
    _needs(REDIS_BINARY)
    with RedisServer(tmp_path / "redis") as redis:
        reply = _redis(redis.port, "CONFIG", "GET", "bind")
        assert b"127.0.0.1" in reply and b"0.0.0.0" not in reply
        assert _redis(redis.port, "SET", "k", "v") == b"+OK\r\n"
    assert any((tmp_path / "redis").rglob("*.aof"))
