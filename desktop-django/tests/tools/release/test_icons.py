"""Every shell's icons come from the one SVG, deterministically, in the formats and sizes
each bundler reads; the committed files are what the generator makes today."""

from __future__ import annotations

import io
import json
import tomllib

import pytest
from desktop_django_testing.paths import REPO_ROOT
from desktop_django_tools import icons
from PIL import Image, ImageChops

ROOT = REPO_ROOT


@pytest.fixture(scope="module")
def fresh() -> dict[str, bytes]:
    return icons.generate()


def frames(data: bytes) -> dict[tuple[int, int], Image.Image]:
    """Every size stored in a PNG, .ico or .icns, decoded to RGBA."""
    image = Image.open(io.BytesIO(data))
    if image.format == "PNG":
        return {image.size: image.convert("RGBA")}
    if image.format == "ICO":
        return {size: image.ico.getimage(size).convert("RGBA") for size in image.info["sizes"]}
    out = {}
    for width, height, scale in image.info["sizes"]:  # ICNS: (points, points, scale)
        frame = Image.open(io.BytesIO(data))
        frame.size = (width, height)
        frame.load(scale=scale)
        out[(width * scale, height * scale)] = frame.convert("RGBA")
    return out


def test_regenerating_gives_the_same_bytes(fresh):
    again = icons.generate()
    assert again.keys() == fresh.keys()
    for path, data in fresh.items():
        assert again[path] == data, path


def test_committed_icons_are_what_the_svg_gives_today(fresh):
    """Fails when the SVG changed and `nox -s icons` was not run (or an icon was edited).

    Bytes are compared first. PNG compression inside .ico/.icns may differ between zlib
    builds on other OSes, so where bytes differ the decoded pixels must still agree."""
    stale = []
    for path, data in fresh.items():
        committed = ROOT / path
        if not committed.is_file():
            stale.append(f"{path} (missing)")
            continue
        if committed.read_bytes() == data:
            continue
        ours, theirs = frames(data), frames(committed.read_bytes())
        if ours.keys() != theirs.keys():
            stale.append(f"{path} (sizes differ)")
            continue
        for size, image in ours.items():
            difference = ImageChops.difference(image, theirs[size]).getextrema()
            if max(high for _low, high in difference) > 2:
                stale.append(f"{path} (pixels differ at {size[0]} px)")
                break
    assert not stale, "run `nox -s icons` and commit the result:\n" + "\n".join(stale)


def test_every_file_has_its_format_and_sizes(fresh):
    for output in icons.outputs():
        data = fresh[output.path]
        image = Image.open(io.BytesIO(data))
        stored = frames(data)
        if output.kind == "png":
            assert image.format == "PNG", output.path
            assert image.size == (output.size, output.size), output.path
        elif output.kind == "ico":
            assert image.format == "ICO", output.path
            assert set(stored) == {(s, s) for s in icons.ICO_SIZES}, output.path
        else:
            assert image.format == "ICNS", output.path
            assert {(s, s) for s in icons.ICNS_SIZES} <= set(stored), output.path
        for (width, _height), frame in stored.items():
            # The rounded square: transparent corners, opaque inside.
            assert frame.getpixel((0, 0))[3] == 0, (output.path, width)
            assert frame.getpixel((width // 2, width // 10))[3] == 255, (output.path, width)


def test_tauri_config_names_only_generated_icons():
    conf = json.loads((ROOT / "shells/tauri/src-tauri/tauri.conf.json").read_text("utf-8"))
    generated = {output.path for output in icons.outputs()}
    for name in conf["bundle"]["icon"]:
        assert f"shells/tauri/src-tauri/{name}" in generated, name


def test_briefcase_finds_an_icon_for_every_platform():
    project = tomllib.loads((ROOT / "shells/positron/pyproject.toml").read_text("utf-8"))
    apps = project["tool"]["briefcase"]["app"]
    icon_bases = {app["icon"] for app in apps.values() if "icon" in app}
    assert icon_bases, "the Briefcase app names an icon"
    generated = {output.path for output in icons.outputs()}
    for base in icon_bases:
        prefix = f"shells/positron/{base}"
        assert f"{prefix}.icns" in generated  # macOS
        assert f"{prefix}.ico" in generated  # Windows
        for size in icons.BRIEFCASE_LINUX_SIZES:  # Linux
            assert f"{prefix}-{size}.png" in generated


def test_a_changed_svg_makes_every_icon_stale(tmp_path):
    icons.write(root=tmp_path)
    assert icons.stale(root=tmp_path) == []
    recoloured = tmp_path / "changed.svg"
    recoloured.write_text(
        icons.SOURCE.read_text(encoding="utf-8").replace("#4b2a7b", "#2a7b4b"), encoding="utf-8"
    )
    assert sorted(icons.stale(root=tmp_path, source=recoloured)) == sorted(
        output.path for output in icons.outputs()
    )
