"""A distribution's own Python (Debian's python3 package, in /usr) as the stage's runtime: only
the interpreter and its standard library are copied, never the rest of /usr; the copy has
upstream's site-packages; moved elsewhere, with /usr's stdlib hidden, it still runs and
imports what was installed into it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from desktop_django_testing.ci import only_on, require_in_ci
from desktop_django_testing.namespaces import in_mount_namespace
from desktop_django_tools.integrations import uv
from desktop_django_tools.stage import prune, runtime
from desktop_django_tools.stage.files import materialise_symlinks, tree_size

pytestmark = only_on("linux", reason="Debian's python3 package is a Linux distribution's")

# What `apt-get install python3` provides (every Debian and Ubuntu has it: pipx needs it).
DISTRIBUTION_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def distribution_prefix() -> Path:
    if not Path(DISTRIBUTION_PYTHON).is_file():
        require_in_ci(f"no {DISTRIBUTION_PYTHON} (apt-get install python3)", ("linux",))
    prefix = runtime.prefix_of(DISTRIBUTION_PYTHON)
    if not runtime.is_shared_prefix(prefix):
        pytest.skip(f"{DISTRIBUTION_PYTHON} is not a distribution's Python (prefix {prefix})")
    return prefix


@pytest.fixture(scope="module")
def copied(distribution_prefix, tmp_path_factory) -> Path:
    """The copy as the stage makes it, with a real PyPI package installed the way the stage
    installs the backend's."""
    copy = tmp_path_factory.mktemp("built") / "python"
    runtime.copy_runtime(distribution_prefix, copy, prune.runtime_skip)
    materialise_symlinks(copy)
    prune.make_relocatable(copy, distribution_prefix)
    uv.pip_install(runtime.find_prefix_executable(copy), "--no-deps", "sqlparse")
    return copy


def test_only_the_interpreter_and_its_stdlib_are_copied_from_usr(distribution_prefix, copied):
    parts = runtime.interpreter_parts(distribution_prefix)
    assert parts[0].startswith("bin/python3."), parts
    assert all(p.startswith(("bin/python3.", "lib")) for p in parts), parts
    size, _count = tree_size(copied)
    assert size < 150 * 1024 * 1024, f"{size} bytes: more than one interpreter was copied"
    assert {p.name for p in copied.iterdir()} == {"bin", "lib"}
    names = {p.name for p in (copied / "bin").iterdir()}
    # (sqlparse's console script is there too: the stage's prune step removes those.)
    assert {"python", "python3", Path(parts[0]).name} <= names
    stdlib = next(copied.glob("lib/python3.*/os.py")).parent
    assert not (stdlib / runtime.EXTERNALLY_MANAGED).exists()
    assert not (stdlib / "sitecustomize.py").is_symlink()
    assert list(copied.glob("lib/python3.*/site-packages/sqlparse/__init__.py"))


def test_the_moved_copy_runs_on_its_own_stdlib_and_site_packages(
    distribution_prefix, copied, tmp_path
):
    moved = tmp_path / "moved élsewhere" / "python"
    moved.parent.mkdir()
    copied.rename(moved)
    try:
        seen = _run_hiding_the_source_stdlib(distribution_prefix, moved, tmp_path)
        site_packages = next(moved.glob("lib/python3.*/site-packages"))
    finally:
        moved.rename(copied)
    assert seen["prefix"] == str(moved)
    assert all(entry.startswith(str(moved)) for entry in seen["path"]), seen["path"]
    assert seen["sqlparse"].startswith(str(moved / "lib"))
    assert seen["purelib"] == str(site_packages)


def _run_hiding_the_source_stdlib(prefix: Path, moved: Path, cwd: Path) -> dict:
    stdlib = next(prefix.glob("lib/python3.*/os.py")).parent
    script = (
        "import json, sqlite3, ssl, sys, sysconfig, sqlparse; print(json.dumps({"
        "'prefix': sys.prefix, 'path': sys.path, 'sqlparse': sqlparse.__file__, "
        "'purelib': sysconfig.get_path('purelib')}))"
    )
    command = [str(runtime.find_prefix_executable(moved)), "-I", "-c", script]
    # Hide the stdlib it was copied from (not /usr itself: the shell and env live there).
    hidden = in_mount_namespace('mount -t tmpfs tmpfs "$0" && exec "$@"', str(stdlib), *command)
    if hidden is None:
        require_in_ci("no private mount namespace to hide /usr's stdlib in", ("linux",))
    out = subprocess.run(hidden, capture_output=True, text=True, check=True, cwd=cwd)
    return json.loads(out.stdout)
