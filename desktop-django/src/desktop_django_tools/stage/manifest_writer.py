"""Describe a finished stage: the sha256 index of every file and `runtime-manifest.json`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from desktop_django import env
from desktop_django.manifest import SCHEMA_VERSION, current_platform, validate

from desktop_django_tools.integrations import git
from desktop_django_tools.release.credentials import PUBLIC_KEY_IN_REPO
from desktop_django_tools.stage.config import StagedProject
from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.files import (
    DESCRIPTORS,
    INDEX_NAME,
    MANIFEST_NAME,
    relative,
    sha256_of,
    walk_files,
)

# The JSON Schema of runtime-manifest.json: the contract every shell's reader is tested against
# (with the shared vectors in tests/stage/vectors/).
SCHEMA_PATH = Path(__file__).with_name("runtime-manifest.schema.json")


def write_index(stage_root: Path) -> tuple[str, int, int]:
    """Write `stage-files.sha256` (sha256sum format) and return (its sha256, bytes, files)."""
    lines = []
    total = 0
    for path in walk_files(stage_root):
        name = relative(path, stage_root)
        if name in DESCRIPTORS:
            continue
        if path.is_symlink():
            raise StageError(
                f"{name} in the stage is a symlink; the stage must not contain any",
                "find the step or package that made it (the log names the last step) and stage "
                "again",
            )
        total += path.stat().st_size
        lines.append(f"{sha256_of(path)}  {name}\n")
    index = stage_root / INDEX_NAME
    index.write_text("".join(lines), encoding="utf-8")
    return sha256_of(index), total, len(lines)


def describe_again(stage_root: Path, version: str | None = None) -> dict:
    """After files of a copied stage were edited (a test's next version, the bench's layers):
    write its index and manifest again, `version` as app.version when given, so the copy is a
    stage `verify-stage` passes and a layer can be made from."""
    path = stage_root / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    # New files, not rewritten ones: the copy may share them (hard links) with its original.
    path.unlink()
    (stage_root / manifest["index"]["path"]).unlink()
    index_sha, total, count = write_index(stage_root)
    manifest["index"]["sha256"] = index_sha
    manifest["size"] = {"bytes": total, "files": count}
    if version is not None:
        manifest["app"]["version"] = version
    path.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


def source_hash(project: StagedProject) -> str:
    """A hash of the tracked sources that go into the stage, to tell when it is stale."""
    import hashlib

    digest = hashlib.sha256()
    # The committed release key too: the stage ships it (update-key.pub), so committing one
    # makes the stage stale. Without one the hash is what it always was.
    listed = ("ls-files", "--", *project.source_dirs, "uv.lock", PUBLIC_KEY_IN_REPO.as_posix())
    files = git.output(project.repo, *listed).splitlines() if git.in_work_tree(project.repo) else []
    for name in sorted(files):
        path = project.repo / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + sha256_of(path).encode() + b"\n")
    return digest.hexdigest()


def build_timestamp(project: StagedProject) -> str:
    """SOURCE_DATE_EPOCH, else the commit time: the same sources give the same manifest."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch and git.head(project.repo):
        epoch = git.output(project.repo, "log", "-1", "--format=%ct")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_manifest(
    stage_root: Path,
    project: StagedProject,
    app: dict,
    python_version: str,
    python_executable: Path,
    python_source: str,
    bytecode: bool,
) -> dict:
    index_sha, total, count = write_index(stage_root)
    sha = git.head(project.repo) or "unknown"
    status = ("status", "--porcelain", "--untracked-files=no", "--", *project.source_dirs)
    if git.in_work_tree(project.repo) and git.output(project.repo, *status):
        sha += "-dirty"
    isolated = ["-I", "-m", project.launcher_module]
    manifest = {
        "schemaVersion": SCHEMA_VERSION,
        "app": {**app, "sourceHash": source_hash(project)},
        "build": {
            "gitSha": sha,
            "timestamp": build_timestamp(project),
            "pythonSource": python_source,
            "bytecode": bytecode,
        },
        "python": {
            "version": python_version,
            "executable": relative(python_executable, stage_root),
            "platform": current_platform(),
        },
        "launcher": {
            "module": project.launcher_module,
            "serve": [*isolated, "serve"],
            "worker": [*isolated, "worker"],
            "env": list(env.ALL),
        },
        "paths": {"staticfiles": "staticfiles"},
        "size": {"bytes": total, "files": count},
        "index": {"path": INDEX_NAME, "sha256": index_sha},
    }
    validate(manifest)
    (stage_root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest
