"""`desktop-django`: the command line of desktop-django's build tools.

desktop-django wrap PATH [--apply]        check, then wrap, an existing Django project
desktop-django stage [--project PATH]     build the staged backend (docs/stage.md)
desktop-django verify-stage               re-hash a stage against its manifest
desktop-django layer --from OLD --to NEW  a signed backend layer (an update with no installer)
desktop-django ensure-stage               restage the demo when missing or stale
desktop-django run SHELL                  run the app in one shell (dev; app data in .devdata)
desktop-django test-shell SHELL           a shell's own test suite (node, cargo, WebDriver)
desktop-django prepare-shells             build what the cross-shell tests start
desktop-django package SHELL              package one shell for this OS
desktop-django icons [--check]            every shell's icons from the one brand SVG
desktop-django release SHELL              manifest, checksums and signature of a release
desktop-django offline-bundle SHELL       the verified folder for air-gapped sites
desktop-django verify [FOLDER]            verify a release folder (as its verify.py does)
desktop-django keygen FOLDER              a new release signing key pair
desktop-django doctor                     what this machine has, lacks and can reach
desktop-django backend-update apply FILE --app-data DIR   install a signed backend layer

A command that fails says so in one line, `desktop-django COMMAND: cause. Next: step`, and
exits with 1 (errors.py); a usage error exits with 2.
"""

from __future__ import annotations

import argparse
import sys

from desktop_django_tools import backend_update, layer, package, shells
from desktop_django_tools.errors import EXIT_FAILURE, ToolError
from desktop_django_tools.release import commands as release_commands
from desktop_django_tools.stage import command as stage_command
from desktop_django_tools.wrap import command as wrap_command


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="desktop-django",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wrap_command.register(commands)
    stage_command.register(commands)
    layer.register(commands)
    package.register(commands)
    shells.register(commands)
    release_commands.register(commands)
    backend_update.register(commands)
    doctor = commands.add_parser("doctor", help="what this machine has, lacks and can reach")
    doctor.set_defaults(handler=_doctor)
    return root


def _doctor(_args: argparse.Namespace) -> int:
    from desktop_django_tools import doctor

    lines, _missing = doctor.report()
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["verify"]:
        # verify.py ships alone in every release and parses its own options.
        from desktop_django_tools.release import verify

        return verify.main(argv[1:])
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except ToolError as error:
        report_failure(args.command, error)
        return EXIT_FAILURE


def report_failure(command: str, error: ToolError) -> None:
    """The one failure line (errors.py); a detail with no log to hold it goes above it."""
    if error.detail and error.log is None:
        print(error.detail.rstrip(), file=sys.stderr)
    log = f" (full log: {error.log})" if error.log else ""
    print(f"desktop-django {command}: {error.line()}{log}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
