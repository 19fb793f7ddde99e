"""`desktop-django stage`, `verify-stage` and `ensure-stage`: build, check or refresh a stage.

The other commands that need a stage call `stage(options)` or `ensure_stage()` here, never
the CLI: a failure then reaches the one failure line of the command that was run.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import traceback
from pathlib import Path
from typing import NoReturn

from desktop_django import env
from desktop_django.manifest import STAGE_SUBDIR

from desktop_django_tools import locations
from desktop_django_tools.errors import ToolError
from desktop_django_tools.stage import report
from desktop_django_tools.stage.config import DEFAULT_LOCALES, DEMO, StagedProject
from desktop_django_tools.stage.freshness import OPTIONS_ENV, stage_state


def register(commands: argparse._SubParsersAction) -> None:
    stage = commands.add_parser(
        "stage",
        help="build the staged backend: relocatable CPython + backend + static + manifest",
        description="Build the stage folder (docs/stage.md). Default: the demo in a checkout of "
        "this starter, or --project PATH for a project wrapped by `desktop-django wrap`.",
    )
    _stage_options(stage)
    stage.set_defaults(handler=build_command)

    verify = commands.add_parser(
        "verify-stage", help="re-hash a stage against its manifest (missing, extra, changed files)"
    )
    _target_options(verify)
    verify.set_defaults(handler=verify_command)

    ensure = commands.add_parser(
        "ensure-stage", help="rebuild the demo's stage when it is missing or stale"
    )
    ensure.set_defaults(handler=lambda _args: ensure_stage())


def _stage_options(stage: argparse.ArgumentParser) -> None:
    _target_options(stage)
    source = stage.add_mutually_exclusive_group()
    source.add_argument("--python-archive", type=Path, help="local python-build-standalone archive")
    source.add_argument("--python-home", type=Path, help="existing CPython installation to copy")
    stage.add_argument("--python-archive-sha256", help="expected sha256 of --python-archive")
    stage.add_argument(
        "--allow-local-python",
        action="store_true",
        help="when the uv download fails, copy the best local CPython instead",
    )
    stage.add_argument(
        "--locales",
        default=",".join(DEFAULT_LOCALES),
        help="Django locales to keep, comma-separated (default: %(default)s)",
    )
    stage.add_argument("--no-bytecode", action="store_true", help="skip precompiling .pyc")


class _CalledOptions(argparse.ArgumentParser):
    """The stage's options when another command passes them: a bad one is that command's
    failure (one line), not a usage exit from inside it."""

    def error(self, message: str) -> NoReturn:
        raise ToolError(f"bad stage options ({message})",
                        f"correct them (automatic restaging reads ${OPTIONS_ENV})")  # fmt: skip


def stage(options: list[str]) -> int:
    """`desktop-django stage OPTIONS`, from another command."""
    parser = _CalledOptions(prog="desktop-django stage")
    _stage_options(parser)
    return build_command(parser.parse_args(options))


def ensure_stage(output: Path | None = None, options: list[str] | None = None) -> int:
    """Rebuild the demo's stage when it is missing or stale (stage/freshness.py); 0 when it
    is current afterwards. `options`: the stage's (default: $DESKTOP_DJANGO_STAGE_OPTIONS)."""
    output = output or locations.stage_dir()
    current, reason = stage_state(output)
    if current:
        print(f"stage: {reason}")
        return 0
    if options is None:
        options = shlex.split(os.environ.get(OPTIONS_ENV, ""))
    print(f"stage: {reason}: staging it now (desktop-django stage {' '.join(options)})".rstrip())
    try:
        return stage(["--output", str(output), *options])
    except ToolError:
        print(
            f"stage: staging failed; run `nox -s stage` with the options this machine needs "
            f"(offline: --allow-local-python), or set {OPTIONS_ENV} to them"
        )
        raise


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=Path,
        help=f"stage folder (default: ${env.STAGE_DIR}, else {STAGE_SUBDIR} in the project)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        help="a project wrapped by `desktop-django wrap` (its folder) instead of the demo",
    )


def _target(args: argparse.Namespace) -> tuple[StagedProject, Path]:
    if not args.project:
        locations.require_workspace("staging the demo")
        return DEMO, args.output or locations.stage_dir()
    from desktop_django_tools.stage.wrapped import load_project

    project, _app_id = load_project(args.project)
    return project, args.output or locations.stage_dir(project.repo)


def build_command(args: argparse.Namespace) -> int:
    from desktop_django_tools.stage.build import StageOptions, build

    project, output = _target(args)
    with report.build_log(log_path(output)) as log:
        if project.wrapped:
            report.say(f"staging the wrapped project at {project.repo} into {output}")
        options = StageOptions(
            output=output,
            project=project,
            python_archive=args.python_archive,
            python_archive_sha256=args.python_archive_sha256,
            python_home=args.python_home,
            allow_local_python=args.allow_local_python,
            locales=tuple(lang.strip() for lang in args.locales.split(",") if lang.strip()),
            bytecode=not args.no_bytecode,
        )
        try:
            build(options)
        except Exception as exc:  # every failure ends in one line (cli.main) and the log
            error = failure(exc)
            error.log = log
            report.log(f"desktop-django stage: {error.line()}")
            if error is exc:
                raise
            raise error from exc
    return 0


def log_path(output: Path) -> Path:
    """The build log sits beside the stage (never in it: the stage is hashed file by file)."""
    return output.absolute().parent / f"{output.name}.stage.log"


def failure(exc: Exception) -> ToolError:
    """The failure as a ToolError for the one line; the rest (tool output, the traceback of
    anything unexpected) goes to the log."""
    from desktop_django_tools.integrations import uv

    if isinstance(exc, uv.UvError):
        report.log(exc.cause)
        return ToolError(exc.cause.splitlines()[0], "uv's output is above and in the log; "
                         "offline builds need UV_FIND_LINKS (docs/stage.md)")  # fmt: skip
    if isinstance(exc, ToolError):
        report.log(exc.detail)
        return exc
    report.log("".join(traceback.format_exception(exc)))
    if isinstance(exc, subprocess.CalledProcessError):
        command = " ".join(map(str, exc.cmd[:4]))
        return ToolError(f"`{command} ...` exited with {exc.returncode}",
                         "read its output in the log, fix the cause, stage again")  # fmt: skip
    return ToolError(
        f"unexpected {type(exc).__name__}: {exc}",
        "the traceback is in the log; please report it with the log attached",
    )


def verify_command(args: argparse.Namespace) -> int:
    from desktop_django.manifest import ManifestError

    from desktop_django_tools.stage.verify import verify

    _project, stage_root = _target(args)
    try:
        result = verify(stage_root)
    except ManifestError as exc:
        # The runtime's reader knows nothing of the tools: the next step is said here.
        raise ToolError(str(exc), "rebuild the stage with `desktop-django stage`") from exc
    for line in result.lines():
        print(line)
    if result.ok:
        report.say(f"{stage_root} matches its manifest")
        return 0
    report.say(f"{stage_root} does NOT match its manifest ({len(result.lines())} problems)")
    return 1
