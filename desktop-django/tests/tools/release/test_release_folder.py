"""`nox -s release`: manifest, SHA256SUMS and signature over a folder of real files, checked
with the standard tools and with the verifier that ships in the folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_tool
from desktop_django_tools.release import manifest as release_manifest
from desktop_django_tools.release import signing, verify_script
from desktop_django_tools.release.artifacts import role_of
from desktop_django_tools.release.checksums import write_checksums
from desktop_django_tools.release.manifest import ReleaseError, make_release
from desktop_django_tools.release.verify import parse_checksums, sha256_of
from desktop_django_tools.shells import catalogue

from tools.release.conftest import APPIMAGE, DEB, GIT, PRODUCT, TARBALL, add_leftovers


def run_verifier(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The shipped verify.py on a bare interpreter: isolated, no site-packages at all."""
    return subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify.py"), *args],
        capture_output=True,
        text=True,
    )


def lines_with(output: str, status: str) -> list[str]:
    return [line.split(None, 1)[1] for line in output.splitlines() if line.startswith(status)]


def test_manifest_describes_every_artifact_with_its_role(released):
    data = json.loads((released / "release-manifest.json").read_text(encoding="utf-8"))
    assert data["product"] == {"id": "flying-stable", "name": "Flying Stable"}
    assert (data["shell"], data["version"], data["git"]) == ("electron", "0.1.0", GIT)
    assert set(data["platform"]) == {"os", "arch"}
    assert data["buildTime"].endswith("Z")
    by_name = {item["name"]: item for item in data["artifacts"]}
    assert set(by_name) == {APPIMAGE, DEB, TARBALL, "latest-linux.yml"}
    for name, item in by_name.items():
        assert item["size"] == (released / name).stat().st_size
        assert item["sha256"] == sha256_of(released / name)
    assert by_name[APPIMAGE]["role"] == "installer"
    assert by_name[APPIMAGE]["updater"] is True  # electron-updater downloads it
    assert "updater" not in by_name[DEB]
    assert by_name["latest-linux.yml"]["role"] == "updater-metadata"
    assert data["signing"]["signed"] is True
    assert data["signing"]["publicKeyFile"] == "flying-stable-release.pub"


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Flying Stable Setup 0.1.0.exe", "installer"),
        ("Flying Stable Setup 0.1.0.exe.blockmap", "blockmap"),
        ("flying-stable-mac-0.1.0-arm64.dmg", "installer"),
        ("flying-stable-mac-0.1.0-arm64.zip", "updater-payload"),
        ("latest-mac.yml", "updater-metadata"),
        ("latest.json", "updater-metadata"),
        ("Flying Stable.app.tar.gz", "updater-payload"),
        ("Flying Stable.app.tar.gz.sig", "signature"),
        ("Flying Stable_0.1.0_x64-setup.exe.sig", "signature"),
        ("Flying Stable_0.1.0_x64_en-US.msi", "installer"),
        ("Flying_Stable-0.1.0-x86_64.AppImage", "installer"),
        ("flying-stable_0.1.0_amd64.deb", "installer"),
        ("notes.txt", None),
    ],
)
def test_roles_are_read_from_every_packagers_names(name, role):
    assert role_of(name) == role


