"""Thin wrapper over npm and node for the Electron shell: every npm-side quirk lives here.

- `npm ci` runs with ELECTRON_SKIP_BINARY_DOWNLOAD=1. The `electron` package otherwise
  downloads its binary from GitHub while installing, which fails on machines that reach only
  the npm registry, and only commands that launch Electron need the binary at all. Those ask
  for it through `electron_binary()`, which says why when it cannot be had.
- The electron package's installer loads an ES module with `require()`: Node 20.19+ (or 22),
  the default minimum here. Another package folder (the Tauri CLI's) passes its own.
- On Windows npm is `npm.cmd`; `shutil.which` finds it by PATHEXT.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from desktop_django_tools.errors import ToolError

MIN_NODE = (20, 19)
CI_ENV = {
    "ELECTRON_SKIP_BINARY_DOWNLOAD": "1",
    "npm_config_audit": "false",
    "npm_config_fund": "false",
    "npm_config_update_notifier": "false",
}


class NpmError(ToolError):
    pass


def node() -> str:
    found = shutil.which("node")
    if not found:
        raise NpmError("Node.js is not installed: install Node.js 20.19 or newer (with npm)")
    return found


def node_version() -> tuple[int, int, int]:
    output = subprocess.run([node(), "--version"], capture_output=True, text=True, check=True)
    match = re.match(r"v(\d+)\.(\d+)\.(\d+)", output.stdout.strip())
    if not match:
        raise NpmError(f"cannot read the Node.js version from {output.stdout.strip()!r}")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def executable(minimum: tuple[int, int] = MIN_NODE) -> str:
    """npm, once node is at least `minimum`."""
    version = node_version()
    if version[:2] < minimum:
        wanted = ".".join(map(str, minimum))
        raise NpmError(f"Node.js {wanted}+ is needed, this is {'.'.join(map(str, version))}")
    found = shutil.which("npm")
    if not found:
        raise NpmError("npm is not installed: it ships with Node.js (Debian: apt-get install npm)")
    return found


def ci_command(minimum: tuple[int, int] = MIN_NODE) -> list[str]:
    """Install exactly what package-lock.json pins (run in the package folder, with CI_ENV)."""
    return [executable(minimum), "ci", "--no-audit", "--no-fund"]


def electron_binary(shell_dir: Path) -> tuple[Path | None, str]:
    """The Electron binary (downloaded once if missing), or None and the reason in one line."""
    result = subprocess.run(
        [node(), "scripts/electron-binary.js"],
        cwd=shell_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0 and result.stdout.strip():
        return Path(result.stdout.strip()), ""
    reason = result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
    return None, reason[0]
