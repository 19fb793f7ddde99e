"""Size of the stage: unpacked and compressed (zstd and xz), in total and per component,
next to the unpruned interpreter it was made from.

Compressed sizes are of a deterministic tar of the files (sorted, zeroed owners and times)
piped through the `zstd` / `xz` commands (Python's lzma when there is no `xz`).
"""

from __future__ import annotations

import lzma
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.staged import Stage

COMPONENTS = ("interpreter", "stdlib", "django", "other-deps", "app", "static", "manifest")
# The workspace packages installed into the stage: "the app" (desktop runtime included).
APP_PACKAGES = ("flying_stable", "desktop_django")


@dataclass(frozen=True)
class Levels:
    zstd: int
    xz: int


FULL = Levels(zstd=19, xz=9)
QUICK = Levels(zstd=3, xz=1)


def component_of(relative: str) -> str:
    parts = relative.split("/")
    if parts[0] == "staticfiles":
        return "static"
    if parts[0] != "python":
        return "manifest"
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        top = rest[1] if rest[0] == "__pycache__" and len(rest) > 1 else rest[0]
        name = top.split("-")[0].split(".")[0]
        if name == "django":
            return "django"
        if name in APP_PACKAGES:
            return "app"
        return "other-deps"
    # POSIX lib/python3.X/..., Windows Lib/ and DLLs/: the standard library.
    if (len(parts) > 3 and parts[1] == "lib" and parts[2].startswith("python")) or parts[1] in (
        "Lib",
        "DLLs",
    ):
        return "stdlib"
    return "interpreter"


def files_of(root: Path) -> list[Path]:
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        found += [Path(directory) / name for name in sorted(filenames)]
    return found


def measure(stage: Stage, work: Path, levels: Levels, unpruned: bool = True, say=print) -> dict:
    root = stage.root
    groups: dict[str, list[Path]] = {name: [] for name in COMPONENTS}
    for path in files_of(root):
        groups[component_of(path.relative_to(root).as_posix())].append(path)
    result: dict = {
        "levels": {"zstd": levels.zstd, "xz": levels.xz},
        "tools": {"zstd": shutil.which("zstd") is not None, "xz": shutil.which("xz") is not None},
        "components": {},
    }
    for name, paths in groups.items():
        result["components"][name] = _sizes(root, paths, work, levels)
        say(f"size {name}: {_mb(result['components'][name]['bytes'])}")
    result["total"] = _sizes(root, [p for paths in groups.values() for p in paths], work, levels)
    say(
        f"size total: {_mb(result['total']['bytes'])} unpacked, "
        f"{_mb(result['total']['zstd_bytes'])} zstd, {_mb(result['total']['xz_bytes'])} xz"
    )
    if unpruned:
        result["unpruned_runtime"] = _unpruned(stage, work, levels)
    return result


def _sizes(root: Path, paths: list[Path], work: Path, levels: Levels) -> dict:
    unpacked = sum(path.lstat().st_size for path in paths)
    bytecode = sum(path.lstat().st_size for path in paths if path.suffix == ".pyc")
    tar_path = work / "size.tar"
    _write_tar(root, paths, tar_path)
    try:
        return {
            "files": len(paths),
            "bytes": unpacked,
            "bytecode_bytes": bytecode,
            "tar_bytes": tar_path.stat().st_size,
            "zstd_bytes": _zstd(tar_path, levels.zstd),
            "xz_bytes": _xz(tar_path, levels.xz),
        }
    finally:
        tar_path.unlink(missing_ok=True)


def _write_tar(root: Path, paths: Iterable[Path], target: Path) -> None:
    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in paths:
            tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False, filter=clean)


def _count_output(command: list[str], source: Path) -> int:
    with source.open("rb") as stdin:
        process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE)
        total = 0
        while chunk := process.stdout.read(1 << 20):
            total += len(chunk)
        if process.wait() != 0:
            raise RuntimeError(f"{command[0]} failed with exit {process.returncode}")
    return total


def _zstd(source: Path, level: int) -> int | None:
    if not shutil.which("zstd"):
        return None
    return _count_output(["zstd", f"-{level}", "-T0", "-q", "-c"], source)


def _xz(source: Path, level: int) -> int:
    if shutil.which("xz"):
        return _count_output(["xz", f"-{level}", "-T0", "-c"], source)
    compressor = lzma.LZMACompressor(preset=level)
    total = 0
    with source.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            total += len(compressor.compress(chunk))
    return total + len(compressor.flush())


def _unpruned(stage: Stage, work: Path, levels: Levels) -> dict:
    """The interpreter installation the stage was copied from, as it came (its own
    site-packages left out, as the stage build leaves it out)."""
    prefix, description = _runtime_source(stage)
    if prefix is None:
        return {"available": False, "reason": description}
    paths = [
        path
        for path in files_of(prefix)
        if "site-packages" not in path.relative_to(prefix).parts and not path.is_symlink()
    ]
    unpacked = sum(path.lstat().st_size for path in paths)
    tar_path = work / "unpruned.tar"
    _write_tar(prefix, paths, tar_path)
    try:
        zstd = _zstd(tar_path, levels.zstd)
    finally:
        tar_path.unlink(missing_ok=True)
    return {
        "available": True,
        "source": description,
        "files": len(paths),
        "bytes": unpacked,
        "zstd_bytes": zstd,
    }


def _runtime_source(stage: Stage) -> tuple[Path | None, str]:
    from desktop_django_tools.stage import runtime

    kind = stage.manifest["build"].get("pythonSource", "")
    version = stage.manifest["python"]["version"]
    if kind == "uv":
        found = subprocess.run(
            ["uv", "python", "find", "--managed-python", version],
            capture_output=True,
            text=True,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
        if found.returncode == 0 and found.stdout.strip():
            prefix = runtime.prefix_of(found.stdout.strip())
            return prefix, f"python-build-standalone {version} (uv-managed)"
        return None, "the uv-managed python-build-standalone install is not on this machine"
    try:
        prefix = runtime.best_local_python_home()
    except runtime.RuntimeSourceError as exc:
        return None, str(exc)
    local_version = runtime.version_of(runtime.find_prefix_executable(prefix))
    return prefix, f"local CPython {local_version} installation (what --allow-local-python copies)"


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f} MB"
