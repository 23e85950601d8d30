"""The local engines start, answer, survive SIGKILL with their data, and stop without a trace.

These are the properties the scaled stack and its fault tests rely on: a killed engine comes
back on the same port with what it had written, and stopping leaves no process behind.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from concierge.engine_process import children_of, port_accepts
from concierge.engines import (
    NGINX_BINARY,
    POSTGRES_BINARY,
    RABBIT_BINARY,
    REDIS_BINARY,
    EngineError,
    Nginx,
    PostgresServer,
    RabbitServer,
    RedisServer,
    free_port,
    missing_engines,
    render_nginx_config,
)

pytestmark = pytest.mark.engines


def needs(binary: str) -> None:
    if binary in missing_engines():
        pytest.skip(f"{binary} is not installed (bash scripts/setup.sh --engines installs it)")


def pid_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def open_root() -> Iterator[Path]:
    """A folder other users can reach: PostgreSQL runs as ``postgres`` when we are root,
    and pytest's tmp_path sits under a folder only its owner may enter."""
    root = Path(tempfile.mkdtemp(prefix="concierge-engines-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def redis_command(port: int, *command: str) -> bytes:
    """Send one command in Redis's protocol and return the raw reply."""
    parts = [f"*{len(command)}\r\n".encode()]
    for word in command:
        parts.append(f"${len(word.encode())}\r\n{word}\r\n".encode())
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"".join(parts))
        return sock.recv(4096)


def test_redis_keeps_a_key_through_sigkill_and_restart(tmp_path: Path) -> None:
    needs(REDIS_BINARY)
    with RedisServer(tmp_path / "redis") as redis:
        assert redis.url == f"redis://127.0.0.1:{redis.port}/0"
        assert redis_command(redis.port, "PING") == b"+PONG\r\n"
        assert redis_command(redis.port, "SET", "conversation:42", "kept") == b"+OK\r\n"
        # appendfsync everysec: what was written more than a second ago survives a crash.
        time.sleep(1.5)
        first_pid = redis.pid
        assert first_pid is not None
        redis.kill()
        assert redis.pid is None and pid_gone(first_pid)
        redis.restart()
        assert redis.pid not in (None, first_pid)
        assert redis_command(redis.port, "GET", "conversation:42") == b"$4\r\nkept\r\n"
        last_pid = redis.pid
    assert last_pid is not None and pid_gone(last_pid)
    assert redis.pid is None


def test_redis_listens_on_loopback_only_with_its_files_under_root(tmp_path: Path) -> None:
    needs(REDIS_BINARY)
    with RedisServer(tmp_path / "redis") as redis:
        reply = redis_command(redis.port, "CONFIG", "GET", "bind")
        assert b"127.0.0.1" in reply and b"0.0.0.0" not in reply
        assert redis_command(redis.port, "SET", "k", "v") == b"+OK\r\n"
    assert any((tmp_path / "redis").rglob("*.aof"))


def test_postgres_keeps_a_committed_row_through_sigkill_and_restart(open_root: Path) -> None:
    needs(POSTGRES_BINARY)
    psycopg = pytest.importorskip("psycopg")
    with PostgresServer(open_root / "postgres") as postgres:
        assert postgres.url.endswith(f"@127.0.0.1:{postgres.port}/concierge")
        tracker_url = postgres.create_database("tracker")
        assert tracker_url.endswith("/tracker")
        conninfo = f"host=127.0.0.1 port={postgres.port} user=concierge dbname=tracker"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute("CREATE TABLE turns (id int PRIMARY KEY, text text)")
            connection.execute("INSERT INTO turns VALUES (1, 'hello')")
        first_pid = postgres.pid
        assert first_pid is not None
        postgres.kill()
        assert postgres.pid is None and pid_gone(first_pid)
        postgres.restart()
        assert postgres.pid not in (None, first_pid)
        with psycopg.connect(conninfo) as connection:
            assert connection.execute("SELECT text FROM turns").fetchall() == [("hello",)]
        last_pid = postgres.pid
    assert last_pid is not None and pid_gone(last_pid)
    assert postgres.pid is None


def test_postgres_refuses_connections_from_other_addresses_than_loopback(
    open_root: Path,
) -> None:
    needs(POSTGRES_BINARY)
    psycopg = pytest.importorskip("psycopg")
    with PostgresServer(open_root / "postgres", durable=False) as postgres:
        conninfo = f"host=127.0.0.1 port={postgres.port} user=concierge dbname=concierge"
        with psycopg.connect(conninfo) as connection:
            listen = connection.execute("SHOW listen_addresses").fetchone()
            assert listen == ("127.0.0.1",)
            assert connection.execute("SHOW fsync").fetchone() == ("off",)


def amqp_answers(port: int) -> bool:
    """True when the port speaks AMQP 0-9-1: it answers the header with Connection.Start."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"AMQP\x00\x00\x09\x01")
        frame = sock.recv(64)
    return frame[:1] == b"\x01" and frame[7:11] == b"\x00\x0a\x00\x0a"


async def publish_persistent(url: str, queue: str, body: bytes) -> None:
    """Publish with publisher confirms: once confirmed, RabbitMQ has the message on disk."""
    aio_pika = pytest.importorskip("aio_pika")
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(queue, durable=True)
        message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await channel.default_exchange.publish(message, routing_key=queue)


async def take_one(url: str, queue: str) -> bytes | None:
    aio_pika = pytest.importorskip("aio_pika")
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True)
        message = await declared.get(no_ack=True, fail=False)
        return None if message is None else bytes(message.body)


def test_rabbitmq_keeps_a_persistent_message_through_sigkill_restart_and_new_ports(
    tmp_path: Path,
) -> None:
    needs(RABBIT_BINARY)
    pytest.importorskip("aio_pika", reason="aio-pika is in the 'scale' extra")
    with RabbitServer(tmp_path / "rabbit") as rabbit:
        assert rabbit.url == f"amqp://guest:guest@127.0.0.1:{rabbit.port}/"
        assert amqp_answers(rabbit.port)
        asyncio.run(publish_persistent(rabbit.url, "concierge_events", b"turn 1"))
        vm, epmd = rabbit.pid, rabbit.epmd_pid
        assert vm is not None and epmd is not None
        rabbit.kill()
        assert pid_gone(vm) and rabbit.pid is None
        rabbit.restart()
        assert rabbit.pid not in (None, vm)
        assert "concierge_events\t1" in rabbit.ctl("list_queues", "name", "messages")
        last_vm, last_epmd = rabbit.pid, rabbit.epmd_pid
    assert last_vm is not None and pid_gone(last_vm)
    assert last_epmd is not None and pid_gone(last_epmd)
    assert pid_gone(epmd)
    assert rabbit.epmd_pid is None
    # A stack started again later gets new ports and still finds its messages.
    with RabbitServer(tmp_path / "rabbit") as again:
        assert again.port != rabbit.port
        assert asyncio.run(take_one(again.url, "concierge_events")) == b"turn 1"


@pytest.fixture
def two_backends() -> Iterator[dict[str, tuple[subprocess.Popen[bytes], int]]]:
    """Two tiny aiohttp servers, "a" and "b", stopped by PID whatever the test did."""
    script = Path(__file__).with_name("tiny_server.py")
    backends = {}
    try:
        for name in ("a", "b"):
            port = free_port()
            process = subprocess.Popen([sys.executable, str(script), name, str(port)])
            backends[name] = (process, port)
        for process, port in backends.values():
            deadline = time.monotonic() + 30
            while not port_accepts(port):
                assert process.poll() is None and time.monotonic() < deadline, "backend died"
                time.sleep(0.1)
        yield backends
    finally:
        for process, _ in backends.values():
            process.kill()
            process.wait()


def get_json(url: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def balanced_config(root: Path, upstreams: list[str]) -> tuple[str, int]:
    console = free_port()
    config = render_nginx_config(
        listen_rasa=free_port(),
        rasa_upstreams=upstreams,
        listen_console=console,
        console_upstreams=upstreams,
        listen_actions=free_port(),
        action_upstreams=upstreams,
        root=root,
    )
    return config, console


def test_nginx_balances_two_instances_and_routes_around_a_killed_one(
    open_root: Path, two_backends: dict[str, tuple[subprocess.Popen[bytes], int]]
) -> None:
    needs(NGINX_BINARY)
    upstreams = [f"127.0.0.1:{port}" for _, port in two_backends.values()]
    config, console = balanced_config(open_root / "nginx", upstreams)
    with Nginx(open_root / "nginx", config) as nginx:
        url = f"http://127.0.0.1:{console}/"
        assert {get_json(url)["name"] for _ in range(6)} == {"a", "b"}
        victim, _ = two_backends["a"]
        victim.kill()
        victim.wait()
        # Every request still succeeds: a refused connection is retried on "b".
        assert [get_json(url)["name"] for _ in range(10)] == ["b"] * 10
        master = nginx.pid
        assert master is not None
        workers = children_of(master)
        assert workers
    assert pid_gone(master) and all(pid_gone(worker) for worker in workers)
    assert nginx.pid is None


def test_nginx_replaces_a_forged_forwarded_for_and_carries_websockets(
    open_root: Path, two_backends: dict[str, tuple[subprocess.Popen[bytes], int]]
) -> None:
    needs(NGINX_BINARY)
    _, port = two_backends["b"]
    config, console = balanced_config(open_root / "nginx", [f"127.0.0.1:{port}"])
    with Nginx(open_root / "nginx", config):
        seen = get_json(f"http://127.0.0.1:{console}/", {"X-Forwarded-For": "203.0.113.9"})
        assert seen["forwarded_for"] == "127.0.0.1"
        assert seen["forwarded_proto"] == "http"

        async def echo() -> str:
            url = f"http://127.0.0.1:{console}/ws"
            async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket_:
                await socket_.send_str("hello")
                return str((await socket_.receive(timeout=10)).data)

        assert asyncio.run(echo()) == "b:hello"


def test_nginx_kill_takes_its_workers_with_it_and_restart_serves_again(
    open_root: Path, two_backends: dict[str, tuple[subprocess.Popen[bytes], int]]
) -> None:
    needs(NGINX_BINARY)
    upstreams = [f"127.0.0.1:{port}" for _, port in two_backends.values()]
    config, console = balanced_config(open_root / "nginx", upstreams)
    with Nginx(open_root / "nginx", config) as nginx:
        master = nginx.pid
        assert master is not None
        workers = children_of(master)
        nginx.kill()
        assert pid_gone(master) and all(pid_gone(worker) for worker in workers)
        assert not port_accepts(console)
        nginx.restart()
        assert get_json(f"http://127.0.0.1:{console}/")["name"] in {"a", "b"}


def test_nginx_config_needs_an_instance_of_every_service(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no console instance"):
        render_nginx_config(1, ["127.0.0.1:2"], 3, [], 4, ["127.0.0.1:5"], tmp_path)


def test_an_engine_left_running_by_a_crashed_supervisor_is_ended_by_the_next_start(
    tmp_path: Path,
) -> None:
    needs(REDIS_BINARY)
    abandoned = RedisServer(tmp_path / "redis").start()
    try:
        orphan = abandoned.pid
        assert orphan is not None
        # A new supervisor knows nothing but the root folder; its port is new.
        with RedisServer(tmp_path / "redis") as successor:
            assert pid_gone(orphan)
            assert redis_command(successor.port, "PING") == b"+PONG\r\n"
    finally:
        abandoned.stop()


def test_postgres_left_on_another_port_is_moved_to_the_new_one_with_its_data(
    open_root: Path,
) -> None:
    needs(POSTGRES_BINARY)
    psycopg = pytest.importorskip("psycopg")
    abandoned = PostgresServer(open_root / "postgres", durable=False).start()
    try:
        with psycopg.connect(abandoned.url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int)")
        with PostgresServer(open_root / "postgres", durable=False) as successor:
            assert successor.port != abandoned.port and not port_accepts(abandoned.port)
            with psycopg.connect(successor.url.replace("+psycopg", "")) as conn:
                assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)
    finally:
        abandoned.stop()


def test_an_engine_refuses_a_port_another_process_listens_on(tmp_path: Path) -> None:
    needs(REDIS_BINARY)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(EngineError, match=f"another process listens on 127.0.0.1:{port}"):
            RedisServer(tmp_path / "redis", port=port).start()
