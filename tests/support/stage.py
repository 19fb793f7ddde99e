"""One stage per test session: `.stage/backend` (or $DESKTOP_DJANGO_STAGE_DIR) when it was
built from the current sources, else a fresh build that copies this run's own interpreter."""

from __future__ import annotations

import json
import sys
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
