"""Find the parts of an existing Django project without running any of its code."""

from __future__ import annotations

import ast
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from desktop_django_tools.errors import ToolError
from desktop_django_tools.project_python import find_python

# Folders never searched for manage.py or treated as project source.
SKIPPED_DIRS = {
    ".git", ".hg", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules", "__pycache__",
    "build", "dist", ".stage", "site-packages", "staticfiles", "media", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "htmlcov",
}  # fmt: skip
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
DESKTOP_DJANGO = "desktop-django"


class ProjectError(ToolError):
    """The project cannot be wrapped as given; the message says why and what to do."""


@dataclass
class Dependencies:
    """Where the project declares its dependencies, and the names declared there."""

    requirements: list[Path] = field(default_factory=list)
    pyproject: Path | None = None
    uv_lock: Path | None = None
    names: dict[str, str] = field(default_factory=dict)  # normalized name -> declaration
    locations: dict[str, str] = field(default_factory=dict)  # normalized name -> file:line
    requires_python: str | None = None  # [project] requires-python

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
class WrapTarget:
    """The Django project found in a folder that `wrap` prepares (its manage.py, settings,
    dependencies and interpreter); the stage's view of it is stage/config.StagedProject."""

    root: Path
    manage_py: Path
    settings_module: str
    settings_source: str  # "--settings", "manage.py", "pyproject.toml"
    dependencies: Dependencies
    python: Path | None  # None: no interpreter found (python_source says what to do)
    python_source: str
    settings_problem: str = ""  # why the settings module cannot be told ("" when it can)
    manage_pys: tuple[Path, ...] = ()  # every manage.py found, the chosen one first
    # Folders (relative to root) that go on sys.path: "." and, in a src/ layout, "src".
    pythonpath: tuple[str, ...] = (".",)

    @property
    def src_layout(self) -> bool:
        return "src" in self.pythonpath

    @property
    def source_root(self) -> Path:
        """The folder holding the project's importable packages."""
        return self.root / self.pythonpath[-1]

    @property
    def package(self) -> str:
        """The settings' top-level package (the folder's name while the settings are unknown)."""
        if self.settings_module:
            return self.settings_module.split(".")[0]
        return re.sub(r"\W+", "_", self.root.name).strip("_") or "project"

    @property
    def desktop_package(self) -> str:
        return f"{self.package}_desktop"

    @property
    def desktop_dir(self) -> Path:
        return self.root / self.desktop_package


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def find_manage_py(path: Path) -> Path:
    """The manage.py to wrap (see find_manage_pys)."""
    return find_manage_pys(path)[0]


def find_manage_pys(path: Path) -> list[Path]:
    """Every manage.py at `path` or up to two levels below, the one to wrap first: `path`
    itself when it is one (or holds one), else the nearest, a test project's last (a
    reusable app's repository holds an example project and a test project, say)."""
    if path.is_file() and path.name == "manage.py":
        return [path]
    if not path.is_dir():
        raise ProjectError(f"{path} does not exist or is not a folder")
    if (path / "manage.py").is_file():
        return [path / "manage.py"]
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

    def order(manage_py: Path) -> tuple:
        parts = manage_py.relative_to(path).parts[:-1]
        is_test = any(part.lower().startswith("test") for part in parts)
        return (len(parts), is_test, manage_py.as_posix())

    return sorted(found, key=order)


# How manage.py names the settings: os.environ.setdefault(NAME, "..."), os.environ[NAME] =
# "...", os.environ.update({NAME: "..."}) or update(NAME="...").
SETTINGS_VARIABLE = "DJANGO_SETTINGS_MODULE"
SETDEFAULT_RANK = 1_000_000  # ranked after every assignment


