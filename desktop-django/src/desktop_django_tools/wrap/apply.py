"""Apply: write the desktop entry folder and one small dependency edit into the project.

Refuses (and writes nothing) on a preflight blocker, a dirty or missing git tree without
--force (checked before anything is written), or an existing desktop folder. Every file
written is listed; nothing of the user's is overwritten: the dependency edit only adds lines
(desktop-django's, a local app package's, the undeclared distributions' pins), in the file's
own style (its line endings; pyproject.toml through tomlkit).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

import tomlkit
from desktop_django import __version__
from packaging.requirements import InvalidRequirement, Requirement
from tomlkit.exceptions import TOMLKitError

from desktop_django_tools import locations, server_only
from desktop_django_tools.errors import ToolError
from desktop_django_tools.wrap.preflight import Preflight
from desktop_django_tools.wrap.project import DESKTOP_DJANGO, local_top_level

# Folders a Django project commonly reads at run time, relative to BASE_DIR.
RUNTIME_FOLDERS = ("templates", "static", "locale", "fixtures", "assets", "jinja2")
DESKTOP_FILES = {
    "__init__.py": "__init__.py.tmpl",
    "__main__.py": "__main__.py.tmpl",
    "desktop.py": "desktop.py.tmpl",
    "settings.py": "settings.py.tmpl",
    "desktop-stage.toml": "desktop-stage.toml.tmpl",
    "README.md": "README.md.tmpl",
}
COMMENT = "# Desktop build (desktop-django wrap): launcher, token middleware, SQLite in app data."
LOCAL_COMMENT = (
    "# The apps' own package, installed from this folder (desktop-django wrap found it there)."
)
UNDECLARED_COMMENT = (
    "# Loaded by the project, installed in its environment but not declared before: pinned at\n"
    "# the installed versions (desktop-django wrap)."
)
STAGE_IGNORE = ".stage/"
STAGE_IGNORE_COMMENT = "# The desktop build's stage (desktop-django stage): built output."


class ApplyRefused(ToolError):
    """Nothing was written; the message says why and how to proceed."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"--apply refused: {reason}")


@dataclass
class ApplyResult:
    created: list[Path] = field(default_factory=list)
    edited: list[Path] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)

    def render(self, root: Path, staging: bool = False) -> str:
        lines = ["", "Written:"]
        lines += [f"  + {p.relative_to(root)}" for p in self.created]
        lines += [f"  ~ {p.relative_to(root)}" for p in self.edited]
        for step in self.manual:
            lines.append(f"  ! {step}")
        if staging:
            return "\n".join(lines)
        lines += [
            "",
            "Next: review the diff (git diff; git status), run your tests, then stage it:",
            f"  desktop-django stage --project {root}",
            f"  (or all at once next time: desktop-django wrap {root} --apply --stage)",
            "or, from a clone of Desktop Django Starter:",
            f"  nox -s stage -- --project {root}",
            f"  nox -s dev-positron -- --project {root}",
        ]
        return "\n".join(lines)


def installed_reference() -> str | None:
    """Where this desktop-django comes from, as a URL a requirement can point at: the source
    folder of a checkout, else the folder or wheel it was installed from (PEP 610), else None
    (installed from an index, where a version specifier finds it)."""
    source = locations.runtime_source()
    if source is not None:
        return source.as_uri()
    try:
        direct = importlib.metadata.distribution(DESKTOP_DJANGO).read_text("direct_url.json")
        url = json.loads(direct or "{}").get("url", "")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None
    return url if url.startswith("file:") else None


def requirement_line(report: Preflight, spec: str | None = None) -> str:
    """The dependency line the project gets. desktop-django is not on PyPI yet, so by default
    it is a direct reference to the desktop-django these tools run from (a line every
    installer resolves); `spec` (--desktop-django) is a requirement or a wheel/folder path."""
    extra = "[django52]" if report.needs_tasks_backport else ""
    if spec:
        path = Path(spec).expanduser()
        if path.exists():
            return f"{DESKTOP_DJANGO}{extra} @ {path.resolve().as_uri()}"
        try:
            named = server_only.normalize(Requirement(spec).name)
        except InvalidRequirement:
            named = ""
        if named != DESKTOP_DJANGO:
            raise ApplyRefused(
                f"--desktop-django {spec!r} is neither an existing wheel or folder nor a "
                "desktop-django requirement. Nothing was written; pass a path that exists, or "
                "a line such as 'desktop-django>=0.1'"
            )
        return spec
    reference = installed_reference()
    if reference:
        return f"{DESKTOP_DJANGO}{extra} @ {reference}"
    return f"{DESKTOP_DJANGO}{extra}>={__version__}"


