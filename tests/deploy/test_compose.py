"""deploy/compose.yml runs what ``python -m concierge.stack --scale 2`` runs, process for process.

No Docker daemon runs here, so the file is checked as data against the code that starts the
scaled stack on one machine: the services against :func:`concierge.scale.topology`, each
command and environment against :class:`concierge.stack.Stack`, the nginx configuration
against the template both render. Containers see the checkout at ``/app``; that and the
interpreter's path are the only differences allowed (tests/deploy/compose_model.py).
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from concierge.engines import missing_engines
from concierge.postgres_server import postgres_binaries
from concierge.scale import KINDS, TRACKER_DATABASE, topology
from concierge.settings import ROOT, Settings
from concierge.stack import MODEL_PATH, Stack
from tests.deploy.compose_model import (
    APP,
    DEPLOY,
    FAKE_ENV,
    REQUIRED_SECRETS,
    MissingVariable,
    command,
    compose,
    environ,
    image_tag,
    interpolate_all,
    render_nginx,
    scaled_services,
    service_env,
    settings_from,
    to_app,
)

N = 2
BALANCER = "nginx"
BIND = "0.0.0.0"
# Hosts differ from the one-machine stack (everything on 127.0.0.1): a container binds every
# address of its own, and reaches the other services through the balancer's name.
CONTAINER_HOSTS = {
    "actions": {"host": BIND, "action_host": BIND, "rasa_host": BALANCER},
    "rasa": {"host": BIND, "rasa_host": BIND, "action_host": BALANCER},
    "console": {"host": BIND, "rasa_host": BALANCER, "action_host": BALANCER},
}
# Debian 12's engines (what scripts/setup.sh installs and the scaled tests run), by image.
DEBIAN_VERSIONS = {"postgres": "15", "redis": "7.0", "rabbitmq": "3.10", "nginx": "1.22"}


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return compose()


def compose_settings(data: dict[str, Any], service: str) -> Settings:
    return settings_from(service_env(data, service))


def cluster_and_front(data: dict[str, Any]) -> tuple[Settings, Settings]:
    """The shared settings (engines, secrets) and the balancer's ports, as compose has them."""
    cluster = settings_from({str(k): str(v) for k, v in data["x-concierge-env"].items()})
    ports = render_nginx.FRONT_PORTS
    front = replace(
        cluster,
        rasa_port=ports["rasa"],
        action_port=ports["actions"],
        console_port=ports["console"],
    )
    return cluster, front


def test_the_concierge_services_are_the_processes_of_the_scaled_topology(data: dict) -> None:
    cluster, front = cluster_and_front(data)
    services = scaled_services(data)
    # Each instance's own ports (the action server's metrics port is the actions' too).
    ports = {
        key: [getattr(compose_settings(data, f"{kind}-{i}"), field) for i in range(1, N + 1)]
        for key, kind, field in (
            ("actions", "actions", "action_port"),
            ("metrics", "actions", "action_metrics_port"),
            ("rasa", "rasa", "rasa_port"),
            ("console", "console", "console_port"),
        )
    }
    specs = topology(cluster, N, ports, front)
    assert sorted(services) == sorted(spec.name for spec in specs)
    assert {kind for kind, _ in services.values()} == set(KINDS)
    for spec in specs:
        hosts = CONTAINER_HOSTS[spec.kind]
        expected = replace(
            spec.settings,
            host=hosts["host"],
            rasa_host=hosts["rasa_host"],
            action_host=hosts["action_host"],
        )
        assert compose_settings(data, spec.name) == expected, spec.name


@pytest.mark.parametrize("service", [f"{k}-{i}" for k in KINDS for i in range(1, N + 1)])
def test_each_command_is_the_one_stack_builds_for_that_process(data: dict, service: str) -> None:
    kind = service.split("-")[0]
    settings = compose_settings(data, service)
    with environ({}):
        built = Stack(settings, services=(kind,)).services[kind].command
    assert [to_app(part) for part in built] == command(data, service)


