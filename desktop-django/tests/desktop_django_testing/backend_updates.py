"""Real stages and a real shell's steps for backend-update tests (docs/backend-updates.md).

`updatable_copy` is a stage that trusts a test key (update-key.pub in its index, as
`nox -s stage` ships it); `broken_version_of` a newer version that cannot start; `SlotShell`
does what every shell does: resolve, start `serve` from the chosen slot's own interpreter with
the launcher environment and DESKTOP_DJANGO_FACTORY_STAGE_DIR, and run `backend-update`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import zipfile
from pathlib import Path

from desktop_django import env
from desktop_django.layers import FILES_PREFIX, LAYER_JSON, LAYER_SIGNATURE
from desktop_django.manifest import load
from desktop_django.slots import complete_slots, fallback, read_state, resolve_in, slot_dir

from desktop_django_testing.backend import launcher_env, new_token, read_protocol_line
from desktop_django_testing.stage import describe_again, linked_copy, next_version_of

UPDATE_KEY = "update-key.pub"
# What makes a new version unable to start.
RAISING_MIGRATION = """
from django.db import migrations


def fail(apps, schema_editor):
    raise RuntimeError("this migration always fails")


class Migration(migrations.Migration):
    dependencies = [("ponies", "0001_initial")]
    operations = [migrations.RunPython(fail, migrations.RunPython.noop)]
