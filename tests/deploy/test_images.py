"""The two images are built the way scripts/setup.sh builds the two environments.

No Docker daemon runs here, so the Dockerfiles are checked as files (the Python version and
lock file of each environment, the checkout's layout under /app, every COPY source present
and inside the build context), and the Rasa image's entrypoint is run for real in
``.venv-rasa`` (Python 3.10) with a compose service's environment.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from concierge.rasa_endpoints import endpoints_config
from concierge.settings import ROOT
from concierge.stack import RASA_BIN
from tests.deploy.compose_model import (
    APP,
    APP_PYTHON,
    DEPLOY,
    compose,
    dockerfile_instructions,
    ignored_by,
    scaled_services,
    service_env,
    settings_from,
)

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
# Each image: its Dockerfile, the lock of the environment it holds, the venv it makes.
IMAGES = {
    "rasa": ("Dockerfile.rasa", "bot/requirements.lock", RASA_BIN.parent.parent),
    "app": ("Dockerfile.app", "requirements/main.lock", ROOT / ".venv"),
}
# The drivers a process needs for the engines compose gives it, by lock.
DRIVERS = {
    "bot/requirements.lock": ("psycopg2-binary", "redis", "aio-pika"),
    "requirements/main.lock": ("psycopg", "psycopg-binary", "redis", "aio-pika"),
}


def _lock_python(lock: str) -> str:
    match = re.search(r"\(Python (3\.\d+)\)", (ROOT / lock).read_text())
    assert match, f"{lock} does not say which Python it is for"
    return match.group(1)


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_each_image_installs_its_environments_lock_on_its_python(image: str) -> None:
    dockerfile, lock, venv = IMAGES[image]
    steps = dockerfile_instructions(DEPLOY / dockerfile)
    assert steps[0] == ("FROM", f"python:{_lock_python(lock)}-slim")
    assert ("WORKDIR", APP) in steps
    app_venv = f"{APP}/{venv.relative_to(ROOT)}"
    installs = [
        i
        for i, (op, args) in enumerate(steps)
        if op == "RUN" and f"{app_venv}/bin/pip install --no-deps -r {lock}" in args
    ]
    assert len(installs) == 1, f"{dockerfile} must install {lock} with --no-deps into {app_venv}"
    assert f"python -m venv {app_venv}" in steps[installs[0]][1]
    copied_before = [args.split() for op, args in steps[: installs[0]] if op == "COPY"]
    assert [lock, lock] in copied_before, "the lock is copied before it is installed"


def test_the_images_run_from_the_checkout_layout_stack_expects() -> None:
    """Stack runs ROOT/.venv-rasa/bin/rasa and sys.executable with ROOT as working folder."""
    assert f"{APP}/{(IMAGES['app'][2] / 'bin' / 'python').relative_to(ROOT)}" == APP_PYTHON
    rasa = dict(dockerfile_instructions(DEPLOY / "Dockerfile.rasa"))
    rasa_bin = f"{APP}/{RASA_BIN.relative_to(ROOT)}"
    entrypoint = ["/app/.venv-rasa/bin/python", "/app/deploy/rasa_entrypoint.py"]
    assert yaml.safe_load(rasa["ENTRYPOINT"]) == entrypoint
    assert yaml.safe_load(rasa["CMD"]) == compose()["services"]["rasa-1"]["command"]
    assert yaml.safe_load(rasa["CMD"])[0] == rasa_bin


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_every_copy_source_exists_and_is_in_the_build_context(image: str) -> None:
    dockerfile = DEPLOY / IMAGES[image][0]
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    sources = [
        source
        for op, args in dockerfile_instructions(dockerfile)
        if op == "COPY"
        for source in args.split()[:-1]
        if not source.startswith("--")
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"{dockerfile.name}: COPY {source}: not in the repository"
        assert not ignored_by(ignore, source), f"{ignore.name} keeps {source} out of the context"


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_build_context_leaves_out_environments_and_runtime_state(image: str) -> None:
    dockerfile = DEPLOY / IMAGES[image][0]
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    for heavy in (".venv", ".venv-rasa", "var", "models", ".git", "console/__pycache__"):
        assert ignored_by(ignore, heavy), f"{ignore.name} lets {heavy} into the context"


def test_compose_builds_each_service_from_the_image_of_its_environment() -> None:
    data = compose()
    for service, (kind, _) in scaled_services(data).items():
        dockerfile = data["services"][service]["build"]["dockerfile"]
        assert dockerfile == (
            "deploy/Dockerfile.rasa" if kind == "rasa" else "deploy/Dockerfile.app"
        )
        assert data["services"][service]["build"]["context"] == ".."


@pytest.mark.parametrize("lock", sorted(DRIVERS))
def test_each_lock_holds_the_drivers_for_the_engines_compose_configures(lock: str) -> None:
    """The console reads CONCIERGE_REDIS_URL / CONCIERGE_BROKER_URL in compose: an image
    built from a lock without redis or aio-pika would stop at its first import."""
    pinned = {
        line.split("==")[0].strip().lower()
        for line in (ROOT / lock).read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    missing = [driver for driver in DRIVERS[lock] if driver not in pinned]
    assert not missing, (
        f"{lock} lacks {missing}: lock them too (pyproject's 'scale' extra for the main lock; "
        "scripts/lock.py locks .[dev] only)"
    )


needs_rasa_env = pytest.mark.skipif(
    not RASA_PYTHON.exists(), reason=".venv-rasa is not built (make setup)"
)


def _entrypoint(tmp_path: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    """deploy/rasa_entrypoint.py in .venv-rasa with rasa-1's compose environment."""
    env = service_env(compose(), "rasa-1")
    env.update({"CONCIERGE_VAR_DIR": str(tmp_path), "PATH": os.environ.get("PATH", "")})
    return subprocess.run(
        [str(RASA_PYTHON), str(DEPLOY / "rasa_entrypoint.py"), *command],
        cwd=tmp_path,  # not the checkout: the script finds the concierge package itself
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_rasa_env
def test_the_rasa_entrypoint_writes_the_endpoints_stack_would_then_runs_the_command(
    tmp_path: Path,
) -> None:
    target = tmp_path / "rasa" / "endpoints.yml"
    done = _entrypoint(tmp_path, ["cat", str(target)])
    assert done.returncode == 0, done.stderr
    written = yaml.safe_load(done.stdout)
    env = {**service_env(compose(), "rasa-1"), "CONCIERGE_VAR_DIR": str(tmp_path)}
    assert written == endpoints_config(settings_from(env))
    assert written["tracker_store"]["dialect"] == "postgresql+psycopg2"
    assert (written["lock_store"]["url"], written["event_broker"]["url"]) == ("redis", "rabbitmq")


@needs_rasa_env
def test_the_rasa_entrypoint_refuses_a_command_reading_another_endpoints_file(
    tmp_path: Path,
) -> None:
    done = _entrypoint(tmp_path, ["true", "--endpoints", "/elsewhere/endpoints.yml"])
    assert done.returncode == 2
    assert "Concierge cannot start:" in done.stderr and "Traceback" not in done.stderr
    assert "--endpoints" in done.stderr and str(tmp_path / "rasa" / "endpoints.yml") in done.stderr


@needs_rasa_env
@pytest.mark.parametrize("flag", ["--enable-api", "--enable"])
def test_the_rasa_entrypoint_refuses_a_command_that_opens_rasas_http_api(
    tmp_path: Path, flag: str
) -> None:
    # `echo` stands in for rasa: refused, the command is never run at all.
    done = _entrypoint(tmp_path, ["echo", "rasa", "run", flag])
    assert done.returncode == 2
    assert "--enable-api is refused" in done.stderr
    assert done.stdout == ""


@needs_rasa_env
def test_the_rasa_entrypoint_stops_on_a_malformed_url_naming_the_variable(tmp_path: Path) -> None:
    env = service_env(compose(), "rasa-1")
    env.update({"CONCIERGE_VAR_DIR": str(tmp_path), "CONCIERGE_REDIS_URL": "redis//oops"})
    done = subprocess.run(
        [str(RASA_PYTHON), str(DEPLOY / "rasa_entrypoint.py"), "true"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Concierge cannot start: CONCIERGE_REDIS_URL" in done.stderr
    assert not (tmp_path / "rasa" / "endpoints.yml").exists()


def _module_file(name: str) -> Path | None:
    """The checkout's file for a dotted module name, or None when it is not the project's."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:``, which never run."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def _imported_files(start: list[Path]) -> set[Path]:
    """Every project file ``start`` imports, transitively (imports inside functions too),
    with the ``__init__.py`` of each package on the way."""
    seen: set[Path] = set()
    pending = list(start)
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in _runtime_nodes(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    found = _module_file(".".join(parts[:i]))
                    if found is not None and found not in seen:
                        pending.append(found)
    return seen


def _copied(dockerfile: str) -> list[Path]:
    return [
        ROOT / source
        for op, args in dockerfile_instructions(DEPLOY / dockerfile)
        if op == "COPY"
        for source in args.split()[:-1]
    ]


@pytest.mark.parametrize(
    ("dockerfile", "entry_points"),
    [
        # compose's commands: python -m actions / console / store; Rasa loads bot/ (the
        # channel in credentials.yml, the model's custom components) after the entrypoint.
        ("Dockerfile.app", ["actions/__main__.py", "console/__main__.py", "store/__main__.py"]),
        ("Dockerfile.rasa", ["deploy/rasa_entrypoint.py", "bot/channels/__init__.py"]),
    ],
)
def test_every_project_module_the_services_import_is_in_their_image(
    dockerfile: str, entry_points: list[str]
) -> None:
    start = [ROOT / entry for entry in entry_points]
    if dockerfile == "Dockerfile.rasa":
        start += sorted((ROOT / "bot" / "components").glob("*.py"))
    copied = _copied(dockerfile)
    outside = [
        str(path.relative_to(ROOT))
        for path in sorted(_imported_files(start))
        if not any(path == c or c in path.parents for c in copied)
    ]
    assert not outside, f"{dockerfile} does not copy {outside}"
