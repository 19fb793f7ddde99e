"""Obtain the relocatable CPython that the stage ships, from one of three sources.

1. uv (default): a python-build-standalone build, `install_only_stripped`, already relocatable.
2. `--python-archive`: a local python-build-standalone archive, for air-gapped builds.
3. `--python-home`: an existing CPython installation, copied and made relocatable.

`--allow-local-python` falls back to the local CPython. When that is a distribution's own
Python (Debian's /usr/bin/python3.13), its prefix is the whole OS (/usr): only the interpreter
and its standard library are copied, and the copy is given upstream CPython's site-packages
layout (see DISTRIBUTION_SITECUSTOMIZE).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop_django_tools import pythons
from desktop_django_tools.errors import ToolError
from desktop_django_tools.stage import report
from desktop_django_tools.stage.config import PYTHON_VERSION
from desktop_django_tools.stage.files import sha256_of


class RuntimeSourceError(ToolError):
    pass


@dataclass(frozen=True)
class RuntimeSource:
    kind: str  # "uv", "archive", "python-home"
    detail: str


def minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def find_prefix_executable(prefix: Path) -> Path | None:
    """The interpreter inside an installation prefix (POSIX or Windows layout)."""
    wanted = minor(PYTHON_VERSION)
    for candidate in (
        prefix / "bin" / f"python{wanted}",
        prefix / "bin" / "python3",
        prefix / "python.exe",
    ):
        if candidate.is_file():
            return candidate
    return None


def _python_root_in(folder: Path) -> Path:
    """PBS archives hold `python/` (install_only) or `python/install/` (full)."""
    for candidate in (folder / "python" / "install", folder / "python", folder):
        if find_prefix_executable(candidate):
            return candidate
    raise RuntimeSourceError(f"no CPython installation found inside {folder}")


def from_archive(archive: Path, expected_sha256: str | None, workdir: Path) -> Path:
    if not archive.is_file():
        raise RuntimeSourceError(f"--python-archive {archive} does not exist")
    if expected_sha256:
        actual = sha256_of(archive)
        if actual != expected_sha256.lower():
            raise RuntimeSourceError(
                f"--python-archive {archive} has sha256 {actual}, expected {expected_sha256}"
            )
    target = workdir / "archive"
    target.mkdir()
    name = archive.name
    if name.endswith((".tar.zst", ".tzst")):
        if not shutil.which("zstd"):
            raise RuntimeSourceError("a .tar.zst archive needs the zstd command (apt install zstd)")
        tar_path = workdir / "archive.tar"
        subprocess.run(["zstd", "-q", "-d", str(archive), "-o", str(tar_path)], check=True)
        archive = tar_path
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return _python_root_in(target)


def from_uv(workdir: Path) -> Path:
    install_dir = workdir / "uv-python"
    command = [
        "uv", "python", "install", PYTHON_VERSION,
        "--install-dir", str(install_dir), "--no-bin", "--force",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["uv failed"])[-1].strip()
        raise RuntimeSourceError(f"uv could not download CPython {PYTHON_VERSION}: {reason}")
    installs = sorted(p for p in install_dir.iterdir() if p.is_dir() and "cpython" in p.name)
    if not installs:
        raise RuntimeSourceError(f"uv reported success but left no CPython in {install_dir}")
    return installs[0]


# PEP 668's marker: a distribution (apt, dnf, pacman) manages this Python.
EXTERNALLY_MANAGED = "EXTERNALLY-MANAGED"
# A prefix the interpreter shares with the rest of the OS: never copied whole.
SYSTEM_PREFIXES = ("/usr", "/usr/local")

# The copy of a distribution's Python keeps that distribution's site.py and sysconfig, which
# look for packages in dist-packages folders (Debian: local/lib/python3.X/dist-packages) and
# ignore site-packages outside a venv. A stage has one layout whatever its source (the shells,
# the Positron host and the tools find lib/python3.X/site-packages), so this module, run by
# `site` at every start, points those schemes at upstream's and adds site-packages.
DISTRIBUTION_SITECUSTOMIZE = """\
# Written by desktop-django's stage: this interpreter was copied from a distribution's Python.
# Packages live in lib/python3.X/site-packages, as in upstream CPython (docs/stage.md).
import site
import sysconfig

for _scheme in ("posix_local", "deb_system"):
    if _scheme in sysconfig._INSTALL_SCHEMES:
        sysconfig._INSTALL_SCHEMES[_scheme] = sysconfig._INSTALL_SCHEMES["posix_prefix"]
