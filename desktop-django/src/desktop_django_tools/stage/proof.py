"""Prove a stage before calling it ready: inside it, with its own interpreter, every module of
every installed app imports, and `manage.py check` and `collectstatic` succeed.

Pruning and dependency exclusion can only be trusted when the result is run: this is the
step that turns "the stage deleted something an app imports at run time" into one line at
build time, naming the module, instead of a 500 on a user's machine.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from desktop_django import env as contract

from desktop_django_tools.stage import report, runtime
from desktop_django_tools.stage.config import Project
from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.files import tree_size

SCRIPT = Path(__file__).with_name("proof_script.py")


def stage_env(stage_root: Path, project: Project, app_data: Path) -> dict:
    env = runtime.environment_without_python_vars()
    env.update(
        DJANGO_SETTINGS_MODULE=project.settings_module,
        **{contract.APP_DATA_DIR: str(app_data), contract.STAGE_DIR: str(stage_root)},
    )
    return env


def run_in_stage(python: Path, stage_root: Path, project: Project, work: Path, what: str,
                 *args: str) -> str:  # fmt: skip
    """Run `python -I -B ARGS` the way the launcher will (isolated, settings from the
    manifest), from a folder that is neither the project nor the stage, so a path that only
    resolves from one of them fails here. Returns stdout; a failure is a StageError."""
    elsewhere = work / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    # -B: no bytecode written while the stage's own interpreter runs at build time.
    done = subprocess.run(
        [str(python), "-I", "-B", *args],
        env=stage_env(stage_root, project, work / "build-app-data"),
        cwd=elsewhere, capture_output=True, text=True,
    )  # fmt: skip
    report.log(f"$ {what}\n{done.stdout[-20000:]}{done.stderr}")
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise StageError(
            f"`{what}` failed inside the stage: {lines[-1].strip() if lines else 'no output'}",
            "run the same command in the project's own environment; if it passes there, the "
            "stage left out something the project needs (see [dependencies] keep in "
            "docs/stage.md)",
        )
    return done.stdout


def import_every_module(python: Path, stage_root: Path, project: Project, work: Path) -> dict:
    """Every installed app's modules imported, then `manage.py check`, in one process."""
    out = run_in_stage(python, stage_root, project, work, "import every installed app's modules",
                       str(SCRIPT), str(stage_root / "app"))  # fmt: skip
    result = json.loads(out)
    for entry in result["optional"]:
        report.log(f"skipped: {entry['module']}: {entry['reason']}")
    if result["broken"]:
        first = result["broken"][0]
        more = len(result["broken"]) - 1
        for entry in result["broken"]:
            report.log(f"broken: {entry['module']}: {entry['error']}")
        raise StageError(
            f"module {first['module']} does not import inside the stage ({first['error']})"
            + (f", and {more} more (listed in the log)" if more else ""),
            "if it imports in the project's own environment, the stage left out something it "
            "needs: keep that distribution with [dependencies] keep = [...] (docs/stage.md)",
        )
    if "check" in result:
        report.log(result["check_output"])
        raise StageError(
            f"`manage.py check` failed inside the stage: {result['check']}",
            "the log has every issue the check found; run `manage.py check` with the desktop "
            "settings in the project's environment to see them there",
        )
    return result


def collect_static(python: Path, stage_root: Path, project: Project, work: Path) -> int:
    run_in_stage(python, stage_root, project, work, "manage.py collectstatic",
                 "-m", "django", "collectstatic", "--noinput", "-v0")  # fmt: skip
    return tree_size(stage_root / "staticfiles")[1]
