"""Stage a project wrapped by `desktop-django wrap` (`python -m stage --project PATH`).

The stage contract is the same as the demo's; only the backend step differs. The project is
not a member of this workspace, so:

- its dependencies come from its own files (requirements*.txt, pyproject.toml, or uv.lock
  exported as locked), installed into the runtime with desktop-django built from this repo;
- its code is copied (as the `include` list says) into `<stage>/app/`, which a `.pth` file
  puts on the runtime's sys.path with a path relative to site-packages, so the stage still
  runs after it is moved. Projects compute BASE_DIR from their settings file, so keeping the
  project's own layout under app/ keeps templates and static folders where it expects them.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from desktop_django_tools import locations
from desktop_django_tools.integrations import uv
from desktop_django_tools.stage.config import BUILD_ONLY_DISTRIBUTIONS, Project, WrappedSource

CONFIG_NAME = "desktop-stage.toml"
APP_DIR = "app"
PTH_NAME = "desktop-django-app.pth"
# Never copied into the stage, whatever `include` says: build output, secrets, local data.
COPY_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".git", ".venv", "venv", "node_modules", "*.sqlite3", "*.sqlite3-*",
    ".env", ".env.*", "*.log", ".DS_Store", ".pytest_cache", ".mypy_cache", ".ruff_cache",
)  # fmt: skip
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class WrappedProjectError(RuntimeError):
    pass


def find_config(path: Path) -> Path:
    """`path` may be the project folder, its `<package>_desktop/` folder or the toml itself."""
    path = path.absolute()
    if path.is_file() and path.name == CONFIG_NAME:
        return path
    if (path / CONFIG_NAME).is_file():
        return path / CONFIG_NAME
    found = sorted(path.glob(f"*/{CONFIG_NAME}")) if path.is_dir() else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise WrappedProjectError(
            f"no {CONFIG_NAME} in {path} or its subfolders: wrap the project first with "
            f"`nox -s wrap -- {path} --apply` (or `desktop-django wrap {path} --apply`)"
        )
    raise WrappedProjectError(f"several {CONFIG_NAME} under {path}: pass the one to stage")


def load_project(path: Path) -> tuple[Project, str]:
    """The Project to stage and its app id (for the default output folder)."""
    config_path = find_config(path)
    root = config_path.parent.parent
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        app = data["app"]
        package, settings = app["package"], app["settings"]
        include = tuple(data["source"]["include"])
    except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise WrappedProjectError(f"{config_path} is not a valid stage config: {exc}") from exc
    deps = data.get("dependencies", {})
    wrapped = WrappedSource(
        include=include,
        requirements=tuple(deps.get("requirements", ())),
        uv_lock=deps.get("uv-lock"),
        pyproject=deps.get("pyproject"),
        desktop_django_extras=tuple(deps.get("desktop-django-extras", ())),
        pythonpath=tuple(data["source"].get("pythonpath", (".",))),
    )
    for entry in include:
        if not (root / entry).exists():
            raise WrappedProjectError(f"{config_path}: include entry {entry!r} does not exist")
    dependency_files = [*wrapped.requirements, wrapped.uv_lock, wrapped.pyproject]
    project = Project(
        package=package,
        workspace_packages=(),
        import_name=package,
        settings_module=settings,
        source_dirs=tuple(dict.fromkeys([*include, *filter(None, dependency_files)])),
        repo=root,
        launcher=app.get("launcher", f"{package}.desktop"),
        wrapped=wrapped,
    )
    return project, _app_id(root / package / "__init__.py") or package.replace("_", "-")


def _app_id(init_file: Path) -> str | None:
    try:
        tree = ast.parse(init_file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "APP_ID" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None


def install(python: Path, stage_root: Path, project: Project, work: Path) -> list[str]:
    """Dependencies, desktop-django and the project's code into the stage; returns notes."""
    source = project.wrapped
    root = project.repo
    source_tree = locations.runtime_source()
    if source_tree is None:
        raise WrappedProjectError(
            "desktop-django's source is not beside these tools: stage from a checkout of the "
            "starter, or install desktop-django from its folder (pip install ./desktop-django)"
        )
    wheel = uv.build_wheel("desktop-django", work / "wheels", source_tree.parent)
    extras = f"[{','.join(source.desktop_django_extras)}]" if source.desktop_django_extras else ""
    desktop_django = f"desktop-django{extras} @ {wheel.as_uri()}"
    if source.uv_lock:
        # Locked, with hashes; desktop-django (maybe not on any index yet) comes from the wheel.
        requirements = uv.export_locked_requirements(
            root,
            work / "project-requirements.txt",
            exclude=("desktop-django", *BUILD_ONLY_DISTRIBUTIONS),
        )
        uv.pip_install(python, "--require-hashes", "-r", str(requirements))
        uv.pip_install(python, desktop_django)
        origin = "uv.lock"
    else:
        files = [root / name for name in source.requirements]
        if source.pyproject:
            files.append(_pyproject_requirements(root / source.pyproject, work))
        for file in files:
            if not file.is_file():
                raise WrappedProjectError(f"requirements file {file} does not exist")
        args = [arg for file in files for arg in ("-r", str(file))]
        # A direct reference wins over the project's `desktop-django>=...` line, which no
        # index may serve yet.
        uv.pip_install(python, *args, desktop_django)
        origin = ", ".join(source.requirements) or str(source.pyproject)
    app_dir = stage_root / APP_DIR
    copied = copy_sources(root, source.include, app_dir)
    site_packages = _site_packages(python)
    lines = [os.path.relpath(app_dir / entry, site_packages) for entry in source.pythonpath]
    (site_packages / PTH_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [f"dependencies from {origin}", f"{wheel.name}{extras}", f"{copied} files into app/"]


def copy_sources(root: Path, include: tuple[str, ...], app_dir: Path) -> int:
    app_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for entry in include:
        source = root / entry
        target = app_dir / entry
        if source.is_dir():
            shutil.copytree(source, target, ignore=COPY_IGNORE, symlinks=False)
            count += sum(1 for p in target.rglob("*") if p.is_file())
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            count += 1
    return count


def _pyproject_requirements(pyproject: Path, work: Path) -> Path:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    declared = data.get("project", {}).get("dependencies", [])
    lines = [d for d in declared if _name(d) != "desktop-django"]
    target = work / "pyproject-requirements.txt"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _name(requirement: str) -> str:
    match = REQUIREMENT_NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def _site_packages(python: Path) -> Path:
    out = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return Path(out.stdout.strip())
