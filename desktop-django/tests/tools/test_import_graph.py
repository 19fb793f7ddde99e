"""The build tools' import graph: modules call each other's functions, never the CLI, and no
module reaches itself through its imports. The graph is every import statement of every
module (those inside functions too: a call made later is still a dependency), read with ast."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import desktop_django_tools
import pytest

PACKAGE = Path(desktop_django_tools.__file__).parent
# The command line itself, and the one module that starts it (`python -m desktop_django_tools`).
ENTRY_POINTS = {"desktop_django_tools.cli", "desktop_django_tools.__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `name` imports: `from pkg import sub` is an import of the
    module pkg.sub when there is one, else of pkg."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {module for module in found if module in known and module != name}


@functools.cache
def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import circle as a path (first module repeated at the end), or []."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = "open"
        path.append(name)
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        state[name] = "done"
        path.pop()
        return []

    for name in sorted(edges):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []


def test_the_graph_is_read_from_the_real_modules():
    edges = graph()
    assert len(edges) > 50
    assert "desktop_django_tools.shells.catalogue" in edges["desktop_django_tools.package"]
    assert "desktop_django_tools.server_only" in edges["desktop_django_tools.stage.resolve"]


def test_only_the_entry_point_imports_the_cli():
    callers = {name for name, targets in graph().items() if "desktop_django_tools.cli" in targets}
    assert callers <= ENTRY_POINTS, callers - ENTRY_POINTS


def test_no_module_reaches_itself_through_its_imports():
    assert cycle(graph()) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_the_cycle_check_finds_a_circle(edges, expected):
    assert cycle(edges) == expected
