"""Is the stage `serve` runs from still the stage that was built? Checked at every start.

`verify-stage` re-hashes every file (a few hundred ms for a 50 MB stage): too slow for every
launch. Here, at each start:

1. the index (`stage-files.sha256`) is hashed and compared with the manifest's `index.sha256`;
2. every file that the running app executes or reads is `lstat`ed: the bytecode, native
   libraries, templates, static files and data files, but not a `.py` source whose `.pyc` is
   indexed too (the stage's bytecode is unchecked-hash: the interpreter never reads that
   source), so about 60 % of the files;
3. a digest of their (name, size, mtime, inode) is compared with the one recorded in app data
   for this stage folder and index. Only when it differs (the first start after an install or
   an update, a stage moved or touched) are those files re-hashed against the index, and the
   new digest recorded once they all match.

A damaged file stops the start with one error naming the file and the fix; a `.pyc` that is
missing is not damage (Python compiles its source, which is then checked instead). Files not
in the index are left to `verify-stage`. The record is a cache, never trusted for more than the
stat values it holds: a file rewritten in place with the same size and its mtime restored
passes, which is the price of not reading 50 MB at every start (a file replaced by another, the
way installers, copies and rsync do it, has a new inode). The change time is left out on
purpose: a stage built with uv shares its files' inodes with uv's cache, and every venv made
from that cache adds a hard link, which changes the ctime of the stage's files.

Any stage folder works (the factory stage inside the app, or an update's slot under app data):
the record is keyed by the stage's resolved path and its index hash. An update's applier has
just re-hashed every file of the slot it builds, so it leaves the record for that slot itself
(`snapshot` before its re-hash, `record` once the slot has its final name): the trial's first
start then only stats. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from desktop_django.manifest import MalformedIndexLine, ManifestError, index_entries, load

logger = logging.getLogger("desktop_django.stage_integrity")

RECORD_VERSION = 1
# Stage folders remembered at once: the factory stage, the active slot, the one before, a trial.
RECORDED_STAGES = 4


class StageDamaged(RuntimeError):
    """A file of the stage is missing or not what the stage's index says it is."""

    def __init__(self, stage_dir: Path, name: str, cause: str):
        self.stage_dir = stage_dir
        self.name = name
        super().__init__(
            f"the app's own files are damaged: {stage_dir / PurePosixPath(name)} {cause}. "
            f"Reinstall the app (to see every damaged file: "
            f"`desktop-django verify-stage {stage_dir}`)"
        )


@dataclass(frozen=True)
class IntegrityReport:
    files: int  # files checked (stat)
    hashed: int  # of those, re-hashed because the record did not match
    seconds: float

    def describe(self) -> str:
        how = f"{self.hashed} re-hashed" if self.hashed else "unchanged since the last check"
        return f"stage check: {self.files} files, {how} ({self.seconds * 1000:.1f} ms)"


def runs_from(stage_dir: Path) -> bool:
    """True when this interpreter is the stage's own: a project started from its sources (dev
    mode, the test suite's venv) with $DESKTOP_DJANGO_STAGE_DIR set does not run the stage."""
    try:
        Path(sys.prefix).resolve().relative_to(stage_dir.resolve())
    except (OSError, ValueError):
        return False
    return True


def check(stage_dir: Path, record_path: Path) -> IntegrityReport:
    """Raise StageDamaged for the first bad file; else say what was checked."""
    began = time.perf_counter()
    stage_dir = stage_dir.resolve()
    index_sha, expected = _read_index(stage_dir)
    checked, stats = _stat_what_runs(stage_dir, expected)
    key = str(stage_dir)
    records = _read_records(record_path)
    recorded = records.get(key, {})
    hashed = 0
    if recorded.get("index") != index_sha or recorded.get("stats") != stats:
        for name in checked:
            _hash_matches(stage_dir, name, expected[name])
        hashed = len(checked)
        _put_record(record_path, records, key, Snapshot(index_sha, stats))
    return IntegrityReport(len(checked), hashed, time.perf_counter() - began)


@dataclass(frozen=True)
class Snapshot:
    """What `check` records for a stage folder: its index hash and the digest of the stat
    values of the files it checks (names relative to the folder, so a rename keeps it)."""

    index: str
    stats: str


def snapshot(stage_dir: Path) -> Snapshot:
    """The record `check` would write for `stage_dir`, from stat values alone: take it before
    re-hashing the folder by other means, so a file replaced meanwhile does not match it.
    Raises StageDamaged like `check` for a folder it cannot describe."""
    stage_dir = Path(stage_dir)
    index_sha, expected = _read_index(stage_dir)
    _checked, stats = _stat_what_runs(stage_dir, expected)
    return Snapshot(index_sha, stats)


