"""One stage per test session: `.stage/backend` (or $DESKTOP_DJANGO_STAGE_DIR) when it was
built from the current sources, else a fresh build that copies this run's own interpreter."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path


def current_or_fresh_stage(tmp_path_factory) -> Path:
    from desktop_django_tools.locations import stage_dir
    from desktop_django_tools.stage.build import StageOptions, build
    from desktop_django_tools.stage.config import DEMO
    from desktop_django_tools.stage.manifest_writer import source_hash

    candidate = stage_dir()
    try:
        manifest = json.loads((candidate / "runtime-manifest.json").read_text())
        if manifest["app"]["sourceHash"] == source_hash(DEMO):
            return candidate
    except (OSError, ValueError, KeyError):
        pass
    output = tmp_path_factory.mktemp("stage") / "backend"
    build(StageOptions(output=output, python_home=Path(sys.base_prefix)))
    return output


def source_interpreter_folder() -> Path:
    """What to hide to prove a stage built from this run's interpreter no longer needs it:
    the installation prefix, or, for a distribution's Python whose prefix is /usr (the shell
    and every tool live there), its standard library folder."""
    from desktop_django_tools.stage.runtime import is_shared_prefix

    prefix = Path(sys.base_prefix)
    if not is_shared_prefix(prefix):
        return prefix
    return Path(sysconfig.get_path("stdlib"))


# One more migration for the "next version" of the demo: a new table filled by a data
# migration from the ponies the users of the version before created.
ARRIVAL_MIGRATION = """
from django.db import migrations, models


def note_every_pony(apps, schema_editor):
    Pony = apps.get_model("ponies", "Pony")
    Arrival = apps.get_model("ponies", "Arrival")
    Arrival.objects.bulk_create(
        Arrival(pony_name=pony.name, note="in the stable at the upgrade")
        for pony in Pony.objects.order_by("id")
    )


class Migration(migrations.Migration):
    dependencies = [("ponies", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Arrival",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("pony_name", models.CharField(max_length=60)),
                ("note", models.CharField(max_length=200)),
            ],
        ),
        migrations.RunPython(note_every_pony, migrations.RunPython.noop),
    ]
"""


def describe_again(stage: Path, version: str | None = None) -> dict:
    """The edited copy's index and manifest written again (the tools' own step)."""
    from desktop_django_tools.stage import manifest_writer

    return manifest_writer.describe_again(stage, version)


def next_version_of(stage: Path, target: Path, version: str | None = None) -> str:
    """A copy of `stage` whose backend has one more migration (0002_arrival) and a higher
    `__version__` (`version`, else the next minor one), its manifest and index written again
    to match; returns that version."""
    import re
    import subprocess

    from desktop_django.manifest import load

    shutil.copytree(stage, target)
    manifest = load(target)
    package = next(target.glob("python/**/site-packages/flying_stable"))
    init = package / "__init__.py"
    if version is None:
        major, minor, _patch = (int(part) for part in manifest.app_version.split(".")[:3])
        version = f"{major}.{minor + 1}.0"
    source = init.read_text(encoding="utf-8")
    init.write_text(re.sub(r'__version__ = "[^"]+"', f'__version__ = "{version}"', source), "utf-8")
    migrations = package / "ponies" / "migrations"
    (migrations / "0002_arrival.py").write_text(ARRIVAL_MIGRATION, "utf-8")
    # The stage ships unchecked-hash bytecode, which Python trusts without looking at the
    # source: recompile what changed, the way stage/compile.py does.
    subprocess.run(
        [str(manifest.python_executable), "-I", "-m", "compileall", "-q", "-f",
         "--invalidation-mode", "unchecked-hash", "-s", str(target), "-p", "",
         str(init), str(migrations)],
        check=True,
    )  # fmt: skip
    describe_again(target, version)
    return version


def link_or_copy(source, destination, *, follow_symlinks=True):
    """A `copy_function` for shutil.copytree: a hard link (a copy of a stage in milliseconds)
    where the destination is on the stage's file system, else a real copy. Debian 13 mounts
    /tmp, where pytest's folders are, as a tmpfs: the checkout's `.stage` is on another file
    system there and a link fails with EXDEV."""
    try:
        os.link(source, destination, follow_symlinks=follow_symlinks)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM):
            raise
        shutil.copy2(source, destination, follow_symlinks=follow_symlinks)
    return destination


def linked_copy(source: Path, destination: Path) -> Path:
    """`source` copied to `destination` with its files hard-linked where the file system
    allows (see link_or_copy): callers never write through them."""
    shutil.copytree(source, destination, copy_function=link_or_copy)
    return destination