def test_gnu_sha256sum_accepts_it(released):
    sha256sum = require_tool("sha256sum", "GNU coreutils", ("linux",))
    result = subprocess.run(
        [sha256sum, "--strict", "-c", "SHA256SUMS"], cwd=released, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    checked = {line.rsplit(": ", 1)[0] for line in result.stdout.splitlines()}
    assert {APPIMAGE, DEB, TARBALL, "release-manifest.json", "verify.py", "VERIFY.txt"} <= checked


def test_perl_shasum_accepts_it(released):
    shasum = require_tool("shasum", "Perl's checksum tool", ("linux", "darwin"))
    result = subprocess.run(
        [shasum, "-a", "256", "-c", "SHA256SUMS"], cwd=released, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_awkward_names_are_written_the_way_sha256sum_reads_them(tmp_path):
    names = ["with space.bin", "ünïcode.bin", "sub/dir.bin"]
    if sys.platform != "win32":
        names += ["back\\slash.bin"]
    for index, name in enumerate(names):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(bytes([index]) * 100)
    write_checksums(tmp_path, names)
    parsed, problems = parse_checksums((tmp_path / "SHA256SUMS").read_text(encoding="utf-8"))
    assert problems == []
    assert parsed == {name: sha256_of(tmp_path / name) for name in names}
    sha256sum = shutil.which("sha256sum")
    if sha256sum:
        result = subprocess.run(
            [sha256sum, "--strict", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_shipped_verifier_accepts_the_untouched_folder(released):
    result = run_verifier(released)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("VERIFIED")
    assert "SIGNATURE  OK" in result.stdout
    assert lines_with(result.stdout, "UNEXPECTED") == []


def test_verifier_is_the_release_package_file_with_the_runtime_inlined(released):
    shipped = (released / "verify.py").read_text(encoding="utf-8")
    assert shipped == verify_script.standalone_text()
    assert "def ed25519_verify(" in shipped
    # One file: a bare interpreter with no site-packages runs it (and nothing else is there).
    imports = [line for line in shipped.splitlines() if line.startswith(("from ", "import "))]
    assert not [line for line in imports if "desktop_django" in line], imports
    assert run_verifier(released, "--help").returncode == 0


@pytest.mark.parametrize("damage", ["one byte", "removed", "stray file"])
def test_verifier_names_the_damaged_file_and_fails(released, damage):
    if damage == "one byte":
        target = released / DEB
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        status, name = "CHANGED", DEB
    elif damage == "removed":
        (released / TARBALL).unlink()
        status, name = "MISSING", TARBALL
    else:
        (released / "lib").mkdir()
        (released / "lib" / "extra.so").write_bytes(b"\0")
        status, name = "UNEXPECTED", "lib/extra.so"
    result = run_verifier(released)
    assert result.returncode == 1, result.stdout
    assert name in lines_with(result.stdout, status), result.stdout
    assert result.stdout.splitlines()[-1].startswith("FAILED")


def test_packager_working_files_are_not_released_and_verify_cleanly(artifacts, release_key):
    add_leftovers(artifacts)
    data = make_release("electron", artifacts, product_info=PRODUCT, git=GIT, key=release_key)
    released = {item["name"] for item in data["artifacts"]}
    assert not released & {"builder-debug.yml", "builder-effective-config.yaml"}
    listed = (artifacts / "SHA256SUMS").read_text(encoding="utf-8")
    assert "linux-unpacked" not in listed
    assert "builder-debug.yml" not in listed
    # verify.py in that folder: one IGNORED line per working entry, no problem, VERIFIED.
    result = run_verifier(artifacts)
    assert result.returncode == 0, result.stdout
    assert [line.split()[0] for line in lines_with(result.stdout, "IGNORED")] == [
        "builder-debug.yml",
        "builder-effective-config.yaml",
        "linux-unpacked/",
    ]
    assert not lines_with(result.stdout, "UNEXPECTED")
    assert result.stdout.splitlines()[-1].startswith("VERIFIED")


def test_any_other_unlisted_file_is_unexpected(released):
    (released / "flying-stable-linux-0.1.0-x64-extra.tar.gz").write_bytes(b"slipped in")
    (released / "linux-unpacked-not").mkdir()
    (released / "linux-unpacked-not" / "payload").write_bytes(b"x")
    result = run_verifier(released)
    assert result.returncode == 1
    assert lines_with(result.stdout, "UNEXPECTED") == [
        "flying-stable-linux-0.1.0-x64-extra.tar.gz",
        "linux-unpacked-not/payload",
    ]
    assert run_verifier(released, "--ignore-unlisted").returncode == 0


def test_signature_from_another_key_is_rejected(released):
    other = signing.generate()
    result = run_verifier(released, "--public-key-string", other.public_key_line)
    assert result.returncode == 1
    assert "SIGNATURE  BAD" in result.stdout


def test_signature_covers_every_listed_file(released, release_key):
    # Editing a file and its SHA256SUMS line together is caught by the signature.
    target = released / DEB
    target.write_bytes(target.read_bytes() + b"!")
    sums = released / "SHA256SUMS"
    text = sums.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.endswith(DEB)).split()[0]
    sums.write_bytes(text.replace(old, sha256_of(target)).encode())
    result = run_verifier(released, "--public-key-string", release_key.public_key_line)
    assert result.returncode == 1
    assert "SIGNATURE  BAD" in result.stdout


def test_removing_the_signature_of_a_signed_release_fails(released):
    (released / "SHA256SUMS.minisig").unlink()
    result = run_verifier(released)
    assert result.returncode == 1
    assert "SHA256SUMS.minisig" in lines_with(result.stdout, "MISSING")


def test_unsigned_release_verifies_but_says_so(artifacts):
    make_release("electron", artifacts, product_info=PRODUCT, git=GIT, key=None)
    assert not (artifacts / "SHA256SUMS.minisig").exists()
    assert run_verifier(artifacts).returncode == 0
    required = run_verifier(artifacts, "--require-signature")
    assert required.returncode == 1
    assert "NOT SIGNED" in (artifacts / "VERIFY.txt").read_text(encoding="utf-8")


def test_release_step_can_run_again(released, release_key):
    make_release("electron", released, product_info=PRODUCT, git=GIT, key=release_key)
    assert run_verifier(released).returncode == 0


def test_updater_metadata_older_than_its_artifact_stops_the_release(artifacts, release_key):
    (artifacts / APPIMAGE).write_bytes(b"rebuilt after latest-linux.yml was written")
    with pytest.raises(ReleaseError, match=APPIMAGE):
        make_release("electron", artifacts, product_info=PRODUCT, git=GIT, key=release_key)


def test_unknown_file_stops_the_release(artifacts):
    (artifacts / "notes.txt").write_text("todo", encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"notes\.txt"):
        make_release("electron", artifacts, product_info=PRODUCT, git=GIT, key=None)


def test_empty_folder_stops_the_release(tmp_path):
    with pytest.raises(ReleaseError, match="nox -s package -- electron"):
        make_release("electron", tmp_path, product_info=PRODUCT, git=GIT, key=None)


def test_dirty_tree_is_refused_unless_allowed(monkeypatch):
    monkeypatch.setattr(release_manifest, "git_state", lambda: {"sha": "abc", "dirty": True})
    with pytest.raises(ReleaseError, match="--allow-dirty"):
        release_manifest.refuse_dirty_tree(allow_dirty=False)
    assert release_manifest.refuse_dirty_tree(allow_dirty=True)["dirty"] is True


def test_signing_with_a_key_other_than_the_published_one_is_refused(tmp_path, release_key):
    published = tmp_path / "release-signing-key.pub"
    published.write_text(signing.generate().public_key_text(), encoding="utf-8")
    with pytest.raises(ReleaseError, match="not the project's published key"):
        release_manifest.trusted_key_check(release_key, published)
    published.write_text(release_key.public_key_text(), encoding="utf-8")
    release_manifest.trusted_key_check(release_key, published)


def test_cli_release_with_key_from_the_environment(artifacts, release_key):
    env = {
        **_clean_env(),
        signing.KEY_ENV: release_key.secret_key_text(),
    }
    result = subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", "release", "electron",
         "--dir", str(artifacts),
         "--allow-dirty", "--require-signature"],
        cwd=Path(release_manifest.ROOT), env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"signed SHA256SUMS with key {release_key.key_id_text}" in result.stdout
    assert release_key.secret_key_text().splitlines()[1] not in result.stdout + result.stderr
    verified = run_verifier(artifacts, "--public-key-string", release_key.public_key_line)
    assert verified.returncode == 0, verified.stdout


def test_cli_require_signature_without_a_key_fails(artifacts):
    result = subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", "release", "electron",
         "--dir", str(artifacts),
         "--allow-dirty", "--require-signature"],
        cwd=Path(release_manifest.ROOT), env=_clean_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert signing.KEY_ENV in result.stderr


def _clean_env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("DESKTOP_DJANGO_RELEASE_")}


