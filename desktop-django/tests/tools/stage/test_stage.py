"""The staged backend: self-contained, relocatable, pruned, precompiled and verifiable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from desktop_django.manifest import load
from desktop_django_testing.backend import (
    new_token,
    read_protocol_line,
    request,
    start_routine,
    wait_for_latest_routine,
)
from desktop_django_testing.ci import only_on, require_in_ci
from desktop_django_testing.namespaces import in_mount_namespace
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_testing.stage import source_interpreter_folder
from desktop_django_tools.stage.manifest_writer import SCHEMA_PATH
from desktop_django_tools.stage.runtime import RuntimeSourceError, from_archive
from desktop_django_tools.stage.verify import verify

ROOT = REPO_ROOT
SCHEMA = json.loads(SCHEMA_PATH.read_text())

pytestmark = pytest.mark.slow


def test_manifest_validates_against_schema_and_reader(staged):
    data = json.loads((staged / "runtime-manifest.json").read_text())
    jsonschema.validate(data, SCHEMA)
    manifest = load(staged)
    assert manifest.python_executable.is_file()
    assert manifest.launch("serve").argv[-1] == "serve"


def test_fresh_stage_verifies(staged):
    result = verify(staged)
    assert result.ok, result.lines()


def test_no_symlinks_stdlib_tests_or_tk(staged):
    for directory, dirnames, filenames in os.walk(staged):
        for name in dirnames + filenames:
            path = Path(directory) / name
            assert not path.is_symlink(), path
        assert "tkinter" not in dirnames, directory
        assert "idlelib" not in dirnames, directory
        if Path(directory).name.startswith("python3."):
            assert "test" not in dirnames, directory


def test_runtime_test_modules_of_packages_are_kept(staged):
    """django.test is code apps run (Wagtail builds requests with its RequestFactory)."""
    python = load(staged).python_executable
    done = subprocess.run(
        [str(python), "-I", "-c", "from django.test import RequestFactory; print('ok')"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "ok", done.stderr


def test_only_kept_django_locales(staged):
    locale = next(staged.glob("python/lib/python3.*/site-packages/django/conf/locale"))
    languages = {p.name for p in locale.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert languages
    assert all(lang.split("_")[0] == "en" for lang in languages), languages


def test_only_the_contrib_apps_something_uses(staged):
    """gis is in no INSTALLED_APPS and nothing imports it; admin is installed; sitemaps is not
    installed but django_stubs_ext names it (prune.unused_contrib_apps)."""
    contrib = next(staged.glob("python/lib/python3.*/site-packages/django/contrib"))
    assert not (contrib / "gis").exists()
    assert (contrib / "admin/apps.py").is_file()
    assert (contrib / "sitemaps/apps.py").is_file()
    index = (staged / "stage-files.sha256").read_text(encoding="utf-8")
    assert "django/contrib/gis/" not in index


def test_bytecode_has_no_build_paths(staged):
    # The stage is built in a `.backend.building-*` folder and then renamed; neither that
    # path nor the repository may be recorded in bytecode.
    # (The runtime's own slot code names a `.building-` prefix, so the marker is the stage's.)
    markers = [f".{staged.name}.building-".encode(), str(ROOT).encode(), str(staged).encode()]
    pyc_files = list(staged.rglob("*.pyc"))
    assert len(pyc_files) > 500
    for pyc in pyc_files:
        data = pyc.read_bytes()
        for marker in markers:
            assert marker not in data, (pyc, marker)


@only_on("linux", reason="ELF RUNPATH is Linux-only")
def test_native_libraries_find_each_other_relative_to_themselves(staged):
    readelf = shutil.which("readelf")
    if not readelf:
        require_in_ci("readelf (binutils) is needed to inspect RUNPATH")
    for binary in [*staged.glob("python/bin/python3*"), *staged.rglob("*.so*")]:
        out = subprocess.run([readelf, "-d", str(binary)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if "RUNPATH" in line or "RPATH" in line:
                assert "$ORIGIN" in line, (binary, line)
                assert "[/" not in line, (binary, line)


def test_tampering_is_reported_by_name(staged, tmp_path):
    copy = tmp_path / "tampered"
    shutil.copytree(staged, copy)
    changed = next(copy.glob("python/lib/python3.*/os.py"))
    changed.write_text(changed.read_text() + "\n# tampered\n")
    removed = next(copy.glob("staticfiles/flying_stable/stable.*.css"))
    removed.unlink()
    (copy / "staticfiles" / "stray.js").write_text("alert(1)")
    result = verify(copy)
    assert not result.ok
    assert result.changed == [changed.relative_to(copy).as_posix()]
    assert result.missing == [removed.relative_to(copy).as_posix()]
    assert result.extra == ["staticfiles/stray.js"]


def test_verify_session_exit_codes(staged, tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", "verify-stage", "--output", str(staged)]
    )
    assert ok.returncode == 0
    copy = tmp_path / "changed"
    shutil.copytree(staged, copy)
    (copy / "staticfiles" / "extra.txt").write_text("x")
    bad = subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", "verify-stage", "--output", str(copy)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "EXTRA    staticfiles/extra.txt" in bad.stdout


def test_archive_with_wrong_hash_is_refused_before_extraction(tmp_path):
    archive = tmp_path / "cpython.tar.gz"
    archive.write_bytes(b"not really an archive")
    with pytest.raises(RuntimeSourceError, match="expected 0000"):
        from_archive(archive, "0" * 64, tmp_path)
    assert not (tmp_path / "archive").exists()


def _hide_and_isolate(command: list[str], hidden: Path, env: dict, cwd: Path) -> list[str]:
    """Run `command` with an empty environment from another cwd and, where a private mount
    namespace can be made, with the interpreter the stage was copied from hidden under a tmpfs."""
    env_args = ["env", "-i", *[f"{k}={v}" for k, v in env.items()]]
    script = 'mount -t tmpfs tmpfs "$0" && cd "$1" && shift && exec "$@"'
    wrapped = in_mount_namespace(script, str(hidden), str(cwd), *env_args, *command)
    if wrapped is not None and hidden.is_dir():
        return wrapped
    if sys.platform.startswith("linux") and os.environ.get("CI") == "true":
        pytest.fail("hiding the source interpreter needs a mount namespace on Linux CI")
    return env_args + command if shutil.which("env") else command


def test_moved_stage_runs_without_the_source_interpreter(staged, tmp_path):
    moved = tmp_path / "Moved Stäge ünïcode" / "backend"
    shutil.copytree(staged, moved)
    manifest = load(moved)
    token = new_token()
    env = {
        "DESKTOP_DJANGO_APP_DATA_DIR": str(tmp_path / "app data"),
        "DESKTOP_DJANGO_AUTH_TOKEN": token,
        "DESKTOP_DJANGO_STAGE_DIR": str(moved),
        "DJANGO_SETTINGS_MODULE": "flying_stable.settings.test",
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    hidden = source_interpreter_folder()
    processes = []

    def start(role: str) -> subprocess.Popen:
        command = _hide_and_isolate(manifest.launch(role).argv, hidden, env, elsewhere)
        # Where there is no `env -i` (Windows), the same empty-ish environment via Popen.
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=elsewhere,
            env={**env, "SYSTEMROOT": os.environ.get("SYSTEMROOT", "")},
        )  # fmt: skip
        processes.append(process)
        return process

    try:
        ready = read_protocol_line(start("serve"))
        assert ready["event"] == "ready", ready
        url = ready["url"]
        assert request(url, "/health/", token=token).status == 200
        assert request(url, "/health/").status == 403
        page = request(url, "/", token=token)
        assert page.status == 200
        css_path = page.body.split(b'rel="stylesheet" href="')[1].split(b'"')[0].decode()
        css = request(url, css_path, token=token)
        assert css.status == 200
        assert css.headers["content-type"].startswith("text/css")

        start("worker")
        assert start_routine(url, token, "hoof").status == 302
        routine, _seen = wait_for_latest_routine(url, token, "done", timeout=20)
        assert routine["status"] == "done", f"the moved stage's worker did not finish: {routine}"
    finally:
        for process in processes:
            process.stdin.close()
        for process in processes:
            process.wait(timeout=10)
            process.stdout.close()
    assert not list(moved.rglob("__pycache__/*.cpython-*.pyc.*")), "no stray bytecode writes"
