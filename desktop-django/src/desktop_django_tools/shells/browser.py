"""The backend alone in a browser: runserver with DEBUG, the worker beside it, no token."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from desktop_django import env as contract

from desktop_django_tools import devdata

DEMO_SETTINGS = "flying_stable.settings.dev"
DEMO_LAUNCHER = "flying_stable.desktop"


def run(options: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="desktop-django run browser")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(options)
    return serve(DEMO_SETTINGS, DEMO_LAUNCHER, devdata.folder("browser"), args.port)


def serve(settings_module: str, launcher_module: str, app_data: Path, port: int) -> int:
    env = {
        **os.environ,
        contract.SETTINGS_MODULE: settings_module,
        contract.APP_DATA_DIR: str(app_data),
    }
    launcher = [sys.executable, "-m", launcher_module]
    subprocess.run([*launcher, "prepare"], env=env, check=True)
    # The worker exits when its stdin closes, so it can never outlive this run.
    worker = subprocess.Popen([*launcher, "worker"], stdin=subprocess.PIPE, env=env)
    print(f"Open http://127.0.0.1:{port}/ (Ctrl+C stops the server and the worker)", flush=True)
    try:
        server = [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}"]
        return subprocess.run(server, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        worker.stdin.close()
        worker.wait(timeout=10)
