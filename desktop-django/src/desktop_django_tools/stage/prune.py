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
from collections.abc import Iterable
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


# A contrib app's code is only ever loaded two ways: Django imports it because INSTALLED_APPS
# lists it, or some module imports it by name. Both leave its dotted name in text (a settings
# value such as a MIDDLEWARE entry or a database ENGINE, an import line, a dotted path another
# package maps a URL scheme to), so a scan for the name is enough to tell which apps something
# could load; no import needs to run. The scan is deliberately
# loose (a comment or an error message naming an app keeps it, e.g. Django's own models name
# django.contrib.postgres): keeping an unused app costs bytes, removing a used one breaks the
# app. Paths written with slashes count too (django/contrib/admin/static in a build script).
CONTRIB_NAMED = re.compile(
    rb"django[./]contrib[./](\w+)"
    rb"|from\s+django\.contrib\s+import\s+(?:\(([^)]*)\)|([\w \t,]+))"
)
# Where a reference can be: code, and the text files packages keep code in (an .html or .txt
# template a package renders into settings or code, such as a project generator's).
SCANNED_SUFFIXES = (".py", ".html", ".txt")


def unused_contrib_apps(
    site: Path, installed_apps: Iterable[str], other_code: Iterable[Path] = ()
) -> list[Path]:
    """The django/contrib/<app> folders in `site` that nothing can load: not in
    `installed_apps` (the project's INSTALLED_APPS) and named by no file outside the app's
    own package, in `site` or in `other_code` (a wrapped project's own code). A name found
    only inside another app being removed does not count: gis naming postgres keeps postgres
    only while gis stays."""
    contrib = site / "django" / "contrib"
    if not contrib.is_dir():
        return []
    apps = {path.name for path in contrib.iterdir() if (path / "apps.py").is_file()}
    # An entry can be an app's AppConfig path (django.contrib.admin.apps.SimpleAdminConfig).
    listed = {entry.split(".")[2] for entry in installed_apps
              if entry.startswith("django.contrib.") and entry.count(".") >= 2}  # fmt: skip
    # app -> the apps whose files name it (None: a file outside every contrib app).
    named_by: dict[str, set[str | None]] = {}
    for root in (site, *other_code):
        for path in walk_files(root):
            if path.suffix not in SCANNED_SUFFIXES or path.is_symlink():
                continue
            owner = _contrib_app_of(path, contrib)
            for name in (_contrib_names(path.read_bytes()) & apps) - {owner}:
                named_by.setdefault(name, set()).add(owner)
    unused = apps - listed
    # Keep whatever a kept file names, until nothing changes: kept apps can name more apps.
    changed = True
    while changed:
        changed = False
        for name in sorted(unused):
            if any(owner not in unused for owner in named_by.get(name, ())):
                unused.discard(name)
                changed = True
    return [contrib / name for name in sorted(unused)]


def remove_unused_contrib_apps(
    python_root: Path, installed_apps: Iterable[str], other_code: Iterable[Path] = ()
) -> list[tuple[str, int]]:
    """Remove unused_contrib_apps from every site-packages; returns (app, bytes freed) each."""
    installed_apps, other_code = list(installed_apps), list(other_code)  # read once per site
    removed = []
    for site in _site_packages(python_root):
        for folder in unused_contrib_apps(site, installed_apps, other_code):
            removed.append((folder.name, remove(folder)))
    return removed


def _contrib_names(text: bytes) -> set[str]:
    if b"contrib" not in text:  # most files: skip the regular expression
        return set()
    names: set[str] = set()
    for dotted, grouped, listed in CONTRIB_NAMED.findall(text):
        if dotted:
            names.add(dotted.decode())
        # `from django.contrib import admin, messages` or a parenthesised list.
        for word in re.findall(rb"\w+", grouped or listed):
            names.add(word.decode())
    return names


def _contrib_app_of(path: Path, contrib: Path) -> str | None:
    try:
        return path.relative_to(contrib).parts[0] if path.parent != contrib else None
    except ValueError:
        return None


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
