"""The staged backend as the benchmarks drive it: read from its manifest like a shell would,
started with the launcher contract's environment, and copied for the cold and no-bytecode runs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from desktop_django import env as contract
from desktop_django.manifest import load as load_manifest
from desktop_django_testing.processes import read_line_within, stop_child

PACKAGED_SETTINGS = "flying_stable.settings.packaged"
# Runs inside the staged interpreter: seeding, enqueuing tasks, reading their timestamps.
IN_STAGE_SCRIPT = Path(__file__).resolve().parent / "in_stage.py"


class BenchError(RuntimeError):
    pass


def new_token() -> str:
    return secrets.token_hex(32)


@dataclass(frozen=True)
class Stage:
    root: Path
    python: Path
    serve_args: tuple[str, ...]
    worker_args: tuple[str, ...]
    manifest: dict

    @classmethod
    def load(cls, root: Path) -> Stage:
        manifest = load_manifest(root)
        return cls(
            root=Path(root).resolve(),
            python=manifest.python_executable.resolve(),
            serve_args=tuple(manifest.launch("serve").args),
            worker_args=tuple(manifest.launch("worker").args),
            manifest=manifest.data,
        )

    def env(self, app_data: Path, token: str) -> dict:
        """The launcher contract's environment, and nothing of ours that could leak in."""
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DESKTOP_DJANGO_", "DJANGO_", "PYTHON"))
        }
        base.update(
            {
                contract.APP_DATA_DIR: str(app_data),
                contract.AUTH_TOKEN: token,
                contract.STAGE_DIR: str(self.root),
                contract.SETTINGS_MODULE: PACKAGED_SETTINGS,
            }
        )
        return base

    def argv(self, role: str, *extra: str, no_bytecode_writes: bool = False) -> list[str]:
        args = list(self.serve_args if role == "serve" else self.worker_args)
        if no_bytecode_writes:
            # An installed app's folder is read-only: every start compiles from source again.
            args.insert(args.index("-I") + 1, "-B")
        return [str(self.python), *args, *extra]

    def django_admin(self, *command: str) -> list[str]:
        """`manage.py COMMAND`, as the conventional approach runs it, on the staged runtime."""
        return [str(self.python), "-I", "-m", "django", *command]

    def in_stage(self, *command: str) -> list[str]:
        return [str(self.python), "-I", str(IN_STAGE_SCRIPT), *command]

    def copy_to(self, destination: Path, bytecode: bool = True) -> Stage:
        """A copy of the whole stage; without bytecode it has no `__pycache__` at all."""
        ignore = shutil.ignore_patterns("__pycache__") if not bytecode else None
        shutil.copytree(self.root, destination, symlinks=True, ignore=ignore)
        return Stage.load(destination)

    @property
    def has_bytecode(self) -> bool:
        return any(self.root.joinpath("python").rglob("__pycache__"))


def run_in_stage(stage: Stage, env: dict, *command: str, timeout: float = 120) -> dict:
    """Run one in-stage helper command and return its JSON answer."""
    result = subprocess.run(
        stage.in_stage(*command),
        env=env,
        cwd=stage.root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise BenchError(f"in-stage {' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare_app_data(stage: Stage, app_data: Path) -> None:
    """Migrate and seed a brand-new app data folder, as the first launch would."""
    result = subprocess.run(
        [str(stage.python), "-I", "-m", stage.manifest["launcher"]["module"], "prepare"],
        env=stage.env(app_data, new_token()),
        cwd=stage.root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise BenchError(f"prepare failed for {app_data}:\n{result.stderr[-2000:]}")


def bootstrap_url(backend_url: str, token: str) -> str:
    """Where a shell sends its web view first: the token traded for the cookie, then `/`."""
    from urllib.parse import urlencode

    from desktop_django.middleware import BOOTSTRAP_PATH

    return f"{backend_url.rstrip('/')}{BOOTSTRAP_PATH}?{urlencode({'token': token, 'next': '/'})}"


def free_port() -> int:
    """What a conventional shell does: ask the OS for a free port, then hand it on (racy)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_line(process: subprocess.Popen, timeout: float) -> bytes:
    """The next stdout line, or BenchError after `timeout` seconds."""
    try:
        line = read_line_within(process, timeout)
    except TimeoutError as exc:
        raise BenchError(str(exc)) from None
    if not line:
        raise BenchError(f"pid {process.pid} closed stdout (exit {process.wait(5)})")
    return line


def start_serve(
    stage: Stage, env: dict, *extra: str, no_bytecode_writes: bool = False
) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        stage.argv("serve", *extra, no_bytecode_writes=no_bytecode_writes),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=stage.root,
    )
    line = json.loads(read_line(process, 60))
    if line.get("event") != "ready":
        stop(process)
        raise BenchError(f"serve did not start: {line}")
    return process, line["url"]


def start_worker(stage: Stage, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        stage.argv("worker", *extra),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=stage.root,
    )


def start_runserver(stage: Stage, env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        stage.django_admin("runserver", f"127.0.0.1:{port}", "--noreload"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=stage.root,
    )


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a launcher process the way a shell does (see tooling.processes)."""
    stop_child(process, timeout)


def wait_for_log(path: Path, text: str, offset: int, timeout: float) -> None:
    """Wait until `text` appears in a log file after byte `offset` (a process's own log line)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                if text.encode() in handle.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    raise BenchError(f"{path} did not say {text!r} within {timeout} s")


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
