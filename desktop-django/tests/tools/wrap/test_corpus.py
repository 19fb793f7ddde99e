"""The corpus (corpus.py): each generated project goes preflight -> apply -> stage -> serve
from a moved stage -> pages 200 with CSS -> data kept across a restart, or ends in the
documented finding; the preflight never leaves the project's git tree dirty.

One Django 6 virtualenv serves every stageable case, the stage copies the same local CPython
for all of them, and uv's cache is shared, so a case costs its own build steps only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_testing.ci import require_tool

from tools.wrap.corpus import (
    CASES,
    CORPUS_ENV,
    DJANGO51_ENV,
    WIDGET,
    make_case,
    make_env,
    make_widget,
)
from tools.wrap.projects import clean_env
from tools.wrap.staged_app import StagedApp, moved_stage

pytestmark = pytest.mark.slow

STAGEABLE = [name for name, case in CASES.items() if case.serves]
BLOCKED = [name for name, case in CASES.items() if not case.serves]


def cli(*args, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=timeout, env=clean_env(),
    )  # fmt: skip


def git_status(root: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored=no"], cwd=root,
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory):
    for tool in ("uv", "git"):
        require_tool(tool, "needed to generate the corpus")
    root = tmp_path_factory.mktemp("corpus")
    widget = make_widget(root / "vendor" / WIDGET)
    envs = {
        "corpus": make_env(root / "env-corpus", [*CORPUS_ENV, str(widget)]),
        "django51": make_env(root / "env-django51", DJANGO51_ENV),
    }
    return root, envs, widget


def preflight(root: Path) -> dict:
    done = cli("wrap", root, "--json")
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return json.loads(done.stdout)


def findings_text(report: dict, kind: str | None = None) -> str:
    chosen = [f for f in report["findings"] if kind is None or f["kind"] == kind]
    return json.dumps(chosen)


def generated(corpus_root, name: str) -> Path:
    root, envs, widget = corpus_root
    case = CASES[name]
    return make_case(root / name / "team-notes", case, envs[case.env], widget)


@pytest.mark.parametrize("name", BLOCKED)
def test_blocked_cases_end_in_their_finding(corpus_root, name):
    project = generated(corpus_root, name)
    report = preflight(project)
    assert git_status(project) == "", "the preflight wrote into the project"
    blockers = findings_text(report, "blocker")
    if name == "old-whitenoise":
        assert "whitenoise" in blockers, report
    elif name == "python314":
        assert "3.14" in blockers, report
    elif name == "django51":
        assert "5.1" in blockers, report
        # The preflight does not stop at the first blocker: the template findings are there.
        in_home = [f["message"] for f in report["findings"]
                   if any("notes/home.html" in where for where in f["locations"])]  # fmt: skip
        assert any("remote" in message for message in in_home), report
        assert any("inline style" in message for message in in_home), report
    applied = cli("wrap", project, "--apply")
    assert applied.returncode != 0
    assert git_status(project) == "", "a refused --apply wrote into the project"


@pytest.mark.parametrize("name", STAGEABLE)
def test_case_serves_from_a_moved_stage_and_keeps_data(corpus_root, name, tmp_path):
    project = generated(corpus_root, name)
    requirements_before = (project / "requirements.txt").read_bytes()
    report = preflight(project)
    assert git_status(project) == "", "the preflight wrote into the project"
    assert "blocker" not in [f["kind"] for f in report["findings"]], report
    applied = cli("wrap", project, "--apply", "--name", f"Corpus {name}")
    assert applied.returncode == 0, applied.stdout + applied.stderr

    built = tmp_path / "built" / "backend"
    staged = cli("stage", "--project", project, "--output", built, "--python-home",
                 sys.base_prefix, "--no-bytecode", cwd=tmp_path)  # fmt: skip
    assert staged.returncode == 0, staged.stdout + staged.stderr
    stage = moved_stage(built, tmp_path)
    app_data = tmp_path / "app data"

    with StagedApp(stage, app_data) as app:
        home = app.open("/")
        assert home.status == 200, home.text[:500]
        css = re.search(r'href="(/static/notes/site\.[0-9a-f]+\.css)"', home.text)
        assert css, home.text[:500]
        stylesheet = app.open(css.group(1))
        assert stylesheet.status == 200
        assert stylesheet.headers["Content-Type"].startswith("text/css")
        added = app.post_form("/", {"text": f"kept by {name}"})
        assert added.status == 200
        assert f"kept by {name}" in added.text
        extra = CASE_CHECKS.get(name)
        upload = extra(app, project, stage, home, requirements_before) if extra else None

    with StagedApp(stage, app_data) as again:
        assert f"kept by {name}" in again.open("/").text
        if upload:
            fetched = again.open(upload[0])
            assert fetched.status == 200
            assert fetched.body == upload[1]


def _crlf(app, project, stage, home, before):
    after = (project / "requirements.txt").read_bytes()
    assert after.startswith(before), "--apply rewrote the project's lines"
    assert b"\n" not in after.replace(b"\r\n", b""), "--apply wrote LF lines into a CRLF file"


def _runtime_django_test(app, project, stage, home, before):
    preview = app.open("/preview/")
    assert preview.status == 200, preview.text[:500]
    assert preview.text == "preview of /preview-of/"


def _relative_templates(app, project, stage, home, before):
    assert "from the project's templates/" in home.text


def _file_upload(app, project, stage, home, before):
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    done = app.upload("/attachments/", "upload", "pony.png", content)
    assert done.status == 200, done.text[:500]
    link = re.search(r'class="file" href="([^"]+)"', done.text).group(1)
    assert link.startswith("/media/attachments/pony")
    fetched = app.open(link)
    assert fetched.status == 200
    assert fetched.body == content
    assert fetched.headers["Content-Type"] == "image/png"
    assert fetched.headers["X-Content-Type-Options"] == "nosniff"
    assert app.open(link, token=False).status == 403
    assert app.open("/media/../app.sqlite3").status == 404
    return link, content


def _server_only(app, project, stage, home, before):
    site_packages = next(stage.glob("python/lib/python3.*/site-packages"))
    for module in ("boto3", "botocore", "gunicorn", "psycopg", "django_redis", "redis",
                   "sentry_sdk"):  # fmt: skip
        assert not (site_packages / module).exists(), module
    log = (stage.parent.parent / "built" / "backend.stage.log").read_text(encoding="utf-8")
    assert "left out as server-only" in log
    assert "boto3" in log


def _third_party_cdn(app, project, stage, home, before):
    assert 'class="widget"' in home.text
    assert "cdn.example.com" not in home.headers["Content-Security-Policy"]
    # The preflight named the installed app's template and the remote host.
    remote = [f for f in preflight(project)["findings"]
              if f"{WIDGET}/widget.html:1" in f["locations"]]  # fmt: skip
    assert remote, "the installed app's template was not scanned"
    assert "remote" in remote[0]["message"]


def _python_subprocess(app, project, stage, home, before):
    answer = app.open("/interpreter/")
    assert answer.status == 200, answer.text[:500]
    # sys.prefix of the `python` the view found on PATH: the stage's own interpreter.
    assert Path(answer.text.strip()).resolve() == (stage / "python").resolve(), answer.text


CASE_CHECKS = {
    "crlf-requirements": _crlf,
    "runtime-django-test": _runtime_django_test,
    "relative-templates": _relative_templates,
    "file-upload": _file_upload,
    "server-only": _server_only,
    "third-party-cdn": _third_party_cdn,
    "python-subprocess": _python_subprocess,
}
