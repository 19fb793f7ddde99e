"""Build `.stage/backend/` from scratch: runtime, backend, prune, static, bytecode, manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop_django_tools.integrations import patchelf, uv
from desktop_django_tools.stage import compile as bytecode
from desktop_django_tools.stage import proof, prune, report, runtime, update_key, wrapped
from desktop_django_tools.stage.config import (
    BUILD_ONLY_DISTRIBUTIONS,
    DEFAULT_LOCALES,
    DEMO,
    PYTHON_VERSION,
    StagedProject,
)
from desktop_django_tools.stage.errors import StageError
from desktop_django_tools.stage.files import materialise_symlinks, tree_size
from desktop_django_tools.stage.manifest_writer import write_manifest
from desktop_django_tools.stage.resolve import Resolution


@dataclass(frozen=True)
class StageOptions:
    output: Path
    python_archive: Path | None = None
    python_archive_sha256: str | None = None
    python_home: Path | None = None
    allow_local_python: bool = False
    locales: tuple[str, ...] = DEFAULT_LOCALES
    bytecode: bool = True
    project: StagedProject = DEMO


def build(options: StageOptions) -> dict:
    if sys.platform.startswith("linux"):
        # The relocation step needs patchelf: say so before minutes of work, not after.
        patchelf.executable()
    output = options.output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Build next to the destination, then swap: a failed build never leaves half a stage.
    building = Path(tempfile.mkdtemp(prefix=f".{output.name}.building-", dir=output.parent))
    building.chmod(0o755)  # mkdtemp makes it 0700: the stage must run for every user
    try:
        with runtime.temporary_workdir() as work:
            manifest = _build_into(building, Path(work), options)
        if output.exists():
            shutil.rmtree(output)
        building.rename(output)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    total, count = tree_size(output)
    report.say(f"stage ready at {output}: {report.human_size(total)} in {count} files")
    return manifest


def _build_into(stage_root: Path, work: Path, options: StageOptions) -> dict:
    """The stage's steps in order, each one report.step (its time and notes in the log)."""
    resolution = _resolve_wrapped(options.project, work)
    python = _copy_runtime(stage_root / "python", work, options)
    version = _relocate_and_strip(python)
    _install_backend(python.executable, stage_root, work, options.project, resolution)
    _prune(stage_root, python.root, options.locales)
    _prune_contrib(python.executable, stage_root, python.root, options.project, work)
    app = _app_identity(python.executable, options.project)
    if options.bytecode:
        _compile_bytecode(python, stage_root)
    _prove(python.executable, stage_root, options.project, work)
    _collect_static(python.executable, stage_root, options.project, work)
    _ship_update_key(stage_root, options.project)
    return _write_manifest(stage_root, options, app, version, python)


@dataclass(frozen=True)
class _CopiedRuntime:
    """The interpreter copied into the stage, and where it came from."""

    root: Path  # <stage>/python
    executable: Path
    prefix: Path  # the installation it was copied from
    source: runtime.RuntimeSource


def _resolve_wrapped(project: StagedProject, work: Path) -> Resolution | None:
    """A wrapped project's distributions, resolved before anything is copied: a version
    conflict is the cheapest failure to report. None for a workspace project."""
    if not project.wrapped:
        return None
    with report.step("resolve") as notes:
        resolution = wrapped.resolve(project, work)
        notes.append(f"{len(resolution.kept)} distributions")
        if resolution.left_out:
            left = ", ".join(f"{p.name} {p.version} ({report.human_size(p.size)})"
                             for p, _why in resolution.left_out)  # fmt: skip
            notes.append(
                f"left out as server-only: {left}; "
                f"{report.human_size(resolution.left_out_size())} of wheels"
            )
    return resolution


def _copy_runtime(python_root: Path, work: Path, options: StageOptions) -> _CopiedRuntime:
    with report.step("runtime") as notes:
        prefix, source = runtime.obtain(
            options.python_archive,
            options.python_archive_sha256,
            options.python_home,
            options.allow_local_python,
            work,
        )
        skipped = _measure_skipped(prefix)
        runtime.copy_runtime(prefix, python_root, prune.runtime_skip)
        links = materialise_symlinks(python_root)
        executable = runtime.find_prefix_executable(python_root)
        if executable is None:
            raise StageError(
                f"the copied runtime at {python_root} has no interpreter",
                "pass --python-home or --python-archive with a complete CPython installation",
            )
        notes.append(f"{source.kind}: {source.detail}")
        notes.append(f"left out {report.human_size(skipped)} (tests, Tk, IDLE, headers, ...)")
        notes.append(f"{links} symlinks materialised")
    return _CopiedRuntime(python_root, executable, prefix, source)


def _relocate_and_strip(python: _CopiedRuntime) -> str:
    """Strip the binaries and make them find their libraries beside them; the runtime's
    CPython version, which must be the pinned minor."""
    with report.step("relocate and strip") as notes:
        saved, stripped = prune.strip_binaries(python.root)
        fixed = prune.make_relocatable(python.root, python.prefix)
        notes.append(f"stripped {stripped} binaries, saved {report.human_size(saved)}")
        notes.append(f"RUNPATH set to $ORIGIN on {fixed} files")
        version = runtime.version_of(python.executable)
        if runtime.minor(version) != runtime.minor(PYTHON_VERSION):
            raise StageError(
                f"the runtime is CPython {version}, but the stage pins {PYTHON_VERSION}",
                f"pass a CPython {runtime.minor(PYTHON_VERSION)} (--python-home, "
                "--python-archive) or let uv download it",
            )
        if version != PYTHON_VERSION:
            report.say(f"note: runtime is CPython {version} (pinned {PYTHON_VERSION})")
    return version


