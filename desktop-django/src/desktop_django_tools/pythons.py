"""Find a CPython 3.13/3.12 for the nox sessions without the user exporting anything.

Order: an interpreter on PATH, then pyenv installs (`$(pyenv root)/versions`, which pyenv
shims hide unless selected), then uv-managed installs. uv cannot download an interpreter on
every machine (air-gapped sites, locked-down CI), so discovery must work without one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PREFERRED = ("3.13", "3.12")


@dataclass(frozen=True)
class Interpreter:
    version: str
    path: str
    source: str


def _version_of(executable: str) -> str | None:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=15,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _pyenv_roots() -> list[Path]:
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(Path(os.environ["PYENV_ROOT"]))
    if shutil.which("pyenv"):
        try:
            out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=15)
            if out.stdout.strip():
                roots.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    roots.append(Path.home() / ".pyenv")
    return list(dict.fromkeys(roots))


def _candidates(minor: str):
    for name in (f"python{minor}",):
        found = shutil.which(name)
        if found:
            yield found, "PATH"
    for root in _pyenv_roots():
        for prefix in sorted((root / "versions").glob(f"{minor}.*"), reverse=True):
            for exe in (prefix / "bin" / f"python{minor}", prefix / "python.exe"):
                if exe.exists():
                    yield str(exe), f"pyenv ({root})"
    if shutil.which("uv"):
        try:
            out = subprocess.run(
                ["uv", "python", "find", "--no-python-downloads", minor],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if out.returncode == 0 and out.stdout.strip():
                yield out.stdout.strip(), "uv"
        except (OSError, subprocess.SubprocessError):
            pass


def find(preferred: tuple[str, ...] = PREFERRED) -> Interpreter | None:
    for minor in preferred:
        for path, source in _candidates(minor):
            version = _version_of(path)
            if version and version.startswith(minor + "."):
                return Interpreter(version=version, path=path, source=source)
    return None


def find_all(preferred: tuple[str, ...] = PREFERRED) -> list[Interpreter]:
    found = []
    for minor in preferred:
        hit = find((minor,))
        if hit:
            found.append(hit)
    return found


def locate(preferred: tuple[str, ...] = PREFERRED) -> str | None:
    """The path of a CPython 3.13/3.12 found by looking at files only, starting no process
    (so `nox -l` stays instant); `find()` is the checked look-up for reports."""
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    roots.append(Path.home() / ".pyenv")
    for minor in preferred:
        found = shutil.which(f"python{minor}")
        # A pyenv shim answers for every installed version, but fails unless one is selected.
        if found and "shims" not in Path(found).parts:
            return found
        for root in dict.fromkeys(roots):
            for prefix in sorted((root / "versions").glob(f"{minor}.*"), reverse=True):
                for exe in (prefix / "bin" / f"python{minor}", prefix / "python.exe"):
                    if exe.exists():
                        return str(exe)
    return None
