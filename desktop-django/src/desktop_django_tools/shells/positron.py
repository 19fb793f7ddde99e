"""Positron (Toga WebView, Django in-process): dev runs, its tests and Briefcase packaging."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from desktop_django import env as contract

from desktop_django_tools import devdata, locations
from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import briefcase
from desktop_django_tools.shells import catalogue, suite

APP_MODULE = "flying_stable_positron"
DEV_SETTINGS = "flying_stable.settings.dev"


def shell_dir() -> Path:
    return locations.require_workspace("Positron") / "shells" / "positron"


def run(options: list[str]) -> int:
    """`--staged` (the stage), `--project PATH` (a wrapped project, staged for dev), or the
    backend source with dev settings."""
    parser = argparse.ArgumentParser(prog="desktop-django run positron")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--staged", action="store_true", help="run on the stage")
    which.add_argument("--project", type=Path, help="a project wrapped by desktop-django wrap")
    args, stage_options = parser.parse_known_args(options)
    if args.project:
        return _run_project(args.project, stage_options)
    if args.staged:
        return launch(stage=locations.stage_dir(), name="staged")
    return launch(settings_module=DEV_SETTINGS)


def _run_project(path: Path, stage_options: list[str]) -> int:
    from desktop_django_tools.stage.command import stage as build_stage
    from desktop_django_tools.stage.wrapped import load_project

    project, app_id = load_project(path)
    stage = locations.stage_dir(project.repo)
    # A dev run: no bytecode, and the local CPython when uv cannot download one.
    status = build_stage(["--project", str(path), "--output", str(stage), "--no-bytecode",
                          "--allow-local-python", *stage_options])  # fmt: skip
    if status != 0:
        return status
    return launch(stage=stage, settings_module=project.settings_module, name=app_id)


def launch(stage: Path | None = None, settings_module: str | None = None, name: str = "") -> int:
    """Run the window on the backend source or on a stage, with app data in .devdata."""
    env = dict(os.environ)
    env[contract.APP_DATA_DIR] = str(devdata.folder(f"positron-{name or 'dev'}"))
    args = [sys.executable, "-m", APP_MODULE]
    if stage is not None:
        args += ["--stage", str(stage)]
        # Positron imports from the stage in-process: keep the stage as built (verify-stage).
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    print(f"positron: app data in {env[contract.APP_DATA_DIR]}", flush=True)
    try:
        return subprocess.run(args, env=env, check=False).returncode
    except KeyboardInterrupt:
        # The app stops itself on SIGINT (it got the same Ctrl+C): wait for its clean exit.
        return 130


def test(options: list[str]) -> int:
    """Its unit tests on Toga's dummy backend and the real window (on Xvfb in CI); options go
    to pytest. Needs Positron installed in this environment (`nox -s tests-positron`)."""
    return suite.pytest(shell_dir() / "tests", options)


def package(options: list[str]) -> int:
    """Build and package the Briefcase app for this OS into dist/positron/<version>/."""
    if options:
        raise ToolError(f"`package positron` takes no options (got {' '.join(options)})",
                        "run `nox -s package -- positron`")  # fmt: skip
    blocker = briefcase.offline_blocker()
    if blocker:
        raise ToolError(blocker)
    source = shell_dir()
    briefcase.run("create", source)
    briefcase.run("build", source)
    briefcase.run("package", source, "--adhoc-sign")
    target = catalogue.release_folder("positron", catalogue.product().version)
    target.mkdir(parents=True, exist_ok=True)
    for artifact in (source / "dist").iterdir():
        artifact.replace(target / artifact.name)
        print(f"package: artifact {target / artifact.name}")
    return 0
