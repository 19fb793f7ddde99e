"""An offline update, end to end: 0.1.0 and 0.1.1 built with an updater key made for this
test, `latest.json` and the 0.1.1 .deb served from a loopback HTTP server, 0.1.0 installed
with apt. A tampered package, a wrong signature and a downgrade are refused with the backend
left running and the data untouched; the real update stops the backend before it installs,
then restarts into 0.1.1, whose extra migration runs on the user's data after a backup.

Slow (two more release links of the app crate): marked `slow`.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest
from desktop_django_testing.ci import require_in_ci
from desktop_django_testing.stage import next_version_of
from tauri_app import (
    BUILD_TIMEOUT,
    LINUX_ONLY,
    RunningApp,
    apt,
    as_root,
    installed_files,
    package_field,
    press_key_in_window,
    read_events,
    rows,
    user_data_dir,
    user_session_env,
    wait_for_window,
)

pytestmark = [LINUX_ONLY, BUILD_TIMEOUT, pytest.mark.slow]

KEY_PASSWORD = "update-test"


class Feed:
    """The update server: a folder on a loopback port, logging what the app asked for."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.requests: list[str] = []
        requests = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, _format, *args):
                requests.append(self.path)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=folder))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def announce(self, version: str, package: Path, signature: str) -> None:
        target = self.folder / package.name.replace(" ", "_")
        if package != target:
            shutil.copy2(package, target)
        latest = {
            "version": version,
            "notes": "test update",
            "pub_date": "2026-12-01T00:00:00Z",
            "platforms": {
                "linux-x86_64-deb": {"signature": signature, "url": f"{self.url}/{target.name}"}
            },
        }
        (self.folder / "latest.json").write_text(json.dumps(latest), encoding="utf-8")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def generate_key(folder: Path) -> Path:
    from desktop_django_tools.integrations import tauri_cli
    from desktop_django_tools.shells import tauri

    key = folder / "updates.key"
    command = tauri_cli.signer_generate_command(tauri.shell_dir(), key, KEY_PASSWORD)
    subprocess.run(command, check=True, capture_output=True)
    return key


def build_deb(version: str, key: Path, feed_url: str, into: Path, stage: Path) -> tuple[Path, str]:
    """One signed .deb of the app at `version` with `stage` inside, configured to check
    `feed_url` at start."""
    from desktop_django_tools.integrations import tauri_cli
    from desktop_django_tools.shells import tauri

    overrides = {
        "version": version,
        "bundle": {"createUpdaterArtifacts": True},
        "plugins": {
            "updater": {
                "pubkey": Path(f"{key}.pub").read_text(encoding="utf-8").strip(),
                "endpoints": [f"{feed_url}/latest.json"],
                # A loopback server in a test; a release endpoint is HTTPS.
                "dangerousInsecureTransportProtocol": True,
            },
            "desktop-django": {"checkForUpdatesOnStart": True},
        },
    }
    artifacts = tauri.build(
        tauri.shell_dir(),
        ("deb",),
        overrides,
        env=tauri_cli.signing_env(key, KEY_PASSWORD),
        stage=stage,
    )
    deb = next(p for p in artifacts if p.suffix == ".deb")
    signature = Path(f"{deb}.sig").read_text(encoding="utf-8")
    kept = into / f"flying-stable-{version}.deb"
    shutil.copy2(deb, kept)
    return kept, signature


def start_installed(executable: str, home: Path, display: str) -> RunningApp:
    env = user_session_env(home, display)
    process = subprocess.Popen([executable], env=env, stdout=subprocess.PIPE, text=True)
    app = RunningApp(process)
    threading.Thread(target=read_events, args=(process, app.events), daemon=True).start()
    return app


