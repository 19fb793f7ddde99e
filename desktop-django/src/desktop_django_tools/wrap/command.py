"""`desktop-django wrap PATH`: preflight (default, changes nothing) or --apply."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from desktop_django_tools.errors import ToolError


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
    if not args.apply:
        return 1 if report.blockers else 0
    result = applying.apply(report, args.force, state, args.desktop_django)
    print(result.render(report.project.root), file=sys.stderr if args.json else sys.stdout)
    return 0