"""
IMPORT_ERROR = "\nimport flying_stable_module_that_does_not_exist  # noqa\n"


def updatable_copy(stage: Path, target: Path, public_key_text: str) -> Path:
    """A copy of `stage` (files hard-linked: nothing in it is rewritten in place) that trusts
    layers signed with the key, described again so `verify-stage` passes on it."""
    linked_copy(stage, target)
    (target / UPDATE_KEY).write_text(public_key_text, encoding="utf-8")
    describe_again(target)
    return target


def _recompile(stage: Path, *paths: Path) -> None:
    """The stage ships unchecked-hash bytecode, which Python trusts over the source."""
    python = load(stage).python_executable
    subprocess.run(
        [str(python), "-I", "-m", "compileall", "-q", "-f", "--invalidation-mode",
         "unchecked-hash", "-s", str(stage), "-p", "", *map(str, paths)],
        check=True,
    )  # fmt: skip


def broken_version_of(stage: Path, target: Path, kind: str, version: str | None = None) -> str:
    """The next version of `stage`, unable to start: `migration` (its new migration raises)
    or `import` (an app module imports a module that does not exist)."""
    version = next_version_of(stage, target, version)
    package = next(target.glob("python/**/site-packages/flying_stable"))
    if kind == "migration":
        path = package / "ponies" / "migrations" / "0002_arrival.py"
        path.write_text(RAISING_MIGRATION, "utf-8")
    elif kind == "import":
        path = package / "ponies" / "models.py"
        # A new file, not a rewritten one: the copy may share it with the original.
        text = path.read_text("utf-8") + IMPORT_ERROR
        path.unlink()
        path.write_text(text, "utf-8")
    else:
        raise ValueError(kind)
    _recompile(target, path)
    describe_again(target, version)
    return version


class SlotShell:
    """The steps of docs/backend-updates.md section 3, as a shell takes them."""

    def __init__(self, factory: Path, app_data: Path):
        self.factory = factory
        self.app_data = app_data
        self.token = new_token()
        self.process: subprocess.Popen | None = None

    def environment(self, stage: Path, **extra: str) -> dict:
        values = launcher_env(self.app_data, self.token, stage, **extra)
        values[env.FACTORY_STAGE_DIR] = str(self.factory)
        return values

    def resolution(self):
        return resolve_in(self.app_data, load(self.factory, check_files=False).app_version)

    def slot_stage(self, slot: str) -> Path:
        return slot_dir(self.app_data, slot, self.factory)

    def spawn_serve(self, stage: Path, **extra: str) -> subprocess.Popen:
        manifest = load(stage)
        self.process = subprocess.Popen(
            manifest.launch("serve").argv,
            cwd=stage,
            env=self.environment(stage, **extra),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        return self.process

    def serve(self, stage: Path, **extra: str) -> dict:
        """Start serve from `stage`; its protocol line (the process stays in self.process)."""
        process = self.spawn_serve(stage, **extra)
        try:
            return read_protocol_line(process, timeout=60)
        except AssertionError as exc:
            return {"event": "no-line", "message": str(exc)}

    def start(self) -> tuple[dict, str]:
        """Resolve and start; when a trial fails, stop it and start what the rule names then
        (the fallback with DESKTOP_DJANGO_ROLLBACK=1 when the rule still says trial)."""
        resolution = self.resolution()
        line = self.serve(self.slot_stage(resolution.slot))
        if resolution.mode != "trial" or line["event"] == "ready":
            return line, resolution.slot
        self.stop()
        again = self.resolution()
        if again.mode == "trial":  # the trial died before serve could count it
            state = read_state(self.app_data)
            factory = load(self.factory, check_files=False).app_version
            chosen = fallback(state, set(complete_slots(self.app_data)), factory)
            return self.serve(self.slot_stage(chosen), **{env.ROLLBACK: "1"}), chosen
        return self.serve(self.slot_stage(again.slot)), again.slot

    def stop(self) -> int | None:
        process, self.process = self.process, None
        if process is None:
            return None
        if process.stdin and not process.stdin.closed:
            process.stdin.close()
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        process.stdout.close()
        return code

    def kill(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait()
            process.stdout.close()
            if process.stdin:
                process.stdin.close()

    def update_command(self, stage: Path, *args: str) -> tuple[int, dict]:
        """`backend-update ...` with `stage`'s interpreter, as a shell runs it."""
        done = self.spawn_update(stage, *args)
        out, _err = done.communicate(timeout=120)
        lines = out.decode().splitlines()
        assert len(lines) == 1, lines
        return done.returncode, json.loads(lines[0])

    def spawn_update(self, stage: Path, *args: str) -> subprocess.Popen:
        manifest = load(stage)
        module = manifest.data["launcher"]["module"]
        return subprocess.Popen(
            [str(manifest.python_executable), "-I", "-m", module, "backend-update", *args],
            cwd=stage,
            env=self.environment(stage),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


def tree_digest(root: Path) -> dict[str, str]:
    """Every file below root and its SHA-256 (links by their target): a refusal must leave
    this exactly as it was."""
    found = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[relative] = "link:" + os.readlink(path)
            else:
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    for directory, dirs, _files in os.walk(root):
        for name in dirs:
            found[(Path(directory) / name).relative_to(root).as_posix() + "/"] = "folder"
    return found


def database_contents(database: Path) -> dict:
    """Schema and every row of every table, read-only (the WAL included)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        schema = connection.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        rows = {
            # Table names from sqlite_master itself, quoted: not user input.
            name: connection.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()  # noqa: S608
            for (kind, name, _sql) in schema
            if kind == "table" and not name.startswith("sqlite_")
        }
    finally:
        connection.close()
    return {"schema": schema, "rows": rows}


def rewritten(layer: Path, out: Path, key, change=None, drop_signature=False, files=None) -> Path:
    """A copy of `layer` with layer.json changed and signed again by `key`, or files replaced."""
    with zipfile.ZipFile(layer) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    if change is not None:
        data = json.loads(entries[LAYER_JSON])
        change(data)
        entries[LAYER_JSON] = json.dumps(data).encode()
        entries[LAYER_SIGNATURE] = (
            _signing().sign(key, entries[LAYER_JSON], "test", "test").encode()
        )
    if drop_signature:
        del entries[LAYER_SIGNATURE]
    for name, data in (files or {}).items():
        entries[FILES_PREFIX + name] = data
    with zipfile.ZipFile(out, "w", zipfile.ZIP_LZMA) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out


def _signing():
    from desktop_django_tools.release import signing  # the tools, only where a test signs

    return signing
