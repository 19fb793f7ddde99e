"""The preflight on one generated project per finding class: every check runs, every finding
(blockers included) names its file and line and the fix, and nothing is written into the
project (`git status`, ignored files included, is the same before and after)."""

from __future__ import annotations

import json

import pytest

from tools.wrap.conftest import wrap_cli
from tools.wrap.fixtures_preflight import FIXTURES, WIDGETS_APP, tree_state, user_env

pytestmark = pytest.mark.slow


def preflight(made, *args: str) -> dict:
    before = tree_state(made.root)
    done = wrap_cli(made.root, "--json", *args, env=user_env(made.env))
    assert "Traceback" not in done.stderr, done.stderr
    assert tree_state(made.root) == before, "the preflight wrote into the project"
    report = json.loads(done.stdout)
    assert done.returncode == (1 if not report["ok"] else 0), done.stderr
    return report


@pytest.fixture(scope="module")
def report_of(shared_fixture):
    """`report_of(name)`: the preflight of that class's shared project, run once."""
    reports: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in reports:
            reports[name] = preflight(shared_fixture(name))
        return reports[name]

    return get


def only(report: dict, topic: str, kind: str | None = None) -> dict:
    found = [f for f in report["findings"] if f["topic"] == topic and kind in (None, f["kind"])]
    assert len(found) == 1, (topic, kind, report["findings"])
    return found[0]


def blockers(report: dict) -> list[str]:
    return [f["topic"] for f in report["findings"] if f["kind"] == "blocker"]


@pytest.mark.parametrize("name", list(FIXTURES))
def test_preflight_writes_nothing_into_any_fixture(shared_fixture, report_of, name):
    made = shared_fixture(name)
    report = report_of(name)  # its preflight asserts the tree is unchanged
    assert report["project"]["python"] == str(made.env.python)
    assert "DESKTOP_DJANGO_USER_VIRTUAL_ENV" in report["project"]["pythonSource"]


def test_fresh_startproject_has_no_blockers_and_applies_without_force(make_fixture):
    made = make_fixture("fresh")
    report = preflight(made)
    assert report["ok"], report["findings"]
    done = wrap_cli(made.root, "--apply", env=user_env(made.env))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (made.root / "mysite_desktop" / "settings.py").is_file()


def test_fresh_startproject_outside_git_is_read_without_writing(make_fixture):
    made = make_fixture("fresh", git=False)
    listing = sorted(str(p.relative_to(made.root)) for p in made.root.rglob("*"))
    done = wrap_cli(made.root, env=user_env(made.env))
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(str(p.relative_to(made.root)) for p in made.root.rglob("*")) == listing


def test_old_whitenoise_pin_is_a_blocker_found_by_resolving(report_of):
    report = report_of("old-whitenoise")
    versions = only(report, "versions", "blocker")
    assert "whitenoise" in versions["message"]
    assert versions["locations"] == ["requirements.txt:2 (whitenoise==6.6.0)"]


def test_tasks_backport_below_the_worker_floor_is_a_blocker(report_of):
    report = report_of("old-tasks-backport")
    versions = only(report, "versions", "blocker")
    assert "django-tasks" in versions["message"]
    assert "requirements.txt:2 (django-tasks==0.9.0)" in versions["locations"]


def test_requires_python_beyond_the_stage_is_a_blocker(report_of):
    report = report_of("future-python")
    python = only(report, "python", "blocker")
    assert "excludes Python 3.13" in python["message"]
    assert python["locations"] == ["pyproject.toml (requires-python = '>=3.14')"]
    # ... and every other check still ran.
    assert {"database", "security", "CSP", "versions"} <= {f["topic"] for f in report["findings"]}


def test_src_layout_is_detected_and_its_templates_scanned(report_of):
    report = report_of("src-layout")
    assert report["ok"], report["findings"]
    assert report["project"]["pythonpath"] == [".", "src"]
    assert "src/ layout" in only(report, "layout")["message"]
    scripts = only(report, "templates")
    assert scripts["locations"] == ["src/notes/templates/notes/home.html:2"]


def test_relative_settings_paths_are_named_with_their_line(shared_fixture, report_of):
    made = shared_fixture("relative-dirs")
    report = report_of("relative-dirs")
    found = only(report, "relative paths", "change")
    assert found["by"] == "apply"
    lines = (made.root / "mysite" / "settings.py").read_text().splitlines()
    templates_line = next(i for i, line in enumerate(lines, 1) if "mysite/templates" in line)
    assert found["locations"] == [
        f"mysite/settings.py:{templates_line} (TEMPLATES DIRS 'mysite/templates')",
        f"mysite/settings.py:{len(lines)} (STATICFILES_DIRS 'assets')",
    ]


def test_server_only_dependencies_are_listed_with_the_default_exclusion(report_of):
    report = report_of("server-only")
    found = only(report, "server-only dependencies", "change")
    # django.contrib.postgres imports the driver at start-up: psycopg is kept.
    assert found["message"].startswith(
        "boto3, django-redis, google-cloud-storage, gunicorn, sentry-sdk serve only a server"
    )
    assert "requirements.txt:2 (gunicorn: WSGI server" in " ".join(found["locations"])
    assert "keep" in found["message"]


def test_upload_fields_say_media_is_served_from_app_data(report_of):
    report = report_of("uploads")
    media = only(report, "media", "works")
    assert "served from there" in media["message"]
    assert media["locations"] == ["notes/models.py:6"]


def test_unsupported_django_is_reported_with_every_other_finding(report_of):
    report = report_of("django51")
    # The version conflict (desktop-django needs Django 5.2+) is a finding of its own.
    assert sorted(blockers(report)) == ["django", "versions"]
    assert only(report, "django")["locations"] == ["requirements.txt:1 (django>=5.1,<5.2)"]
    topics = {f["topic"] for f in report["findings"]}
    assert {"templates", "server-only dependencies", "database", "security"} <= topics
    templates = {f["message"].split(" in ")[0]: f["locations"] for f in report["findings"]
                 if f["topic"] == "templates"}  # fmt: skip
    home = "notes/templates/notes/home.html"
    assert templates["remote scripts, styles or fonts (//host/...)"] == [f"{home}:1"]
    assert templates["inline styles"] == [f"{home}:2"]


def test_third_party_app_templates_are_scanned_through_its_install(report_of):
    report = report_of("third-party-cdn")
    assert report["ok"], report["findings"]
    theirs = [f for f in report["findings"]
              if f["topic"] == "templates" and WIDGETS_APP in f["message"]]  # fmt: skip
    by_label = {f["message"].split(" in the templates")[0]: f for f in theirs}
    chart = f"{WIDGETS_APP}/chart.html"
    assert by_label["remote scripts, styles or fonts (//host/...)"]["locations"] == [f"{chart}:2"]
    assert by_label["inline <script> blocks"]["locations"] == [f"{chart}:3"]
    assert "Override those templates" in by_label["inline <script> blocks"]["message"]


def test_code_that_starts_python_is_named(report_of):
    report = report_of("spawns-python")
    found = only(report, "subprocess", "works")
    assert "first on PATH" in found["message"]
    assert found["locations"] == [
        "notes/views.py:8 ('python')",
        "notes/views.py:15 (sys.executable)",
    ]


def test_a_virtualenv_out_of_step_with_the_pins_is_named(report_of):
    report = report_of("stale-venv")
    stale = only(report, "django", "change")
    assert "but the project pins <5.3,>=5.2" in stale["message"]
    assert stale["locations"] == ["requirements.txt:1 (django>=5.2,<5.3)"]
