"""Resolve a wrapped project's dependencies together with desktop-django's runtime, before
anything is installed, and leave out the server-only distributions.

One resolution, by uv, decides everything the stage installs: a conflict between the
project's pins and desktop-django's floors stops the build here, as one line, instead of
half-way through an install. The result is a pylock.toml (exact URLs and hashes) that the
install step reads, so what was resolved is what is installed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from desktop_django_tools.integrations import uv
from desktop_django_tools.server_only import normalize, why_server_only
from desktop_django_tools.stage import report
from desktop_django_tools.stage.config import PYTHON_VERSION, WrappedSource
from desktop_django_tools.stage.errors import StageError


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    size: int  # bytes of the wheel uv would install (0 when only an sdist is known)


@dataclass
class Resolution:
    lock: Path
    kept: dict[str, Package]
    left_out: list[tuple[Package, str]]  # and why

    def left_out_size(self) -> int:
        return sum(package.size for package, _why in self.left_out)


def resolve(inputs: list[Path], desktop_django: str, source: WrappedSource, work: Path,
            origin: str, root: Path | None = None) -> Resolution:  # fmt: skip
    """`desktop_django` is the direct reference to the runtime wheel; it also overrides any
    desktop-django line of the project (a version no index serves, a path, an old wheel).
    `root` is the project folder, where relative path references (`name @ file:..`) start."""
    reference = work / "desktop-django-runtime.txt"
    reference.write_text(desktop_django + "\n", encoding="utf-8")
    full = _compile(inputs, reference, work / "pylock.full.toml", (), origin, root)
    leave_out = _leave_out(source, full)
    if not leave_out:
        return Resolution(full[1], full[0], [])
    kept, lock = _compile(inputs, reference, work / "pylock.toml", leave_out, origin, root)
    left = [(p, _why(p.name)) for name, p in sorted(full[0].items()) if name not in kept]
    return Resolution(lock, kept, left)


def _leave_out(source: WrappedSource, full: tuple[dict[str, Package], Path]) -> list[str]:
    keep = {normalize(name) for name in source.keep}
    if source.exclude is not None:
        chosen = {normalize(name) for name in source.exclude}
    else:
        chosen = {name for name in full[0] if why_server_only(name)}
    return sorted(chosen - keep - {"desktop-django"})


def _why(name: str) -> str:
    return why_server_only(name) or "only needed by a left-out distribution"


def _compile(inputs: list[Path], reference: Path, output: Path, exclude: list[str],
             origin: str, root: Path | None) -> tuple[dict[str, Package], Path]:  # fmt: skip
    args = [
        "pip", "compile", "--quiet", "--python-version", PYTHON_VERSION,
        "--format", "pylock.toml", "--output-file", str(output),
        "--overrides", str(reference), *map(str, inputs), str(reference),
    ]  # fmt: skip
    if exclude:
        excludes = output.with_suffix(".excludes.txt")
        excludes.write_text("\n".join(exclude) + "\n", encoding="utf-8")
        args += ["--excludes", str(excludes)]
    try:
        uv.run(*args, cwd=root, capture=True)
    except uv.UvError as exc:
        report.log(str(exc))
        raise StageError(
            f"the dependencies in {origin} cannot be installed together with desktop-django's "
            f"runtime on Python {PYTHON_VERSION}: {_conflict(str(exc))}",
            f"change the pin named above in {origin} (desktop-django's own requirements are "
            "listed in docs/stage.md), then stage again",
        ) from exc
    data = tomllib.loads(output.read_text(encoding="utf-8"))
    return {normalize(p["name"]): _package(p) for p in data.get("packages", [])}, output


def _package(entry: dict) -> Package:
    sizes = [wheel.get("size", 0) for wheel in entry.get("wheels", [])]
    size = max(sizes) if sizes else entry.get("sdist", {}).get("size", 0)
    return Package(normalize(entry["name"]), str(entry.get("version", "")), size)


def _conflict(message: str) -> str:
    """uv's explanation ("Because ... unsatisfiable."), on one line."""
    _, found, cause = message.partition("cause:")
    text = cause if found else message
    return re.sub(r"\s+", " ", text.replace("cause:", "")).strip()
