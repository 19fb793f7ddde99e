"""Backend layers travel like installers: `nox -s release` lists them in the manifest and
SHA256SUMS (made with --layer-from, or already in the folder), the offline bundle carries
them, and the shipped verify.py checks each one's signature and every file inside it, in a
folder or carried alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from desktop_django.layers import FILES_PREFIX
from desktop_django_tools import cli
from desktop_django_tools.layer import make_layer
from desktop_django_tools.release import signing
from desktop_django_tools.release.bundle import make_bundle
from desktop_django_tools.release.manifest import Product, ReleaseError, make_release
from desktop_django_tools.release.verify import verify_folder

from tools.release.conftest import GIT
from tools.release.test_release_folder import lines_with, run_verifier

NEXT = Product("flying-stable", "Flying Stable", "0.2.0")
LAYER = "flying-stable-backend-0.2.0-from-0.1.0.layer"


@pytest.fixture(scope="session")
def layer_file(layer_stages, release_key, tmp_path_factory) -> Path:
    old, new = layer_stages
    return make_layer(old, new, tmp_path_factory.mktemp("layer"), key=release_key)


def copy_into(folder: Path, layer: Path) -> Path:
    target = folder / layer.name
    target.write_bytes(layer.read_bytes())
    return target


def test_a_layer_in_the_folder_is_released_bundled_and_verified(
    artifacts, layer_file, release_key, tmp_path
):
    copy_into(artifacts, layer_file)
    manifest = make_release("electron", artifacts, product_info=NEXT, git=GIT, key=release_key)
    [listed] = [a for a in manifest["artifacts"] if a["role"] == "backend-layer"]
    assert listed["name"] == LAYER
    assert LAYER in (artifacts / "SHA256SUMS").read_text()
    assert LAYER in (artifacts / "VERIFY.txt").read_text()
    report = verify_folder(artifacts, release_key.public_key_text())
    assert report.ok, report.lines()
    assert [status for status, _name, _detail in report.layers] == ["OK"]

    bundle = make_bundle(artifacts, tmp_path / "offline")
    assert (bundle.folder / LAYER).read_bytes() == layer_file.read_bytes()
    result = run_verifier(bundle.folder, "--public-key-string", release_key.public_key_line)
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = lines_with(result.stdout, "LAYER")
    assert line.startswith(f"OK {LAYER}: backend 0.2.0 (from 0.1.0")


def test_the_shipped_verifier_checks_a_layer_carried_alone(released, layer_file, tmp_path):
    alone = run_verifier(released, str(layer_file))
    assert alone.returncode == 2, alone.stdout + alone.stderr  # no key can vouch for it
    assert "--public-key" in alone.stderr

    key = json.loads((released / "release-manifest.json").read_text())["signing"]["publicKey"]
    good = run_verifier(released, str(layer_file), "--public-key-string", key)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.splitlines()[-1] == f"VERIFIED   {LAYER}"

    another = signing.generate().public_key_line
    other = run_verifier(released, str(layer_file), "--public-key-string", another)
    assert other.returncode == 1
    assert "signature does not verify" in other.stdout

    with zipfile.ZipFile(layer_file) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    victim = next(n for n in entries if n.startswith(FILES_PREFIX) and n.endswith(".py"))
    entries[victim] += b"\nimport os; os.system('evil')\n"
    tampered = tmp_path / LAYER
    with zipfile.ZipFile(tampered, "w", zipfile.ZIP_LZMA) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    bad = run_verifier(released, str(tampered), "--public-key-string", key)
    assert bad.returncode == 1
    assert victim.removeprefix(FILES_PREFIX) in bad.stdout


def test_a_layer_of_another_version_or_key_stops_the_release(artifacts, layer_file, release_key):
    copy_into(artifacts, layer_file)
    with pytest.raises(ReleaseError, match=r"backend flying-stable 0\.2\.0, and this release is"):
        make_release(
            "electron",
            artifacts,
            product_info=Product("flying-stable", "Flying Stable", "0.1.0"),
            git=GIT,
            key=release_key,
        )
    with pytest.raises(ReleaseError, match="signature does not verify"):
        make_release("electron", artifacts, product_info=NEXT, git=GIT, key=signing.generate())


def test_release_layer_from_makes_the_layer_into_the_folder(
    artifacts, layer_stages, release_key, monkeypatch, capsys
):
    old, new = layer_stages
    monkeypatch.setenv("DESKTOP_DJANGO_STAGE_DIR", str(new))  # the current stage: 0.2.0
    monkeypatch.setenv(signing.KEY_ENV, release_key.secret_key_text())
    monkeypatch.delenv(signing.KEY_FILE_ENV, raising=False)
    argv = ["release", "electron", "--dir", str(artifacts), "--version", "0.2.0", "--allow-dirty"]
    assert cli.main([*argv, "--layer-from", str(old)]) == 0
    out = capsys.readouterr().out
    assert f"backend-layer     {LAYER}" in out
    assert (artifacts / LAYER).is_file()
    assert verify_folder(artifacts, release_key.public_key_text()).ok

    monkeypatch.delenv(signing.KEY_ENV)
    os.remove(artifacts / LAYER)
    assert cli.main([*argv, "--layer-from", str(old)]) == 1
    assert "a backend layer must be signed" in capsys.readouterr().err
    assert not (artifacts / LAYER).exists()


def test_an_unsigned_release_lists_its_layer_and_says_it_was_not_checked(artifacts, layer_file):
    copy_into(artifacts, layer_file)
    make_release("electron", artifacts, product_info=NEXT, git=GIT, key=None)
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(artifacts / "verify.py")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    assert f"LAYER      NOT CHECKED {LAYER}" in result.stdout