def record(stage_dir: Path, record_path: Path, taken: Snapshot) -> None:
    """Record `taken` as checked for `stage_dir` (its final path): only for a folder whose
    every file was re-hashed against its index after `taken` was made."""
    _put_record(record_path, _read_records(record_path), str(Path(stage_dir).resolve()), taken)


def _read_index(stage_dir: Path) -> tuple[str, dict[str, str]]:
    """The index's sha256 (checked against the manifest's) and its entries."""
    try:
        manifest = load(stage_dir, check_files=False)
    except ManifestError as exc:
        raise StageDamaged(stage_dir, "runtime-manifest.json", f"cannot be used ({exc})") from None
    index_name = manifest.data["index"]["path"]
    try:
        index = (stage_dir / PurePosixPath(index_name)).read_bytes()
    except OSError as exc:
        raise StageDamaged(stage_dir, index_name, f"cannot be read ({exc.strerror})") from None
    index_sha = hashlib.sha256(index).hexdigest()
    if index_sha != manifest.data["index"]["sha256"]:
        raise StageDamaged(stage_dir, index_name, "does not match the manifest's sha256")
    return index_sha, _parse_index(stage_dir, index_name, index)


def _put_record(record_path: Path, records: dict, key: str, taken: Snapshot) -> None:
    records.pop(key, None)  # the newest last: the oldest are dropped first
    records[key] = {"index": taken.index, "stats": taken.stats}
    _write_records(record_path, records)


def _parse_index(stage_dir: Path, index_name: str, index: bytes) -> dict[str, str]:
    try:
        entries = index_entries(index.decode("utf-8", "replace"))
    except MalformedIndexLine as exc:
        raise StageDamaged(stage_dir, index_name, str(exc)) from None
    return {name: digest for digest, name in entries}


def _stat_what_runs(stage_dir: Path, expected: dict[str, str]) -> tuple[list[str], str]:
    """The names checked, in index order, and the digest of their stat values. Plain string
    work on purpose: this loop runs over a few thousand names at every start."""
    compiled = {_source_of(name) for name in expected if name.endswith(".pyc")}
    compiled.discard(None)
    checked = []
    values = []
    for name in expected:
        if name in compiled:
            continue
        info = _lstat(stage_dir, name, missing_ok=name.endswith(".pyc"))
        if info is None:
            source = _source_of(name)
            if source not in expected:
                raise StageDamaged(stage_dir, name, "is missing")
            # The interpreter compiles the source instead: that is what must be intact.
            name, info = source, _lstat(stage_dir, source)
        checked.append(name)
        values.append(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}")
    return checked, hashlib.sha256("\n".join(values).encode()).hexdigest()


def _lstat(stage_dir: Path, name: str, missing_ok: bool = False) -> os.stat_result | None:
    try:
        info = os.lstat(f"{stage_dir}/{name}")
    except FileNotFoundError:
        if missing_ok:
            return None
        raise StageDamaged(stage_dir, name, "is missing") from None
    except OSError as exc:
        raise StageDamaged(stage_dir, name, f"cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise StageDamaged(stage_dir, name, "is not a regular file (a link or a folder)")
    return info


def _source_of(pyc_name: str) -> str | None:
    """`pkg/__pycache__/mod.cpython-313.pyc` -> `pkg/mod.py` (None for a pyc outside one)."""
    folder, _, file = pyc_name.rpartition("/__pycache__/")
    if not file or "/" in file:
        return None
    return f"{folder}/{file.split('.', 1)[0]}.py"


def _hash_matches(stage_dir: Path, name: str, digest: str) -> None:
    try:
        with open(stage_dir / PurePosixPath(name), "rb") as stream:
            actual = hashlib.file_digest(stream, "sha256").hexdigest()
    except FileNotFoundError:
        raise StageDamaged(stage_dir, name, "is missing") from None
    except OSError as exc:
        raise StageDamaged(stage_dir, name, f"cannot be read ({exc.strerror})") from None
    if actual != digest:
        raise StageDamaged(stage_dir, name, "has changed since the stage was built")


def _read_records(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no record, or a damaged one: a full check rebuilds it
    if not isinstance(data, dict) or data.get("version") != RECORD_VERSION:
        return {}
    stages = data.get("stages")
    return stages if isinstance(stages, dict) else {}


def _write_records(path: Path, records: dict) -> None:
    """Replace the record atomically (a crash leaves the old one or the new one); a full disk
    only costs the next start another full check."""
    kept = dict(list(records.items())[-RECORDED_STAGES:])
    payload = json.dumps({"version": RECORD_VERSION, "stages": kept}, indent=1)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                stream.write(payload)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        logger.warning("stage check passed but could not be recorded in %s: %s", path, exc)
