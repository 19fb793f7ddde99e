"""A real layout-only Electron build (electron-builder offline, on the stand-in Electron)
taken through the release step, verify.py and the offline bundle: every name says
layout-only, the manifest marks it, verify.py's verdict says it is not for installing, and
electron-builder's working files never count as part of the release."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_testing.ci import only_on, require_in_ci
from desktop_django_tools.integrations import npm
from desktop_django_tools.release import bundle
from desktop_django_tools.release.manifest import Product, make_release
from desktop_django_tools.release.verify import EXIT_REHEARSAL
from desktop_django_tools.shells import electron

PRODUCT = Product("flying-stable", "Flying Stable", "0.1.0")
GIT = {"sha": "0123456789abcdef0123456789abcdef01234567", "dirty": False}

pytestmark = [
    pytest.mark.slow,
    only_on("linux", reason="a Linux layout build"),
]


@pytest.fixture(scope="module")
def rehearsal(staged, tmp_path_factory) -> tuple[Path, Path]:
    """(release folder, electron-builder's working folder) of one layout-only build."""
    try:
        npm.executable()
    except npm.NpmError as exc:
        require_in_ci(f"the Electron build needs Node.js and npm: {exc}")
    root = tmp_path_factory.mktemp("electron")
    work = root / "build" / "0.1.0"
    release = root / "dist" / "electron-layout-only" / "0.1.0"
    node = electron.prepare(electron.shell_dir())
    electron.build(node, [], stage=staged, work=work, release=release, layout_only=True)
    return release, work


def verify(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify.py"), str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_every_artifact_says_layout_only_and_only_artifacts_reach_the_release_folder(rehearsal):
    release, work = rehearsal
    names = sorted(path.name for path in release.iterdir())
    assert names == ["flying-stable-layout-only-linux-0.1.0-x64.tar.gz"]
    # electron-builder's unpacked app and log stay in its working folder.
    assert (work / "linux-unpacked").is_dir()
    assert (work / "builder-debug.yml").is_file()


def test_the_release_is_marked_and_verify_says_not_for_installing(rehearsal, tmp_path):
    release, _work = rehearsal
    folder = tmp_path / "release"
    shutil.copytree(release, folder)
    data = make_release("electron", folder, product_info=PRODUCT, git=GIT, key=None)
    assert data["schemaVersion"] == 2
    assert data["rehearsal"]["kind"] == "layout-only"
    assert "stand-in" in data["rehearsal"]["note"]
    stored = json.loads((folder / "release-manifest.json").read_text(encoding="utf-8"))
    assert stored["rehearsal"] == data["rehearsal"]
    instructions = (folder / "VERIFY.txt").read_text(encoding="utf-8")
    assert instructions.splitlines()[0].endswith("LAYOUT-ONLY REHEARSAL, NOT FOR INSTALLING")
    result = verify(folder)
    assert result.returncode == EXIT_REHEARSAL, result.stdout + result.stderr
    verdict = result.stdout.splitlines()[-1]
    assert verdict.startswith("REHEARSAL")
    assert "NOT FOR INSTALLING" in verdict
    assert "VERIFIED" not in result.stdout


def test_the_offline_bundle_of_a_rehearsal_is_named_so(rehearsal, tmp_path):
    release, _work = rehearsal
    folder = tmp_path / "release"
    shutil.copytree(release, folder)
    make_release("electron", folder, product_info=PRODUCT, git=GIT, key=None)
    made = bundle.make_bundle(folder, tmp_path / "offline")
    assert "-layout-only-" in made.folder.name
    assert all("-layout-only-" in archive.name for archive in made.archives)
    assert made.rehearsal["kind"] == "layout-only"
    assert verify(made.folder).returncode == EXIT_REHEARSAL


def test_a_release_in_electron_builders_own_folder_verifies_cleanly(rehearsal, tmp_path):
    """Released where electron-builder wrote it (thousands of files in linux-unpacked/):
    none of them in SHA256SUMS, one IGNORED line each, no problem reported."""
    release, work = rehearsal
    folder = tmp_path / "builder-output"
    shutil.copytree(work, folder, symlinks=True)
    for artifact in release.iterdir():  # where electron-builder had put them
        shutil.copy2(artifact, folder / artifact.name)
    assert sum(1 for _ in (folder / "linux-unpacked").rglob("*")) > 100
    make_release("electron", folder, product_info=PRODUCT, git=GIT, key=None)
    assert "linux-unpacked" not in (folder / "SHA256SUMS").read_text(encoding="utf-8")
    result = verify(folder)
    assert result.returncode == EXIT_REHEARSAL, result.stdout
    ignored = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("IGNORED")]
    assert ignored == ["builder-debug.yml", "linux-unpacked/"]
    assert not [
        line for line in result.stdout.splitlines() if line.startswith(("UNEXPECTED", "PROBLEM"))
    ]


def test_mixing_a_rehearsal_with_real_artifacts_stops_the_release(rehearsal, tmp_path):
    from desktop_django_tools.release.manifest import ReleaseError

    release, _work = rehearsal
    folder = tmp_path / "mixed"
    shutil.copytree(release, folder)
    (folder / "flying-stable-linux-0.1.0-x64.tar.gz").write_bytes(b"a real-looking name")
    with pytest.raises(ReleaseError, match=r"rehearsal artifacts .* sit beside real ones"):
        make_release("electron", folder, product_info=PRODUCT, git=GIT, key=None)
