"""The one skip rule of every test tree: what may skip, and what fails under CI=true instead.

- A missing tool or dependency (`require_in_ci`, `require_tool`) skips on a developer's
  machine with the reason, and FAILS under CI=true: CI installs everything its platform
  needs, so a skip there would hide a test that did not run.
- A test that cannot apply to this operating system (`only_on`) skips everywhere with the
  reason; the CI matrix runs it on the platforms it is for.
- A test that needs what this machine kind cannot have at all (`unavailable_here`: the
  names in `unavailable-here.json`, the one list every language reads) skips with the reason,
  also under CI=true; GitHub's CI runs those tests. Anything not in that list fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_in_ci(reason: str, platforms: tuple[str, ...] | None = None) -> None:
    """Skip locally, fail under CI=true (only on `platforms` when given: sys.platform prefixes,
    for a tool CI installs on those platforms only)."""
    applies = platforms is None or sys.platform.startswith(platforms)
    if in_ci() and applies:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def require_tool(name: str, why: str, platforms: tuple[str, ...] | None = None) -> str:
    """The tool's path on PATH, or the skip rule above with `why` and how to get it."""
    found = shutil.which(name)
    if found is None:
        require_in_ci(f"{name} is not installed ({why})", platforms)
    return found


def only_on(*platforms: str, reason: str) -> pytest.MarkDecorator:
    """Mark a test (or module) as meaningful only on these sys.platform prefixes."""
    return pytest.mark.skipif(not sys.platform.startswith(platforms), reason=reason)


UNAVAILABLE_FILE = Path(__file__).with_name("unavailable-here.json")
UNAVAILABLE_HERE = json.loads(UNAVAILABLE_FILE.read_text(encoding="utf-8"))["unavailable"]


def unavailable_here(kind: str, reason: str) -> None:
    """Skip (under CI=true too) because this machine kind cannot have `kind` at all."""
    if kind not in UNAVAILABLE_HERE:
        pytest.fail(f"{kind!r} is not in {UNAVAILABLE_FILE}: {reason}")
    pytest.skip(f"{UNAVAILABLE_HERE[kind]}: {reason}")
