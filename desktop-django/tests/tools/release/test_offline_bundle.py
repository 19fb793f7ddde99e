"""`nox -s offline-bundle`: exactly the verified release, in a folder and two archives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest
from desktop_django_testing.ci import only_on, require_tool
from desktop_django_tools.release.bundle import make_bundle
from desktop_django_tools.release.manifest import ReleaseError

from tools.release.conftest import APPIMAGE, DEB, add_leftovers
from tools.release.test_release_folder import run_verifier


@pytest.fixture
def bundle(released, tmp_path):
    add_leftovers(released)  # beside the release in dist/, never carried
    return make_bundle(released, tmp_path / "offline")


def test_bundle_holds_the_release_and_verifies_strictly(bundle, released):
    names = sorted(path.name for path in bundle.folder.iterdir())
    assert names == sorted(
        [APPIMAGE, DEB, "flying-stable-linux-0.1.0-x64.tar.gz", "latest-linux.yml",
         "release-manifest.json", "verify.py", "VERIFY.txt", "flying-stable-release.pub",
         "SHA256SUMS", "SHA256SUMS.minisig"]
    )  # fmt: skip
    assert bundle.folder.name.startswith("flying-stable-electron-0.1.0-")
    result = run_verifier(bundle.folder)
    assert result.returncode == 0, result.stdout
    if os.name != "nt":  # Windows files have no executable bit to keep
        assert (bundle.folder / APPIMAGE).stat().st_mode & 0o111, "the AppImage stays executable"


def test_archives_unpack_to_the_same_verified_folder(bundle, tmp_path):
    zip_path, tar_path = bundle.archives
    for archive_path, target in (
        (zip_path, tmp_path / "from-zip"),
        (tar_path, tmp_path / "from-tar"),
    ):
        if archive_path.suffix == ".zip":
            with zipfile.ZipFile(archive_path) as archive:
                archive.extractall(target)  # noqa: S202 (our own archive)
                mode = archive.getinfo(f"{bundle.folder.name}/{APPIMAGE}").external_attr >> 16
                assert os.name == "nt" or mode & 0o111
        else:
            with tarfile.open(archive_path) as archive:
                archive.extractall(target, filter="data")
        unpacked = target / bundle.folder.name
        assert run_verifier(unpacked).returncode == 0


def test_archives_are_reproducible(released, tmp_path):
    first = make_bundle(released, tmp_path / "one")
    second = make_bundle(released, tmp_path / "two")
    for a, b in zip(first.archives, second.archives, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_archive_checksum_files_are_sha256sum_format(bundle):
    sha256sum = require_tool("sha256sum", "GNU coreutils", ("linux",))
    for archive in bundle.archives:
        result = subprocess.run(
            [sha256sum, "--strict", "-c", f"{archive.name}.sha256"], cwd=archive.parent
        )
        assert result.returncode == 0


def test_release_changed_after_the_release_step_is_refused(released, tmp_path):
    (released / DEB).write_bytes(b"rebuilt")
    with pytest.raises(ReleaseError, match=DEB):
        make_bundle(released, tmp_path / "offline")
    assert not (tmp_path / "offline").exists()


@only_on("linux", reason="runs the Linux commands of VERIFY.txt")
def test_verify_txt_commands_work_as_written_on_linux(bundle):
    """Run the Linux commands VERIFY.txt gives, exactly as written."""
    text = (bundle.folder / "VERIFY.txt").read_text(encoding="utf-8")
    commands = [
        line.strip()
        for line in text.splitlines()
        if line.strip().startswith(("minisign -Vm", "sha256sum -c", "Linux and macOS:"))
    ]
    commands = [c.removeprefix("Linux and macOS:").strip() for c in commands]
    assert any(c.startswith("minisign") for c in commands)
    assert any(c.startswith("sha256sum") for c in commands)
    assert any(c.startswith("python3 verify.py") for c in commands)
    for command in commands:
        argv = command.split()
        if argv[0] == "python3":
            argv[0] = sys.executable
        elif not shutil.which(argv[0]):
            continue
        result = subprocess.run(argv, cwd=bundle.folder, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
