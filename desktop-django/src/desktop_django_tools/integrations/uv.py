"""Thin wrapper over the uv CLI: every uv quirk the project depends on lives here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_django_tools.errors import ToolError


class UvError(ToolError):
    pass


def executable() -> str:
    found = shutil.which("uv")
    if found:
        return found
    try:  # the `uv` PyPI package ships the binary and knows where it is
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        raise UvError("uv is not installed: python3 -m pip install uv") from None


def run(*args: str, cwd: Path | None = None, capture: bool = False) -> str:
    # Never let a build step start an interpreter download behind the user's back.
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run(
        [executable(), *args], cwd=cwd, capture_output=capture, text=True, env=env
    )
    if result.returncode != 0:
        detail = (result.stderr or "").strip() if capture else ""
        raise UvError(f"uv {' '.join(args[:3])} failed (exit {result.returncode}) {detail}")
    return result.stdout if capture else ""


def build_wheel(package: str, out_dir: Path, repo: Path) -> Path:
    # Build with the interpreter running this code, never the stage's: building imports
    # the stdlib and would leave timestamped bytecode inside the stage.
    run(
        "build", "--wheel", "--package", package, "--out-dir", str(out_dir), "--quiet",
        "--python", sys.executable, cwd=repo,
    )  # fmt: skip
    normalized = package.replace("-", "_")
    wheels = sorted(out_dir.glob(f"{normalized}-*.whl"))
    if not wheels:
        raise UvError(f"uv build produced no wheel for {package} in {out_dir}")
    return wheels[-1]


def export_locked_requirements(
    project_root: Path,
    destination: Path,
    package: str | None = None,
    exclude: tuple[str, ...] = (),
) -> Path:
    """Third-party dependencies exactly as the project's uv.lock pins them, with hashes.

    `package` picks one member of a workspace (its workspace siblings are left out);
    `exclude` drops distributions by name, with everything only they required.
    """
    selection = ["--package", package, "--no-emit-workspace"] if package else ["--no-emit-project"]
    skipped = [arg for name in exclude for arg in ("--no-emit-package", name)]
    run(
        "export", "--frozen", "--no-dev", *selection, *skipped,
        "--format", "requirements-txt", "--quiet", "--output-file", str(destination),
        cwd=project_root,
    )  # fmt: skip
    return destination


def pip_install(python: Path, *args: str) -> None:
    # --python on a plain (non-venv) interpreter installs into its own site-packages,
    # which is exactly the self-contained runtime we want.
    run("pip", "install", "--python", str(python), "--no-progress", "--quiet", *args)