def git_state(root: Path) -> str | None:
    """`git status --porcelain` for the project, or None when it is not in a git work tree."""
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
    except OSError:
        return None
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "."],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return status.stdout


def check_can_apply(report: Preflight, force: bool, state: str | None) -> None:
    """`state` is the project's `git status --porcelain`, taken before anything ran."""
    if report.blockers:
        raise ApplyRefused(
            f"preflight found {len(report.blockers)} blocker(s) (above); nothing was written"
        )
    project = report.project
    if project.desktop_dir.exists():
        raise ApplyRefused(
            f"{project.desktop_dir} already exists: the project is already wrapped. Nothing was "
            "written; delete that folder to generate it again"
        )
    if state is None and not force:
        raise ApplyRefused(
            f"{project.root} is not in a git work tree, so the changes could not be reviewed "
            "or undone. Nothing was written; commit the project to git first, or pass --force"
        )
    if state and not force:
        changed = ", ".join(line[3:] for line in state.splitlines()[:5])
        raise ApplyRefused(
            f"the git tree at {project.root} has uncommitted changes ({changed}). Nothing was "
            "written; commit or stash them first so the wrap is one reviewable diff, or pass "
            "--force"
        )


def include_list(report: Preflight) -> list[str]:
    root = report.project.root
    entries = set(local_top_level(root)) | {report.project.desktop_package}
    # What Django itself loads from the project tree: each app's top-level folder (a namespace
    # package has no __init__.py, so only the probe's evidence finds it), the settings' too.
    source_root = report.project.source_root
    places = [Path(info["path"]) for info in report.probe.get("apps", {}).values()
              if info.get("origin") == "project" and info.get("path")]  # fmt: skip
    places += [Path(f).parent for f in report.probe.get("settings_files", [])]
    for place in places:
        try:
            relative = place.resolve().relative_to(source_root.resolve())
        except ValueError:
            continue
        if relative.parts and not report.project.src_layout:
            entries.add(relative.parts[0])
    if report.project.src_layout:
        entries.add("src")
    for name in RUNTIME_FOLDERS:
        if (root / name).is_dir():
            entries.add(name)
    settings = report.probe.get("settings", {})
    folders = [*(settings.get("STATICFILES_DIRS") or []), *(settings.get("LOCALE_PATHS") or [])]
    folders += [*(settings.get("FIXTURE_DIRS") or [])]
    for engine in settings.get("TEMPLATES") or []:
        folders += engine.get("DIRS", [])
    for folder in folders:
        if isinstance(folder, (list, tuple)):  # STATICFILES_DIRS may hold (prefix, path)
            folder = folder[-1]
        path = Path(folder)
        path = path if path.is_absolute() else root / path
        try:
            relative = path.resolve().relative_to(root)
        except ValueError:
            continue
        if relative.parts:
            entries.add(relative.parts[0])
    return sorted(entries)


def dependency_plan(report: Preflight) -> tuple[str, Path | None]:
    """(the toml line naming the dependency source, the file to append desktop-django to)."""
    deps = report.project.dependencies
    root = report.project.root
    if deps.source == "uv.lock":
        return 'uv-lock = "uv.lock"', deps.pyproject
    if deps.source == "requirements":
        files = ", ".join(f'"{p.relative_to(root).as_posix()}"' for p in deps.requirements)
        return f"requirements = [{files}]", deps.requirements[0]
    if deps.source == "pyproject":
        return 'pyproject = "pyproject.toml"', deps.pyproject
    own = f"{report.project.desktop_package}/requirements.txt"
    return f'requirements = ["{own}"]', None


def toml_list(items) -> str:
    return ", ".join(f'"{item}"' for item in items)


def keep_list(report: Preflight) -> list[str]:
    """Server-only distributions the stage must keep anyway: the PostgreSQL driver that
    django.contrib.postgres imports at start-up, with the distributions its extras name
    (`psycopg[binary]` is psycopg plus psycopg-binary)."""
    deps = report.project.dependencies
    excluded = set(report.server_only)
    kept = set(report.loaded_server_only)
    for name, declaration in deps.names.items():
        if server_only.why_server_only(name) and name not in excluded:
            kept.add(name)
            kept |= {server_only.normalize(f"{name}-{extra}") for extra in _extras(declaration)}
    return sorted(kept)


