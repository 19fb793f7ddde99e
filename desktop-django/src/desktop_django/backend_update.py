"""Installing a backend layer into a new slot, showing the slots, confirming a trial.

`apply` is section 5 of docs/backend-updates.md: it verifies everything first and writes
nothing until all has passed (a refusal leaves app data byte for byte as it was), then builds
`<app data>/stages/.building-<version>-<random>/` (unchanged files hard-linked from the slot
that serves now where the file system allows, else copied; changed ones from the layer),
re-hashes the whole folder against the new manifest, marks it complete, renames it to
`stages/<version>` and puts the new slot on trial in the state file. `confirm` is what a shell
runs once a trial answered its health check; `status` is what an administrator looks at.

Standard library and filelock only, no Django: the launcher runs these before anything else
is set up, and the tools' `desktop-django backend-update` imports them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from desktop_django import slots, stage_integrity
from desktop_django.app_data import AppData
from desktop_django.disk_space import free_bytes, human
from desktop_django.layers import UPDATE_KEY, Layer, LayerError, open_layer
from desktop_django.manifest import (
    MANIFEST_NAME,
    MalformedIndexLine,
    ManifestError,
    current_platform,
    index_entries,
    load,
    validate,
)

# Serialises the writers of the state file and the slot folders: apply, confirm and serve's
# start. An OS lock: a killed holder releases it.
APPLY_LOCK = ".apply.lock"
LOCK_WAIT_SECONDS = 30
# Room to spare beyond the files themselves: directory entries, blocks, the state file.
SPACE_MARGIN_BYTES = 1024 * 1024
BLOCK_BYTES = 4096
_HASH_BLOCK = 1 << 20


class UpdateError(RuntimeError):
    """The update was refused or failed; the message says why and what to do. Nothing in
    app data was changed."""


@dataclass(frozen=True)
class Applied:
    version: str
    slot: Path
    previous: str

    def as_json(self) -> dict:
        return {
            "event": "update-applied",
            "version": self.version,
            "slot": str(self.slot),
            "previous": self.previous,
        }


# --- apply ----------------------------------------------------------------------------------


def apply(
    layer_file: Path,
    app_data: Path,
    factory_stage: Path,
    serving_stage: Path | None = None,
    shell_version: str | None = None,
) -> Applied:
    """Install `layer_file` as a new slot on trial; UpdateError (nothing changed) otherwise.

    `serving_stage` is the stage that serves now (the layer's base); by default the one the
    slot rule names. `shell_version` is the installed app's version (default: the factory's).
    """
    app_data, factory_stage = Path(app_data), Path(factory_stage)
    factory = _load_stage(factory_stage, "the app's own stage")
    if serving_stage is None:
        resolution = slots.resolve_in(app_data, factory.app_version)
        serving_stage = slots.slot_dir(app_data, resolution.slot, factory_stage)
    serving_stage = Path(serving_stage)
    serving = _load_stage(serving_stage, "the stage that serves now")
    serving_slot = slots.slot_of(serving_stage, app_data)
    state = slots.read_state(app_data)
    key = _trusted_key(serving_stage)
    try:
        layer = open_layer(Path(layer_file), key)
    except LayerError as exc:
        raise UpdateError(str(exc)) from None
    try:
        plan = _verify(layer, factory, serving, state, shell_version)
        _check_space(plan, serving_stage, app_data)
        return _install(layer, plan, app_data, factory, serving_stage, serving_slot)
    finally:
        layer.close()


@dataclass
class _Plan:
    version: str
    index_path: str
    index: list[tuple[str, str]]  # (sha256, path) of every file of the new stage
    from_layer: dict  # path -> layer entry, for the files written from the layer
    from_base: list[str]  # paths taken over from the serving stage


def _verify(layer: Layer, factory, serving, state: dict | None, shell_version) -> _Plan:
    name = layer.path.name
    problems = layer.check_every_file()
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UpdateError(problems[0] + more)
    manifest = layer.manifest
    try:
        validate(manifest)
    except ManifestError as exc:
        raise UpdateError(f"{name}: the new stage's manifest is not valid ({exc})") from None
    version = layer.version
    if not slots.is_version(version):
        raise UpdateError(f"{name}: {version!r} is not a version a slot can be named after")
    if manifest["app"]["id"] != factory.data["app"]["id"]:
        raise UpdateError(
            f"{name} is a backend of {manifest['app']['id']!r}, this app is "
            f"{factory.data['app']['id']!r}: get the layer made for this app"
        )
    if manifest["python"]["platform"] != current_platform():
        raise UpdateError(
            f"{name} was built for {manifest['python']['platform']} and this app runs on "
            f"{current_platform()}: get the layer made for this platform"
        )
    _check_state(name, version, state)
    for what, other in (("the app's own backend", factory), ("the backend serving now", serving)):
        if slots.version_key(version) <= slots.version_key(other.app_version):
            raise UpdateError(
                f"{name}: backend {version} is not newer than {what} ({other.app_version}): "
                "nothing to install"
            )
    base = layer.base
    serving_index = serving.data["index"]["sha256"]
    if base is not None and (
        base["version"] != serving.app_version or base["indexSha256"] != serving_index
    ):
        raise UpdateError(
            f"{name}: it applies to backend {base['version']} (index "
            f"{base['indexSha256'][:12]}…), this app runs {serving.app_version} (index "
            f"{serving_index[:12]}…): a full layer is needed (`desktop-django layer --full`)"
        )
    contract = factory.data["schemaVersion"]
    if layer.data["stageContract"] != contract:
        raise UpdateError(
            f"{name}: it needs stage contract {layer.data['stageContract']}, this app reads "
            f"{contract}: install the new installer instead"
        )
    shell = shell_version or factory.app_version
    minimum = layer.data["minShellVersion"]
    if not slots.is_version(minimum) or slots.version_key(minimum) > slots.version_key(shell):
        raise UpdateError(
            f"{name}: it needs app (shell) version {minimum} or newer, this app is {shell}: "
            "install the new installer instead"
        )
    return _plan(layer, serving, version)


def _check_state(name: str, version: str, state: dict | None) -> None:
    """What the state file refuses: a pending trial, a version that failed, a replay."""
    if state is None:
        return
    if state["status"] == slots.TRIAL:
        raise UpdateError(
            f"backend {state['active']} is still on trial: start the app once (it confirms "
            f"or rolls back that update), then apply {name} again"
        )
    if version in state["bad"]:
        raise UpdateError(
            f"{name}: backend {version} failed to start here before, so it is not installed "
            "again: get a newer layer"
        )
    highest = state["highestGood"]
    if highest is not None and slots.version_key(version) <= slots.version_key(highest):
        raise UpdateError(
            f"{name}: backend {version} is not newer than {highest}, which this app already "
            "ran (an old layer cannot be installed again): get a newer layer"
        )


def _plan(layer: Layer, serving, version: str) -> _Plan:
    name = layer.path.name
    from_layer = {entry["path"]: entry for entry in layer.files}
    manifest_entry = from_layer.get(MANIFEST_NAME)
    index_path = layer.manifest["index"]["path"]
    index_entry = from_layer.get(index_path)
    if manifest_entry is None or index_entry is None:
        raise UpdateError(f"{name}: the layer lacks the new stage's {MANIFEST_NAME} or index")
    if json.loads(layer.read(manifest_entry)) != layer.manifest:
        raise UpdateError(f"{name}: {MANIFEST_NAME} differs from the manifest in layer.json")
    try:
        # A layer with a base may not carry the index: it is rebuilt from the base's
        # (layers.derive_index) and checked against its signed SHA-256 all the same.
        index_bytes = layer.read(index_entry, serving.stage_dir)
    except LayerError as exc:
        raise UpdateError(str(exc)) from None
    if hashlib.sha256(index_bytes).hexdigest() != layer.manifest["index"]["sha256"]:
        raise UpdateError(f"{name}: the index does not match the new manifest's sha256")
    index = _parse_index(index_bytes.decode("utf-8"), f"{name}: {index_path}")
    base_index = dict(
        (path, digest) for digest, path in _read_index(serving.stage_dir, serving.data)
    )
    descriptors = {MANIFEST_NAME, index_path}
    listed = {path for _digest, path in index}
    unlisted = sorted(set(from_layer) - listed - descriptors)
    if unlisted:
        raise UpdateError(f"{name}: {unlisted[0]} is in the layer but not in the new index")
    from_base = []
    for digest, path in index:
        entry = from_layer.get(path)
        if entry is not None:
            if entry["sha256"] != digest:
                raise UpdateError(f"{name}: {path} does not match the new index")
        elif base_index.get(path) == digest:
            from_base.append(path)
        else:
            raise UpdateError(
                f"{name}: {path} of backend {version} is neither in the layer nor unchanged in "
                f"the backend serving now ({serving.app_version}): a full layer is needed"
            )
    return _Plan(version, index_path, index, from_layer, from_base)


def _parse_index(text: str, where: str) -> list[tuple[str, str]]:
    """The index's entries (manifest.index_entries), each path also safe to write (_safe)."""
    try:
        entries = index_entries(text)
    except MalformedIndexLine as exc:
        raise UpdateError(f"{where}: line {exc.number} is not `<sha256>  <path>`") from None
    for number, (_digest, path) in enumerate(entries, 1):
        if not _safe(path):
            raise UpdateError(f"{where}: line {number} is not `<sha256>  <path>`")
    return entries


