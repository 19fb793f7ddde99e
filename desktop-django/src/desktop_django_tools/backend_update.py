"""`desktop-django backend-update apply FILE | status`: install a backend layer without a
window, for administrators (docs/backend-updates.md, section 3).

The same runtime functions the launcher's `backend-update` runs (desktop_django.backend_update),
imported here: the tools may import the runtime, never the other way round.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from desktop_django import backend_update

from desktop_django_tools import locations
from desktop_django_tools.errors import ToolError


def register(commands: argparse._SubParsersAction) -> None:
    update = commands.add_parser(
        "backend-update",
        help="install a signed backend layer into an app's data folder, or show its slots",
        description="Install a signed backend layer (docs/backend-updates.md) the way the "
        "app's Help > Install Backend Update... does, or show the slots and which one starts.",
    )
    actions = update.add_subparsers(dest="action", required=True, metavar="ACTION")
    apply = actions.add_parser("apply", help="verify the layer and install it as a trial slot")
    apply.add_argument("file", type=Path, help="the .layer file")
    _common(apply)
    apply.add_argument(
        "--shell-version",
        help="the installed app's version (default: the factory stage's app.version)",
    )
    apply.set_defaults(handler=_apply)
    status = actions.add_parser("status", help="the slot rule's answer, the state, the slots")
    _common(status)
    status.set_defaults(handler=_status)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app-data", type=Path, required=True, help="the app's data folder (holds stages/)"
    )
    parser.add_argument(
        "--factory",
        type=Path,
        help="the installed app's own stage (default: this project's .stage/backend)",
    )


def _factory(args: argparse.Namespace) -> Path:
    return (args.factory or locations.stage_dir()).absolute()


def _apply(args: argparse.Namespace) -> int:
    try:
        applied = backend_update.apply(
            args.file, args.app_data.absolute(), _factory(args), shell_version=args.shell_version
        )
    except backend_update.UpdateError as exc:
        raise ToolError(str(exc)) from None
    print(json.dumps(applied.as_json()))
    print(
        f"backend {applied.version} installed in {applied.slot} (on trial; the app starts it "
        f"next and keeps it once it answers, else goes back to {applied.previous})"
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        print(json.dumps(backend_update.status(args.app_data.absolute(), _factory(args)), indent=2))
    except backend_update.UpdateError as exc:
        raise ToolError(str(exc)) from None
    return 0
