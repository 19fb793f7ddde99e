"""Thin wrapper over npm and node for the Electron shell: every npm-side quirk lives here.

- `npm ci` runs with ELECTRON_SKIP_BINARY_DOWNLOAD=1. The `electron` package otherwise
  downloads its binary from GitHub while installing, which fails on machines that reach only
  the npm registry, and only commands that launch Electron need the binary at all. Those ask
  for it through `electron_binary()`, which says why when it cannot be had.
- The electron package's installer loads an ES module with `require()`: Node 20.19+ (or 22),
  the oldest that runs it at all, so the hard minimum here. The locked packages themselves
  declare more (electron, @electron/get, node-abi: Node 22.12): package.json's `engines` says
  that floor, `lock_node_floor` reads it from the lock, and `node_older_than_declared` is the
  sentence doctor and `nox -s dev` say when this node is below it (npm only warns EBADENGINE).
  Another package folder (the Tauri CLI's) passes its own minimum.
- On Windows npm is `npm.cmd`; `shutil.which` finds it by PATHEXT.
"""

from __future__ import annotations

import json
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


ENGINE_FLOOR = re.compile(r"^\s*(?:>=|\^)?\s*v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?")


def engine_floor(declared: str) -> tuple[int, int, int] | None:
    """The oldest Node.js an `engines.node` range admits: (22, 12, 0) from `>= 22.12.0`,
    (20, 17, 0) from `^20.17.0 || >=22.9.0`; None for `*` or a range read as no floor."""
    floors = []
    for alternative in declared.split("||"):
        match = ENGINE_FLOOR.match(alternative)
        if not match:
            return None  # an alternative with no lower bound (`*`, `<8`): no floor at all
        floors.append(tuple(int(p) if p and p.isdigit() else 0 for p in match.groups()))
    return min(floors) if floors else None


def declared_node(package_dir: Path) -> tuple[int, int, int] | None:
    """The floor of package.json's own `engines.node`."""
    manifest = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    declared = manifest.get("engines", {}).get("node")
    return engine_floor(declared) if declared else None


def lock_node_floor(package_dir: Path) -> tuple[tuple[int, int, int], list[str]]:
    """The newest Node.js floor any package in package-lock.json declares, and those packages
    (`name version`): what the locked tooling really needs."""
    lock = json.loads((package_dir / "package-lock.json").read_text(encoding="utf-8"))
    packages = lock.get("packages", {})
    direct = {
        *packages.get("", {}).get("dependencies", {}),
        *packages.get("", {}).get("devDependencies", {}),
    }
    needs: dict[tuple[int, int, int], list[tuple[bool, str]]] = {}
    for path, package in packages.items():
        floor = engine_floor(package.get("engines", {}).get("node", "*")) if path else None
        if floor:
            name = path.rsplit("node_modules/", 1)[-1]
            label = f"{name} {package.get('version', '?')}"
            needs.setdefault(floor, []).append((name not in direct, label))
    if not needs:
        return (0, 0, 0), []
    newest = max(needs)
    # The project's own dependencies first: those are the names a reader recognises.
    return newest, [label for _indirect, label in sorted(needs[newest])]


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


# Where a current Node.js comes from: Debian 13 and Ubuntu 24.04 ship 20.x, older than the lock.
NODE_HINT = "install Node.js 22 LTS (nodejs.org; Debian and Ubuntu: NodeSource's packages)"


def node_older_than_declared(package_dir: Path) -> str | None:
    """Why this node is older than package.json declares (the lock's floor), with the fix;
    None when it is new enough, or when there is no node (said elsewhere)."""
    needed = declared_node(package_dir)
    if needed is None or not shutil.which("node"):
        return None
    try:
        have = node_version()
    except (NpmError, OSError, subprocess.SubprocessError):
        return None
    if have >= needed:
        return None
    _floor, packages = lock_node_floor(package_dir)
    named = ", ".join(packages[:2]) + (
        f" and {len(packages) - 2} more" if len(packages) > 2 else ""
    )
    works = (
        "npm warns EBADENGINE and runs them unsupported"
        if have[:2] >= MIN_NODE
        else f"npm ci fails below {_dotted(MIN_NODE)}"
    )
    return (
        f"Node.js {_dotted(have)} is older than the {_dotted(needed)} the Electron shell's "
        f"locked packages declare ({named}): {works}; {NODE_HINT}"
    )


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
