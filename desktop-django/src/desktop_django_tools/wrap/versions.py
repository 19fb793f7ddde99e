"""Do the project's pins and desktop-django's requirements fit together? Ask the resolver.

Guessing from version strings misses transitive floors (a project pinning django-tasks 0.9
meets django-tasks-db's 0.12 floor only through desktop-django), so the preflight resolves the
project's declared requirements together with desktop-django's runtime requirements with
`uv pip compile`, for the Python the stage ships (on the project's interpreter's platform; no
interpreter is downloaded). Nothing is installed or written into the project: the files the
resolver reads are written to a scratch folder.
"""

from __future__ import annotations

import importlib.metadata
import re
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from desktop_django_tools import locations
from desktop_django_tools.integrations import uv
from desktop_django_tools.stage.config import BUILD_ONLY_DISTRIBUTIONS, PYTHON_VERSION
from desktop_django_tools.wrap.project import (
    DESKTOP_DJANGO,
    REQUIREMENT_NAME,
    WrapTarget,
    normalize,
    requirement_lines,
)

# Requirement-file options the resolver needs to see the same packages (private indexes).
INDEX_OPTIONS = ("--index-url", "--extra-index-url", "-i ", "--find-links", "-f ", "--no-index")
UNSOLVABLE = "No solution found"


@dataclass(frozen=True)
class Resolution:
    ok: bool
    explanation: str = ""  # the resolver's own words, one line
    involved: tuple[str, ...] = ()  # the project's declarations it names, as file:line
    checked: bool = True  # False: the resolver could not run (offline, no uv)
    # Not "": the conflict was found in uv's cache and the index could not be reached to
    # look for newer releases (why, one line).
    unreached: str = ""


def desktop_django_requirements(extras: tuple[str, ...]) -> list[str]:
    """desktop-django's runtime requirements (its build tools' own left out), with `extras`.

    From the source folder in a checkout (an editable install's metadata goes stale when the
    pyproject changes), else from the installed distribution's metadata.
    """
    declared = _source_requirements(extras)
    if declared is None:
        try:
            declared = importlib.metadata.requires(DESKTOP_DJANGO) or []
        except importlib.metadata.PackageNotFoundError:
            declared = []
    kept = []
    for requirement in declared:
        spec, _, marker = requirement.partition(";")
        name = _name(spec)
        if name in BUILD_ONLY_DISTRIBUTIONS:
            continue
        extra = re.search(r"extra\s*==\s*[\"']([^\"']+)[\"']", marker)
        if extra and extra.group(1) not in extras:
            continue
        kept.append(spec.strip() if extra else requirement.strip())
    return kept


def _source_requirements(extras: tuple[str, ...]) -> list[str] | None:
    source = locations.runtime_source()
    if source is None:
        return None
    project = tomllib.loads((source / "pyproject.toml").read_text("utf-8")).get("project", {})
    optional = project.get("optional-dependencies", {})
    # Optional requirements carry no `extra ==` marker here: they are only the chosen ones.
    return [*project.get("dependencies", []), *(r for e in extras for r in optional.get(e, []))]


def _name(requirement: str) -> str:
    match = REQUIREMENT_NAME.match(requirement)
    return normalize(match.group(1)) if match else ""


def project_requirements(project: WrapTarget, scratch: Path) -> list[str]:
    """What the stage would install for the project, as requirement lines (no desktop-django)."""
    deps = project.dependencies
    if deps.source == "uv.lock":
        exported = uv.export_locked_requirements(
            project.root, scratch / "locked.txt", exclude=(DESKTOP_DJANGO,)
        )
        return exported.read_text(encoding="utf-8").splitlines()
    lines = []
    if deps.source == "requirements":
        for file in deps.requirements:
            lines += [line for _, _, line in requirement_lines(file)]
            lines += [
                raw.strip()
                for raw in file.read_text(encoding="utf-8", errors="replace").splitlines()
                if raw.strip().startswith(INDEX_OPTIONS)
            ]
    elif deps.source == "pyproject":
        lines = list(deps.names.values())
    return [line for line in lines if _name(line) != DESKTOP_DJANGO]