def _extras(declaration: str) -> set[str]:
    try:
        return set(Requirement(declaration).extras)
    except InvalidRequirement:
        return set()


# Folder settings re-anchored to the project root when they hold relative paths: the
# generated line for each (STATICFILES_DIRS entries may be (prefix, path) pairs).
ANCHORED = {
    "TEMPLATES DIRS": (
        "TEMPLATES = [\n"
        '    {**engine, "DIRS": [PROJECT_ROOT / d for d in engine.get("DIRS", [])]}\n'
        "    for engine in project.TEMPLATES\n"
        "]\n"
    ),
    "STATICFILES_DIRS": (
        "STATICFILES_DIRS = [\n"
        "    (d[0], PROJECT_ROOT / d[1]) if isinstance(d, (list, tuple)) else PROJECT_ROOT / d\n"
        "    for d in project.STATICFILES_DIRS\n"
        "]\n"
    ),
    "LOCALE_PATHS": "LOCALE_PATHS = [PROJECT_ROOT / d for d in project.LOCALE_PATHS]\n",
    "FIXTURE_DIRS": "FIXTURE_DIRS = [PROJECT_ROOT / d for d in project.FIXTURE_DIRS]\n",
}


def anchored_paths(report: Preflight) -> tuple[str, str]:
    """(extra import lines, the block re-anchoring relative folder settings), or empty."""
    found = report.relative_paths
    if not found:
        return "", ""
    block = (
        f"\n# {report.project.settings_module} names folders relative to where manage.py runs; "
        "the\n# desktop app starts elsewhere, so they are anchored to the project root.\n"
        "PROJECT_ROOT = Path(__file__).resolve().parent.parent\n"
        + "".join(ANCHORED[name] for name in found)
    )
    return "from pathlib import Path\n\n", block


def project_imports(desktop_package: str, settings_module: str) -> str:
    """The two first-party imports in the order isort (ruff's I rules) keeps them."""
    lines = {desktop_package: "app", settings_module: "project"}
    return "".join(f"import {m} as {lines[m]}\n" for m in sorted(lines, key=str.lower))


def render_templates(report: Preflight, dependencies_line: str) -> dict[str, str]:
    project = report.project
    ident = report.identity
    imports, anchored = anchored_paths(report)
    pythonpath = (
        "" if not project.src_layout else f"pythonpath = [{toml_list(project.pythonpath)}]\n"
    )
    values = {
        "name": ident.name.replace('"', "'"),
        "app_id": ident.app_id,
        "version": ident.version,
        "desktop_package": project.desktop_package,
        "settings_module": project.settings_module,
        "include": toml_list(include_list(report)),
        "pythonpath": pythonpath,
        "dependencies": dependencies_line,
        "extras": '"django52"' if report.needs_tasks_backport else "",
        "server_only": ", ".join(report.server_only) or "none declared",
        "keep": toml_list(keep_list(report)),
        "stdlib_imports": imports,
        "project_imports": project_imports(project.desktop_package, project.settings_module),
        "anchored_paths": anchored,
    }
    folder = resources.files("desktop_django_tools.wrap").joinpath("templates")
    return {
        target: Template(folder.joinpath(source).read_text(encoding="utf-8")).substitute(values)
        for target, source in DESKTOP_FILES.items()
    }


