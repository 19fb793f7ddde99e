"""A project made by a real tool: `wagtail start` (Wagtail from PyPI) in its own virtualenv,
preflighted with that virtualenv active, as its developer would. No false blockers (every
Wagtail app imports), nothing written, and the preflight's run time reported."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tools.wrap.conftest import wrap_cli
from tools.wrap.fixtures_preflight import Env, git_commit_all, tree_state
from tools.wrap.projects import run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def wagtail_site(tmp_path_factory, preflight_envs) -> tuple[Path, Env]:
    preflight_envs("6")  # the same tool checks (uv, git) as the other fixtures
    base = tmp_path_factory.mktemp("wagtail")
    env = Env(base / "env")
    run("uv", "venv", "--quiet", "--python", sys.executable, env.folder, cwd=base)
    run("uv", "pip", "install", "--quiet", "--python", env.python, "wagtail", cwd=base)
    wagtail = env.python.parent / ("wagtail.exe" if os.name == "nt" else "wagtail")
    root = base / "cms"
    root.mkdir()
    run(wagtail, "start", "cms", root, cwd=base)
    return git_commit_all(root), env


def test_wagtail_start_site_preflights_clean_with_its_venv_active(wagtail_site, record_property):
    root, env = wagtail_site
    before = tree_state(root)
    variables = {k: v for k, v in os.environ.items() if k != "DESKTOP_DJANGO_USER_VIRTUAL_ENV"}
    started = time.monotonic()
    done = wrap_cli(root, "--json", env={**variables, "VIRTUAL_ENV": str(env.folder)})
    seconds = time.monotonic() - started
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert report["project"]["python"] == str(env.python)
    assert report["project"]["pythonSource"] == "the active virtualenv ($VIRTUAL_ENV)"
    assert [f for f in report["findings"] if f["kind"] == "blocker"] == []
    assert done.returncode == 0
    assert tree_state(root) == before, "the preflight wrote into the project"
    assert report["django"].startswith("6.")
    topics = {f["topic"] for f in report["findings"]}
    assert "versions" in topics  # resolved, and fine
    assert "apps" not in topics
    # Wagtail's own templates are scanned through its install (they hold some inline code).
    assert any("installed app wagtail" in f["message"] for f in report["findings"])
    record_property("preflight_seconds", round(seconds, 2))
    artifacts = os.environ.get("TEST_ARTIFACTS_DIR")
    if artifacts:
        Path(artifacts, "wrap-preflight-wagtail.json").write_text(
            json.dumps({"preflight_seconds": round(seconds, 2), "django": report["django"]}),
            encoding="utf-8",
        )
    print(f"preflight of a wagtail start site: {seconds:.2f} s")