@pytest.mark.parametrize("service", [f"{k}-{i}" for k in KINDS for i in range(1, N + 1)])
def test_each_environment_is_exactly_what_stack_gives_that_process(
    data: dict, service: str
) -> None:
    """Same variables, same values: nothing Stack sets is missing, nothing extra is set."""
    kind = service.split("-")[0]
    written = service_env(data, service)
    with environ({}):  # only what Stack itself sets, none of this machine's environment
        env = Stack(settings_from(written), services=(kind,)).services[kind].env
    assert {name: to_app(value) for name, value in env.items()} == written


def test_compose_refuses_to_start_without_each_secret() -> None:
    for secret in REQUIRED_SECRETS:
        incomplete = {k: v for k, v in FAKE_ENV.items() if k != secret}
        with pytest.raises(MissingVariable, match=rf"^'?{secret}: set {secret} in deploy/.env"):
            compose(incomplete)
        with pytest.raises(MissingVariable):
            compose({**incomplete, secret: ""})


def test_no_secret_has_a_default_value() -> None:
    text = (DEPLOY / "compose.yml").read_text()
    for secret in REQUIRED_SECRETS:
        uses = re.findall(rf"\$\{{{secret}([^}}]*)\}}", text)
        assert uses, f"{secret} is not used"
        assert all(use.startswith(":?") for use in uses), (secret, uses)


def test_env_example_lists_every_secret_compose_requires() -> None:
    listed = re.findall(r"^([A-Z_]+)=", (DEPLOY / "env.example").read_text(), re.M)
    assert sorted(listed) == sorted(REQUIRED_SECRETS)


def test_the_console_trusts_exactly_the_balancers_address(data: dict) -> None:
    cluster, _ = cluster_and_front(data)
    network = data["services"]["nginx"]["networks"]["backend"]
    subnet = ipaddress.ip_network(data["networks"]["backend"]["ipam"]["config"][0]["subnet"])
    assert cluster.trusted_proxies == (network["ipv4_address"],)
    assert ipaddress.ip_address(network["ipv4_address"]) in subnet


def test_the_store_and_tracker_live_in_the_compose_postgres(data: dict) -> None:
    cluster, _ = cluster_and_front(data)
    postgres = data["services"]["postgres"]["environment"]
    for url, database in (
        (cluster.db_url, postgres["POSTGRES_DB"]),
        (cluster.tracker_db_url, TRACKER_DATABASE),
    ):
        assert url == (
            f"postgresql+psycopg://{postgres['POSTGRES_USER']}:"
            f"{postgres['POSTGRES_PASSWORD']}@postgres:5432/{database}"
        )
    init = (DEPLOY / "postgres-init.sql").read_text()
    assert re.search(rf"^CREATE DATABASE {TRACKER_DATABASE};", init, re.M)
    assert cluster.redis_url.endswith("@redis:6379/0")
    assert cluster.broker_url.endswith("@rabbitmq:5672/")


def test_a_one_shot_migration_runs_before_every_concierge_service(data: dict) -> None:
    cluster, _ = cluster_and_front(data)
    migrate = data["services"]["migrate"]
    assert command(data, "migrate") == ["/app/.venv/bin/python", "-m", "store", "init"]
    assert compose_settings(data, "migrate").db_url == cluster.db_url
    assert migrate["restart"] == "no"
    for service in scaled_services(data):
        depends = data["services"][service]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, service


def _host_path(mounts: list[str], path: str) -> Path:
    """Where ``path`` of a container comes from on the host, through its one bind mount."""
    found = []
    for mount in mounts:
        source, target = mount.split(":")[:2]
        if path == target or path.startswith(target + "/"):
            found.append((DEPLOY / source).resolve() / Path(path).relative_to(target))
    assert len(found) == 1, f"{path} is not mounted exactly once: {mounts}"
    return found[0]


