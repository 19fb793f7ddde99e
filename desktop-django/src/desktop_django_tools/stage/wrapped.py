"""Stage a project wrapped by `desktop-django wrap` (`desktop-django stage --project PATH`).

The stage contract is the same as the demo's; only the backend step differs. The project is
not a member of this workspace, so:

- its dependencies come from its own files (requirements*.txt, pyproject.toml, or uv.lock
  exported as locked), resolved up front together with desktop-django's runtime (built from
  the installed desktop-django: stage/runtime_wheel.py), server-only distributions left out
  (stage/resolve.py), then installed into the runtime;
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

from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import git, uv
from desktop_django_tools.stage import report, runtime_wheel
from desktop_django_tools.stage.config import BUILD_ONLY_DISTRIBUTIONS, StagedProject, WrappedSource
from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.resolve import Resolution
from desktop_django_tools.stage.resolve import resolve as resolve_dependencies

CONFIG_NAME = "desktop-stage.toml"
APP_DIR = "app"
PTH_NAME = "desktop-django-app.pth"
# Never copied into the stage, whatever `include` says: build output, secrets, local data.
COPY_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".git", ".venv", "venv", "node_modules", "*.sqlite3", "*.sqlite3-*",
    ".env", ".env.*", "*.log", ".DS_Store", ".pytest_cache", ".mypy_cache", ".ruff_cache",
)  # fmt: skip
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class WrappedProjectError(ToolError):
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
            f"no {CONFIG_NAME} in {path} or its subfolders",
            f"wrap the project first with `nox -s wrap -- {path} --apply` (or "
            f"`desktop-django wrap {path} --apply`)",
        )
    raise WrappedProjectError(f"several {CONFIG_NAME} under {path}: pass the one to stage")


# Every key of desktop-stage.toml, by table (docs/stage.md documents each one): a key not
# listed here is a typo or a key of another version, and the stage refuses it by name.
CONFIG_KEYS = {
    "app": {"package": str, "settings": str, "launcher": str},
    "source": {"include": list, "pythonpath": list},
    "dependencies": {
        "requirements": list, "uv-lock": str, "pyproject": str,
        "desktop-django-extras": list, "exclude": list, "keep": list,
    },
}  # fmt: skip
REQUIRED_KEYS = {"app": ("package", "settings"), "source": ("include",)}


def read_config(config_path: Path) -> dict:
    """desktop-stage.toml, checked key by key: unknown or mistyped keys are errors."""
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise WrappedProjectError(f"{config_path} is not a valid stage config: {exc}") from exc
    for table, values in data.items():
        known = CONFIG_KEYS.get(table)
        if known is None or not isinstance(values, dict):
            raise WrappedProjectError(
                f"{config_path}: unknown table [{table}] (known: "
                f"{', '.join(f'[{name}]' for name in CONFIG_KEYS)}; see docs/stage.md)"
            )
        for key, value in values.items():
            if key not in known:
                raise WrappedProjectError(
                    f"{config_path}: unknown key {key!r} in [{table}] (known: "
                    f"{', '.join(known)}; see docs/stage.md)"
                )
            wanted = known[key]
            if not isinstance(value, wanted) or (
                wanted is list and not all(isinstance(item, str) for item in value)
            ):
                kind = "a list of strings" if wanted is list else "a string"
                raise WrappedProjectError(f"{config_path}: [{table}] {key} must be {kind}")
    for table, keys in REQUIRED_KEYS.items():
        for key in keys:
            if key not in data.get(table, {}):
                raise WrappedProjectError(f"{config_path}: [{table}] {key} is missing")
    return data


def load_project(path: Path) -> tuple[StagedProject, str]:
    """The wrapped project to stage and its app id (for the default output folder)."""
    config_path = find_config(path)
    root = config_path.parent.parent
    data = read_config(config_path)
    app, source, deps = data["app"], data["source"], data.get("dependencies", {})
    include = tuple(source["include"])
    wrapped = WrappedSource(
        include=include,
        requirements=tuple(deps.get("requirements", ())),
        uv_lock=deps.get("uv-lock"),
        pyproject=deps.get("pyproject"),
        desktop_django_extras=tuple(deps.get("desktop-django-extras", ())),
        pythonpath=tuple(source.get("pythonpath", (".",))),
        exclude=tuple(deps["exclude"]) if "exclude" in deps else None,
        keep=tuple(deps.get("keep", ())),
    )
    for entry in include:
        if not (root / entry).exists():
            raise WrappedProjectError(f"{config_path}: include entry {entry!r} does not exist")
    for entry in wrapped.pythonpath:
        if not _inside_include(entry, include):
            raise WrappedProjectError(
                f"{config_path}: pythonpath entry {entry!r} is not inside any [source] "
                f"include entry ({', '.join(include)}), so it would not be in the stage"
            )
    dependency_files = [*wrapped.requirements, wrapped.uv_lock, wrapped.pyproject]
    if not any(dependency_files):
        raise WrappedProjectError(
            f"{config_path}: [dependencies] names no requirements, uv-lock or pyproject"
        )
    for name in filter(None, dependency_files):
        if not (root / name).is_file():
            raise WrappedProjectError(f"{config_path}: dependency file {name!r} does not exist")
    project = StagedProject(
        package=app["package"],
        workspace_packages=(),
        import_name=app["package"],
        settings_module=app["settings"],
        source_dirs=tuple(dict.fromkeys([*include, *filter(None, dependency_files)])),
        repo=root,
        launcher=app.get("launcher", f"{app['package']}.desktop"),
        wrapped=wrapped,
    )
    return project, _app_id(root / app["package"] / "__init__.py") or app["package"].replace(
        "_", "-"
    )


def _inside_include(entry: str, include: tuple[str, ...]) -> bool:
    parts = Path(entry).parts
    if not parts or parts == (".",):
        return True
    return any(parts[: len(Path(inc).parts)] == Path(inc).parts for inc in include)


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


def install(
    python: Path, stage_root: Path, resolution: Resolution, project: StagedProject
) -> list[str]:
    """The resolved dependencies (desktop-django's runtime among them) and the project's code
    into the stage; returns notes."""
    source = project.wrapped
    _uv_step(
        "install the resolved dependencies",
        "pip", "install", "--python", str(python), "--no-progress", "--quiet",
        "-r", str(resolution.lock),
    )  # fmt: skip
    app_dir = stage_root / APP_DIR
    copied = copy_sources(project.repo, source.include, app_dir)
    site_packages = _site_packages(python)
    lines = [os.path.relpath(app_dir / entry, site_packages) for entry in source.pythonpath]
    (site_packages / PTH_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [f"{len(resolution.kept)} distributions", f"{copied} files into app/"]


def resolve(project: StagedProject, work: Path) -> Resolution:
    """Resolve up front (before any runtime is copied): conflicts fail here, in one line."""
    source = project.wrapped
    root = project.repo
    wheel = runtime_wheel.build(work / "wheels")
    extras = f"[{','.join(source.desktop_django_extras)}]" if source.desktop_django_extras else ""
    reference = f"desktop-django{extras} @ {wheel.as_uri()}"
    if source.uv_lock:
        origin = source.uv_lock
        try:
            inputs = [uv.export_locked_requirements(
                root, work / "project-requirements.txt",
                exclude=("desktop-django", *BUILD_ONLY_DISTRIBUTIONS),
            )]  # fmt: skip
        except uv.UvError as exc:
            report.log(str(exc))
            raise StageError(
                f"uv could not export {root / source.uv_lock}",
                f"run `uv lock` in {root} so the lock matches pyproject.toml, then stage again",
            ) from exc
    else:
        inputs = [root / name for name in source.requirements]
        if source.pyproject:
            inputs.append(_pyproject_requirements(root / source.pyproject, work))
        origin = ", ".join([*source.requirements, *filter(None, [source.pyproject])])
    return resolve_dependencies(inputs, reference, source, work, origin, root)


def _uv_step(what: str, *args: str) -> None:
    try:
        uv.run(*args, capture=True)
    except uv.UvError as exc:
        report.log(str(exc))
        raise StageError(
            f"uv could not {what}: {str(exc).splitlines()[0]}",
            "see the log for uv's full output; offline builds need UV_FIND_LINKS (docs/stage.md)",
        ) from exc


def copy_sources(root: Path, include: tuple[str, ...], app_dir: Path) -> int:
    """The `include` entries into app/. In a git work tree only what git does not ignore
    goes (a gitignored local settings file, a developer's database, build output stay
    behind), new files not yet committed included."""
    app_dir.mkdir(parents=True, exist_ok=True)
    visible = git.visible_files(root)
    count = 0
    for entry in include:
        source = root / entry
        target = app_dir / entry
        if source.is_dir():
            shutil.copytree(source, target, ignore=_ignore(visible), symlinks=False)
            count += sum(1 for p in target.rglob("*") if p.is_file())
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            count += 1
    return count


def _ignore(visible: set[Path] | None):
    """shutil.copytree's ignore: COPY_IGNORE, and in a git tree every file git ignores."""
    if visible is None:
        return COPY_IGNORE
    folders = {parent for path in visible for parent in path.parents}

    def ignored(directory: str, names: list[str]) -> set[str]:
        skipped = set(COPY_IGNORE(directory, names))
        here = Path(directory).absolute()
        for name in names:
            path = here / name
            if path not in visible and path not in folders:
                skipped.add(name)
        return skipped

    return ignored


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
