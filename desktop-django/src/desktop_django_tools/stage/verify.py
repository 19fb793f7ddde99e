"""Re-hash a stage against its manifest and name every missing, extra or changed file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from desktop_django.manifest import load

from desktop_django_tools.stage.files import DESCRIPTORS, relative, sha256_of, walk_files


@dataclass
class Verification:
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.changed or self.problems)

    def lines(self) -> list[str]:
        out = [f"PROBLEM  {p}" for p in self.problems]
        out += [f"MISSING  {n}" for n in self.missing]
        out += [f"CHANGED  {n}" for n in self.changed]
        out += [f"EXTRA    {n}" for n in self.extra]
        return out


def verify(stage_root: Path) -> Verification:
    result = Verification()
    manifest = load(stage_root, check_files=False)
    index_path = stage_root / manifest.data["index"]["path"]
    if not index_path.is_file():
        result.problems.append(f"index {relative(index_path, stage_root)} is missing")
        return result
    if sha256_of(index_path) != manifest.data["index"]["sha256"]:
        result.problems.append(
            f"index {relative(index_path, stage_root)} does not match the manifest's sha256"
        )
    expected: dict[str, str] = {}
    for number, line in enumerate(index_path.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            result.problems.append(f"index line {number} is malformed")
            continue
        expected[name] = digest
    present = {
        relative(path, stage_root): path
        for path in walk_files(stage_root)
        if relative(path, stage_root) not in DESCRIPTORS
    }
    for name, digest in expected.items():
        path = present.get(name)
        if path is None:
            result.missing.append(name)
        elif path.is_symlink() or sha256_of(path) != digest:
            result.changed.append(name)
    result.extra = sorted(set(present) - set(expected))
    return result