def test_mounted_models_are_where_the_processes_read_them(data: dict) -> None:
    """Rasa reads the model Stack passes and the spaCy pipeline config.yml names (by path);
    the action servers read the recsys artifacts. Each mount brings the checkout's file that
    make train (recsys train) writes to exactly that path."""
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    spacy_model = next(step["model"] for step in pipeline if step["name"] == "SpacyNLP")
    cluster, _ = cluster_and_front(data)
    wanted = {
        "rasa": [to_app(str(MODEL_PATH)), f"{APP}/{spacy_model}"],
        "actions": [str(cluster.artifacts_dir)],
    }
    for kind, paths in wanted.items():
        for i in range(1, N + 1):
            mounts = data["services"][f"{kind}-{i}"]["volumes"]
            for path in paths:
                assert _host_path(mounts, path) == Path(path.replace(APP, str(ROOT)))


@pytest.mark.parametrize("image", sorted(DEBIAN_VERSIONS))
def test_engine_images_are_the_debian_versions_the_scaled_tests_run(data: dict, image: str) -> None:
    service = {"postgres": "postgres", "redis": "redis", "rabbitmq": "rabbitmq", "nginx": "nginx"}
    assert image_tag(data, service[image]) == (image, DEBIAN_VERSIONS[image])
    installed = _installed_version(image)
    if installed is None:
        pytest.skip(f"{image} is not installed here; compared with Debian 12's version only")
    assert re.match(rf"{re.escape(DEBIAN_VERSIONS[image])}\b", installed), (image, installed)


def _installed_version(engine: str) -> str | None:
    """This machine's version of an engine (Debian's packages), or None when missing."""
    if engine == "postgres":
        binaries = postgres_binaries()
        if binaries is None:
            return None
        out = _run([str(binaries / "pg_ctl"), "--version"])
        return re.search(r"\) (\d+\.\d+)", out).group(1)  # type: ignore[union-attr]
    if engine == "rabbitmq":
        if "rabbitmq-server" in missing_engines() or not shutil.which("dpkg-query"):
            return None
        return _run(["dpkg-query", "-W", "-f", "${Version}", "rabbitmq-server"])
    binary = {"redis": "redis-server", "nginx": "nginx"}[engine]
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if path is None:
        return None
    out = _run([path, "-v"])
    return re.search(r"(?:v=|nginx/)(\d+\.\d+\.\d+)", out).group(1)  # type: ignore[union-attr]


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout + done.stderr


def test_the_committed_nginx_config_is_rendered_from_the_template_for_these_services(
    data: dict,
) -> None:
    committed = render_nginx.OUTPUT.read_text()
    assert committed == render_nginx.compose_nginx_config(), (
        "deploy/nginx.compose.conf is out of date: run .venv/bin/python deploy/render_nginx.py"
    )
    for kind in KINDS:
        for i in range(1, N + 1):
            assert re.search(rf"^\s*server {kind}-{i}:\d+ ", committed, re.M), (kind, i)
    nginx = data["services"]["nginx"]
    assert "./nginx.compose.conf:/etc/nginx/concierge.conf:ro" in nginx["volumes"]
    published = [p.rsplit(":", 1)[1] for p in nginx["ports"]]
    assert published == [str(render_nginx.FRONT_PORTS["console"])]


def test_the_compose_nginx_config_is_one_nginx_accepts(tmp_path: Path) -> None:
    """``nginx -t`` on the committed file, its paths moved to a temporary folder and the
    compose service names (which only resolve inside the compose network) to loopback."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if binary is None:
        pytest.skip("nginx is not installed (bash scripts/setup.sh --engines)")
    text = render_nginx.OUTPUT.read_text().replace(str(render_nginx.NGINX_ROOT), str(tmp_path))
    text = re.sub(r"server (actions|rasa|console)-\d+:", "server 127.0.0.1:", text)
    (tmp_path / "temp").mkdir()
    (tmp_path / "nginx.conf").write_text(text)
    done = subprocess.run(
        [binary, "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"),
         "-e", str(tmp_path / "error.log")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_interpolation_follows_compose_for_defaults_and_dollars() -> None:
    # The helper these checks rest on: defaults apply to unset (and, with ':', empty) values.
    assert interpolate_all(["${A:-x}", "${A-x}", "$${A}"], {"A": ""}) == ["x", "", "${A}"]
    assert interpolate_all({"k": "${B:?no}-${C}"}, {"B": "1"}) == {"k": "1-"}