def resolve(
    project: WrapTarget, extras: tuple[str, ...], added: tuple[str, ...] = ()
) -> Resolution:
    """`added`: requirement lines --apply will add (a local package's `name @ file:..`)."""
    with tempfile.TemporaryDirectory(prefix="desktop-django-resolve-") as folder:
        scratch = Path(folder)
        try:
            lines = [*project_requirements(project, scratch), *added]
        except uv.UvError as exc:
            return Resolution(ok=False, explanation=_one_line(str(exc)), checked=False)
        ours = desktop_django_requirements(extras)
        (scratch / "project.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (scratch / "desktop.txt").write_text("\n".join(ours) + "\n", encoding="utf-8")
        compile_args = ("pip", "compile", "--python", str(project.python), "--python-version",
                        PYTHON_VERSION, "--no-header", "--no-annotate", "--quiet",
                        str(scratch / "project.txt"), str(scratch / "desktop.txt"))  # fmt: skip
        # From the project folder: a relative path reference (`name @ file:..`) means what it
        # means there, as for the stage.
        try:
            # From uv's cache first (a few seconds instead of a dozen): a resolution found
            # there is a real one. Only a failure needs the index, which may know newer
            # versions than the cache.
            uv.run(*compile_args, "--offline", cwd=project.root, capture=True)
            return Resolution(ok=True)
        except uv.UvError as exc:
            cached = str(exc)
        try:
            uv.run(*compile_args, cwd=project.root, capture=True)
        except uv.UvError as exc:
            message = str(exc)
            if UNSOLVABLE in message:
                return _conflict(project, message)
            if UNSOLVABLE in cached:
                # The index could not be reached (offline, or a request that timed out on a
                # busy machine), but the cache already holds a conflict: a stage on this
                # machine now would meet the same one, so it is reported, with why the index
                # was not asked.
                return _conflict(project, cached, unreached=_one_line(message))
            return Resolution(ok=False, explanation=_one_line(message), checked=False)
    return Resolution(ok=True)


def _conflict(project: WrapTarget, message: str, unreached: str = "") -> Resolution:
    explanation = _explanation(message)
    return Resolution(ok=False, explanation=explanation, involved=_involved(project, explanation),
                      unreached=unreached)  # fmt: skip


def _one_line(message: str) -> str:
    return " ".join(message.split())[:400]


def _explanation(message: str) -> str:
    """The resolver's reasoning after "No solution found", without its box-drawing marks."""
    after = message.split(UNSOLVABLE, 1)[1]
    text = re.sub("[\u00d7\u2570\u2500\u25b6\u2502\u251c]+|cause:", " ", after.split(":", 1)[-1])
    return _one_line(text).rstrip(".")


def _involved(project: WrapTarget, explanation: str) -> tuple[str, ...]:
    """file:line of each of the project's declarations the resolver's explanation names."""
    words = {normalize(w) for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", explanation)}
    deps = project.dependencies
    return tuple(
        f"{deps.locations[name]} ({deps.names[name]})"
        for name in sorted(deps.names)
        if name in words and name in deps.locations
    )


def locked_pins(project: WrapTarget, explanation: str) -> list[tuple[str, str, str]]:
    """(name, locked version, uv.lock:line) of each distribution the resolver's explanation
    names with the exact version uv.lock pins, for a project staged from its uv.lock."""
    lock = project.dependencies.uv_lock
    if project.dependencies.source != "uv.lock" or lock is None:
        return []
    text = lock.read_text(encoding="utf-8", errors="replace")
    found = []
    for match in re.finditer(r'^name = "([^"]+)"\nversion = "([^"]+)"', text, re.MULTILINE):
        name, version = match.groups()
        mentioned = re.search(
            rf"\b{re.escape(name)}(\[[^\]]*\])?\s*==\s*{re.escape(version)}\b", explanation,
            re.IGNORECASE,
        )  # fmt: skip
        if mentioned and normalize(name) != DESKTOP_DJANGO:
            line = text.count("\n", 0, match.start()) + 1
            found.append((normalize(name), version, f"uv.lock:{line}"))
    return found
