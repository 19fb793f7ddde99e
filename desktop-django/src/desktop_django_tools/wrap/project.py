"""Find the parts of an existing Django project without running any of its code."""

from __future__ import annotations

import ast
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# Folders never searched for manage.py or treated as project source.
SKIPPED_DIRS = {
    ".git", ".hg", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules", "__pycache__",
    "build", "dist", ".stage", "site-packages", "staticfiles", "media", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "htmlcov",
}  # fmt: skip
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
DESKTOP_DJANGO = "desktop-django"


class ProjectError(Exception):
    """The project cannot be wrapped as given; the message says why and what to do."""


@dataclass
class Dependencies:
    """Where the project declares its dependencies, and the names declared there."""

    requirements: list[Path] = field(default_factory=list)
    pyproject: Path | None = None
    uv_lock: Path | None = None
    names: dict[str, str] = field(default_factory=dict)  # normalized name -> declaration

    @property
    def source(self) -> str:
        if self.uv_lock:
            return "uv.lock"
        if self.requirements:
            return "requirements"
        if self.pyproject and self.names:
            return "pyproject"
        return "none"

    def declares(self, *names: str) -> list[str]:
        return [self.names[n] for n in map(normalize, names) if n in self.names]


@dataclass
class Project:
    root: Path
    manage_py: Path
    settings_module: str
    settings_source: str  # "--settings", "manage.py", "pyproject.toml"
    dependencies: Dependencies
    python: Path
    python_source: str

    @property
    def package(self) -> str:
        return self.settings_module.split(".")[0]

    @property
    def desktop_package(self) -> str:
        return f"{self.package}_desktop"

    @property
    def desktop_dir(self) -> Path:
        return self.root / self.desktop_package


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def find_manage_py(path: Path) -> Path:
    """`path` itself (a manage.py or the folder holding it), else one or two levels down."""
    if path.is_file() and path.name == "manage.py":
        return path
    if not path.is_dir():
        raise ProjectError(f"{path} does not exist or is not a folder")
    if (path / "manage.py").is_file():
        return path / "manage.py"
    found = []
    for directory, dirnames, filenames in os.walk(path):
        depth = len(Path(directory).relative_to(path).parts)
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".")]
        if depth >= 2:
            dirnames[:] = []
        if "manage.py" in filenames:
            found.append(Path(directory) / "manage.py")
    if not found:
        raise ProjectError(
            f"no manage.py in {path} (or two levels below it): point at the folder that holds "
            "your Django project's manage.py"
        )
    if len(found) > 1:
        listed = ", ".join(str(p.relative_to(path)) for p in sorted(found))
        raise ProjectError(f"several manage.py files under {path} ({listed}): point at one")
    return found[0]


def settings_from_manage_py(manage_py: Path) -> str | None:
    """The module named in `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")`."""
    try:
        tree = ast.parse(manage_py.read_text(encoding="utf-8"), str(manage_py))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and len(node.args) == 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            and node.args[0].value == "DJANGO_SETTINGS_MODULE"
        ):
            return node.args[1].value
    return None


def settings_from_pyproject(pyproject: Path) -> str | None:
    """pytest-django's `DJANGO_SETTINGS_MODULE`, or `[tool.django] settings`."""
    data = _read_toml(pyproject)
    tool = data.get("tool", {})
    for candidate in (
        tool.get("django", {}).get("settings"),
        tool.get("pytest", {}).get("ini_options", {}).get("DJANGO_SETTINGS_MODULE"),
    ):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def find_dependencies(root: Path) -> Dependencies:
    deps = Dependencies()
    deps.requirements = sorted(
        p for p in root.glob("requirements*.txt") if p.is_file() and "desktop" not in p.name
    )
    if (root / "requirements" / "base.txt").is_file():  # the common split layout
        deps.requirements.append(root / "requirements" / "base.txt")
    if (root / "pyproject.toml").is_file():
        deps.pyproject = root / "pyproject.toml"
    if (root / "uv.lock").is_file() and deps.pyproject:
        deps.uv_lock = root / "uv.lock"
    declared: list[str] = []
    for requirements in deps.requirements:
        declared += _requirement_lines(requirements)
    if deps.pyproject:
        project = _read_toml(deps.pyproject).get("project", {})
        declared += [d for d in project.get("dependencies", []) if isinstance(d, str)]
    for line in declared:
        match = REQUIREMENT_NAME.match(line)
        if match:
            deps.names.setdefault(normalize(match.group(1)), line.strip())
    return deps


def _requirement_lines(path: Path, seen: set[Path] | None = None) -> list[str]:
    seen = seen if seen is not None else set()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            lines += _requirement_lines(path.parent / line.split(None, 1)[1], seen)
        elif not line.startswith("-"):
            lines.append(line)
    return lines


def find_python(root: Path, explicit: Path | None) -> tuple[Path, str]:
    """The interpreter that can import the project: --python, its virtualenv, or this one."""
    if explicit:
        if not explicit.exists():
            raise ProjectError(f"--python {explicit} does not exist")
        return explicit, "--python"
    names = ("Scripts/python.exe",) if sys.platform == "win32" else ("bin/python",)
    for folder in (".venv", "venv", "env"):
        for name in names:
            candidate = root / folder / name
            if candidate.exists():
                return candidate, f"the project's {folder}/"
    active = os.environ.get("VIRTUAL_ENV")
    if active:
        for name in names:
            candidate = Path(active) / name
            if candidate.exists():
                return candidate, "the active virtualenv ($VIRTUAL_ENV)"
    return Path(sys.executable), "the interpreter running desktop-django"


def locate(path: Path, settings: str | None = None, python: Path | None = None) -> Project:
    manage_py = find_manage_py(path.absolute()).resolve()
    root = manage_py.parent
    if settings:
        module, source = settings, "--settings"
    else:
        module, source = settings_from_manage_py(manage_py), "manage.py"
        if not module and (root / "pyproject.toml").is_file():
            module, source = settings_from_pyproject(root / "pyproject.toml"), "pyproject.toml"
    if not module:
        raise ProjectError(
            f"cannot tell the settings module: {manage_py} does not set DJANGO_SETTINGS_MODULE; "
            "pass --settings your_project.settings"
        )
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", module):
        raise ProjectError(f"{module!r} is not a Python module path (from {source})")
    interpreter, python_source = find_python(root, python)
    return Project(
        root=root,
        manage_py=manage_py,
        settings_module=module,
        settings_source=source,
        dependencies=find_dependencies(root),
        python=interpreter,
        python_source=python_source,
    )


def local_top_level(root: Path) -> list[str]:
    """Top-level Python packages of the project (folders with an __init__.py)."""
    return sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir()
        and entry.name not in SKIPPED_DIRS
        and not entry.name.startswith(".")
        and (entry / "__init__.py").is_file()
    )
