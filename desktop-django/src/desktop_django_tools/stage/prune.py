"""What the stage leaves out, and the native-binary clean-up (strip, relocatable RUNPATH).

Rules are globs on the path relative to the interpreter prefix, written for both the POSIX
layout (`lib/python3.X/...`) and the Windows one (`Lib/...`, `DLLs/...`).
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from desktop_django_tools.integrations import patchelf
from desktop_django_tools.stage.config import TOOLS_PACKAGE
from desktop_django_tools.stage.files import remove, walk_files

# Dead weight in every desktop app: test suites, IDLE, Tk, pip bootstrap, headers, static
# libraries and the build configuration used only to compile extensions.
RUNTIME_EXCLUDES = (
    "include", "Include", "share", "libs", "Scripts", "Tools", "tcl",
    "lib/pkgconfig", "lib/tcl*", "lib/tk*", "lib/itcl*", "lib/thread*", "lib/Tix*",
    "lib/*.a", "lib/libpython3.so", "lib/libpython3.*.so",
    "lib/python3.*/test", "Lib/test",
    "lib/python3.*/idlelib", "Lib/idlelib",
    "lib/python3.*/tkinter", "Lib/tkinter",
    "lib/python3.*/turtledemo", "Lib/turtledemo", "lib/python3.*/turtle.py", "Lib/turtle.py",
    "lib/python3.*/ensurepip", "Lib/ensurepip",
    "lib/python3.*/lib2to3", "Lib/lib2to3",
    "lib/python3.*/config-*",
    # A distribution's "do not pip install here" marker: the copy is the stage's, not apt's.
    "lib*/python3.*/EXTERNALLY-MANAGED",
    "lib/python3.*/site-packages/*", "Lib/site-packages/*",
    "lib/python3.*/lib-dynload/_tkinter*", "DLLs/_tkinter*", "DLLs/tcl*", "DLLs/tk*",
    "lib/python3.*/lib-dynload/_test*", "DLLs/_test*",
    "lib/python3.*/lib-dynload/xxlimited*", "DLLs/xxlimited*",
    "lib/python3.*/lib-dynload/_xxtestfuzz*", "lib/python3.*/lib-dynload/_ctypes_test*",
    "DLLs/_ctypes_test*",
    "*.pdb", "*.lib",
    "*/__pycache__", "__pycache__",
    # help()'s topic texts (pydoc says they are missing and goes on), and the pure-Python
    # twins of C modules the runtime has built in: decimal, io and datetime import them only
    # when _decimal, _io or _datetime cannot be loaded. An import trace of every module of
    # Django, the demo and its dependencies (1,081 modules) imported none of them.
    "lib/python3.*/pydoc_data", "Lib/pydoc_data",
    "lib/python3.*/_pydecimal.py", "Lib/_pydecimal.py",
    "lib/python3.*/_pyio.py", "Lib/_pyio.py",
    "lib/python3.*/_pydatetime.py", "Lib/_pydatetime.py",
)  # fmt: skip

# Only the interpreter itself stays in bin/, under all three names (the launcher puts bin/
# first on PATH, so `python` in a subprocess is this one): the rest are scripts whose
# shebangs name the build machine's path (pip, idle, pydoc, 2to3, console scripts).
BIN_KEEP = re.compile(r"^python(3(\.\d+)?)?$")


def runtime_skip(relative_posix: str) -> bool:
    parts = relative_posix.split("/")
    if parts[0] == "bin" and len(parts) == 2:
        return not BIN_KEEP.match(parts[1])
    return any(fnmatch.fnmatchcase(relative_posix, pattern) for pattern in RUNTIME_EXCLUDES)


def prune_after_install(python_root: Path, locales: tuple[str, ...]) -> tuple[int, int]:
    """Remove console scripts, bytecode from the build and unused locales from site-packages.
    Returns (bytes freed, entries removed).

    Only what is provably dead goes: a `test`/`tests` folder inside a package is often code
    the package runs (Wagtail imports django.test.RequestFactory when it renders previews),
    so site-packages keeps them, and the proof step (stage/proof.py) imports every installed
    app's modules to show nothing needed went missing. The standard library's own test
    suite is left out when the runtime is copied (RUNTIME_EXCLUDES)."""
    freed = removed = 0
    bin_dir = python_root / "bin"
    if bin_dir.is_dir():
        for entry in bin_dir.iterdir():
            if not BIN_KEEP.match(entry.name):
                freed += remove(entry)
                removed += 1
    for site in _site_packages(python_root):
        # desktop-django's wheel carries its build tools too; a stage only runs the runtime.
        if (site / TOOLS_PACKAGE).is_dir():
            freed += remove(site / TOOLS_PACKAGE)
            removed += 1
        for directory, dirnames, _files in os.walk(site, topdown=True):
            here = Path(directory)
            for name in list(dirnames):
                path = here / name
                if name == "__pycache__" or _unused_locale(path, locales):
                    freed += remove(path)
                    removed += 1
                    dirnames.remove(name)
    return freed, removed


def _site_packages(python_root: Path) -> list[Path]:
    candidates = [
        *python_root.glob("lib/python3.*/site-packages"),
        python_root / "Lib/site-packages",
    ]
    return [path for path in candidates if path.is_dir()]


def _unused_locale(path: Path, keep: tuple[str, ...]) -> bool:
    """A `<lang>` folder directly inside a `locale` folder, for a language not kept."""
    if path.parent.name != "locale":
        return False
    return not any(path.name == lang or path.name.startswith(lang + "_") for lang in keep)


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def strip_binaries(python_root: Path) -> tuple[int, int]:
    """Strip ELF binaries (Linux only; PBS builds for macOS/Windows come stripped and signed)."""
    if not sys.platform.startswith("linux") or not shutil.which("strip"):
        return 0, 0
    saved = count = 0
    for path in walk_files(python_root):
        if path.is_symlink() or not is_elf(path):
            continue
        before = path.stat().st_size
        subprocess.run(["strip", "--strip-unneeded", str(path)], check=True)
        saved += before - path.stat().st_size
        count += 1
    return saved, count


def make_relocatable(python_root: Path, source_prefix: Path) -> int:
    """Point every RUNPATH that names the source installation at `$ORIGIN/...` instead."""
    if not sys.platform.startswith("linux"):
        return 0
    patchelf.executable()  # its error names where it looked and how to install it
    lib_dir = python_root / "lib"
    fixed = 0
    for path in walk_files(python_root):
        if path.is_symlink() or not is_elf(path):
            continue
        current = patchelf.rpath(path)
        if not current or ("$ORIGIN" in current and str(source_prefix) not in current):
            continue
        up = os.path.relpath(lib_dir, path.parent)
        patchelf.set_rpath(path, f"$ORIGIN/{up}")
        fixed += 1
    return fixed
