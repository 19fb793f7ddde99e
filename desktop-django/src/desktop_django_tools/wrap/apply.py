"""Apply: write the desktop entry folder and one small dependency edit into the project.

Refuses (and writes nothing) on a preflight blocker, a dirty or missing git tree without
--force, or an existing desktop folder. Every file written is listed; nothing of the user's
is overwritten: the dependency edit only appends a line.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from desktop_django import __version__

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


class ApplyRefused(Exception):
    """Nothing was written; the message says why and how to proceed."""


@dataclass
class ApplyResult:
    created: list[Path] = field(default_factory=list)
    edited: list[Path] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)

    def render(self, root: Path) -> str:
        lines = ["", "Written:"]
        lines += [f"  + {p.relative_to(root)}" for p in self.created]
        lines += [f"  ~ {p.relative_to(root)}" for p in self.edited]
        for step in self.manual:
            lines.append(f"  ! {step}")
        lines += [
            "",
            "Next: review the diff (git diff; git status), run your tests, then from a clone of",
            "Desktop Django Starter:",
            f"  nox -s stage -- --project {root}",
            f"  nox -s dev-positron -- --project {root}",
        ]
        return "\n".join(lines)


def requirement_line(report: Preflight) -> str:
    extra = "[django52]" if report.needs_tasks_backport else ""
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


def check_can_apply(report: Preflight, force: bool) -> None:
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
    state = git_state(project.root)
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


def render_templates(report: Preflight, dependencies_line: str) -> dict[str, str]:
    project = report.project
    ident = report.identity
    values = {
        "name": ident.name.replace('"', "'"),
        "app_id": ident.app_id,
        "version": ident.version,
        "desktop_package": project.desktop_package,
        "settings_module": project.settings_module,
        "include": ", ".join(f'"{e}"' for e in include_list(report)),
        "dependencies": dependencies_line,
        "extras": '"django52"' if report.needs_tasks_backport else "",
    }
    folder = resources.files("desktop_django_tools.wrap").joinpath("templates")
    return {
        target: Template(folder.joinpath(source).read_text(encoding="utf-8")).substitute(values)
        for target, source in DESKTOP_FILES.items()
    }


def apply(report: Preflight, force: bool = False) -> ApplyResult:
    check_can_apply(report, force)
    project = report.project
    dependencies_line, edit_target = dependency_plan(report)
    files = render_templates(report, dependencies_line)
    result = ApplyResult()
    if edit_target is None:
        django = report.probe["django"]["version"]
        files["requirements.txt"] = (
            f"# Desktop build of {report.identity.name}: what the stage installs.\n"
            f"django=={django}\n{requirement_line(report)}\n"
        )
    project.desktop_dir.mkdir()
    for name, text in files.items():
        path = project.desktop_dir / name
        path.write_text(text, encoding="utf-8")
        result.created.append(path)
    if edit_target is not None and not project.dependencies.declares(DESKTOP_DJANGO):
        if edit_target.suffix == ".txt":
            _append_requirement(edit_target, requirement_line(report))
            result.edited.append(edit_target)
        elif _add_pyproject_dependency(edit_target, requirement_line(report)):
            result.edited.append(edit_target)
        else:
            result.manual.append(
                f"add {requirement_line(report)!r} to the dependencies in {edit_target.name}"
            )
        if project.dependencies.uv_lock:
            result.manual.append(
                "uv.lock does not list desktop-django yet: the stage installs it from the "
                "starter; run `uv lock` once desktop-django is on your index"
            )
    return result


def _append_requirement(path: Path, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    separator = "" if text.endswith("\n") or not text else "\n"
    path.write_text(f"{text}{separator}{COMMENT}\n{line}\n", encoding="utf-8")


def _add_pyproject_dependency(path: Path, line: str) -> bool:
    """Insert `line` into `[project] dependencies = [...]`, keeping the file's own layout."""
    text = path.read_text(encoding="utf-8")
    section = re.search(r"^\[project\]\s*$", text, re.MULTILINE)
    if not section:
        return False
    next_table = re.search(r"^\[", text[section.end() :], re.MULTILINE)
    table_end = section.end() + next_table.start() if next_table else len(text)
    key = re.compile(r"^dependencies\s*=\s*\[", re.MULTILINE)
    match = key.search(text, section.end(), table_end)
    if not match:
        return False
    start = match.end()
    end = _closing_bracket(text, start)
    if end is None:
        return False
    inner = text[start:end]
    if "\n" in inner:
        stripped = inner.rstrip()
        indent = re.search(r"\n([ \t]*)\S", inner)
        pad = indent.group(1) if indent else "    "
        comma = "" if stripped.endswith(",") or not stripped.strip() else ","
        new_inner = f'{stripped}{comma}\n{pad}"{line}",{inner[len(stripped) :]}'
    else:
        stripped = inner.strip().rstrip(",")
        new_inner = f'{stripped}, "{line}"' if stripped else f'"{line}"'
    path.write_text(text[:start] + new_inner + text[end:], encoding="utf-8")
    return True


def _closing_bracket(text: str, position: int) -> int | None:
    """Index of the `]` closing a TOML array that starts at `position` (strings and comments
    may hold brackets: `"psycopg[binary]"`)."""
    quote = None
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\" and quote == '"':
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            newline = text.find("\n", position)
            position = len(text) if newline < 0 else newline
            continue
        elif char == "]":
            return position
        position += 1
    return None
