"""What the packagers left in dist/<shell>/<version>/, and what each file is for.

Every shell's packager names its files differently, so the role of a file is read from its
name; a file nobody can place stops the release instead of being shipped unexplained.
Updater metadata is read as well: an installer the updater downloads is marked as such, and
metadata that no longer matches the file it describes (an artifact rebuilt after the
metadata was written) stops the release, because every updating client would reject it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from desktop_django.layers import LAYER_SUFFIX

from desktop_django_tools.errors import ToolError
from desktop_django_tools.release.verify import (
    CHECKSUMS,
    MANIFEST,
    SIGNATURE,
    builder_working_entry,
    sha256_of,
)

INSTALLER = "installer"
UPDATER_PAYLOAD = "updater-payload"
UPDATER_METADATA = "updater-metadata"
BLOCKMAP = "blockmap"
SIGNATURE_ROLE = "signature"
# A signed backend layer (`desktop-django layer`): updates an installed app's backend with no
# installer (docs/backend-updates.md).
BACKEND_LAYER = "backend-layer"
# A build on the stand-in Electron (`package -- electron --layout-only`) names every file
# `<product>-layout-only-...` (shells/electron/packaging/builder-config.js); such a release is
# a rehearsal of the pipeline, and its manifest says so.
LAYOUT_ONLY = "layout-only"
LAYOUT_ONLY_MARK = re.compile(r"(^|[-_.])layout-only([-_.]|$)")
LAYOUT_ONLY_NOTE = (
    "built on a stand-in Electron that cannot run: it checks the packaging layout only"
)

VERIFY_SCRIPT = "verify.py"
INSTRUCTIONS = "VERIFY.txt"
PUBLIC_KEY_SUFFIX = "-release.pub"
# What `nox -s release` writes next to the artifacts; replaced on every run.
RELEASE_FILES = {CHECKSUMS, SIGNATURE, MANIFEST, VERIFY_SCRIPT, INSTRUCTIONS}

INSTALLER_SUFFIXES = (
    ".appimage", ".deb", ".rpm", ".pacman", ".snap", ".flatpak", ".pkg.tar.zst",
    ".tar.gz", ".tar.xz", ".tar.bz2", ".zip", ".7z",
    ".dmg", ".pkg",
    ".exe", ".msi", ".msix", ".appx",
)  # fmt: skip
# Tauri's updater bundles, and the zip electron-builder makes for macOS updates.
UPDATER_PAYLOAD_SUFFIXES = (".app.tar.gz", ".appimage.tar.gz", ".nsis.zip", ".msi.zip")
MAC_MARKERS = re.compile(r"(^|[-_.])(mac|macos|darwin|osx)([-_.]|$)")
UPDATER_METADATA_NAME = re.compile(r"^latest([-.][\w.-]*)?\.(yml|yaml|json)$")


class ArtifactError(ToolError):
    pass


@dataclass
class Artifact:
    name: str
    size: int
    sha256: str
    role: str
    # True when an updater downloads this file (named in the updater metadata).
    updater: bool = False

    def as_json(self) -> dict:
        data = {"name": self.name, "size": self.size, "sha256": self.sha256, "role": self.role}
        if self.updater:
            data["updater"] = True
        return data


def role_of(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(LAYER_SUFFIX):
        return BACKEND_LAYER
    if lower.endswith(".blockmap"):
        return BLOCKMAP
    if lower.endswith((".sig", ".asc", ".minisig")):
        return SIGNATURE_ROLE
    if UPDATER_METADATA_NAME.match(lower):
        return UPDATER_METADATA
    if lower.endswith(UPDATER_PAYLOAD_SUFFIXES):
        return UPDATER_PAYLOAD
    if lower.endswith(".zip") and MAC_MARKERS.search(lower[: -len(".zip")]):
        return UPDATER_PAYLOAD
    if lower.endswith(INSTALLER_SUFFIXES):
        return INSTALLER
    return None


def is_release_file(name: str) -> bool:
    return name in RELEASE_FILES or name.endswith(PUBLIC_KEY_SUFFIX)


def collect(folder: Path) -> list[Artifact]:
    """The artifacts directly in `folder` (unpacked app folders beside them are skipped)."""
    if not folder.is_dir():
        raise ArtifactError(f"{folder} does not exist")
    artifacts, unknown = [], []
    for path in sorted(folder.iterdir()):
        name = path.name
        if not path.is_file() or name.startswith(".") or builder_working_entry(name):
            continue
        if is_release_file(name):
            continue
        role = role_of(name)
        if role is None:
            unknown.append(name)
            continue
        artifacts.append(Artifact(name, path.stat().st_size, sha256_of(path), role))
    if unknown:
        raise ArtifactError(
            f"cannot tell what these files in {folder} are for: {', '.join(unknown)}; "
            "move them out of the folder (only installers, updater files, blockmaps, "
            "signatures and backend layers are released)"
        )
    if not artifacts:
        raise ArtifactError(f"{folder} holds no artifacts")
    _mark_updater_downloads(folder, artifacts)
    return artifacts


def _mark_updater_downloads(folder: Path, artifacts: list[Artifact]) -> None:
    by_name = {artifact.name: artifact for artifact in artifacts}
    for metadata in [a for a in artifacts if a.role == UPDATER_METADATA]:
        path = folder / metadata.name
        if metadata.name.lower().endswith(".json"):
            referenced = _tauri_references(path)
            strict = False  # one latest.json may describe every OS; this folder holds one
        else:
            referenced = _electron_references(path)
            strict = True
        for name, sha512, size in referenced:
            artifact = by_name.get(name)
            if artifact is None:
                if strict:
                    raise ArtifactError(f"{metadata.name} names {name}, which is not in {folder}")
                continue
            if sha512 and _sha512_b64(folder / name) != sha512:
                raise ArtifactError(
                    f"{metadata.name} records another sha512 for {name} than the file has "
                    "(was it rebuilt after the metadata was written?): updaters would refuse it"
                )
            if size is not None and size != artifact.size:
                raise ArtifactError(f"{metadata.name} records another size for {name}")
            artifact.updater = True


def _electron_references(path: Path) -> list[tuple[str, str | None, int | None]]:
    """(name, sha512, size) of each `files:` entry of electron-builder's latest*.yml, and of
    the top-level `path:`. The format is fixed and flat, so a line reader suffices."""
    entries: list[dict] = []
    top_path = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        key, _, value = line.removeprefix("- ").partition(":")
        value = value.strip().strip("'\"")
        if raw.startswith("path:"):
            top_path = value
        elif line.startswith("- ") and key == "url":
            entries.append({"url": value})
        elif entries and raw.startswith((" ", "\t")) and key in ("sha512", "size"):
            entries[-1][key] = value
    out = [
        (unquote(e["url"]), e.get("sha512"), int(e["size"]) if "size" in e else None)
        for e in entries
    ]
    if top_path and top_path not in {name for name, _s, _z in out}:
        out.append((unquote(top_path), None, None))
    return out


def _tauri_references(path: Path) -> list[tuple[str, None, None]]:
    try:
        platforms = json.loads(path.read_text(encoding="utf-8")).get("platforms", {})
    except (ValueError, AttributeError) as exc:
        raise ArtifactError(f"{path.name} is not the updater JSON it should be: {exc}") from exc
    names = []
    for entry in platforms.values():
        url = entry.get("url", "") if isinstance(entry, dict) else ""
        if url:
            names.append((unquote(urlsplit(url).path.rsplit("/", 1)[-1]), None, None))
    return names


def _sha512_b64(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode()


def rehearsal_of(artifacts: list[Artifact]) -> dict | None:
    """The manifest's `rehearsal` entry: None for a real release, a kind and a note for a
    layout-only one. A folder that mixes both stops the release: one of them is misplaced."""
    marked = [a.name for a in artifacts if LAYOUT_ONLY_MARK.search(a.name.lower())]
    if not marked:
        return None
    if len(marked) != len(artifacts):
        real = sorted({a.name for a in artifacts} - set(marked))
        raise ArtifactError(
            f"layout-only rehearsal artifacts ({', '.join(marked)}) sit beside real ones "
            f"({', '.join(real)}): keep rehearsals in their own folder"
        )
    return {"kind": LAYOUT_ONLY, "note": LAYOUT_ONLY_NOTE}


def take(work_dir: Path, target: Path) -> list[Path]:
    """Move what a packager left in its working folder into a clean release folder: only
    the files a release holds (installers, updater files, blockmaps, signatures), never its
    unpacked app or logs. The release folder is replaced: it holds one build, this one."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    moved = []
    for path in sorted(work_dir.iterdir()):
        if path.is_file() and not path.name.startswith(".") and role_of(path.name):
            moved.append(path.replace(target / path.name))
    return moved
