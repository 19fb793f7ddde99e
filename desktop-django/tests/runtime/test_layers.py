"""Reading a backend layer (desktop_django.layers): the signature of layer.json is checked
against the trusted key before anything else is read, and every file against its SHA-256."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from desktop_django.layers import FILES_PREFIX, LAYER_JSON, LAYER_SIGNATURE, LayerError, open_layer
from desktop_django_tools.release import signing

VIEW = b"def index(request):\n    return 'fixed'\n"


def description(files: dict[str, bytes], **changes) -> dict:
    data = {
        "format": 1,
        "app": {"id": "flying-stable", "version": "0.2.0"},
        "manifest": {"app": {"version": "0.2.0"}, "index": {"path": "i", "sha256": "a" * 64}},
        "base": {"version": "0.1.0", "indexSha256": "b" * 64},
        "stageContract": 2,
        "minShellVersion": "0.1.0",
        "files": [
            {"path": p, "sha256": hashlib.sha256(b).hexdigest(), "size": len(b), "mode": 0o644}
            for p, b in files.items()
        ],
        "removed": [],
    }
    data.update(changes)
    return data


def write_layer(
    path: Path,
    key,
    files: dict[str, bytes],
    *,
    signed: bool = True,
    stored: dict[str, bytes] | None = None,
    **changes,
) -> Path:
    raw = json.dumps(description(files, **changes)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_LZMA) as archive:
        archive.writestr(LAYER_JSON, raw)
        if signed:
            archive.writestr(LAYER_SIGNATURE, signing.sign(key, raw, "layer 0.2.0", "test"))
        for name, data in (stored or files).items():
            archive.writestr(FILES_PREFIX + name, data)
    return path


@pytest.fixture(scope="module")
def key():
    return signing.generate()


def test_a_signed_layer_opens_and_every_file_reads(tmp_path, key):
    path = write_layer(tmp_path / "a.layer", key, {"app/views.py": VIEW})
    layer = open_layer(path, key.public_key_text())
    try:
        assert layer.version == "0.2.0"
        assert layer.read(layer.files[0]) == VIEW
        assert layer.check_every_file() == []
        assert "from 0.1.0" in layer.describe()
    finally:
        layer.close()


def test_an_unsigned_layer_is_refused(tmp_path, key):
    path = write_layer(tmp_path / "a.layer", key, {"app/views.py": VIEW}, signed=False)
    with pytest.raises(LayerError, match="not signed"):
        open_layer(path, key.public_key_text())


def test_a_layer_signed_by_another_key_is_refused(tmp_path, key):
    path = write_layer(tmp_path / "a.layer", signing.generate(), {"app/views.py": VIEW})
    with pytest.raises(LayerError, match="signature does not verify"):
        open_layer(path, key.public_key_text())


def test_without_a_trusted_key_nothing_is_accepted(tmp_path, key):
    path = write_layer(tmp_path / "a.layer", key, {"app/views.py": VIEW})
    with pytest.raises(LayerError, match="no key"):
        open_layer(path, None)


def test_an_altered_layer_json_breaks_the_signature(tmp_path, key):
    path = write_layer(tmp_path / "a.layer", key, {"app/views.py": VIEW})
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries[LAYER_JSON] = entries[LAYER_JSON].replace(b'"0.2.0"', b'"9.9.9"')
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(LayerError, match="signature does not verify"):
        open_layer(path, key.public_key_text())


def test_a_tampered_file_is_named(tmp_path, key):
    path = write_layer(
        tmp_path / "a.layer",
        key,
        {"app/views.py": VIEW},
        stored={"app/views.py": VIEW.replace(b"fixed", b"evil!")},
    )
    layer = open_layer(path, key.public_key_text())
    try:
        problems = layer.check_every_file()
        assert len(problems) == 1
        assert "app/views.py does not match its SHA-256" in problems[0]
    finally:
        layer.close()


@pytest.mark.parametrize("bad_path", ["../outside.py", "/etc/passwd", "a\\b.py", "C:/x", "a//b"])
def test_a_path_outside_the_stage_is_refused(tmp_path, key, bad_path):
    path = write_layer(tmp_path / "a.layer", key, {bad_path: VIEW})
    with pytest.raises(LayerError, match=r"files\[0\]\.path"):
        open_layer(path, key.public_key_text())


def test_an_unknown_format_says_to_install_the_installer(tmp_path, key):
    path = write_layer(tmp_path / "a.layer", key, {"a.py": VIEW}, format=2)
    with pytest.raises(LayerError, match="install the new installer"):
        open_layer(path, key.public_key_text())


def test_not_a_zip_is_refused_clearly(tmp_path, key):
    path = tmp_path / "a.layer"
    path.write_bytes(b"not a zip")
    with pytest.raises(LayerError, match="not a backend layer"):
        open_layer(path, key.public_key_text())
