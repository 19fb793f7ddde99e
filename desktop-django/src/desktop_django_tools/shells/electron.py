"""Electron (the release lane): dev runs, the node test suite, and packaging.

The shell reads only the stage manifest (shells/electron/src/main/launch-plan.js); the npm
and electron-builder quirks live in integrations/npm.py and integrations/electron_builder.py.
An unpacked Electron from elsewhere is named by ELECTRON_OVERRIDE_DIST_PATH, for dev runs and
packaging alike. Without any Electron, `package --layout-only` rehearses the packaging with a
stand-in executable: its files are named `...-layout-only-...` and land in
dist/electron-layout-only/<version>/, never in the real release folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from desktop_django import env as contract
from desktop_django.manifest import MANIFEST_NAME

from desktop_django_tools import devdata, locations
from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import electron_builder, npm, steps
from desktop_django_tools.shells import catalogue

TEST_FOLDERS = ("unit", "integration", "packaging", "e2e")
STANDIN_SCRIPT = "packaging/electron-dist-standin.js"
# How long Ctrl+C waits for Electron's own clean quit (backend stopped, database closed).
QUIT_GRACE_SECONDS = 30
UNAVAILABLE = (
    "{reason}: set ELECTRON_MIRROR to a reachable mirror, or ELECTRON_OVERRIDE_DIST_PATH to an "
    "unpacked Electron of the pinned version; or use `nox -s dev-positron`"
)
NO_DIST_TO_PACKAGE = (
    "{reason}: electron-builder needs an Electron distribution to package. Set ELECTRON_MIRROR, "
    "or ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron for this OS; `nox -s package -- "
    "electron --layout-only` rehearses the packaging with a stand-in that cannot run instead"
)


class ElectronShellError(ToolError):
    """A step that cannot go on; the message says why and what to do."""


def shell_dir() -> Path:
    return locations.require_workspace("the Electron shell") / "shells" / "electron"


def _call(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    steps.run(command, cwd=cwd, env=env, error=ElectronShellError, name=" ".join(command))


def prepare(shell: Path) -> str:
    """npm ci exactly as package-lock.json pins it (no Electron binary), then the generated
    assets. Returns the node executable."""
    command = npm.ci_command()
    node = npm.node()
    _call(command, cwd=shell, env={**os.environ, **npm.CI_ENV})
    _call([node, "scripts/prepare-assets.js"], cwd=shell)
    return node


def prepare_for_tests() -> None:
    """What the cross-shell tests start (`prepare-shells`): the node modules and assets."""
    prepare(shell_dir())


def require_stage() -> Path:
    """The stage (`$DESKTOP_DJANGO_STAGE_DIR` or `<repo>/.stage/backend`), which must exist."""
    stage = locations.stage_dir()
    if not (stage / MANIFEST_NAME).is_file():
        raise ElectronShellError(f"there is no staged backend in {stage}: run `nox -s stage` first")
    return stage


def stage_version(stage: Path) -> str:
    manifest = stage / MANIFEST_NAME
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))["app"]["version"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ElectronShellError(
            f"{manifest}: no `app.version` ({exc!r}): rebuild it with `nox -s stage`"
        ) from exc


def run(options: list[str]) -> int:
    """`nox -s dev-electron [-- --staged] [electron args]`: the backend source (the calling
    interpreter, dev settings) or the stage, with app data in .devdata/electron-<mode>."""
    parser = argparse.ArgumentParser(prog="desktop-django run electron")
    parser.add_argument("--staged", action="store_true", help="run on the stage")
    args, electron_args = parser.parse_known_args(options)
    mode = "staged" if args.staged else "dev"
    env = {
        **os.environ,
        "DESKTOP_DJANGO_ELECTRON_MODE": mode,
        # Never the installed app's data: a dev database may be migrated ahead of the release.
        "DESKTOP_DJANGO_USER_DATA_DIR": str(devdata.folder(f"electron-{mode}")),
    }
    shell = shell_dir()
    if args.staged:
        env[contract.STAGE_DIR] = str(require_stage())
    else:
        env["DESKTOP_DJANGO_DEV_PYTHON"] = sys.executable
    prepare(shell)
    binary, reason = npm.electron_binary(shell)
    if binary is None:
        raise ElectronShellError(UNAVAILABLE.format(reason=reason))
    print(f"electron: {mode} run, app data in {env['DESKTOP_DJANGO_USER_DATA_DIR']}", flush=True)
    # Ctrl+C is noted, not raised, from before the spawn: under load Electron can start (and
    # the user press Ctrl+C) before Popen has returned here, and a KeyboardInterrupt there
    # would end this run without waiting. A handler (unlike SIG_IGN) is not inherited.
    interrupted: list[float] = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(time.monotonic()))
    try:
        child = subprocess.Popen([str(binary), ".", *electron_args], cwd=shell, env=env)
        while True:
            try:
                status = child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                # Electron got the same Ctrl+C and quits, stopping its backend first (src/main/
                # index.js): wait for that clean stop instead of killing it halfway.
                if interrupted and time.monotonic() - interrupted[0] > QUIT_GRACE_SECONDS:
                    child.kill()
                    child.wait()
                    break
    finally:
        signal.signal(signal.SIGINT, previous)
    return 130 if interrupted else status


def test_files(shell: Path) -> list[str]:
    return [
        path.relative_to(shell).as_posix()
        for folder in TEST_FOLDERS
        for path in sorted((shell / "test" / folder).glob("*.test.js"))
    ]


def test(options: list[str]) -> int:
    """`nox -s tests-electron [-- FILES]`: node's test runner over unit, integration,
    packaging and e2e tests (or the files given), then electronegativity on a full run."""
    shell = shell_dir()
    stage = locations.stage_dir()
    if not (stage / MANIFEST_NAME).is_file():
        # A fresh clone: build the stage the integration, packaging and e2e tests need,
        # rather than let them skip (locally) or fail (CI) for want of it.
        from desktop_django_tools.stage.command import ensure_stage

        if ensure_stage(stage) != 0:
            raise ElectronShellError(f"the tests need a staged backend in {stage}")
    node = prepare(shell)
    # The packaging test runs electron-builder itself: the same quirk settings. The tests
    # find the stage themselves (test/support/paths.js), so none is imposed here.
    env = {**os.environ, **electron_builder.build_env(os.environ)}
    _call([node, "--test", *(options or test_files(shell))], cwd=shell, env=env)
    if not options:
        _call([node, "scripts/electronegativity.js"], cwd=shell)
    return 0


def package(options: list[str]) -> int:
    """`nox -s package -- electron [TARGETS] [--layout-only]`: electron-builder for this OS
    in build/electron/<version>/, then the artifacts alone into dist/electron/<version>/."""
    parser = argparse.ArgumentParser(prog="desktop-django package electron")
    parser.add_argument("targets", nargs="*", help="electron-builder targets, e.g. dir tar.gz")
    parser.add_argument(
        "--layout-only",
        action="store_true",
        help="no Electron to be had: rehearse the Linux layout with a stand-in that cannot run",
    )
    args = parser.parse_args(options)
    return _package(args.targets, layout_only=args.layout_only)


def _package(targets: list[str], *, layout_only: bool) -> int:
    from desktop_django_tools.release import artifacts

    shell = shell_dir()
    stage = require_stage()
    version = stage_version(stage)
    node = prepare(shell)
    kind = f"electron-{artifacts.LAYOUT_ONLY}" if layout_only else "electron"
    work = shell.parent.parent / "build" / kind / version
    folder = catalogue.rehearsal_folder if layout_only else catalogue.release_folder
    release = folder("electron", version)
    moved = build(node, targets, stage=stage, work=work, release=release, layout_only=layout_only)
    for path in moved:
        print(f"electron: artifact {path}")
    next_step = f" --dir {release}" if layout_only else ""
    print(f"electron: next, `nox -s release -- electron{next_step}` (working files in {work})")
    return 0


def build(
    node: str,
    targets: list[str],
    *,
    stage: Path,
    work: Path,
    release: Path,
    layout_only: bool = False,
) -> list[Path]:
    """electron-builder (installed by `prepare`) in `work`, then only the artifacts moved into
    `release`, replaced. `layout_only`: on a stand-in Electron, Linux `dir` + `tar.gz` unless
    other targets are given, every name `...-layout-only-...`. Returns the artifacts."""
    from desktop_django_tools.release import artifacts

    shell = shell_dir()
    electron_builder.require_installed(shell)
    electron_dist = None
    if layout_only:
        if not sys.platform.startswith("linux"):
            raise ElectronShellError("--layout-only rehearses the Linux layout only")
        electron_dist = _standin(node, shell, work.parent)
        targets = targets or list(electron_builder.OFFLINE_TARGETS)
        print("electron: LAYOUT-ONLY rehearsal: the executable is a stand-in, nothing built runs")
    elif not os.environ.get(electron_builder.ELECTRON_DIST_VARIABLE):
        binary, reason = npm.electron_binary(shell)
        if binary is None:
            raise ElectronShellError(NO_DIST_TO_PACKAGE.format(reason=reason))
    env = {
        **os.environ,
        **electron_builder.build_env(
            os.environ, stage_dir=stage, output_dir=work, electron_dist=electron_dist
        ),
    }
    if work.exists():  # electron-builder keeps what an earlier build left there
        shutil.rmtree(work)
    _call(electron_builder.build_command(node, targets), cwd=shell, env=env)
    moved = artifacts.take(work, release)
    if not moved:
        raise ElectronShellError(f"electron-builder left no artifacts in {work}")
    return moved


def _standin(node: str, shell: Path, parent: Path) -> Path:
    made = subprocess.run(
        [node, STANDIN_SCRIPT, str(parent)], cwd=shell, capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        raise ElectronShellError(f"the stand-in Electron could not be made: {made.stderr.strip()}")
    return Path(made.stdout.strip())
