"""Which shells exist and what each can do: the one list of them.

Every way of running the app has one entry here: whether it opens a desktop window (the ones
`nox -s dev` chooses from), whether it has its own suite (`test-shell`), whether it packages
(`package`, `release`, `offline-bundle`), and the programs its packaging needs before it
starts, each with its install line, so a missing one is named in one line before minutes of
staging and building instead of in a stack trace halfway through. Every shell ships the same
app: its name and version come from the backend package the stage ships (`product`), and its
release folder is `dist/<shell>/<version>/` (`release_folder`).

The CLI, the noxfile and the release commands read these names; the code that runs a shell is
`shells/<name>.py`, loaded by `module(name)`.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from desktop_django_tools import network
from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations.cargo import RUSTUP_HINT
from desktop_django_tools.locations import workspace_root

# Releases are made from a checkout of the workspace (or, outside one, the current folder).
DIST = (workspace_root() or Path.cwd()) / "dist"


@dataclass(frozen=True)
class Tool:
    """A program a step runs that the project cannot install for it."""

    command: str
    install: str
    # A variable that names the program instead of PATH (the packager's own setting).
    variable: str = ""
    # Where the packager downloads the program itself when it is not installed: only a
    # machine that cannot reach that host needs it installed.
    download_host: str = ""

    def missing(
        self,
        environ: Mapping[str, str] = os.environ,
        reachable: Callable[[str], bool] = network.reachable,
    ) -> bool:
        if self.variable and environ.get(self.variable):
            return False
        if shutil.which(self.command, path=environ.get("PATH")):
            return False
        return not (self.download_host and reachable(self.download_host))


# electron-builder (v26) downloads 7-Zip from GitHub on first use unless given one; the
# download dies offline as `getaddrinfo ENOTFOUND github.com` (integrations/electron_builder.py).
SEVEN_ZIP = Tool(
    "7za",
    "sudo apt-get install p7zip-full (macOS: brew install p7zip), or set "
    "ELECTRON_BUILDER_7ZIP_PATH to a 7za",
    variable="ELECTRON_BUILDER_7ZIP_PATH",
    download_host="github.com",
)
CARGO = Tool("cargo", RUSTUP_HINT)
BRIEFCASE = Tool("briefcase", "`nox -s package -- positron` installs it (python -m pip install "
                 "'briefcase>=0.3.20')")  # fmt: skip


@dataclass(frozen=True)
class Shell:
    name: str
    window: bool = True  # opens a desktop window (else: the backend in a browser)
    testable: bool = False  # has its own suite, run by `test-shell NAME`
    # `prepare-shells` builds it (its module's prepare_for_tests) before the cross-shell tests.
    prepared: bool = False
    packageable: bool = False  # `package NAME` makes its installers
    package_tools: tuple[Tool, ...] = ()
    # Python packages outside uv.lock its packager needs (the noxfile installs them).
    package_requirements: tuple[str, ...] = ()


SHELLS = (
    Shell("electron", testable=True, prepared=True, packageable=True,
          package_tools=(SEVEN_ZIP,)),
    Shell("tauri", testable=True, prepared=True, packageable=True, package_tools=(CARGO,)),
    Shell("positron", testable=True, packageable=True, package_tools=(BRIEFCASE,),
          package_requirements=("briefcase>=0.3.20",)),
    Shell("browser", window=False),
)  # fmt: skip
RUNNABLE = tuple(shell.name for shell in SHELLS)
WINDOWS = tuple(shell.name for shell in SHELLS if shell.window)
TESTABLE = tuple(shell.name for shell in SHELLS if shell.testable)
PREPARED = tuple(shell.name for shell in SHELLS if shell.prepared)
PACKAGEABLE = tuple(shell.name for shell in SHELLS if shell.packageable)


def get(name: str) -> Shell:
    for shell in SHELLS:
        if shell.name == name:
            return shell
    raise ToolError(f"there is no shell called {name!r}", f"use one of {', '.join(RUNNABLE)}")


def module(name: str) -> ModuleType:
    """The code that runs, tests and packages the shell (`shells/<name>.py`)."""
    return importlib.import_module(f"desktop_django_tools.shells.{get(name).name}")


def packaging_needs(tool: Tool) -> tuple[str, ...]:
    """The shells whose packaging needs the program (doctor says so beside it)."""
    return tuple(shell.name for shell in SHELLS if tool in shell.package_tools)


def require_package_tools(
    name: str,
    environ: Mapping[str, str] = os.environ,
    reachable: Callable[[str], bool] = network.reachable,
) -> None:
    """Before packaging starts: every program the shell's packager needs, or the first one
    missing named with its install line."""
    for tool in get(name).package_tools:
        if tool.missing(environ, reachable):
            raise ToolError(f"packaging {name} needs {tool.command}, which is not installed",
                            tool.install)  # fmt: skip


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    version: str


def product() -> Product:
    """The app every shell ships, from the backend package the stage ships: the one source
    of its id, name and version (the stage's manifest records the same version)."""
    from desktop_django_tools.stage.config import DEMO

    backend = importlib.import_module(DEMO.import_name)
    return Product(backend.APP_ID, backend.APP_NAME, backend.__version__)


def release_folder(name: str, version: str) -> Path:
    """Where a shell's artifacts and release files go: dist/<shell>/<version>/."""
    return DIST / get(name).name / version


def rehearsal_folder(name: str, version: str) -> Path:
    """Where a layout-only build's artifacts go: never the real release folder."""
    from desktop_django_tools.release.artifacts import LAYOUT_ONLY

    return DIST / f"{get(name).name}-{LAYOUT_ONLY}" / version
