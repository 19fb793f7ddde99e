"""`desktop-django layer`: made from two real stages, read back with the runtime's own reader
(desktop_django.layers), and the new stage rebuilt from the base plus the layer re-hashes
clean. The next version is a copy of the session's stage with one more migration
(desktop_django_testing.stage.next_version_of; the `layer_stages` fixture), so nothing is
staged from scratch here."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from desktop_django.layers import FILES_PREFIX, LAYER_JSON, LayerError, open_layer
from desktop_django_testing.stage import describe_again, linked_copy
from desktop_django_tools import cli
from desktop_django_tools.layer import LayerBuildError, make_layer
from desktop_django_tools.release import signing
from desktop_django_tools.stage.verify import verify

MIGRATION = "ponies/migrations/0002_arrival.py"


def own(path: Path) -> Path:
    """Break the hard link of a copied file before editing it (the original stays as it is)."""
    data, mode = path.read_bytes(), path.stat().st_mode
    path.unlink()
    path.write_bytes(data)
    path.chmod(mode)
    return path


def rebuild(base: Path, layer_path: Path, key, target: Path) -> None:
    """What an applier does, in the plainest way: the base's files, the layer's on top, the
    removed ones gone."""
    layer = open_layer(layer_path, key.public_key_text())
    try:
        linked_copy(base, target)
        for path in layer.removed:
            (target / path).unlink()
        for entry in layer.files:
            path = target / entry["path"]
            path.unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(layer.read(entry, base))
            path.chmod(entry["mode"])
    finally:
        layer.close()


def test_a_layer_carries_only_what_changed_and_rebuilds_the_new_stage(
    layer_stages, release_key, tmp_path
):
    old, new = layer_stages
    path = make_layer(old, new, tmp_path, key=release_key)
    assert path.name == "flying-stable-backend-0.2.0-from-0.1.0.layer"

    layer = open_layer(path, release_key.public_key_text())
    try:
        old_manifest = json.loads((old / "runtime-manifest.json").read_text())
        assert layer.version == "0.2.0"
        assert layer.manifest == json.loads((new / "runtime-manifest.json").read_text())
        assert layer.base == {"version": "0.1.0", "indexSha256": old_manifest["index"]["sha256"]}
        assert layer.data["stageContract"] == old_manifest["schemaVersion"]
        assert layer.data["minShellVersion"] == "0.1.0"
        assert layer.removed == []
        assert layer.derived == ["stage-files.sha256"], "the index is rebuilt, not carried"
        carried = {entry["path"] for entry in layer.files}
        assert "runtime-manifest.json" in carried
        assert "stage-files.sha256" in carried
        assert any(p.endswith(MIGRATION) for p in carried)
        assert any(p.endswith("flying_stable/__init__.py") for p in carried)
        assert all("/django/" not in p for p in carried), "unchanged files travelled"
        assert len(carried) < 12, sorted(carried)
        assert layer.check_every_file() == []
        assert "app:flying-stable version:0.2.0 base:0.1.0" in layer.signer
    finally:
        layer.close()
    assert path.stat().st_size < 20_000  # a view and a migration: kilobytes, not the stage

    rebuilt = tmp_path / "rebuilt"
    rebuild(old, path, release_key, rebuilt)
    assert verify(rebuilt).ok, verify(rebuilt).lines()

    # The index rebuilt from any other base comes out wrong: the layer says what is needed.
    layer = open_layer(path, release_key.public_key_text())
    try:
        index = next(entry for entry in layer.files if entry["path"] == "stage-files.sha256")
        with pytest.raises(LayerError, match="a full layer is needed"):
            layer.read(index, new)
    finally:
        layer.close()


def test_a_removed_file_is_listed_and_a_changed_mode_travels(layer_stages, release_key, tmp_path):
    _old, new = layer_stages
    newer = tmp_path / "0.2.1"
    linked_copy(new, newer)
    gone = next(newer.glob(f"python/**/site-packages/flying_stable/{MIGRATION}"))
    name = gone.relative_to(newer).as_posix()
    gone.unlink()
    executable = own(next(newer.glob("python/**/site-packages/flying_stable/__init__.py")))
    executable.chmod(0o755)
    describe_again(newer, "0.2.1")

    path = make_layer(new, newer, tmp_path, key=release_key)
    layer = open_layer(path, release_key.public_key_text())
    try:
        assert layer.removed == [name]
        modes = {entry["path"]: entry["mode"] for entry in layer.files}
        assert modes[executable.relative_to(newer).as_posix()] == 0o755
    finally:
        layer.close()


def test_a_tampered_layer_is_caught_by_the_reader(layer_stages, release_key, tmp_path):
    old, new = layer_stages
    path = make_layer(old, new, tmp_path, key=release_key)
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    victim = next(name for name in entries if name.endswith(MIGRATION))
    entries[victim] = entries[victim].replace(b"in the stable", b"in the stible")

    altered_file = tmp_path / "altered-file.layer"
    with zipfile.ZipFile(altered_file, "w", zipfile.ZIP_LZMA) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    layer = open_layer(altered_file, release_key.public_key_text())
    try:
        [problem] = layer.check_every_file()
        assert victim.removeprefix(FILES_PREFIX) in problem
        assert "SHA-256" in problem
    finally:
        layer.close()

    description = json.loads(entries[LAYER_JSON])
    description["removed"] = ["runtime-manifest.json"]
    entries[LAYER_JSON] = json.dumps(description).encode()
    altered_json = tmp_path / "altered-json.layer"
    with zipfile.ZipFile(altered_json, "w", zipfile.ZIP_LZMA) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(LayerError, match="signature does not verify"):
        open_layer(altered_json, release_key.public_key_text())
    with pytest.raises(LayerError, match="signature does not verify"):
        open_layer(path, signing.generate().public_key_text())


def test_a_full_layer_has_no_base_and_rebuilds_the_stage_from_nothing(
    layer_stages, release_key, tmp_path
):
    # The new stage with only the app's own files left: a whole stage takes a minute to
    # compress on this machine, and the rule is the same.
    _old, new = layer_stages
    small = tmp_path / "small"
    linked_copy(new, small)
    for path in [p for p in small.rglob("*") if p.is_file()]:
        name = path.relative_to(small).as_posix()
        if "/flying_stable/" not in name and "/" in name:
            path.unlink()
    describe_again(small)

    path = make_layer(None, small, tmp_path, key=release_key)
    assert path.name == "flying-stable-backend-0.2.0-full.layer"
    layer = open_layer(path, release_key.public_key_text())
    try:
        assert layer.base is None
        assert layer.derived == []
        assert layer.removed == []
        assert layer.data["minShellVersion"] == "0.0.0"
        index = (small / "stage-files.sha256").read_text().splitlines()
        assert len(layer.files) == len(index) + 2  # every file, the manifest and the index
    finally:
        layer.close()
    empty = tmp_path / "empty"
    empty.mkdir()
    rebuild(empty, path, release_key, tmp_path / "rebuilt")
    assert verify(tmp_path / "rebuilt").ok


def test_the_command_line_signs_with_the_release_key_in_the_environment(
    layer_stages, release_key, tmp_path, monkeypatch, capsys
):
    old, new = layer_stages
    monkeypatch.setenv(signing.KEY_ENV, release_key.secret_key_text())
    monkeypatch.delenv(signing.KEY_FILE_ENV, raising=False)
    code = cli.main(["layer", "--from", str(old), "--to", str(new), "--out", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "backend 0.2.0 from 0.1.0" in out
    layer = open_layer(next(tmp_path.glob("*.layer")), release_key.public_key_text())
    layer.close()

    assert cli.main(["layer", "--to", str(new)]) == 1
    assert "pass --from OLD_STAGE, or --full" in capsys.readouterr().err
    monkeypatch.delenv(signing.KEY_ENV)
    assert cli.main(["layer", "--from", str(old), "--to", str(new), "--out", str(tmp_path)]) == 1
    assert "no release key" in capsys.readouterr().err


def test_refusals_name_the_cause(layer_stages, release_key, tmp_path):
    old, new = layer_stages
    with pytest.raises(LayerBuildError, match="not newer"):
        make_layer(new, old, tmp_path, key=release_key)
    with pytest.raises(LayerBuildError, match=r"is not the key 0\.1\.0 trusts"):
        make_layer(old, new, tmp_path, key=signing.generate())
    with pytest.raises(LayerBuildError, match="not a version"):
        make_layer(old, new, tmp_path, key=release_key, min_shell_version="soon")

    edited = tmp_path / "edited"
    linked_copy(new, edited)
    view = own(next(edited.glob("python/**/site-packages/flying_stable/__init__.py")))
    view.write_text(view.read_text() + "# edited after staging\n")
    with pytest.raises(LayerBuildError, match=r"does not match its line in stage-files\.sha256"):
        make_layer(old, edited, tmp_path, key=release_key)
    own(edited / "stage-files.sha256").write_text("")
    with pytest.raises(LayerBuildError, match="changed after it was built"):
        make_layer(old, edited, tmp_path, key=release_key)
    assert list(tmp_path.glob("*.layer")) == []
