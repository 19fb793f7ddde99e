"""The backend's start before the toolkit (backend_start.py, __main__): the data folder it
claims is the one Toga would give, and what arrives before the app exists reaches it."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
from desktop_django_testing.ci import only_on
from flying_stable_positron.folders import data_dir_before_toolkit, toolkit_names


@only_on("linux", reason="toga-gtk's data folder rule; Toga is asked on macOS and Windows")
def test_the_data_folder_known_before_the_toolkit_is_toga_gtks(monkeypatch, tmp_path):
    import toga
    from toga_gtk.paths import Paths

    monkeypatch.setenv("HOME", str(tmp_path))
    for app_id in ("flying-stable", "a-wrapped-project"):
        monkeypatch.setattr(toga.App, "app", SimpleNamespace(**toolkit_names(app_id)))
        assert data_dir_before_toolkit(app_id) == Paths(None).get_data_path()


HELD_SCRIPT = """
import json, sys, threading, time
from pathlib import Path
from desktop_django.app_data import AppData
from desktop_django.instance_lock import InstanceLock
from flying_stable_positron.backend_start import BackendStart
from flying_stable_positron.host import BackendHost
from flying_stable_positron.single_instance import send_command

app_data = AppData(Path(sys.argv[1])).prepare()
host = BackendHost(app_data, InstanceLock(app_data.lock_file).acquire(),
                   settings_module="flying_stable.settings.test")
start = BackendStart(host).start()
# A second launch, and the backend's outcome, both before any app has taken over.
handed = send_command(InstanceLock(app_data.lock_file), "focus")
deadline = time.monotonic() + 30
while not host.url and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.2)  # the outcome is recorded just after the URL
got, done = [], threading.Event()
start.hand_to(on_outcome=lambda outcome: (got.append(["outcome", *outcome]), done.set()),
              on_command=lambda command, file=None: got.append(["command", command, file]))
done.wait(30)
host.stop()
print(json.dumps({"handed": handed, "got": got, "url": host.url}))
"""


@pytest.mark.timeout(90)
def test_a_command_and_the_outcome_before_the_app_exists_reach_it_in_order(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", HELD_SCRIPT, str(tmp_path / "data")],
        capture_output=True, text=True, timeout=80,
    )  # fmt: skip
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    result = lines[-1] if lines else {}
    assert "got" in result, done.stdout + done.stderr
    assert result["handed"] is True
    assert result["got"] == [["command", "focus", None], ["outcome", "ready", result["url"]]]
