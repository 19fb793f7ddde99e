"""Read the project's source and templates (and installed apps' templates) for what a desktop
build changes: inline code and remote assets the desktop CSP blocks, code that starts a
`python`, upload fields. Files are only read; every hit is a `file:line`."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_django_tools.wrap.project import SKIPPED_DIRS

TEMPLATE_SUFFIXES = (".html", ".htm")
# Each pattern matches where the construct starts, so a hit has a line even when the tag
# spans several lines.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*type\s*=\s*[\"']?(?:application/(?:ld\+)?json|text/template))"
    r"[^>]*>\s*[^<\s]",
    re.IGNORECASE,
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=\s*[\"']", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
REMOTE_ASSET = re.compile(r"\b(?:src|href)\s*=\s*[\"'](?:https?:)?//", re.IGNORECASE)
# <a href="https://..."> is a link the user follows (opened in the OS browser), not an asset.
LINK_TAG = re.compile(r"<a\s[^>]*$", re.IGNORECASE)
TEMPLATE_CHECKS = (
    ("inline-script", INLINE_SCRIPT, "inline <script> blocks"),
    ("inline-handler", INLINE_HANDLER, "inline event handlers (onclick=...)"),
    ("inline-style", INLINE_STYLE, "inline styles"),
    ("remote-asset", REMOTE_ASSET, "remote scripts, styles or fonts (//host/...)"),
)
UPLOAD_FIELD = re.compile(r"\b(FileField|ImageField)\s*\(")
SPAWN_FUNCTIONS = {
    "run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput",
    "system", "popen", "execv", "execvp", "spawnv", "spawnvp", "create_subprocess_exec",
}  # fmt: skip
PYTHON_COMMAND = re.compile(r"^python(?:[0-9.]*)(?:\.exe)?(?:\s|$)")


@dataclass(frozen=True)
class Hit:
    path: Path
    line: int
    what: str  # a key of TEMPLATE_CHECKS, or the matched text

    def where(self, base: Path) -> str:
        return f"{shown(self.path, base)}:{self.line}"


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def shown(path: Path, base: Path) -> str:
    """`path` relative to `base` when inside it, else as it is."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def walk(folder: Path, suffixes: tuple[str, ...], skip: tuple[str, ...] = ()) -> Iterator[Path]:
    """Files under `folder` with one of `suffixes`, never entering virtualenvs or build output."""
    for directory, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and d not in skip and not d.startswith(".")
        )
        for name in sorted(filenames):
            if name.endswith(suffixes):
                yield Path(directory) / name


def template_hits(folder: Path) -> list[Hit]:
    hits = []
    for template in walk(folder, TEMPLATE_SUFFIXES):
        text = read(template)
        for key, pattern, _ in TEMPLATE_CHECKS:
            for match in pattern.finditer(text):
                if key == "remote-asset" and LINK_TAG.search(text[: match.start()][-300:]):
                    continue
                hits.append(Hit(template, line_at(text, match.start()), key))
    return hits


def python_files(root: Path) -> Iterator[Path]:
    yield from walk(root, (".py",), skip=("migrations",))


def upload_fields(root: Path) -> list[Hit]:
    hits = []
    for path in python_files(root):
        text = read(path)
        hits += [
            Hit(path, line_at(text, m.start()), m.group(1)) for m in UPLOAD_FIELD.finditer(text)
        ]
    return hits


def python_spawns(root: Path) -> list[Hit]:
    """Calls that start a Python interpreter by name ("python ...") or as sys.executable."""
    hits = []
    for path in python_files(root):
        try:
            tree = ast.parse(read(path), str(path))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node.func) in SPAWN_FUNCTIONS:
                what = _python_argument(node)
                if what:
                    hits.append(Hit(path, node.lineno, what))
    return hits


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _python_argument(call: ast.Call) -> str:
    for node in ast.walk(call):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and PYTHON_COMMAND.match(node.value)
        ):
            return repr(node.value.split()[0])
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "executable"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            return "sys.executable"
    return ""
