"""Backend updates: how big a signed layer is next to the installer the same change would
otherwise need, and how long applying one takes (docs/backend-updates.md).

Three stages, all copies of the stage under test (hard-linked where nothing is rewritten):

- the base: the stage as built, trusting a key made for this run;
- an app-code change: a template and a view edited, `__version__` raised, bytecode compiled
  the way the stage compiles it;
- a Django patch upgrade (not in --quick): the base with the previous Django patch release
  installed by uv, pruned and compiled like the stage build does, as the old version; the
  base with its version raised as the new one. The whole stage compressed is the full layer
  of the new one (the same zip and LZMA as every layer).

The timings, medians over RUNS runs (one in --quick), each run in a fresh copy of app data a
first launch of the base left behind (its database migrated, its stage check recorded), the
way a shell starts serve (desktop_django_testing.backend_updates.SlotShell):

- the normal warm start of the base, spawn -> ready line;
- apply: `desktop_django.backend_update.apply` of the app-code layer: verify the signature
  and every file, build the slot (unchanged files hard-linked), re-hash the whole slot;
- the restart onto the new version: the trial serve's spawn -> ready line, in the same app
  data, right after that run's normal start (the same page cache);
- rollback: a layer whose new migration raises
  (desktop_django_testing.backend_updates.broken_version_of) applied, then from the trial's
  spawn to the ready line of the fallback, with its `rolledBack` field.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from desktop_django.layers import UPDATE_KEY
from desktop_django_tools.errors import ToolError
from desktop_django_tools.layer import make_layer
from desktop_django_tools.release import signing
from desktop_django_tools.stage import compile as bytecode
from desktop_django_tools.stage import prune
from desktop_django_tools.stage.config import DEFAULT_LOCALES
from desktop_django_tools.stage.manifest_writer import describe_again

from bench.staged import Stage
from bench.stats import summarize

REPO = Path(__file__).resolve().parent.parent
# Timed runs of each row (apply, restart, rollback); --quick makes one.
RUNS = 5
ROWS = ("apply", "restart", "rollback")
# The Tauri .deb of the issue, for when no installer was built here.
QUOTED_TAURI_DEB_BYTES = round(19.6 * 1024 * 1024)
APP_LAYER_LIMIT = 100 * 1000
PATCH_SHARE_LIMIT = 0.25


def run(stage: Stage, work: Path, quick: bool, say=print) -> dict:
    key = signing.generate()
    root = work / "updates"
    base = _trusting_copy(stage.root, root / "base" / "backend", key)
    version = _manifest_version(base)
    result: dict = {"installer": installer_size()}

    changed = _linked_copy(base, root / "app-change" / "backend")
    new_version = _next_patch(version)
    edited = _edit_app(changed, new_version)
    describe_again(changed, new_version)
    began = time.monotonic()
    layer = make_layer(base, changed, root, key=key)
    made_s = time.monotonic() - began
    say(f"updates: app-code layer {layer.stat().st_size:,} bytes ({', '.join(edited)})")
    broken = _broken_layer(base, root, key)
    timings = timed_updates(base, layer, broken, root, 1 if quick else RUNS, say)
    result["app_code"] = {
        "changed": edited,
        "layer_bytes": layer.stat().st_size,
        "make_s": round(made_s, 2),
        "apply": timings["apply"],
    }
    result["restart"] = timings["restart"]
    result["rollback"] = timings["rollback"]

    if quick:
        result["django_patch"] = {"measured": False, "reason": "not in --quick (uv, a full layer)"}
    else:
        result["django_patch"] = _django_patch(base, root, key, version, say)
    return result


def installer_size() -> dict:
    """The Tauri .deb built here (release folder, else cargo's bundle folder), else the size
    the issue quotes."""
    candidates = sorted(
        [*REPO.glob("dist/tauri/*/*.deb"), *REPO.glob("shells/tauri/target/*/bundle/deb/*.deb")],
        key=lambda path: path.stat().st_mtime,
    )
    if candidates:
        newest = candidates[-1]
        return {"name": newest.name, "bytes": newest.stat().st_size, "source": "built here"}
    return {"name": "Tauri .deb", "bytes": QUOTED_TAURI_DEB_BYTES, "source": "issue 23 (19.6 MiB)"}


def _broken_layer(base: Path, root: Path, key) -> Path:
    """The next version of the base, its new migration raising: a trial that must fail."""
    from desktop_django_testing.backend_updates import broken_version_of

    stage = root / "broken" / "backend"
    broken_version_of(base, stage, "migration")
    return make_layer(base, stage, root / "broken.layer", key=key)


def timed_updates(base: Path, layer: Path, broken: Path, root: Path, runs: int, say) -> dict:
    """Apply, restart onto the new version next to a normal start, and roll back; medians."""
    from desktop_django import backend_update
    from desktop_django.layers import LayerError
    from desktop_django_testing.backend_updates import SlotShell

    seeded = root / "seeded"
    first = SlotShell(base, seeded)
    line, _slot = first.start()
    first.stop()
    if line.get("event") != "ready":
        reason = f"the base did not start: {line}"
        return {key: {"measured": False, "reason": reason} for key in ROWS}
    samples: dict[str, list[float]] = {"apply": [], "normal": [], "trial": [], "rollback": []}
    failures: dict[str, str] = {}
    for number in range(runs):
        app_data = root / f"run-{number}" / "app data"
        shutil.copytree(seeded, app_data)
        shell = SlotShell(base, app_data)
        began = time.monotonic()
        line, slot = shell.start()
        samples["normal"].append(time.monotonic() - began)
        shell.stop()
        began = time.monotonic()
        try:
            applied = backend_update.apply(layer, app_data, base)
        except (backend_update.UpdateError, LayerError) as exc:
            failures["apply"] = f"the applier refused it: {exc}"
            break
        samples["apply"].append(time.monotonic() - began)
        began = time.monotonic()
        line, slot = shell.start()
        elapsed = time.monotonic() - began
        shell.stop()
        if (line.get("event"), slot) != ("ready", applied.version) or "rolledBack" in line:
            failures["trial"] = f"the new version did not start: {line}"
        else:
            samples["trial"].append(elapsed)

        failed_data = root / f"rollback-{number}" / "app data"
        shutil.copytree(seeded, failed_data)
        backend_update.apply(broken, failed_data, base)
        shell = SlotShell(base, failed_data)
        began = time.monotonic()
        line, slot = shell.start()
        elapsed = time.monotonic() - began
        shell.stop()
        if (line.get("event"), slot) != ("ready", "factory") or "rolledBack" not in line:
            failures["rollback"] = f"the failed trial was not rolled back: {line}"
        else:
            samples["rollback"].append(elapsed)
    result = {
        "apply": _row(samples["apply"], failures.get("apply")),
        "restart": {
            **_row(samples["trial"], failures.get("trial") or failures.get("apply")),
            "normal": summarize(samples["normal"], 3),
        },
        "rollback": _row(samples["rollback"], failures.get("rollback")),
    }
    say(
        "updates: apply {apply} s, restart {trial} s (normal start {normal} s), "
        "failed trial -> fallback ready {rollback} s".format(
            apply=result["apply"].get("s"),
            trial=result["restart"].get("s"),
            normal=result["restart"]["normal"].get("median"),
            rollback=result["rollback"].get("s"),
        )
    )
    return result


def _row(samples: list[float], failure: str | None) -> dict:
    if failure or not samples:
        return {"measured": False, "reason": failure or "no run"}
    summary = summarize(samples, 3)
    return {"measured": True, "s": summary["median"], "runs": summary}


def _django_patch(base: Path, root: Path, key, version: str, say) -> dict:
    from desktop_django_tools.integrations import uv

    current = _django_version(base)
    previous = _previous_patch(current)
    if previous is None:
        return {"measured": False, "reason": f"Django {current} has no earlier patch release"}
    # A real copy: uv replaces files of site-packages, which must not reach the stage.
    older = root / "django-old" / "backend"
    shutil.copytree(base, older, symlinks=False)
    python = older / _manifest(older)["python"]["executable"]
    try:
        uv.pip_install(python, "--no-deps", f"django=={previous}")
    except ToolError as exc:  # no package index reachable here: reported, not fatal
        shutil.rmtree(older, ignore_errors=True)
        return {"measured": False, "reason": f"uv could not install Django {previous}: {exc}"}
    site = next(older.glob("python/**/site-packages"))
    _prune_like_the_stage(older, site / "django")
    bytecode.compile_tree(python, older, [site / "django"])
    describe_again(older)

    upgraded = _linked_copy(base, root / "django-new" / "backend")
    new_version = _next_patch(version)
    _set_version(upgraded, new_version)
    describe_again(upgraded, new_version)
    layer = make_layer(older, upgraded, root / "django-layer.layer", key=key)
    full = make_layer(None, upgraded, root / "full.layer", key=key)
    share = layer.stat().st_size / full.stat().st_size
    say(
        f"updates: Django {previous} -> {current} layer {layer.stat().st_size:,} bytes, "
        f"{share:.1%} of the whole stage ({full.stat().st_size:,} bytes)"
    )
    return {
        "measured": True,
        "from": previous,
        "to": current,
        "layer_bytes": layer.stat().st_size,
        "full_layer_bytes": full.stat().st_size,
        "share": round(share, 4),
    }


def _prune_like_the_stage(stage: Path, package: Path) -> None:
    """What the stage build's prune step does to a newly installed package: its console
    scripts and the locales outside the stage's list go (not every __pycache__ of the
    stage, which prune_after_install would take and only a full recompile puts back)."""
    for entry in (stage / "python" / "bin").iterdir():
        if not prune.BIN_KEEP.match(entry.name):
            entry.unlink()
    for locale in [path for path in package.rglob("locale") if path.is_dir()]:
        for language in locale.iterdir():
            keep = any(
                language.name == lang or language.name.startswith(lang + "_")
                for lang in DEFAULT_LOCALES
            )
            if language.is_dir() and not keep:
                shutil.rmtree(language)


def _linked_copy(source: Path, target: Path) -> Path:
    """A copy sharing every file with `source`: whatever is edited in it is replaced (a new
    file), never rewritten in place."""
    shutil.copytree(source, target, copy_function=_link_or_copy)
    return target


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # scratch on another file system than the stage
        shutil.copy2(source, target)


def _trusting_copy(source: Path, target: Path, key) -> Path:
    _linked_copy(source, target)
    (target / UPDATE_KEY).unlink(missing_ok=True)
    (target / UPDATE_KEY).write_text(key.public_key_text(), encoding="utf-8")
    describe_again(target)
    return target


def _replace(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text, encoding="utf-8")


def _package(stage: Path) -> Path:
    return next(stage.glob("python/**/site-packages/flying_stable"))


def _set_version(stage: Path, version: str) -> Path:
    init = _package(stage) / "__init__.py"
    source = init.read_text(encoding="utf-8")
    _replace(init, re.sub(r'__version__ = "[^"]+"', f'__version__ = "{version}"', source))
    _compile(stage, init)
    return init


def _edit_app(stage: Path, version: str) -> list[str]:
    """A fix to one view and one template, as a release of app code alone would make."""
    package = _package(stage)
    view = package / "ponies" / "views.py"
    _replace(view, view.read_text(encoding="utf-8") + "\n\n# A fix in a view (bench).\n")
    _compile(stage, view)
    template = package / "ponies" / "templates" / "ponies" / "pony_list.html"
    _replace(template, template.read_text(encoding="utf-8") + "\n{# a fix (bench) #}\n")
    init = _set_version(stage, version)
    return [p.relative_to(package).as_posix() for p in (view, template, init)]


def _compile(stage: Path, source: Path) -> None:
    python = stage / _manifest(stage)["python"]["executable"]
    # Bytecode of a replaced source: unlinked first, so the shared original stays.
    for cached in (source.parent / "__pycache__").glob(f"{source.stem}.*.pyc"):
        cached.unlink()
    bytecode.compile_tree(python, stage, [source])


def _manifest(stage: Path) -> dict:
    import json

    return json.loads((stage / "runtime-manifest.json").read_text(encoding="utf-8"))


def _manifest_version(stage: Path) -> str:
    return _manifest(stage)["app"]["version"]


def _next_patch(version: str) -> str:
    major, minor, patch = (int(part) for part in re.findall(r"\d+", version)[:3])
    return f"{major}.{minor}.{patch + 1}"


def _django_version(stage: Path) -> str:
    found = next(stage.glob("python/**/site-packages/django-*.dist-info"))
    return found.name.removeprefix("django-").removesuffix(".dist-info")


def _previous_patch(version: str) -> str | None:
    parts = version.split(".")
    if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) == 0:
        return None
    return ".".join([parts[0], parts[1], str(int(parts[2]) - 1)])
