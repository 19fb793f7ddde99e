"""`nox -s offline-bundle -- SHELL`: the one folder (and its .zip and .tar.gz) a release
engineer carries into an air-gapped site.

The bundle is the verified release folder, copied file by file: the installers, the updater
files (a site can serve them from an internal mirror), SHA256SUMS and its signature, the
release manifest, VERIFY.txt and verify.py. A release folder that no longer matches its
SHA256SUMS is refused: what was checksummed and signed is exactly what gets carried.
The archives are reproducible: sorted entries, fixed owner and the release's build time.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from desktop_django_tools.release.checksums import checksum_line
from desktop_django_tools.release.manifest import ReleaseError, bundle_name
from desktop_django_tools.release.verify import (
    CHECKSUMS,
    MANIFEST,
    SIGNATURE,
    parse_checksums,
    sha256_of,
    verify_folder,
)
from desktop_django_tools.shells.catalogue import DIST

OFFLINE = DIST / "offline"


@dataclass
class Bundle:
    folder: Path
    archives: list[Path]
    # The release manifest's `rehearsal` mark (None for a real release).
    rehearsal: dict | None = None


def make_bundle(release_dir: Path, output: Path = OFFLINE) -> Bundle:
    report = verify_folder(release_dir, ignore_unlisted=True)  # leftovers are not copied
    if not report.ok:
        raise ReleaseError(
            f"{release_dir} does not match its {CHECKSUMS} (rebuilt or edited since the "
            "release step?): run `nox -s release -- SHELL` again, then bundle\n"
            + "\n".join(report.lines())
        )
    manifest = json.loads((release_dir / MANIFEST).read_text(encoding="utf-8"))
    name = bundle_name(manifest)
    folder = output / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    listed, _problems = parse_checksums((release_dir / CHECKSUMS).read_text(encoding="utf-8"))
    for file_name in [*sorted(listed), CHECKSUMS, SIGNATURE]:
        source = release_dir / file_name
        if source.is_file():
            target = folder / file_name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    copied = verify_folder(folder)
    if not copied.ok:
        raise ReleaseError("the copied bundle does not verify:\n" + "\n".join(copied.lines()))

    moment = _timestamp(manifest)
    archives = [
        _zip(folder, output / f"{name}.zip", moment),
        _tar_gz(folder, output / f"{name}.tar.gz", moment),
    ]
    for archive in archives:
        sidecar = archive.with_name(archive.name + ".sha256")
        sidecar.write_bytes(checksum_line(sha256_of(archive), archive.name).encode("utf-8"))
    return Bundle(folder, archives, manifest.get("rehearsal"))


def _timestamp(manifest: dict) -> int:
    moment = datetime.strptime(manifest["buildTime"], "%Y-%m-%dT%H:%M:%S%z")
    # zip cannot store times before 1980.
    return max(int(moment.timestamp()), 315532800 + 86400)


def _entries(folder: Path) -> list[tuple[str, Path]]:
    """(archive name, path) of every file, below the bundle's own folder name, sorted."""
    entries = []
    for directory, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(directory) / filename
            entries.append((f"{folder.name}/{path.relative_to(folder).as_posix()}", path))
    return entries


def _mode(path: Path) -> int:
    return 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644


def _zip(folder: Path, target: Path, moment: int) -> Path:
    date_time = datetime.fromtimestamp(moment).timetuple()[:6]
    target.unlink(missing_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        top = zipfile.ZipInfo(f"{folder.name}/", date_time)
        top.create_system = 3  # Unix: unzip honours the modes below
        top.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
        archive.writestr(top, b"")
        for name, path in _entries(folder):
            info = zipfile.ZipInfo(name, date_time)
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | _mode(path)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.file_size = path.stat().st_size
            with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    return target


def _tar_gz(folder: Path, target: Path, moment: int) -> Path:
    def info_for(name: str, kind: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.size, info.mtime = kind, mode, size, moment
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    target.unlink(missing_ok=True)
    # The gzip header carries a time and a file name: pin both.
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=moment, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        archive.addfile(info_for(folder.name, tarfile.DIRTYPE, 0o755))
        for name, path in _entries(folder):
            info = info_for(name, tarfile.REGTYPE, _mode(path), path.stat().st_size)
            with path.open("rb") as source:
                archive.addfile(info, source)
    return target
