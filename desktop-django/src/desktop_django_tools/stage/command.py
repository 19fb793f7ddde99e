"""`python -m stage`: build or verify the staged backend (nox -s stage / verify-stage)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stage import report
from stage.build import StageOptions, build
from stage.config import DEFAULT_LOCALES, DEFAULT_OUTPUT, DEMO, REPO_ROOT
from stage.runtime import RuntimeSourceError
from stage.verify import verify
from stage.wrapped import WrappedProjectError, load_project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s stage --", description=__doc__)
    parser.add_argument(
        "--output",
        type=Path,
        help=f"stage folder (default: {DEFAULT_OUTPUT.relative_to(REPO_ROOT)}, or "
        ".stage/<app id>/backend with --project)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        help="stage a project wrapped by `desktop-django wrap` (its folder) instead of the demo",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--python-archive", type=Path, help="local python-build-standalone archive")
    source.add_argument("--python-home", type=Path, help="existing CPython installation to copy")
    parser.add_argument("--python-archive-sha256", help="expected sha256 of --python-archive")
    parser.add_argument(
        "--allow-local-python",
        action="store_true",
        help="when the uv download fails, copy the best local CPython instead",
    )
    parser.add_argument(
        "--locales",
        default=",".join(DEFAULT_LOCALES),
        help="Django locales to keep, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--no-bytecode", action="store_true", help="skip precompiling .pyc")
    parser.add_argument("--verify", action="store_true", help="verify an existing stage instead")
    args = parser.parse_args(argv)

    project = DEMO
    output = args.output or DEFAULT_OUTPUT
    if args.project:
        try:
            project, app_id = load_project(args.project)
        except WrappedProjectError as exc:
            report.say(f"error: {exc}")
            return 2
        output = args.output or REPO_ROOT / ".stage" / app_id / "backend"
        report.say(f"staging the wrapped project at {project.repo} into {output}")
    if args.verify:
        return _verify(output)
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
    except RuntimeSourceError as exc:
        report.say(f"error: {exc}")
        return 2
    return 0


def _verify(stage_root: Path) -> int:
    from desktop_django.manifest import ManifestError

    try:
        result = verify(stage_root)
    except ManifestError as exc:
        report.say(f"error: {exc}")
        return 2
    for line in result.lines():
        print(line)
    if result.ok:
        report.say(f"{stage_root} matches its manifest")
        return 0
    report.say(f"{stage_root} does NOT match its manifest ({len(result.lines())} problems)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
