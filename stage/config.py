"""What gets staged. The Python version is pinned here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The one pin for the shipped interpreter. Offline sources must match the minor version.
PYTHON_VERSION = "3.13.0"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / ".stage" / "backend"

# Django locales kept in the stage; every other translation is dead weight for this app.
DEFAULT_LOCALES = ("en",)


@dataclass(frozen=True)
class Project:
    """The Django project to stage: its workspace packages and its launcher module."""

    package: str = "flying-stable"
    workspace_packages: tuple[str, ...] = ("desktop-django", "flying-stable")
    import_name: str = "flying_stable"
    settings_module: str = "flying_stable.settings.packaged"
    source_dirs: tuple[str, ...] = ("backend", "desktop-django")
    repo: Path = field(default=REPO_ROOT)

    @property
    def launcher_module(self) -> str:
        return f"{self.import_name}.desktop"


DEMO = Project()