def _read_index(stage_dir: Path, manifest: dict) -> list[tuple[str, str]]:
    path = stage_dir / manifest["index"]["path"]
    try:
        return _parse_index(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise UpdateError(f"cannot read the stage index {path}: {exc.strerror or exc}") from None


def _safe(path: str) -> bool:
    """layers.safe_stage_path's rule, on plain strings: it runs for every line of three
    indexes of thousands of files each."""
    if not path or path[0] == "/" or "\\" in path or ":" in path or "\0" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _load_stage(stage_dir: Path, what: str):
    try:
        return load(stage_dir, check_files=False)
    except ManifestError as exc:
        raise UpdateError(f"cannot read {what}: {exc}") from None


def _trusted_key(stage_dir: Path) -> str | None:
    try:
        return (stage_dir / UPDATE_KEY).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UpdateError(f"cannot read the update key {stage_dir / UPDATE_KEY}: {exc}") from None


def _will_link(source: Path, folder: Path) -> bool:
    """Whether a hard link from `source` into `folder` can work: the same file system, and a
    file of ours (Linux's protected_hardlinks refuses links to other users' files)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        info, there = source.stat(), existing.stat()
    except OSError:
        return False
    same_user = not hasattr(os, "geteuid") or info.st_uid == os.geteuid()
    return info.st_dev == there.st_dev and same_user


def _check_space(plan: _Plan, serving_stage: Path, app_data: Path) -> None:
    folder = slots.stages_dir(app_data)
    sizes = {path: entry["size"] for path, entry in plan.from_layer.items()}
    needed = sum(sizes.values())
    if plan.from_base and not _will_link(serving_stage / plan.from_base[0], folder):
        for path in plan.from_base:
            with contextlib.suppress(OSError):
                needed += (serving_stage / path).stat().st_size
    needed += BLOCK_BYTES * (len(plan.index) + 2) + SPACE_MARGIN_BYTES
    existing = folder if folder.exists() else Path(app_data)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = free_bytes(existing)
    if free is not None and free < needed:
        raise UpdateError(
            f"not enough free space for backend {plan.version}: it needs {human(needed)} in "
            f"{folder}, and that disk has {human(free)} free; free some space, then apply again"
        )


def _install(layer, plan: _Plan, app_data: Path, factory, serving_stage, serving_slot) -> Applied:
    folder = slots.stages_dir(app_data)
    folder.mkdir(parents=True, exist_ok=True)
    with writer_lock(app_data):
        text = slots.read_state_text(app_data)
        state = slots.read_state(app_data)
        # Another apply or a start may have changed the state since it was checked.
        _check_state(layer.path.name, plan.version, state)
        remove_partial_slots(app_data, locked=True)
        target = folder / plan.version
        if target.exists():
            if state is not None and plan.version in (state["active"], state["previous"]):
                raise UpdateError(f"backend {plan.version} is already installed in {target}")
            _remove_slot(target)  # left by an apply killed before it wrote the state
        building = None
        try:
            building = Path(
                tempfile.mkdtemp(prefix=f"{slots.BUILDING_PREFIX}{plan.version}-", dir=folder)
            )
            _build(layer, plan, serving_stage, building)
            checked = _snapshot(building)
            problems = rehash(building)
            if problems:
                raise UpdateError(
                    f"the new slot for backend {plan.version} does not match its manifest "
                    f"({problems[0]}): the stage serving now may be damaged; install the "
                    "installer again"
                )
            _write_synced(building / slots.COMPLETE_MARK, b"")
            os.rename(building, target)
            slots.fsync_folder(folder)
            if checked is not None:
                # Every file was just re-hashed: the trial's start need only stat them.
                stage_integrity.record(target, AppData(app_data).stage_check_file, checked)
        except BaseException as exc:
            if building is not None:
                shutil.rmtree(building, ignore_errors=True)
            if isinstance(exc, OSError):
                raise _write_failed(exc, plan.version, folder) from exc
            raise
        previous_bad = state["bad"] if state else []
        highest = state["highestGood"] if state else None
        try:
            if text is not None and state is None:
                slots.move_invalid_state_aside(app_data)
            slots.write_state(
                app_data, slots.new_state(plan.version, serving_slot, highest, previous_bad)
            )
        except OSError as exc:
            _remove_slot(target)
            raise _write_failed(exc, plan.version, folder) from exc
    return Applied(plan.version, target, serving_slot)


def _snapshot(building: Path) -> stage_integrity.Snapshot | None:
    try:
        return stage_integrity.snapshot(building)
    except stage_integrity.StageDamaged:
        return None  # the re-hash that follows names the problem


def _write_failed(exc: OSError, version: str, folder: Path) -> UpdateError:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return UpdateError(
            f"the disk holding {folder} became full while backend {version} was installed; "
            f"nothing was changed ({human(free_bytes(folder))} free): free some space, then "
            "apply again"
        )
    return UpdateError(
        f"could not write backend {version} into {folder}: {exc.strerror or exc}; nothing "
        "was changed"
    )


def _build(layer: Layer, plan: _Plan, serving_stage: Path, building: Path) -> None:
    # Plain strings, not Path objects: this runs for every file of the stage.
    linking = True
    made: set[str] = set()
    base, root = os.fspath(serving_stage), os.fspath(building)
    for path in plan.from_base:
        native = path.replace("/", os.sep)
        destination = os.path.join(root, native)
        _parent(destination, made)
        source = os.path.join(base, native)
        if linking:
            try:
                os.link(source, destination)
                continue
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                    raise
                linking = False  # another file system, or not our file: copy from here on
        shutil.copy2(source, destination)
    for path, entry in plan.from_layer.items():
        destination = os.path.join(root, path.replace("/", os.sep))
        _parent(destination, made)
        _write_synced(destination, layer.read(entry, serving_stage))
        mode = stat.S_IMODE(entry["mode"]) or 0o644
        os.chmod(destination, mode)
    if hasattr(os, "sync"):
        os.sync()  # the linked and copied files too, before the slot may be marked complete


def _parent(path: str, made: set[str]) -> None:
    parent = os.path.dirname(path)
    if parent not in made:
        os.makedirs(parent, exist_ok=True)
        made.add(parent)


def _write_synced(path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def rehash(stage_dir: Path) -> list[str]:
    """Every file of a slot against its manifest's index: problems, none when it matches
    (nothing missing, changed or extra, no link)."""
    try:
        manifest = load(stage_dir, check_files=False).data
    except ManifestError as exc:
        return [str(exc)]
    index_path = stage_dir / manifest["index"]["path"]
    if not index_path.is_file() or _sha256(index_path) != manifest["index"]["sha256"]:
        return [f"index {manifest['index']['path']} does not match the manifest"]
    try:
        expected = {path: digest for digest, path in _read_index(stage_dir, manifest)}
    except UpdateError as exc:
        return [str(exc)]
    descriptors = {MANIFEST_NAME, manifest["index"]["path"], slots.COMPLETE_MARK}
    expected_files = dict(expected)
    problems = []
    root = os.fspath(stage_dir)
    for directory, _folders, files in os.walk(root):
        prefix = os.path.relpath(directory, root).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for file_name in files:
            path = os.path.join(directory, file_name)
            name = prefix + file_name
            if name in descriptors and name not in expected:
                continue
            digest = expected_files.pop(name, None)
            if digest is None:
                problems.append(f"EXTRA {name}")
            elif os.path.islink(path) or _sha256(path) != digest:
                problems.append(f"CHANGED {name}")
    problems += [f"MISSING {name}" for name in sorted(expected_files)]
    return problems


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the slot folders -----------------------------------------------------------------------


@contextlib.contextmanager
def writer_lock(app_data: Path, wait_seconds: float = LOCK_WAIT_SECONDS):
    folder = slots.stages_dir(app_data)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / APPLY_LOCK), timeout=wait_seconds, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise UpdateError(
            f"another backend update is in progress in {folder}: wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()


def remove_partial_slots(app_data: Path, locked: bool = False) -> list[str]:
    """Remove `.building-*` folders (an apply or a prune that was killed or failed) and the
    temporary files of an interrupted state write. Without `locked`, only when no apply is
    running (an apply in progress owns its folder)."""
    folder = slots.stages_dir(app_data)
    if not folder.is_dir():
        return []
    if not locked:
        try:
            with writer_lock(app_data, wait_seconds=0):
                return remove_partial_slots(app_data, locked=True)
        except UpdateError:
            return []
    removed = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(slots.BUILDING_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
        elif entry.name.startswith(".state-") and entry.name.endswith(".tmp"):
            entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def _remove_slot(slot: Path) -> None:
    """Rename first (a killed removal leaves a `.building-` folder that the next start
    removes, never a half-deleted slot under a version's name), then delete."""
    doomed = slot.with_name(f"{slots.BUILDING_PREFIX}removed-{slot.name}-{os.getpid()}")
    (slot / slots.COMPLETE_MARK).unlink(missing_ok=True)
    os.rename(slot, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


# --- status and confirm ---------------------------------------------------------------------


def status(app_data: Path, factory_stage: Path) -> dict:
    factory = _load_stage(Path(factory_stage), "the app's own stage")
    return {
        "event": "update-status",
        "resolution": slots.resolve_in(Path(app_data), factory.app_version).as_json(),
        "state": slots.read_state(Path(app_data)),
        "slots": slots.complete_slots(Path(app_data)),
        "factory": factory.app_version,
    }


def confirm(app_data: Path, serving_stage: Path) -> dict:
    """The trial slot that serves now started and answered its health check: make it `good`,
    raise `highestGood`, and remove every slot but the active and the previous one."""
    app_data = Path(app_data)
    version = slots.slot_of(Path(serving_stage), app_data)
    with writer_lock(app_data):
        state = slots.read_state(app_data)
        if state is None or state["active"] != version:
            active = state["active"] if state else "none"
            raise UpdateError(
                f"nothing to confirm: the active backend is {active}, this one is {version}"
            )
        if state["status"] == slots.TRIAL:
            highest = state["highestGood"]
            if version != slots.FACTORY and (
                highest is None or slots.version_key(version) > slots.version_key(highest)
            ):
                highest = version
            slots.write_state(
                app_data,
                {**state, "status": slots.GOOD, "attempts": 0, "highestGood": highest},
            )
        keep = {state["active"], state["previous"]}
        removed = []
        for entry in sorted(slots.stages_dir(app_data).iterdir()):
            if slots.is_version(entry.name) and entry.is_dir() and entry.name not in keep:
                _remove_slot(entry)
                removed.append(entry.name)
    return {"event": "update-confirmed", "version": version, "removed": removed}
