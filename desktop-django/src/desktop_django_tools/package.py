"""`desktop-django package SHELL`: the one packaging path, whichever shell.

Before any shell's packager runs, a missing or stale stage is rebuilt (an installer never
ships a backend older than the code beside it), and the signing situation is said.
"""

from __future__ import annotations

import argparse
import os
import sys

SHELLS = ("electron", "tauri", "positron")


def register(commands: argparse._SubParsersAction) -> None:
    package = commands.add_parser(
        "package",
        help="package one shell for this OS (restages a stale backend first)",
        description="Package one shell for this OS into dist/SHELL/VERSION/. Options after "
        "SHELL go to that shell's packager (electron: targets, --layout-only; tauri: bundles).",
    )
    package.add_argument("shell", choices=SHELLS)
    package.add_argument("options", nargs=argparse.REMAINDER)
    package.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from desktop_django_tools.release import credentials
    from desktop_django_tools.stage.freshness import ensure_stage

    status = ensure_stage()
    if status != 0:
        return status
    notice = credentials.signing_notice(args.shell, sys.platform, os.environ)
    if notice:
        print(f"package: {notice}")
    if args.shell == "electron":
        from desktop_django_tools.shells import electron

        return electron.package(args.options)
    if args.shell == "tauri":
        from desktop_django_tools.shells import tauri

        return tauri.package(args.options)
    from desktop_django_tools.release.manifest import product
    from desktop_django_tools.shells import positron

    return positron.package(product().version)
