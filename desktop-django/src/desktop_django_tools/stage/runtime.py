"""Obtain the relocatable CPython that the stage ships, from one of three sources.

1. uv (default): a python-build-standalone build, `install_only_stripped`, already relocatable.
2. `--python-archive`: a local python-build-standalone archive, for air-gapped builds.
3. `--python-home`: an existing CPython installation, copied and made relocatable.
"""

from __future__ import annotations

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
    (so a 300 MB test suite is never copied just to be deleted)."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        rel_dir = Path(directory).relative_to(prefix)
        return {name for name in names if skip((rel_dir / name).as_posix())}

    shutil.copytree(prefix, destination, symlinks=True, ignore=ignore)
