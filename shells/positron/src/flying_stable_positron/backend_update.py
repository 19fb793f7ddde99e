"""The launcher's `backend-update` commands (docs/backend-updates.md, section 3), run like
`serve`: the slot's own interpreter with the manifest's launcher argv, `serve` swapped for the
command, cwd the slot, the launcher environment without the token. `apply FILE` runs with the
slot that serves now, `confirm` with the trial's slot. The data logic is all the runtime's;
Positron runs the command and reads its one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from desktop_django import env
from desktop_django.manifest import load

from flying_stable_positron.backend_slots import FACTORY_STAGE_ENV, ROLLBACK_ENV

TIMEOUT_SECONDS = 120


class BackendUpdateError(RuntimeError):
    """The command refused or failed; the message is the launcher's own."""


def launcher_command(stage_dir: Path, args: list[str]) -> list[str]:
    manifest = load(stage_dir)
    serve = manifest.launch("serve")
    if not serve.args or serve.args[-1] != "serve":
        raise BackendUpdateError(f"the launcher command of {stage_dir} does not end in serve")
    return [str(serve.executable), *serve.args[:-1], *args]


def last_json_object(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        if line.lstrip().startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def run(stage_dir: Path, factory_dir: Path, app_data: Path, args: list[str]) -> dict:
    command = launcher_command(stage_dir, ["backend-update", *args])
    child_env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DESKTOP_DJANGO_", "PYTHON")) and name != env.SETTINGS_MODULE
    }
    child_env.update(
        {
            env.APP_DATA_DIR: str(app_data),
            env.STAGE_DIR: str(stage_dir),
            FACTORY_STAGE_ENV: str(factory_dir),
        }
    )
    child_env.pop(ROLLBACK_ENV, None)
    # The stage's own interpreter and launcher, with arguments we built.
    result = subprocess.run(
        command,
        cwd=stage_dir,
        env=child_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    answer = last_json_object(result.stdout)
    if answer is not None and answer.get("event") == "error":
        raise BackendUpdateError(str(answer.get("message") or "the backend update failed"))
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]
        raise BackendUpdateError(last)
    return answer or {}


def readable_layer(layer: Path) -> Path:
    """`layer` when it is a file this user can read; else the refusal, naming the file (a
    path typed on a command line or handed over by "Open with" may be anything)."""
    try:
        with layer.open("rb") as opened:
            opened.read(1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise BackendUpdateError(
            f"cannot read the backend update file {layer}: {reason}; "
            "check the path and that this user may read it"
        ) from exc
    return layer


def apply(stage_dir: Path, factory_dir: Path, app_data: Path, layer: Path) -> dict:
    """Install `layer` on top of the serving slot; {version, slot, previous}."""
    readable_layer(layer)
    answer = run(stage_dir, factory_dir, app_data, ["apply", str(layer)])
    if answer.get("event") != "update-applied" or not isinstance(answer.get("version"), str):
        raise BackendUpdateError(f"the apply command did not report the new version: {answer}")
    return answer


def confirm(stage_dir: Path, factory_dir: Path, app_data: Path) -> dict:
    """Mark the slot on trial good (`stage_dir` is that slot)."""
    answer = run(stage_dir, factory_dir, app_data, ["confirm"])
    if answer.get("event") != "update-confirmed":
        raise BackendUpdateError(f"the confirm command did not report the confirmed slot: {answer}")
    return answer
