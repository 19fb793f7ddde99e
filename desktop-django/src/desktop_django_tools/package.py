"""`desktop-django package SHELL`: the one packaging path, whichever shell.

Before anything runs, the programs the shell's packager needs are checked (the catalogue
names them with their install lines); then a missing or stale stage is rebuilt (an installer
never ships a backend older than the code beside it), and the signing situation is said.
"""

from __future__ import annotations

import argparse
import os
import sys

from desktop_django_tools.shells import catalogue


def register(commands: argparse._SubParsersAction) -> None:
    package = commands.add_parser(
        "package",
        help="package one shell for this OS (restages a stale backend first)",
        description="Package one shell for this OS into dist/SHELL/VERSION/. Options after "
        "SHELL go to that shell's packager (electron: targets, --layout-only; tauri: bundles).",
    )
    package.add_argument("shell", choices=catalogue.PACKAGEABLE)
    package.add_argument("options", nargs=argparse.REMAINDER)
    package.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from desktop_django_tools.release import credentials
    from desktop_django_tools.stage.command import ensure_stage

    catalogue.require_package_tools(args.shell)
    status = ensure_stage()
    if status != 0:
        return status
    notice = credentials.signing_notice(args.shell, sys.platform, os.environ)
    if notice:
        print(f"package: {notice}")
    return catalogue.module(args.shell).package(args.options)
