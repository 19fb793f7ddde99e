"""Prove a stage before calling it ready: inside it, with its own interpreter, every module of
every installed app imports, and `manage.py check` and `collectstatic` succeed.

Pruning and dependency exclusion can only be trusted when the result is run: this is the
step that turns "the stage deleted something an app imports at run time" into one line at
build time, naming the module, instead of a 500 on a user's machine.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tempfile
from pathlib import Path

from desktop_django import env as contract

from desktop_django_tools.stage import report, runtime
from desktop_django_tools.stage.config import StagedProject
from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.files import tree_size

SCRIPT = Path(__file__).with_name("proof_script.py")
# Where a traceback's exception line starts: "ImproperlyConfigured: ...", "pkg.SomeError: ...".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")


def stage_env(stage_root: Path, project: StagedProject, app_data: Path) -> dict:
    env = runtime.environment_without_python_vars()
    env.update(
        DJANGO_SETTINGS_MODULE=project.settings_module,
        **{contract.APP_DATA_DIR: str(app_data), contract.STAGE_DIR: str(stage_root)},
    )
    return env


def run_in_stage(python: Path, stage_root: Path, project: StagedProject, work: Path, what: str,
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
        raise StageError(
            f"`{what}` failed inside the stage: {last_error(done.stderr)}",
            "run the same command in the project's own environment; if it passes there, the "
            "stage left out something the project needs (see [dependencies] keep in "
            "docs/stage.md)",
        )
    return done.stdout


def last_error(stderr: str) -> str:
    """The exception line of a traceback on stderr, as one line. A message that spans many
    lines (a SystemCheckError, an ImportError with advice) starts at the last line that begins
    with an exception name and runs to the end."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return "no output"
    starts = [i for i, line in enumerate(lines) if EXCEPTION_LINE.match(line)]
    return " ".join(lines[starts[-1] if starts else -1 :])


def report_of(out: str, what: str) -> dict:
    """The proof script's one JSON report: the last line of its stdout (the script guards
    stdout, so an app's print goes to stderr; a C extension writing to the file descriptor
    itself could still come before it)."""
    lines = [line for line in out.splitlines() if line.strip()]
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        raise StageError(
            f"`{what}` printed no report inside the stage (its stdout: "
            f"{' '.join(out.split())[:200] or 'empty'})",
            "the log has its full output; an app writing to stdout at start-up is the usual cause",
        ) from None


# The settings' INSTALLED_APPS as one JSON line, printed last (a settings module that prints
# comes before it); django.setup() is not needed just to read a setting.
INSTALLED_APPS_SCRIPT = (
    "import json; from django.conf import settings; "
    "print(json.dumps({'installed_apps': list(settings.INSTALLED_APPS)}))"
)


def installed_apps(python: Path, stage_root: Path, project: StagedProject, work: Path) -> list[str]:
    """The project's INSTALLED_APPS, read inside the stage with the settings the launcher uses."""
    what = "read INSTALLED_APPS"
    out = run_in_stage(python, stage_root, project, work, what, "-c", INSTALLED_APPS_SCRIPT)
    return report_of(out, what)["installed_apps"]


def import_every_module(python: Path, stage_root: Path, project: StagedProject, work: Path) -> dict:
    """Every installed app's modules imported, then `manage.py check`, in one process."""
    what = "import every installed app's modules"
    out = run_in_stage(python, stage_root, project, work, what,
                       str(SCRIPT), str(stage_root / "app"))  # fmt: skip
    result = report_of(out, what)
    if result["broken"] and project.wrapped:
        _also_broken_in_own_env(result, project)
    for entry in result["optional"]:
        report.log(f"skipped: {entry['module']}: {entry['reason']}")
    for entry in result.get("warnings", []):
        report.say(f"warning: {entry['module']} does not import in the project's own "
                   f"environment either ({entry['error']}): left as it is")  # fmt: skip
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


def project_settings_module(project: StagedProject) -> str | None:
    """The project's own settings module: the one the packaged settings star-import."""
    path = project.repo / Path(*project.settings_module.split(".")).with_suffix(".py")
    for folder in project.wrapped.pythonpath:
        candidate = project.repo / folder / path.relative_to(project.repo)
        if candidate.is_file():
            path = candidate
            break
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return node.module
    return None


def _also_broken_in_own_env(result: dict, project: StagedProject) -> None:
    """Move the modules that fail in the project's own environment too out of `broken`, into
    `warnings`: the stage did not break them (a third-party app's optional command that
    raises "install X", a module for a backend the project does not use)."""
    from desktop_django_tools.project_python import find_python, probe_environment

    python, _why = find_python(project.repo, None)
    settings = project_settings_module(project)
    if python is None or settings is None:
        report.log("the project's own environment was not found: every failure stands")
        return
    names = [entry["module"] for entry in result["broken"]]
    entries = [str(project.repo / folder) for folder in project.wrapped.pythonpath]
    with tempfile.TemporaryDirectory(prefix="desktop-django-own-env-") as scratch:
        done = subprocess.run(
            [str(python), "-I", "-B", str(SCRIPT), "--only", *entries],
            input="\n".join(names), cwd=scratch, capture_output=True, text=True,
            env={**probe_environment(), "DJANGO_SETTINGS_MODULE": settings},
        )  # fmt: skip
    report.log(f"$ the same modules in the project's own environment ({python})\n"
               f"{done.stdout}{done.stderr}")  # fmt: skip
    try:
        own = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return
    failed = own.get("failed", {})
    result["warnings"] = [{**entry, "error": failed[entry["module"]]}
                          for entry in result["broken"] if entry["module"] in failed]  # fmt: skip
    result["broken"] = [entry for entry in result["broken"] if entry["module"] not in failed]


def collect_static(python: Path, stage_root: Path, project: StagedProject, work: Path) -> int:
    run_in_stage(python, stage_root, project, work, "manage.py collectstatic",
                 "-m", "django", "collectstatic", "--noinput", "-v0")  # fmt: skip
    return tree_size(stage_root / "staticfiles")[1]
