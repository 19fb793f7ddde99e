"""Every shell's icon set, generated from the one brand SVG with Python alone, on any OS.

resvg renders each PNG size straight from the vector (never a downscaled bitmap, so 16 px
stays crisp); Pillow packs those renders into .ico and .icns. The outputs depend on nothing
but the SVG and the pinned library versions: running it twice gives the same bytes, and the
test suite regenerates them to prove the committed files are current.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop_django_tools.locations import workspace_root

ROOT = workspace_root() or Path.cwd()
SOURCE = ROOT / "assets" / "brand" / "flying-stable.svg"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
# Windows reads at most 256 px from an .ico; these are the sizes Explorer and the taskbar use.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# The sizes Pillow's .icns writer stores (it files 32 and 64 as the @2x of 16 and 32).
ICNS_SIZES = (32, 64, 128, 256, 512, 1024)
# What Briefcase looks for next to `icon = "icons/flying-stable"` on Linux.
BRIEFCASE_LINUX_SIZES = (16, 32, 64, 128, 256, 512)


@dataclass(frozen=True)
class Output:
    path: str  # relative to the repository root, POSIX form
    kind: str  # "png", "ico" or "icns"
    size: int  # PNG edge length; the largest frame for .ico/.icns


def outputs() -> list[Output]:
    electron = "shells/electron/assets/icons"
    tauri = "shells/tauri/src-tauri/icons"
    positron = "shells/positron/icons"
    files = [
        # electron-builder: icon.png / .ico / .icns, and png/NxN.png for Linux desktops.
        Output(f"{electron}/icon.png", "png", 1024),
        Output(f"{electron}/icon.ico", "ico", 256),
        Output(f"{electron}/icon.icns", "icns", 1024),
        *[Output(f"{electron}/png/{s}x{s}.png", "png", s) for s in PNG_SIZES],
        # The names tauri.conf.json's bundle.icon lists (those `tauri icon` writes).
        Output(f"{tauri}/32x32.png", "png", 32),
        Output(f"{tauri}/128x128.png", "png", 128),
        Output(f"{tauri}/128x128@2x.png", "png", 256),
        Output(f"{tauri}/icon.png", "png", 512),
        Output(f"{tauri}/icon.ico", "ico", 256),
        Output(f"{tauri}/icon.icns", "icns", 1024),
        # Briefcase: <icon>-<size>.png on Linux, <icon>.icns on macOS, <icon>.ico on Windows.
        *[Output(f"{positron}/flying-stable-{s}.png", "png", s) for s in BRIEFCASE_LINUX_SIZES],
        Output(f"{positron}/flying-stable.icns", "icns", 1024),
        Output(f"{positron}/flying-stable.ico", "ico", 256),
    ]
    return files


class Renderer:
    """Renders each size once, however many outputs need it."""

    def __init__(self, svg: str):
        self.svg = svg
        self._png: dict[int, bytes] = {}

    def png(self, size: int) -> bytes:
        if size not in self._png:
            import resvg_py

            self._png[size] = bytes(
                resvg_py.svg_to_bytes(
                    svg_string=self.svg, width=size, height=size, skip_system_fonts=True
                )
            )
        return self._png[size]

    def image(self, size: int):
        from PIL import Image

        image = Image.open(io.BytesIO(self.png(size)))
        image.load()
        return image.convert("RGBA")

    def ico(self) -> bytes:
        frames = [self.image(size) for size in ICO_SIZES]
        buffer = io.BytesIO()
        frames[-1].save(buffer, "ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=frames[:-1])
        return buffer.getvalue()

    def icns(self) -> bytes:
        frames = [self.image(size) for size in ICNS_SIZES]
        buffer = io.BytesIO()
        frames[-1].save(buffer, "ICNS", append_images=frames[:-1])
        return buffer.getvalue()

    def content(self, output: Output) -> bytes:
        makers: dict[str, Callable[[], bytes]] = {
            "png": lambda: self.png(output.size),
            "ico": self.ico,
            "icns": self.icns,
        }
        return makers[output.kind]()


def generate(source: Path = SOURCE) -> dict[str, bytes]:
    """{relative path: bytes} of every icon, rendered from `source`."""
    renderer = Renderer(source.read_text(encoding="utf-8"))
    return {output.path: renderer.content(output) for output in outputs()}


def write(root: Path = ROOT, source: Path = SOURCE) -> list[str]:
    """Write every icon under `root`; returns the paths whose bytes changed (files that are
    already current are left alone, mtime included)."""
    changed = []
    for relative, data in generate(source).items():
        path = root / relative
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changed.append(relative)
    return changed


def stale(root: Path = ROOT, source: Path = SOURCE) -> list[str]:
    """Committed icons that differ from a fresh render (or are missing)."""
    return [
        relative
        for relative, data in generate(source).items()
        if not (root / relative).is_file() or (root / relative).read_bytes() != data
    ]
