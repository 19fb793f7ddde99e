"""`desktop-django wrap PATH`: preflight (default, changes nothing) or --apply."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from desktop_django_tools.errors import ToolError
from desktop_django_tools.stage.config import DEFAULT_LOCALES


def register(commands: argparse._SubParsersAction) -> None:
    wrap = commands.add_parser(
        "wrap",
        help="check an existing Django project, then (--apply) wrap it for the desktop",
        description="Preflight (default, changes nothing) or --apply: write <package>_desktop/ "
        "(packaged settings, launcher entry, stage config) and add desktop-django to the "
        "project's dependencies. Exit status: 0 when the project can be wrapped (or was), "
        "1 on a blocker or a refusal, 2 on a usage error.",
    )
    wrap.add_argument("path", type=Path, help="the project folder (holding manage.py)")
    wrap.add_argument(
        "--settings", metavar="MODULE", help="settings module (default: read from manage.py)"
    )
    wrap.add_argument(
        "--name", metavar="NAME", help="the app's display name (default: from the project)"
    )
    wrap.add_argument(
        "--python",
        type=Path,
        metavar="PATH",
        help="interpreter that can import the project (default: the active virtualenv, "
        "else the project's .venv/ or venv/)",
    )
    wrap.add_argument(
        "--desktop-django",
        metavar="SPEC",
        help="with --apply: the desktop-django line to add (a requirement, or a wheel or "
        "folder path; default: a reference to the desktop-django running this command)",
    )
    wrap.add_argument("--apply", action="store_true", help="write the files (else: report only)")
    wrap.add_argument(
        "--force", action="store_true", help="with --apply: allow a dirty or missing git tree"
    )
    wrap.add_argument(
        "--stage",
        action="store_true",
        help="then build the stage (<project>/.stage/backend) and print how to run it; with "
        "--apply, or on a project wrapped before",
    )
    wrap.add_argument(
        "--allow-local-python",
        action="store_true",
        help="with --stage: when the uv download of CPython fails (offline), copy the best "
        "local CPython instead",
    )
    wrap.add_argument("--json", action="store_true", help="print the report as JSON")
    wrap.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (OSError, subprocess.SubprocessError) as exc:
        # One line, with what to do: never a traceback. (A ToolError, --apply's refusal
        # included, reaches cli.main as it is.)
        raise ToolError(
            f"{exc.__class__.__name__}: {exc}",
            "nothing more was written; fix the cause named here and run the command again",
        ) from exc


def _run(args: argparse.Namespace) -> int:
    from desktop_django_tools.wrap import apply as applying
    from desktop_django_tools.wrap import preflight
    from desktop_django_tools.wrap.project import ProjectError, find_manage_py

    state = None
    if args.apply:  # the tree as the user left it, before anything runs
        try:
            state = applying.git_state(find_manage_py(args.path.absolute()).parent)
        except ProjectError:
            state = None  # the preflight reports it as a blocker
    report = preflight.run(args.path, args.settings, args.python, args.name)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.render())
    if not (args.apply or args.stage):
        return 1 if report.blockers else 0
    out = sys.stderr if args.json else sys.stdout
    wrapped_before = report.project is not None and report.project.desktop_dir.exists()
    if report.blockers and (wrapped_before or not args.apply):
        print("\ndesktop-django wrap --stage: the blockers above come first; nothing was staged",
              file=sys.stderr)  # fmt: skip
        return 1
    if args.apply and not (args.stage and wrapped_before):
        result = applying.apply(report, args.force, state, args.desktop_django)
        print(result.render(report.project.root, staging=args.stage), file=out)
    if not args.stage:
        return 0
    if not report.project.desktop_dir.exists():
        print(f"\ndesktop-django wrap --stage: {report.project.desktop_package}/ does not exist "
              "yet: add --apply to write it first", file=sys.stderr)  # fmt: skip
        return 1
    return _stage(report, args.allow_local_python, out)


def _stage(report, allow_local_python: bool, out) -> int:
    """Build the wrapped project's stage where `desktop-django stage --project` builds it,
    then say how to run it."""
    from desktop_django_tools.stage import command as stage_command

    root = report.project.root
    stage_args = argparse.Namespace(
        project=root, output=None, python_archive=None, python_archive_sha256=None,
        python_home=None, allow_local_python=allow_local_python,
        locales=",".join(DEFAULT_LOCALES), no_bytecode=False,
    )  # fmt: skip
    print(f"\nStaging {root} (desktop-django stage --project {root}):", file=out, flush=True)
    if stage_command.build_command(stage_args) != 0:
        return 1
    print(how_to_run(report), file=out)
    return 0


def how_to_run(report) -> str:
    from desktop_django.manifest import load

    from desktop_django_tools import locations

    project = report.project
    stage = locations.stage_dir(project.root)
    python = load(stage).python_executable
    app_data = f"<app data folder, e.g. {project.root / '.devdata' / report.identity.app_id}>"
    return "\n".join([
        "",
        f"Ready: {stage}",
        "Run it in a shell, from a clone of Desktop Django Starter:",
        f"  nox -s dev-positron -- --project {project.root}",
        f"  DESKTOP_DJANGO_STAGE_DIR={stage} nox -s dev-electron -- --staged",
        "or start its backend the way every shell does (docs/stage.md):",
        f"  DESKTOP_DJANGO_APP_DATA_DIR={app_data} DESKTOP_DJANGO_AUTH_TOKEN=<64 hex digits> "
        f"DESKTOP_DJANGO_STAGE_DIR={stage} {python} -I -m {project.desktop_package}.desktop serve",
        "An admin user for that app data:",
        f"  DESKTOP_DJANGO_APP_DATA_DIR={app_data} {python} -I -m {project.desktop_package} "
        "manage createsuperuser",
    ])  # fmt: skip
