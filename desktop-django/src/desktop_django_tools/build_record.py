"""A build made once and reused: the hash of its inputs, recorded beside its outputs.

One `.ci/run` asks for the same Tauri release build three times (prepare-shells, `test-shell
tauri`, the window tests' session fixture). cargo alone does not make the later ones free:
the dev-profile builds in between (cargo test, clippy) rewrite tauri-build's generated files,
so the release profile recompiles the app crate (1.5 minutes in CI), and the bundler packs
the stage into the .deb and .rpm again. A record of what went in and what came out lets an
identical request reuse the outputs instead.

The record is removed before a build starts and written only after it succeeded, so an
interrupted or failed build never leaves one behind; an output changed since (by a build
outside these tools) no longer matches its recorded size and time, so it is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path


def tree_digest(root: Path, skip: Iterable[str] = ()) -> str:
    """sha256 over every file's path and content below `root`, leaving out the folders named
    in `skip` (paths relative to `root`, e.g. build outputs)."""
    skipped = {Path(name) for name in skip}
    digest = hashlib.sha256()
    for folder, folders, files in os.walk(root):
        here = Path(folder).relative_to(root)
        folders[:] = sorted(name for name in folders if here / name not in skipped)
        for name in sorted(files):
            digest.update(f"{(here / name).as_posix()}\0".encode())
            digest.update(hashlib.sha256((Path(folder) / name).read_bytes()).digest())
    return digest.hexdigest()


def inputs_digest(*parts: str) -> str:
    """One hash of everything a build depends on, each part already a string."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _identity(path: Path) -> list[int]:
    status = path.stat()
    return [status.st_size, status.st_mtime_ns]


def reusable(record: Path, inputs: str) -> list[Path] | None:
    """The outputs of the recorded build when it was made from exactly `inputs` and every
    output is still as it left them; else None."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        if data["inputs"] != inputs:
            return None
        outputs = [(Path(name), identity) for name, identity in data["outputs"]]
        if all(_identity(path) == identity for path, identity in outputs):
            return [path for path, _identity_then in outputs]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no record, or one of another shape: build again
    return None


def forget(record: Path) -> None:
    record.unlink(missing_ok=True)


def write(record: Path, inputs: str, outputs: Iterable[Path]) -> None:
    data = {"inputs": inputs, "outputs": [[str(p), _identity(p)] for p in outputs]}
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(data, indent=1), encoding="utf-8")
