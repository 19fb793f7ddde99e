"""Is the staged backend there, and was it built from the sources in this checkout?

`nox -s package` asks before packaging: a missing or stale stage is rebuilt first, so an
installer never ships a backend older than the code beside it. Stale means the manifest's
`app.sourceHash` differs from the hash of the tracked backend sources and uv.lock now.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

from desktop_django.manifest import MANIFEST_NAME

from desktop_django_tools.locations import stage_dir

# Extra `nox -s stage` options for the automatic rebuild, e.g. "--allow-local-python".
OPTIONS_ENV = "DESKTOP_DJANGO_STAGE_OPTIONS"


def stage_state(stage: Path) -> tuple[bool, str]:
    """(current, one sentence saying why)."""
    from desktop_django_tools.stage.config import DEMO
    from desktop_django_tools.stage.manifest_writer import source_hash

    manifest_path = stage / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        recorded = manifest["app"]["sourceHash"]
    except FileNotFoundError:
        return False, f"there is no staged backend in {stage}"
    except (OSError, ValueError, KeyError, TypeError):
        return False, f"{manifest_path} is unreadable or has no app.sourceHash"
    if recorded != source_hash(DEMO):
        return False, f"the staged backend in {stage} was built from other sources"
    return True, f"the staged backend in {stage} is current"


def ensure_stage(stage: Path | None = None, options: list[str] | None = None) -> int:
    """Rebuild the stage when it is missing or stale; 0 when it is current afterwards."""
    stage = stage or stage_dir()
    current, reason = stage_state(stage)
    if current:
        print(f"stage: {reason}")
        return 0
    if options is None:
        options = shlex.split(os.environ.get(OPTIONS_ENV, ""))
    print(f"stage: {reason}: staging it now (desktop-django stage {' '.join(options)})".rstrip())
    from desktop_django_tools.cli import main

    status = main(["stage", "--output", str(stage), *options])
    if status != 0:
        print(
            f"stage: staging failed; run `nox -s stage` with the options this machine needs "
            f"(offline: --allow-local-python), or set {OPTIONS_ENV} to them"
        )
    return status