site.addsitedir(sysconfig.get_path("purelib", "posix_prefix"))
"""


def is_shared_prefix(prefix: Path) -> bool:
    """Whether the installation prefix holds more than this Python (a distribution's /usr)."""
    stdlib = next(prefix.glob("lib*/python3.*/os.py"), None)
    managed = stdlib is not None and (stdlib.parent / EXTERNALLY_MANAGED).is_file()
    return managed or str(prefix) in SYSTEM_PREFIXES


def interpreter_parts(prefix: Path) -> tuple[str, ...]:
    """The interpreter's own files inside a shared prefix, relative to it: the executable
    and the standard library (with lib-dynload), nothing the rest of the OS put there."""
    executable = find_prefix_executable(prefix)
    if executable is None:
        raise RuntimeSourceError(f"no python executable in {prefix}/bin")
    script = (
        "import json, os, sys, sysconfig; print(json.dumps([os.path.realpath(sys.executable), "
        "sysconfig.get_path('stdlib'), sysconfig.get_path('platstdlib')]))"
    )
    out = subprocess.run(
        [str(executable), "-I", "-S", "-c", script], capture_output=True, text=True, check=True
    )
    parts = []
    for path in json.loads(out.stdout):
        relative = Path(path).relative_to(prefix).as_posix()
        if relative not in parts:
            parts.append(relative)
    return tuple(parts)


def adopt_upstream_layout(python_root: Path) -> Path:
    """Give a copied distribution Python upstream's site-packages; returns that folder."""
    stdlib = next(python_root.glob("lib*/python3.*/os.py")).parent
    customize = stdlib / "sitecustomize.py"
    # Debian's is a link to /etc: replace the link, never write through it.
    customize.unlink(missing_ok=True)
    customize.write_text(DISTRIBUTION_SITECUSTOMIZE, encoding="utf-8")
    site_packages = python_root / "lib" / stdlib.name / "site-packages"
    site_packages.mkdir(parents=True, exist_ok=True)
    return site_packages


def best_local_python_home() -> Path:
    found = pythons.find((minor(PYTHON_VERSION),))
    if not found:
        raise RuntimeSourceError(f"no local CPython {minor(PYTHON_VERSION)} was found either")
    return prefix_of(found.path)


def prefix_of(executable: str) -> Path:
    out = subprocess.run(
        [executable, "-c", "import sys; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def obtain(
    archive: Path | None,
    archive_sha256: str | None,
    python_home: Path | None,
    allow_local: bool,
    workdir: Path,
) -> tuple[Path, RuntimeSource]:
    """Return (an installation prefix to copy, where it came from)."""
    if archive:
        return from_archive(archive, archive_sha256, workdir), RuntimeSource(
            "archive", str(archive)
        )
    if python_home:
        if not find_prefix_executable(python_home):
            raise RuntimeSourceError(f"--python-home {python_home} holds no python executable")
        return python_home, RuntimeSource("python-home", str(python_home))
    try:
        return from_uv(workdir), RuntimeSource("uv", f"python-build-standalone {PYTHON_VERSION}")
    except (RuntimeSourceError, OSError) as exc:
        if not allow_local:
            raise RuntimeSourceError(
                f"{exc}. Offline? Pass --python-archive PATH (a python-build-standalone "
                "archive), --python-home PATH (an installed CPython), or --allow-local-python."
            ) from exc
        home = best_local_python_home()
        banner = "!" * 72
        report.say(banner)
        report.say(f"uv download failed; USING THE LOCAL INTERPRETER AT {home}")
        report.say("(allowed by --allow-local-python; it relies on this OS's shared libraries)")
        report.say(banner)
        return home, RuntimeSource("local-python", str(home))


def version_of(executable: Path) -> str:
    out = subprocess.run(
        [str(executable), "-I", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def temporary_workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="stage-work-")


def environment_without_python_vars() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def copy_runtime(prefix: Path, destination: Path, skip) -> None:
    """Copy an installation, leaving out what `skip(relative_posix_path)` rejects up front
    (so a 300 MB test suite is never copied just to be deleted). From a shared prefix (/usr)
    only the interpreter's own parts are copied."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        rel_dir = Path(directory).relative_to(prefix)
        return {name for name in names if skip((rel_dir / name).as_posix())}

    if not is_shared_prefix(prefix):
        shutil.copytree(prefix, destination, symlinks=True, ignore=ignore)
        return
    for part in interpreter_parts(prefix):
        source, target = prefix / part, destination / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, target)
            if part.startswith("bin/"):
                # The names an upstream install has (materialised later, as its links are),
                # so `python` in a subprocess is the stage's (the launcher contract).
                for name in ("python3", "python"):
                    if not (target.parent / name).exists():
                        (target.parent / name).symlink_to(target.name)
    adopt_upstream_layout(destination)


def copied_parts(prefix: Path) -> list[Path]:
    """What copy_runtime reads from `prefix`: the prefix, or the interpreter's own parts."""
    if not is_shared_prefix(prefix):
        return [prefix]
    return [prefix / part for part in interpreter_parts(prefix)]
