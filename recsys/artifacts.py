"""Versioned model artifacts on disk: a joblib file plus a metadata JSON per version.

Layout under ``settings.artifacts_dir``::

    <name>/v0003/model.joblib
    <name>/v0003/metadata.json   {"name", "version", "created_at", "data_fingerprint", "metrics", ...}
    <name>/LATEST                "v0003"

A version directory is written completely under a temporary name and then renamed, and
LATEST is replaced atomically, so a reader never sees half an artifact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
LATEST_FILE = "LATEST"
_VERSION = re.compile(r"^v(\d{4,})$")


class ArtifactError(RuntimeError):
    """An artifact is missing or unreadable; the message names which and where."""


@dataclass(frozen=True)
class ArtifactMetadata:
    """What is known about one saved model."""

    name: str
    version: str
    created_at: str
    data_fingerprint: str
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def _versions(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    found = [p.name for p in folder.iterdir() if p.is_dir() and _VERSION.match(p.name)]
    return sorted(found, key=lambda v: int(v[1:]))


def list_versions(artifacts_dir: Path, name: str) -> list[str]:
    """Saved versions of ``name``, oldest first."""
    return _versions(Path(artifacts_dir) / name)


def save_artifact(
    artifacts_dir: Path,
    name: str,
    model: object,
    *,
    data_fingerprint: str,
    metrics: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> ArtifactMetadata:
    """Write ``model`` as the next version of ``name`` and point LATEST at it."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"artifact name {name!r} must be lower-case letters, digits and _")
    folder = Path(artifacts_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    existing = _versions(folder)
    version = f"v{(int(existing[-1][1:]) + 1) if existing else 1:04d}"
    metadata = ArtifactMetadata(
        name=name,
        version=version,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        data_fingerprint=data_fingerprint,
        metrics=_jsonable(metrics or {}),
        params=_jsonable(params or {}),
    )
    staging = folder / f".{version}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    joblib.dump(model, staging / MODEL_FILE, compress=3)
    (staging / METADATA_FILE).write_text(json.dumps(metadata.__dict__, indent=2, sort_keys=True))
    staging.rename(folder / version)
    pointer = folder / f".{LATEST_FILE}.tmp"
    pointer.write_text(version)
    os.replace(pointer, folder / LATEST_FILE)
    return metadata


def latest_metadata(artifacts_dir: Path, name: str) -> ArtifactMetadata | None:
    """Metadata of the latest version of ``name``; None when there is none."""
    folder = Path(artifacts_dir) / name
    pointer = folder / LATEST_FILE
    if not pointer.exists():
        return None
    return read_metadata(folder / pointer.read_text().strip())


def read_metadata(version_dir: Path) -> ArtifactMetadata:
    """Metadata stored in one version directory."""
    path = version_dir / METADATA_FILE
    try:
        return ArtifactMetadata(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise ArtifactError(f"cannot read artifact metadata {path}: {exc}") from exc


def load_artifact(
    artifacts_dir: Path, name: str, version: str | None = None
) -> tuple[Any, ArtifactMetadata]:
    """The model and metadata of ``name`` (latest version unless one is given)."""
    folder = Path(artifacts_dir) / name
    if version is None:
        pointer = folder / LATEST_FILE
        if not pointer.exists():
            raise ArtifactError(
                f"no artifact {name!r} under {artifacts_dir}: run `python -m recsys train` first"
            )
        version = pointer.read_text().strip()
    version_dir = folder / version
    metadata = read_metadata(version_dir)
    try:
        model = joblib.load(version_dir / MODEL_FILE)
    except Exception as exc:  # a truncated or incompatible pickle: report which file
        raise ArtifactError(f"cannot load artifact {version_dir / MODEL_FILE}: {exc}") from exc
    return model, metadata


def _jsonable(value: Any) -> Any:
    """Numpy scalars and nested containers turned into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value