def _install_backend(
    executable: Path,
    stage_root: Path,
    work: Path,
    project: StagedProject,
    resolution: Resolution | None,
) -> None:
    with report.step("backend") as notes:
        if resolution is not None:
            # A project wrapped by `desktop-django wrap`: see stage/wrapped.py.
            notes += wrapped.install(executable, stage_root, resolution, project)
            return
        wheels = [uv.build_wheel(name, work / "wheels", project.repo)
                  for name in project.workspace_packages]  # fmt: skip
        requirements = uv.export_locked_requirements(
            project.repo,
            work / "requirements.txt",
            package=project.package,
            exclude=BUILD_ONLY_DISTRIBUTIONS,
        )
        uv.pip_install(executable, "--require-hashes", "-r", str(requirements))
        uv.pip_install(executable, "--no-deps", *map(str, wheels))
        notes.append(f"installed {', '.join(w.name for w in wheels)} with locked dependencies")


def _prune(stage_root: Path, python_root: Path, locales: tuple[str, ...]) -> None:
    with report.step("prune") as notes:
        freed, removed = prune.prune_after_install(python_root, locales)
        materialise_symlinks(stage_root)
        notes.append(f"removed {removed} entries, {report.human_size(freed)}")
        notes.append(f"kept locales: {', '.join(locales)}")


def _prune_contrib(
    executable: Path, stage_root: Path, python_root: Path, project: StagedProject, work: Path
) -> None:
    """The django.contrib apps nothing can load (prune.unused_contrib_apps); before bytecode,
    so none is compiled for them, and before the proof, which then runs without them."""
    with report.step("unused contrib apps") as notes:
        installed = proof.installed_apps(executable, stage_root, project, work)
        removed = prune.remove_unused_contrib_apps(
            python_root, installed, [stage_root / wrapped.APP_DIR]
        )
        for name, size in removed:
            report.log(f"removed django/contrib/{name}: {report.human_size(size)}")
        freed = sum(size for _name, size in removed)
        names = ", ".join(name for name, _size in removed) or "none"
        notes.append(f"removed {names}: {report.human_size(freed)}")


def _compile_bytecode(python: _CopiedRuntime, stage_root: Path) -> None:
    with report.step("bytecode") as notes:
        folders = [python.root]
        if (stage_root / wrapped.APP_DIR).is_dir():
            folders.append(stage_root / wrapped.APP_DIR)
        pyc = bytecode.compile_tree(python.executable, stage_root, folders)
        notes.append(f"{pyc} .pyc files, unchecked-hash, no build paths")


def _prove(executable: Path, stage_root: Path, project: StagedProject, work: Path) -> None:
    """Every module of the installed apps imports and `manage.py check` passes, on the
    stage's own interpreter."""
    with report.step("prove") as notes:
        imported = proof.import_every_module(executable, stage_root, project, work)
        notes.append(f"{imported['imported']} modules of the installed apps import")
        if imported["optional"]:
            notes.append(
                f"{len(imported['optional'])} skipped: third-party modules for what the "
                "project does not use (a distribution or app it does not install; see the log)"
            )
        notes.append("manage.py check passed")


def _collect_static(executable: Path, stage_root: Path, project: StagedProject, work: Path) -> None:
    with report.step("static files") as notes:
        count = proof.collect_static(executable, stage_root, project, work)
        notes.append(f"{count} files collected (hashed names, gzip-compressed copies)")


def _ship_update_key(stage_root: Path, project: StagedProject) -> None:
    """The release key's public half, which the stage's update applier trusts."""
    with report.step("update key") as notes:
        key_id = update_key.ship(stage_root, project.repo)
        notes.append(
            f"trusts backend layers signed with {key_id}"
            if key_id
            else "none (no release/release-signing-key.pub): accepts no backend layer"
        )


def _write_manifest(
    stage_root: Path, options: StageOptions, app: dict, version: str, python: _CopiedRuntime
) -> dict:
    with report.step("manifest") as notes:
        manifest = write_manifest(
            stage_root,
            options.project,
            app,
            version,
            python.executable,
            python.source.kind,
            options.bytecode,
        )
        notes.append(f"{manifest['size']['files']} files indexed")
    return manifest


def _measure_skipped(prefix: Path) -> int:
    total = 0
    for part in runtime.copied_parts(prefix):
        for directory, dirnames, filenames in os.walk(part):
            rel = Path(directory).relative_to(prefix)
            for name in list(dirnames):
                if prune.runtime_skip((rel / name).as_posix()):
                    total += tree_size(Path(directory) / name)[0]
                    dirnames.remove(name)
            for name in filenames:
                path = Path(directory) / name
                if prune.runtime_skip((rel / name).as_posix()) and not path.is_symlink():
                    total += path.stat().st_size
    return total


def _app_identity(python: Path, project: StagedProject) -> dict:
    name = project.import_name
    script = (
        f"import json, importlib; m = importlib.import_module({name!r}); "
        f"print(json.dumps({{'name': getattr(m, 'APP_NAME', {name!r}), "
        f"'id': getattr(m, 'APP_ID', {name.replace('_', '-')!r}), "
        "'version': getattr(m, '__version__', '0.0.0')}))"
    )
    out = subprocess.run(
        [str(python), "-I", "-B", "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)
