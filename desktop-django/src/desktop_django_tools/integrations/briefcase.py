"""Thin wrapper over BeeWare Briefcase for the Positron shell.

Briefcase downloads two things: the app template (a git repository) and, for AppImage,
macOS and Windows, a python-build-standalone "support package". Both have local overrides,
which make the offline path explicit:

- BRIEFCASE_TEMPLATE: a local checkout of the platform's Briefcase template;
- BRIEFCASE_SUPPORT_PACKAGE: a local support package archive (a python-build-standalone
  `install_only` archive of the stage's Python version works).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from desktop_django_tools import network
from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import steps

TEMPLATE_ENV = "BRIEFCASE_TEMPLATE"
SUPPORT_ENV = "BRIEFCASE_SUPPORT_PACKAGE"


class BriefcaseError(ToolError):
    pass


def host_target() -> tuple[str, str]:
    """(platform, output format) that Briefcase builds on this OS."""
    if sys.platform == "darwin":
        return "macOS", "app"
    if sys.platform == "win32":
        return "windows", "app"
    return "linux", "appimage"


def offline_blocker() -> str | None:
    """Why Briefcase cannot build here, in one sentence, or None when it can."""
    has_template = bool(os.environ.get(TEMPLATE_ENV))
    has_support = bool(os.environ.get(SUPPORT_ENV))
    if has_template and has_support:
        return None
    if network.reachable("github.com"):
        return None
    wanted = ((TEMPLATE_ENV, has_template), (SUPPORT_ENV, has_support))
    missing = [name for name, present in wanted if not present]
    return (
        "Briefcase needs its app template and Python support package, which come from "
        f"GitHub and this machine cannot reach it: set {' and '.join(missing)} to local "
        "copies (see docs/positron.md), or run `nox -s package -- positron` on a connected "
        "machine or in the packages workflow"
    )


def override_args() -> list[str]:
    args = []
    if os.environ.get(TEMPLATE_ENV):
        args += ["--template", os.environ[TEMPLATE_ENV]]
    if os.environ.get(SUPPORT_ENV):
        args += ["-C", f'support_package="{os.environ[SUPPORT_ENV]}"']
    return args


def run(step: str, app_dir: Path, *args: str) -> None:
    """`briefcase STEP` (create, build, package) for this OS in the app's folder; the create
    step takes the local template and support package when they are set."""
    platform, output_format = host_target()
    extra = override_args() if step == "create" else []
    command = ["briefcase", step, platform, output_format, "--no-input", *extra, *args]
    steps.run(command, cwd=app_dir, error=BriefcaseError, name=f"briefcase {step}")