def settings_from_manage_py(manage_py: Path) -> tuple[str | None, str]:
    """(the settings module manage.py sets, "") or (None, why it cannot be told).

    Read by what the code does, not by the first call that looks right: setdefault,
    assignment to os.environ[...] and os.environ.update(...) all set it. A value that is not
    a plain string (read from another variable, built at run time) cannot be told without
    running manage.py, which the preflight never does."""
    try:
        tree = ast.parse(manage_py.read_text(encoding="utf-8"), str(manage_py))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        return None, f"{manage_py} cannot be read as Python ({exc.__class__.__name__})"
    found: list[tuple[int, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = node.args
            if node.func.attr == "setdefault" and len(args) == 2 and _is_name(args[0]):
                # A default only: an assignment anywhere else wins at run time.
                found.append((node.lineno + SETDEFAULT_RANK, args[1]))
            elif node.func.attr == "update":
                for arg in args:
                    if isinstance(arg, ast.Dict):
                        pairs = zip(arg.keys, arg.values, strict=True)
                        found += [
                            (node.lineno, v) for k, v in pairs if k is not None and _is_name(k)
                        ]
                found += [(node.lineno, kw.value) for kw in node.keywords
                          if kw.arg == SETTINGS_VARIABLE]  # fmt: skip
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _is_name(target.slice):
                    found.append((node.lineno, node.value))
    found.sort(key=lambda item: item[0])
    for _rank, value in found:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value, ""
    if found:
        line = found[0][1].lineno
        return None, (
            f"{manage_py.name}:{line} sets {SETTINGS_VARIABLE} from an expression the preflight "
            "cannot evaluate without running it"
        )
    return None, f"{manage_py} does not set {SETTINGS_VARIABLE}"


def _is_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == SETTINGS_VARIABLE


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
    declared: list[tuple[str, str]] = []  # (requirement, file:line)
    for requirements in deps.requirements:
        declared += [
            (line, f"{_relative(path, root)}:{number}")
            for path, number, line in requirement_lines(requirements)
        ]
    if deps.pyproject:
        text = _read_text(deps.pyproject)
        project = _read_toml(deps.pyproject).get("project", {})
        requires = project.get("requires-python")
        deps.requires_python = requires if isinstance(requires, str) else None
        for requirement in project.get("dependencies", []):
            if isinstance(requirement, str):
                number = _line_of(text, requirement)
                declared.append((requirement, f"pyproject.toml:{number}"))
    for line, where in declared:
        match = REQUIREMENT_NAME.match(line)
        if match:
            name = normalize(match.group(1))
            deps.names.setdefault(name, line.strip())
            deps.locations.setdefault(name, where)
    return deps


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of `needle` in `text` (0 when absent)."""
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def requirement_lines(path: Path, seen: set[Path] | None = None) -> list[tuple[Path, int, str]]:
    """(file, line number, requirement) of every requirement, following `-r` includes."""
    seen = seen if seen is not None else set()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    lines = []
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            lines += requirement_lines(path.parent / line.split(None, 1)[1], seen)
        elif not line.startswith("-"):
            lines.append((path, number, line))
    return lines


def find_pythonpath(root: Path, package: str) -> tuple[str, ...]:
    """`(".",)`, or `(".", "src")` when the settings package sits in a src/ folder."""
    if not (root / package).is_dir() and (root / "src" / package).is_dir():
        return (".", "src")
    return (".",)


def locate(path: Path, settings: str | None = None, python: Path | None = None) -> WrapTarget:
    """The project at `path`. A settings module that cannot be told is not raised: it is
    `settings_problem`, so every check that does not need the settings still runs."""
    candidates = [p.resolve() for p in find_manage_pys(path.absolute())]
    manage_py = candidates[0]
    root = manage_py.parent
    problem = ""
    if settings:
        module, source = settings, "--settings"
    else:
        module, why = settings_from_manage_py(manage_py)
        source = "manage.py"
        if not module and (root / "pyproject.toml").is_file():
            module, source = settings_from_pyproject(root / "pyproject.toml"), "pyproject.toml"
        if not module:
            problem = (
                f"cannot tell the settings module: {why}; pass --settings "
                "your_project.settings (the module manage.py uses, or one for production)"
            )
    if module and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", module):
        problem = f"{module!r} is not a Python module path (from {source}): pass --settings"
        module = None
    interpreter, python_source = find_python(root, python)
    return WrapTarget(
        root=root,
        manage_py=manage_py,
        settings_module=module or "",
        settings_source=source,
        settings_problem=problem,
        manage_pys=tuple(candidates),
        dependencies=find_dependencies(root),
        python=interpreter,
        python_source=python_source,
        pythonpath=find_pythonpath(root, module.split(".")[0]),
    )


def local_top_level(folder: Path) -> list[str]:
    """Top-level Python packages in `folder` (folders with an __init__.py)."""
    return sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.is_dir()
        and entry.name not in SKIPPED_DIRS
        and not entry.name.startswith(".")
        and (entry / "__init__.py").is_file()
    )