def installed_version(package: str) -> str:
    result = subprocess.run(
        ["dpkg-query", "--showformat=${Version}", "--show", package],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def data_snapshot(home: Path) -> tuple[bytes, list[tuple]]:
    data = user_data_dir(home)
    ponies = rows(data / "app.sqlite3", "SELECT id, name FROM ponies_pony ORDER BY id")
    return (data / "secret_key").read_bytes(), ponies


def backups(home: Path) -> list[Path]:
    return sorted((user_data_dir(home) / "backups").glob("*.sqlite3"))


def quit_app(app: RunningApp) -> None:
    app.process.terminate()
    app.process.wait(timeout=30)


@pytest.fixture(scope="module")
def releases(tauri_build, stage, tmp_path_factory):
    """0.1.0 (the stage as built) and 0.1.1 (its backend with one more migration, a schema
    and a data one), signed with one key; a second key for the wrong-signature case."""
    if as_root() is None:
        require_in_ci("installing .deb packages needs root or passwordless sudo")
    if shutil.which("sudo") is None and shutil.which("pkexec") is None:
        require_in_ci("the updater installs a .deb through pkexec or sudo: apt-get install sudo")
    work = tmp_path_factory.mktemp("updates")
    feed = Feed(work / "feed")
    (work / "feed").mkdir()
    key = generate_key(work)
    (work / "other").mkdir()
    other_key = generate_key(work / "other")
    old, _ = build_deb("0.1.0", key, feed.url, work, stage)
    next_stage = work / "stage-0.1.1" / "backend"
    next_version_of(stage, next_stage, "0.1.1")
    new, signature = build_deb("0.1.1", key, feed.url, work, next_stage)
    from desktop_django_tools.integrations import tauri_cli
    from desktop_django_tools.shells import tauri

    wrong = subprocess.run(
        [str(tauri_cli.binary(tauri.shell_dir())), "signer", "sign", "--private-key-path",
         str(other_key), "--password", KEY_PASSWORD, str(new)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    wrong_signature = Path(f"{new}.sig").read_text(encoding="utf-8")
    assert wrong.returncode == 0
    package = package_field(old, "Package")
    yield {
        "feed": feed, "old": old, "new": new, "signature": signature,
        "wrong_signature": wrong_signature, "package": package, "work": work,
    }  # fmt: skip
    feed.close()
    subprocess.run([*as_root(), "apt-get", "-y", "-q", "remove", package], check=False)


@pytest.fixture(scope="module")
def installed(releases, display, tmp_path_factory):
    apt("install", str(releases["old"]))
    executable = next(p for p in installed_files(releases["package"]) if p.startswith("/usr/bin/"))
    home = tmp_path_factory.mktemp("home")
    return {"executable": executable, "home": home, "display": display}


def refused(releases, installed, version: str, package: Path, signature: str) -> list[dict]:
    """Announce an update the app must not install; return what the app said."""
    releases["feed"].announce(version, package, signature)
    app = start_installed(installed["executable"], installed["home"], installed["display"])
    app.wait_for("page-loaded")
    before = data_snapshot(installed["home"])
    if version == "0.0.9":
        app.wait_for("update-none", timeout=30)
    else:
        app.wait_for("update-available", timeout=30)
        wait_for_window(installed["display"], "Update available")
        press_key_in_window(installed["display"], "Update available", "Return")
        app.wait_for("update-failed", timeout=60)
    seen = [event["event"] for event in app.seen]
    quit_app(app)
    assert installed_version(releases["package"]) == "0.1.0"
    assert data_snapshot(installed["home"]) == before
    return seen


def tampered_copy(package: Path, into: Path) -> Path:
    tampered = into / "tampered" / package.name
    tampered.parent.mkdir(exist_ok=True)
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    return tampered


def test_a_downgrade_is_refused(releases, installed):
    seen = refused(releases, installed, "0.0.9", releases["old"], releases["signature"])
    assert "update-installing" not in seen


def test_a_tampered_package_is_refused_before_the_backend_stops(releases, installed):
    tampered = tampered_copy(releases["new"], releases["work"])
    seen = refused(releases, installed, "0.1.1", tampered, releases["signature"])
    assert "stopped" not in seen[: seen.index("update-failed")]
    assert "update-installing" not in seen


def test_a_wrong_signature_is_refused_before_the_backend_stops(releases, installed):
    seen = refused(releases, installed, "0.1.1", releases["new"], releases["wrong_signature"])
    assert "stopped" not in seen[: seen.index("update-failed")]
    assert "update-installing" not in seen


def test_the_update_stops_the_backend_installs_and_restarts_into_0_1_1(releases, installed):
    releases["feed"].announce("0.1.1", releases["new"], releases["signature"])
    app = start_installed(installed["executable"], installed["home"], installed["display"])
    app.wait_for("page-loaded")
    before = data_snapshot(installed["home"])
    backups_before = backups(installed["home"])
    assert app.wait_for("update-available", timeout=30)["version"] == "0.1.1"
    wait_for_window(installed["display"], "Update available")
    press_key_in_window(installed["display"], "Update available", "Return")
    stopped = app.wait_for("stopped", timeout=60)
    installing = app.wait_for("update-installing", timeout=60)
    order = [event["event"] for event in app.seen]
    assert order.index("stopped") < order.index("update-installing"), order
    assert stopped["allStopped"] is True
    assert installing["version"] == "0.1.1"
    # The restarted app (the new version) writes to the same stdout: its backend comes up.
    try:
        app.wait_for_nth("page-loaded", 2, timeout=120)
        assert installed_version(releases["package"]) == "0.1.1"
        assert data_snapshot(installed["home"]) == before
        # 0.1.1's migration ran on the user's data: its table holds every pony 0.1.0 had.
        database = user_data_dir(installed["home"]) / "app.sqlite3"
        arrivals = rows(database, "SELECT pony_name FROM ponies_arrival ORDER BY id")
        assert [name for (name,) in arrivals] == [name for _id, name in before[1]]
        # ... and a copy of the 0.1.0 database was taken before it did.
        taken = [b for b in backups(installed["home"]) if b not in backups_before]
        assert [b.name.startswith("app-0.1.0-") for b in taken] == [True], taken
        assert rows(taken[0], "SELECT id, name FROM ponies_pony ORDER BY id") == before[1]
        assert rows(taken[0], "SELECT name FROM sqlite_master WHERE name = 'ponies_arrival'") == []
    finally:
        stop_installed_apps(installed["executable"], installed["home"])


def stop_installed_apps(executable: str, home: Path) -> None:
    """The restarted app is not our child: find it by its program and its HOME."""
    for process in psutil.process_iter(["exe"]):
        if process.info["exe"] != executable:
            continue
        with contextlib.suppress(psutil.Error):
            if process.environ().get("HOME") == str(home):
                process.terminate()
                process.wait(timeout=30)
