"""Is the staged backend there, and was it built from the sources in this checkout?

`nox -s package` asks before packaging: a missing or stale stage is rebuilt first
(`ensure_stage` in stage/command.py), so an installer never ships a backend older than the
code beside it. Stale means the manifest's `app.sourceHash` differs from the hash of the
tracked backend sources and uv.lock now.
"""

from __future__ import annotations

import json
from pathlib import Path

from desktop_django.manifest import MANIFEST_NAME

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
