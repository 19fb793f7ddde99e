"""One stage per test session: the repo's `.stage/backend` when it is current, else a fresh
build into a temporary folder (offline: it copies this test run's own interpreter)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from stage.build import StageOptions, build
from stage.config import DEFAULT_OUTPUT, DEMO
from stage.manifest_writer import source_hash


def _current(stage: Path) -> bool:
    try:
        manifest = json.loads((stage / "runtime-manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return manifest.get("app", {}).get("sourceHash") == source_hash(DEMO)


@pytest.fixture(scope="session")
def staged(tmp_path_factory) -> Path:
    configured = os.environ.get("DESKTOP_DJANGO_STAGE_DIR")
    candidate = Path(configured) if configured else DEFAULT_OUTPUT
    if _current(candidate):
        return candidate
    output = tmp_path_factory.mktemp("stage") / "backend"
    build(StageOptions(output=output, python_home=Path(sys.base_prefix)))
    return output
