"""Distributions the project loads from its environment that its dependency files do not bring.

A project often runs only because its developer once ran `pip install django-filter` into the
virtualenv: the settings list the app, the requirements never got the line, and a stage built
from the requirements then fails. The evidence is the environment's own: the distributions
that provide the modules the settings, django.setup() and the URLconf import (the probe),
minus everything the declared requirements, desktop-django's and the local apps' packages
bring with what they require in turn (their installed metadata). What is left is installed
but undeclared: --apply pins it at the installed version.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.markers import Marker, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from desktop_django_tools.wrap.project import normalize


@dataclass(frozen=True)
class Undeclared:
    distribution: str  # as its metadata spells it
    version: str  # the installed one
    modules: tuple[str, ...]  # the top-level modules the project loads from it

    @property
    def requirement(self) -> str:
        return f"{normalize(self.distribution)}=={self.version}"


def _applies(marker: Marker | None, extras: set[str]) -> bool:
    """Whether a requirement with `marker` is brought when `extras` are asked for. Evaluated
    for this interpreter, which may differ from the project's: when unsure, it is brought
    (an undeclared distribution is missed rather than one added that is not needed)."""
    if marker is None:
        return True
    try:
        return any(marker.evaluate({"extra": extra}) for extra in {"", *extras})
    except UndefinedEnvironmentName:
        return True


def closure(roots: list[str], installed: dict[str, dict]) -> set[str]:
    """Normalized names of the distributions `roots` (requirement lines) bring, themselves
    included, following the installed metadata's requirements (with the extras asked for)."""
    by_name = {normalize(name): info for name, info in installed.items()}
    seen: dict[str, set[str]] = {}
    todo = []
    for line in roots:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        todo.append((normalize(requirement.name), set(requirement.extras)))
    while todo:
        name, extras = todo.pop()
        if name in seen and extras <= seen[name]:
            continue
        seen[name] = seen.get(name, set()) | extras
        for line in by_name.get(name, {}).get("requires", []):
            try:
                requirement = Requirement(line)
            except InvalidRequirement:
                continue
            if _applies(requirement.marker, seen[name]):
                todo.append((normalize(requirement.name), set(requirement.extras)))
    return set(seen)


def find(probe: dict, declared: list[str]) -> list[Undeclared]:
    """The distributions the project loads that nothing in `declared` (requirement lines: the
    project's own, desktop-django's, the local apps' packages') brings, outermost only: one
    that another undeclared one requires comes with it. Distributions installed from a folder
    (the project itself, a local package) are not pinned here."""
    installed = probe.get("installed") or {}
    if not installed:
        return []
    loaded: dict[str, set[str]] = {}
    for group in ("settings_distributions", "loaded_distributions"):
        for name, modules in (probe.get(group) or {}).items():
            loaded.setdefault(name, set()).update(modules)
    brought = closure(declared, installed)
    found = {}
    for name, modules in sorted(loaded.items()):
        info = installed.get(name)
        if info is None or normalize(name) in brought or info.get("local"):
            continue
        found[normalize(name)] = Undeclared(name, info["version"], tuple(sorted(modules)))
    for key in list(found):
        others = [other.requirement for other_key, other in found.items() if other_key != key]
        if key in closure(others, installed):
            del found[key]
    return list(found.values())