def test_verifier_runs_on_python_3_8_with_the_standard_library_only():
    import ast

    # The script a release carries: the source with the runtime modules inlined.
    tree = ast.parse(verify_script.standalone_text(), feature_version=(3, 8))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= sys.stdlib_module_names | {"__future__"}, imported


def test_a_real_release_is_not_a_rehearsal(released):
    data = json.loads((released / "release-manifest.json").read_text(encoding="utf-8"))
    assert data["schemaVersion"] == 2
    assert data["rehearsal"] is None


def test_layout_only_names_make_a_marked_rehearsal_that_never_verifies_as_a_release(tmp_path):
    folder = tmp_path / "dist" / "electron-layout-only" / "0.1.0"
    folder.mkdir(parents=True)
    (folder / "flying-stable-layout-only-linux-0.1.0-x64.tar.gz").write_bytes(b"stand-in")
    data = make_release("electron", folder, product_info=PRODUCT, git=GIT, key=None)
    assert data["rehearsal"]["kind"] == "layout-only"
    assert release_manifest.bundle_name(data).startswith(
        "flying-stable-electron-0.1.0-layout-only-"
    )
    described = "\n".join(release_manifest.describe(folder, data))
    assert "LAYOUT-ONLY REHEARSAL, NOT FOR INSTALLING" in described
    result = run_verifier(folder)
    assert result.returncode == 3, result.stdout
    assert result.stdout.splitlines()[-1].startswith("REHEARSAL")
    assert "VERIFIED" not in result.stdout
    # Damage still fails first: a rehearsal verdict is only given to an intact folder.
    (folder / "flying-stable-layout-only-linux-0.1.0-x64.tar.gz").write_bytes(b"altered")
    assert run_verifier(folder).returncode == 1


def test_no_release_folder_names_package_and_dir_and_the_rehearsal(monkeypatch, tmp_path):
    monkeypatch.setattr(catalogue, "DIST", tmp_path / "dist")
    missing = release_manifest.release_folder("electron", "0.1.0")
    with pytest.raises(ReleaseError, match=r"nox -s package -- electron.*--dir FOLDER") as error:
        make_release("electron", missing, product_info=PRODUCT, git=GIT, key=None)
    assert "rehearsal" not in str(error.value)
    rehearsal = release_manifest.rehearsal_folder("electron", "0.1.0")
    rehearsal.mkdir(parents=True)
    with pytest.raises(ReleaseError, match=r"a layout-only rehearsal is in .*electron-layout-only"):
        make_release("electron", missing, product_info=PRODUCT, git=GIT, key=None)
