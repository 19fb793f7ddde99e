"""The .deb the package step makes, installed for real with apt: the installed app runs from
/usr/bin in smoke mode on the backend inside the package, keeps its data in the user's data
folder, keeps it across a reinstall and a removal, and the removal takes the app away."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_in_ci
from tauri_app import (
    BUILD_TIMEOUT,
    LINUX_ONLY,
    apt,
    as_root,
    installed_files,
    package_field,
    rows,
    user_data_dir,
    user_session_env,
)

pytestmark = [LINUX_ONLY, BUILD_TIMEOUT]


def smoke_run(executable: str, home: Path, display: str) -> subprocess.CompletedProcess:
    env = user_session_env(home, display, DESKTOP_DJANGO_SMOKE_TEST="1")
    return subprocess.run(
        [executable], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def pony_names(database: Path) -> list[str]:
    return sorted(name for (name,) in rows(database, "SELECT name FROM ponies_pony"))


@pytest.fixture
def deb(tauri_build) -> Path:
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        require_in_ci("apt-get and dpkg are needed to install the .deb")
    if as_root() is None:
        require_in_ci("installing the .deb with apt-get needs root or passwordless sudo")
    deb = tauri_build.artifact(".deb")
    package = package_field(deb, "Package")
    status = subprocess.run(["dpkg", "-s", package], capture_output=True, check=False)
    if status.returncode == 0:
        pytest.fail(f"{package} is already installed: remove it first (apt-get remove {package})")
    yield deb
    subprocess.run([*as_root(), "apt-get", "-y", "-q", "remove", package], check=False)


def test_the_deb_installs_runs_keeps_user_data_and_uninstalls(deb, display, tmp_path):
    package = package_field(deb, "Package")
    apt("install", str(deb.resolve()))
    binaries = [p for p in installed_files(package) if p.startswith("/usr/bin/")]
    assert len(binaries) == 1, binaries
    executable = binaries[0]

    home = tmp_path / "home"
    home.mkdir()
    first = smoke_run(executable, home, display)
    assert first.returncode == 0, first.stdout + first.stderr
    assert '"passed":true' in first.stdout

    data = user_data_dir(home)
    database = data / "app.sqlite3"
    assert database.is_file(), sorted(p.name for p in data.iterdir())
    ponies = pony_names(database)
    assert ponies, "the first start seeds the demo ponies"
    secret = (data / "secret_key").read_bytes()

    apt("install", "--reinstall", str(deb.resolve()))
    second = smoke_run(executable, home, display)
    assert second.returncode == 0, second.stdout + second.stderr
    assert pony_names(database) == ponies
    assert (data / "secret_key").read_bytes() == secret, "a reinstall replaced user data"

    apt("remove", package)
    assert not Path(executable).exists()
    # Removing the app never deletes what the user made with it.
    assert pony_names(database) == ponies
