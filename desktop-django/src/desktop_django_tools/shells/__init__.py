"""One module per way of running the app; catalogue.py lists them and what each can do.

Each has `run(options) -> int` (a dev run, in a checkout of the starter); the packageable ones
also `package(options) -> int`, and the testable ones `test(options) -> int` for their own
suites (node, cargo, WebDriver, the real window). `prepare-shells` makes what the cross-shell
tests start (Electron's node modules, the Tauri release build) before any test runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from desktop_django_tools.errors import ToolError
from desktop_django_tools.shells import catalogue


def register(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run the app in one shell (dev; app data in .devdata)")
    run.add_argument("shell", choices=catalogue.RUNNABLE)
    run.add_argument("options", nargs=argparse.REMAINDER, help="the shell's own options")
    run.set_defaults(handler=lambda args: catalogue.module(args.shell).run(args.options))
    test = commands.add_parser("test-shell", help="a shell's own test suite (node, cargo, pytest)")
    test.add_argument("shell", choices=catalogue.TESTABLE)
    test.add_argument("options", nargs=argparse.REMAINDER)
    test.set_defaults(handler=lambda args: catalogue.module(args.shell).test(args.options))
    prepare = commands.add_parser(
        "prepare-shells", help="build what the cross-shell tests start (node modules, Tauri)"
    )
    prepare.set_defaults(handler=prepare_shells)


def prepare_shells(_args: argparse.Namespace) -> int:
    """Each testable shell's build, once; one that cannot be built is named. Under CI=true
    that fails (the tests that need it would fail later, less clearly); elsewhere the
    tests that need it skip with the same reason."""
    missing = []
    for name in catalogue.PREPARED:
        print(f"prepare-shells: {name}", flush=True)
        try:
            catalogue.module(name).prepare_for_tests()
        except ToolError as exc:
            missing.append(f"{name}: {exc.line()}")
    for line in missing:
        print(f"prepare-shells: NOT BUILT {line}", file=sys.stderr)
    return 1 if missing and os.environ.get("CI", "").lower() == "true" else 0
