"""`desktop-django wrap PATH`: preflight (default, changes nothing) or --apply."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


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
        help="interpreter that can import the project (default: its .venv, else this one)",
    )
    wrap.add_argument("--apply", action="store_true", help="write the files (else: report only)")
    wrap.add_argument(
        "--force", action="store_true", help="with --apply: allow a dirty or missing git tree"
    )
    wrap.add_argument("--json", action="store_true", help="print the report as JSON")
    wrap.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from desktop_django_tools.wrap import apply as applying
    from desktop_django_tools.wrap import preflight

    report = preflight.run(args.path, args.settings, args.python, args.name)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.render())
    if not args.apply:
        return 1 if report.blockers else 0
    try:
        result = applying.apply(report, force=args.force)
    except applying.ApplyRefused as refusal:
        print(f"\ndesktop-django wrap --apply refused: {refusal}", file=sys.stderr)
        return 1
    print(result.render(report.project.root), file=sys.stderr if args.json else sys.stdout)
    return 0