def apply(
    report: Preflight, force: bool, state: str | None, desktop_django: str | None = None
) -> ApplyResult:
    check_can_apply(report, force, state)
    project = report.project
    requirement = requirement_line(report, desktop_django)
    dependencies_line, edit_target = dependency_plan(report)
    files = render_templates(report, dependencies_line)
    result = ApplyResult()
    local = [item["requirement"] for item in report.local_apps]
    pinned = [item.requirement for item in report.undeclared]
    if edit_target is None:
        django = report.probe["django"]["version"]
        files["requirements.txt"] = (
            f"# Desktop build of {report.identity.name}: what the stage installs.\n"
            f"django=={django}\n"
            + "".join(f"{line}\n" for line in [*local, *pinned])
            + f"{requirement}\n"
        )
    project.desktop_dir.mkdir()
    for name, text in files.items():
        path = project.desktop_dir / name
        path.write_text(text, encoding="utf-8")
        result.created.append(path)
    if edit_target is not None:
        _add_requirements(edit_target, [(LOCAL_COMMENT, local), (UNDECLARED_COMMENT, pinned)],
                          result)  # fmt: skip
        if pinned and project.dependencies.uv_lock:
            result.manual.append(
                f"uv.lock does not list {', '.join(pinned)} yet: run `uv lock` (the stage "
                "installs what the lock pins)"
            )
    if _ignore_stage(project.root):
        result.edited.append(project.root / ".gitignore")
    if edit_target is not None and not project.dependencies.declares(DESKTOP_DJANGO):
        if edit_target.suffix == ".txt":
            _append_requirements(edit_target, COMMENT, [requirement])
            if edit_target not in result.edited:
                result.edited.append(edit_target)
        elif _add_pyproject_dependency(edit_target, requirement):
            if edit_target not in result.edited:
                result.edited.append(edit_target)
        else:
            result.manual.append(
                f"add {requirement!r} to [project] dependencies in {edit_target.name}"
            )
        if project.dependencies.uv_lock:
            result.manual.append(
                "uv.lock does not list desktop-django yet: run `uv lock` (the stage exports "
                "the lock and installs desktop-django from these tools meanwhile)"
            )
    return result


def _add_requirements(target: Path, groups: list[tuple[str, list[str]]], result: ApplyResult
                      ) -> None:  # fmt: skip
    """Each group's lines into the project's dependency file: appended under its comment in a
    requirements file, added to [project] dependencies in a pyproject.toml. A local path
    reference in a pyproject is left to the user: its syntax depends on the installer."""
    for comment, lines in groups:
        if not lines:
            continue
        if target.suffix == ".txt":
            _append_requirements(target, comment, lines)
        elif comment == LOCAL_COMMENT:
            result.manual += [f"add {line!r} to {target.name}, as a path source your installer "
                              "reads (the stage resolves it from the project folder)"
                              for line in lines]  # fmt: skip
            continue
        else:
            for line in lines:
                if not _add_pyproject_dependency(target, line):
                    result.manual.append(f"add {line!r} to [project] dependencies in {target.name}")
        if target not in result.edited:
            result.edited.append(target)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _read_exact(path: Path) -> str:
    """The file's text with its line endings as they are on disk."""
    with path.open(encoding="utf-8", newline="") as file:
        return file.read()


def _append_requirements(path: Path, comment: str, lines: list[str]) -> None:
    text = _read_exact(path) if path.exists() else ""
    newline = _newline(text)
    separator = "" if not text or text.endswith("\n") else newline
    added = separator + "".join(f"{line}{newline}" for line in [comment, *lines])
    path.write_text(text + added, encoding="utf-8", newline="")


def _ignore_stage(root: Path) -> bool:
    """`.stage/` (the built stage, in the project by default) into the project's .gitignore,
    in the file's own line endings; False when it is already ignored there."""
    path = root / ".gitignore"
    text = _read_exact(path) if path.is_file() else ""
    entries = {line.strip() for line in text.splitlines()}
    if entries & {".stage", ".stage/", "/.stage", "/.stage/"}:
        return False
    _append_requirements(path, STAGE_IGNORE_COMMENT, [STAGE_IGNORE])
    return True


def _add_pyproject_dependency(path: Path, line: str) -> bool:
    """Add `line` to `[project] dependencies`, keeping the file's layout (tomlkit)."""
    text = _read_exact(path)
    try:
        document = tomlkit.parse(text)
    except TOMLKitError:
        return False
    dependencies = document.get("project", {}).get("dependencies")
    if not isinstance(dependencies, tomlkit.items.Array):
        return False
    layout = dependencies.as_string()
    if "\n" in layout:
        indent = re.search(r"\n([ \t]*)\S", layout)
        dependencies.add_line(line, indent=indent.group(1) if indent else "    ")
    else:
        dependencies.append(line)
    updated = tomlkit.dumps(document)
    if _newline(text) == "\r\n":  # tomlkit writes its own additions with \n
        updated = updated.replace("\r\n", "\n").replace("\n", "\r\n")
    path.write_text(updated, encoding="utf-8", newline="")
    return True
