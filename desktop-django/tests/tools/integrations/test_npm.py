"""The npm/node wrapper against the real node and npm, and against PATHs where they are
missing or too old (a folder holding only what the case needs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from desktop_django_testing.ci import only_on, require_in_ci
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_tools.integrations import npm

ELECTRON_SHELL = REPO_ROOT / "shells" / "electron"


@pytest.fixture
def real_node() -> str:
    found = shutil.which("node")
    if found is None:
        require_in_ci("Node.js is not installed")
    return found


def only_on_path(monkeypatch, folder: Path) -> None:
    monkeypatch.setenv("PATH", str(folder))


def fake_node(folder: Path, version_line: str) -> None:
    """A `node` that answers `--version` the way another Node.js release would."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "node"
    script.write_text(f"#!/bin/sh\necho '{version_line}'\n", encoding="utf-8")
    script.chmod(0o755)


pytestmark = only_on("linux", "darwin", reason="PATH cases use POSIX shell scripts")


def test_the_real_node_version_is_read_and_new_enough(real_node):
    shown = subprocess.run([real_node, "--version"], capture_output=True, text=True).stdout
    version = npm.node_version()
    assert shown.strip() == "v" + ".".join(map(str, version))
    assert version[:2] >= npm.MIN_NODE
    assert Path(npm.executable()).name.startswith("npm")


def test_no_node_on_path_says_what_to_install(monkeypatch, tmp_path):
    only_on_path(monkeypatch, tmp_path)
    with pytest.raises(npm.NpmError, match=r"Node\.js is not installed: install Node\.js 20\.19"):
        npm.node()
    with pytest.raises(npm.NpmError, match="not installed"):
        npm.ci_command()


def test_an_old_node_is_refused_with_both_versions(monkeypatch, tmp_path):
    fake_node(tmp_path, "v18.19.1")
    only_on_path(monkeypatch, tmp_path)
    with pytest.raises(npm.NpmError, match=r"Node\.js 20\.19\+ is needed, this is 18\.19\.1"):
        npm.executable()


def test_a_package_folder_may_ask_for_less(monkeypatch, tmp_path, real_node):
    fake_node(tmp_path / "bin", "v18.19.1")
    (tmp_path / "bin" / "npm").symlink_to(shutil.which("npm"))
    only_on_path(monkeypatch, tmp_path / "bin")
    assert npm.ci_command(minimum=(18, 0))[1] == "ci"
    with pytest.raises(npm.NpmError, match=r"20\.19\+ is needed"):
        npm.ci_command()


def test_an_unreadable_node_version_is_an_error_quoting_it(monkeypatch, tmp_path):
    fake_node(tmp_path, "not a version")
    only_on_path(monkeypatch, tmp_path)
    with pytest.raises(npm.NpmError, match=r"cannot read the Node\.js version from 'not a vers"):
        npm.node_version()


def test_node_without_npm_names_where_npm_comes_from(monkeypatch, tmp_path, real_node):
    (tmp_path / "node").symlink_to(real_node)
    only_on_path(monkeypatch, tmp_path)
    with pytest.raises(npm.NpmError, match=r"npm is not installed: it ships with Node\.js"):
        npm.executable()


