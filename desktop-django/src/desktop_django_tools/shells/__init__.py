"""One module per way of running the app (electron, tauri, positron, browser).

Each has `run(options) -> int` (a dev run, in a checkout of the starter); the shells also
have `package(options) -> int`, and electron and tauri `test(options) -> int` for the suites
that are not pytest (node, cargo, WebDriver).
"""

from __future__ import annotations

import argparse
import importlib

RUNNABLE = ("electron", "tauri", "positron", "browser")
TESTABLE = ("electron", "tauri")


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run the app in one shell (dev; app data in .devdata)")
    run.add_argument("shell", choices=RUNNABLE)
    run.add_argument("options", nargs=argparse.REMAINDER, help="the shell's own options")
    run.set_defaults(handler=lambda args: _shell(args.shell).run(args.options))
    test = commands.add_parser("test-shell", help="a shell's own test suite (node, cargo)")
    test.add_argument("shell", choices=TESTABLE)
    test.add_argument("options", nargs=argparse.REMAINDER)
    test.set_defaults(handler=lambda args: _shell(args.shell).test(args.options))


def _shell(name: str):
    return importlib.import_module(f"desktop_django_tools.shells.{name}")
