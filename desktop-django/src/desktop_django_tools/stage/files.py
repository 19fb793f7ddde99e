"""File-tree helpers shared by the builder and the verifier."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from desktop_django.manifest import MANIFEST_NAME
from desktop_django.slots import COMPLETE_MARK

INDEX_NAME = "stage-files.sha256"
# Files that describe the stage rather than belong to it (a backend update's slot is marked
# complete once it was re-hashed: docs/backend-updates.md).
DESCRIPTORS = {INDEX_NAME, MANIFEST_NAME, COMPLETE_MARK}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def walk_files(root: Path) -> Iterator[Path]:
    """Every file below root in a stable order (sorted), symlinks included as entries."""
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(directory) / name


def relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def tree_size(root: Path) -> tuple[int, int]:
    total = count = 0
    for path in walk_files(root):
        if not path.is_symlink():
            total += path.stat().st_size
            count += 1
    return total, count


def remove(path: Path) -> int:
    """Delete a file or folder; returns the bytes freed."""
    if path.is_symlink() or path.is_file():
        size = path.lstat().st_size
        path.unlink()
        return size
    if path.is_dir():
        size, _ = tree_size(path)
        shutil.rmtree(path)
        return size
    return 0


def materialise_symlinks(root: Path) -> int:
    """Replace every symlink by a copy of its target: signing tools and zip formats break on
    links. Links into the tree that point at folders are copied as folders."""
    replaced = 0
    for directory, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            link = Path(directory) / name
            if not link.is_symlink():
                continue
            target = link.resolve()
            link.unlink()
            if target.is_dir():
                shutil.copytree(target, link, symlinks=False)
            elif target.exists():
                shutil.copy2(target, link)
            replaced += 1
    return replaced