def test_ci_command_installs_exactly_the_lock_with_the_quiet_settings(tmp_path, real_node):
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "lock-only", "version": "1.0.0", "private": True}), encoding="utf-8"
    )
    lock = {
        "name": "lock-only", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "lock-only", "version": "1.0.0"}},
    }  # fmt: skip
    (tmp_path / "package-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    command = npm.ci_command()
    assert command[1:] == ["ci", "--no-audit", "--no-fund"]
    env = {**os.environ, **npm.CI_ENV}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # The quirk settings reach npm itself.
    fund = subprocess.run(
        [command[0], "config", "get", "fund"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert fund.stdout.strip() == "false"


def test_ci_refuses_a_package_json_the_lock_does_not_pin(tmp_path, real_node):
    """Exactly the lock, or nothing: a dependency the lock lacks fails before any download."""
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "drift", "version": "1.0.0", "dependencies": {"left-pad": "1.3.0"}}),
        encoding="utf-8",
    )
    lock = {
        "name": "drift", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "drift", "version": "1.0.0"}},
    }  # fmt: skip
    (tmp_path / "package-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    done = subprocess.run(
        npm.ci_command(), cwd=tmp_path, env={**os.environ, **npm.CI_ENV},
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode != 0
    assert "in sync" in done.stderr
    assert not (tmp_path / "node_modules" / "left-pad").exists()


@pytest.fixture
def electron_package():
    if not (ELECTRON_SHELL / "node_modules" / "electron" / "package.json").is_file():
        require_in_ci("shells/electron has no node_modules (run `npm ci` there)")


def test_electron_binary_from_an_unpacked_electron_elsewhere(
    monkeypatch, tmp_path, real_node, electron_package
):
    dist = tmp_path / "electron-dist"
    fake_node(dist, "unused")
    (dist / "node").rename(dist / "electron")
    monkeypatch.setenv("ELECTRON_OVERRIDE_DIST_PATH", str(dist))
    binary, reason = npm.electron_binary(ELECTRON_SHELL)
    assert (binary, reason) == (dist / "electron", "")


def test_an_override_without_electron_in_it_is_named(
    monkeypatch, tmp_path, real_node, electron_package
):
    monkeypatch.setenv("ELECTRON_OVERRIDE_DIST_PATH", str(tmp_path))
    binary, reason = npm.electron_binary(ELECTRON_SHELL)
    assert binary is None
    assert reason == f"ELECTRON_OVERRIDE_DIST_PATH={tmp_path} holds no Electron binary"


def test_an_unreachable_mirror_is_the_reason_given(monkeypatch, real_node, electron_package):
    if (ELECTRON_SHELL / "node_modules" / "electron" / "dist").is_dir():
        pytest.skip("the Electron binary is installed here: nothing to download")
    monkeypatch.delenv("ELECTRON_OVERRIDE_DIST_PATH", raising=False)
    monkeypatch.setenv("ELECTRON_MIRROR", "http://127.0.0.1:9/")  # nothing listens on discard
    binary, reason = npm.electron_binary(ELECTRON_SHELL)
    assert binary is None
    assert "download failed" in reason
    assert "from the mirror http://127.0.0.1:9/" in reason


@pytest.mark.parametrize(
    ("declared", "floor"),
    [
        (">= 22.12.0", (22, 12, 0)),
        (">=20.19", (20, 19, 0)),
        ("^20.17.0 || >=22.9.0", (20, 17, 0)),
        ("6.* || 8.* || >= 10.*", (6, 0, 0)),
        ("18 || 20 || >=22", (18, 0, 0)),
        ("*", None),
        ("> 0.1.90", None),
    ],
)
def test_an_engines_range_reads_as_its_oldest_node(declared, floor):
    assert npm.engine_floor(declared) == floor


def test_the_declared_node_engine_is_the_newest_any_locked_package_asks_for():
    """package.json's engines.node says what the lock really needs, not less."""
    floor, packages = npm.lock_node_floor(ELECTRON_SHELL)
    assert npm.declared_node(ELECTRON_SHELL) == floor
    assert packages[0].startswith("electron "), packages  # the project's own dependency first


def test_a_node_older_than_the_lock_declares_is_named_with_the_fix(monkeypatch, tmp_path):
    fake_node(tmp_path / "debian13", "v20.19.2")
    only_on_path(monkeypatch, tmp_path / "debian13")
    said = npm.node_older_than_declared(ELECTRON_SHELL)
    wanted = ".".join(map(str, npm.declared_node(ELECTRON_SHELL)))
    assert said is not None
    assert f"Node.js 20.19.2 is older than the {wanted}" in said
    for named in ("electron 45", "EBADENGINE", "Node.js 22 LTS"):
        assert named in said
    fake_node(tmp_path / "old", "v18.19.1")
    only_on_path(monkeypatch, tmp_path / "old")
    assert "npm ci fails below 20.19" in npm.node_older_than_declared(ELECTRON_SHELL)
    fake_node(tmp_path / "new", f"v{wanted}")
    only_on_path(monkeypatch, tmp_path / "new")
    assert npm.node_older_than_declared(ELECTRON_SHELL) is None
