"""A release folder made of real files, shaped like what electron-builder leaves on Linux."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest
from desktop_django.layers import UPDATE_KEY
from desktop_django_testing.stage import describe_again, linked_copy, next_version_of
from desktop_django_tools.release import signing
from desktop_django_tools.release.credentials import PUBLIC_KEY_IN_REPO
from desktop_django_tools.release.manifest import Product, make_release
from desktop_django_tools.stage import update_key

PRODUCT = Product("flying-stable", "Flying Stable", "0.1.0")
GIT = {"sha": "0123456789abcdef0123456789abcdef01234567", "dirty": False}
APPIMAGE = "flying-stable-linux-0.1.0-x86_64.AppImage"
DEB = "flying-stable-linux-0.1.0-amd64.deb"
TARBALL = "flying-stable-linux-0.1.0-x64.tar.gz"


def _tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"#!/bin/sh\necho flying stable\n"
        info = tarfile.TarInfo("flying-stable/flying-stable")
        info.size, info.mode = len(data), 0o755
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def make_linux_artifacts(folder: Path, leftovers: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    appimage = folder / APPIMAGE
    appimage.write_bytes(os.urandom(256 * 1024))
    appimage.chmod(0o755)
    (folder / DEB).write_bytes(b"!<arch>\n" + os.urandom(64 * 1024))
    (folder / TARBALL).write_bytes(_tarball())
    sha512 = base64.b64encode(hashlib.sha512(appimage.read_bytes()).digest()).decode()
    (folder / "latest-linux.yml").write_text(
        f"version: 0.1.0\nfiles:\n  - url: {APPIMAGE}\n    sha512: {sha512}\n"
        f"    size: {appimage.stat().st_size}\n    blockMapSize: 1234\n"
        f"path: {APPIMAGE}\nsha512: {sha512}\nreleaseDate: '2026-11-21T20:00:00.000Z'\n",
        encoding="utf-8",
    )
    if leftovers:
        add_leftovers(folder)
    return folder


def add_leftovers(folder: Path) -> None:
    """What electron-builder leaves beside the artifacts, which is never released."""
    (folder / "builder-debug.yml").write_text("x: 1\n", encoding="utf-8")
    (folder / "builder-effective-config.yaml").write_text("x: 1\n", encoding="utf-8")
    (folder / "linux-unpacked").mkdir()
    (folder / "linux-unpacked" / "flying-stable").write_bytes(b"\x7fELF")


@pytest.fixture(scope="session")
def release_key() -> signing.SigningKey:
    return signing.generate()


@pytest.fixture
def artifacts(tmp_path) -> Path:
    return make_linux_artifacts(tmp_path / "dist" / "electron" / "0.1.0")


@pytest.fixture
def released(artifacts, release_key) -> Path:
    """The artifacts after the release step, signed."""
    make_release("electron", artifacts, product_info=PRODUCT, git=GIT, key=release_key)
    return artifacts


@pytest.fixture(scope="session")
def layer_stages(staged, release_key, tmp_path_factory) -> tuple[Path, Path]:
    """(old, new): a copy of the session's stage that trusts the release key (shipped the way
    the stage build ships a project's committed key), and the next version of it."""
    work = tmp_path_factory.mktemp("layer-stages")
    repo = work / "project"
    (repo / PUBLIC_KEY_IN_REPO).parent.mkdir(parents=True)
    (repo / PUBLIC_KEY_IN_REPO).write_text(release_key.public_key_text(), encoding="utf-8")
    old = work / "0.1.0" / "backend"
    linked_copy(staged, old)  # read only from here on
    (old / UPDATE_KEY).unlink(missing_ok=True)
    update_key.ship(old, repo)
    describe_again(old)
    new = work / "0.2.0" / "backend"
    next_version_of(old, new, "0.2.0")
    return old, new
