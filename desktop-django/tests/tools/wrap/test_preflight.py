"""Preflight: the report names what will work, what needs a change and what is out of scope,
and changes nothing in the project."""

from __future__ import annotations

import json

import pytest

from tools.wrap.conftest import git, wrap_cli

pytestmark = pytest.mark.slow


def findings(report: dict, topic: str) -> list[dict]:
    return [f for f in report["findings"] if f["topic"] == topic]


def messages(report: dict, topic: str, kind: str | None = None) -> str:
    return " | ".join(f["message"] for f in findings(report, topic) if kind in (None, f["kind"]))


def test_preflight_finds_the_project_and_writes_nothing(case):
    report = case.preflight
    assert report["ok"], report["findings"]
    assert report["project"]["settings"] == "mysite.settings"
    assert report["project"]["settingsSource"] == "manage.py"
    assert report["project"]["desktopPackage"] == "mysite_desktop"
    assert report["project"]["python"].endswith(("bin/python", "python.exe"))
    expected_django = "5.2." if case.kind.django == "5.2" else "6."
    assert report["django"].startswith(expected_django)
    assert not [f for f in report["findings"] if f["kind"] == "blocker"]
    assert case.status_before_apply == "", "preflight must not write anything"


def test_preflight_text_report_has_its_sections(case):
    done = case.preflight_text
    assert done.returncode == 0, done.stderr
    assert "Will work:" in done.stdout
    assert "Needs a change:" in done.stdout
    assert "Result: ready to wrap" in done.stdout


def test_database_engine_is_reported(case):
    database = messages(case.preflight, "database", "change")
    if case.kind.database == "postgres":
        assert "PostgreSQL (django.db.backends.postgresql)" in database
        assert "SQLite in app data" in database
    else:
        assert database.startswith("SQLite: the file moves to app data")


def test_django_version_specifics(case):
    report = case.preflight
    csp = messages(report, "CSP")
    dependencies = messages(report, "dependencies", "change")
    if case.kind.django == "5.2":
        assert "desktop_django.csp" in csp
        assert "desktop-django[django52]" in dependencies
        assert "django-tasks backport" in messages(report, "django")
    else:
        assert "Django's CSP middleware" in csp
        assert "desktop-django " in dependencies + " "
    target = "requirements.txt" if case.kind.dependencies == "requirements" else "pyproject.toml"
    assert dependencies.endswith(f"to {target}")
    source = messages(report, "dependencies", "works")
    expected_source = {
        "requirements": "requirements.txt: ",
        "pyproject": "pyproject.toml [project] dependencies: ",
        "uv.lock": "uv.lock (exported as locked): ",
    }[case.kind.dependencies]
    assert source.startswith(expected_source)


def test_tasks_switch_to_the_desktop_worker(case):
    tasks = findings(case.preflight, "tasks")
    if case.kind.tasks == "backport":  # the project configured TASKS itself
        assert tasks[0]["kind"] == "change"
        assert "ImmediateBackend" in tasks[0]["message"]
    else:
        assert tasks[0]["kind"] == "works"


def test_custom_user_admin_and_csp_unfriendly_templates(wrap_cases):
    report = wrap_cases("custom-user").preflight
    assert "accounts.User" in messages(report, "users", "works")
    assert "createsuperuser" in messages(report, "admin", "works")
    templates = findings(report, "templates")
    assert len(templates) == 1
    assert templates[0]["by"] == "you"
    assert templates[0]["message"].startswith("inline styles in your templates")
    assert templates[0]["locations"] == ["templates/base.html:4"]


def test_out_of_scope_services_are_reported_without_blocking(plain_project):
    settings = plain_project / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text()
        + """
CELERY_BROKER_URL = "redis://queue.internal.example:6379/0"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                      "LOCATION": "redis://cache.internal.example:6379/1"}}
DATABASES["reports"] = {"ENGINE": "django.db.backends.mysql", "NAME": "reports"}
SESSION_COOKIE_SECURE = True
"""
    )
    done = wrap_cli(plain_project, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert "Celery (CELERY_BROKER_URL) is not covered" in messages(
        report, "task queue", "out-of-scope"
    )
    assert "'reports' (MySQL) is dropped" in messages(report, "database", "out-of-scope")
    assert "RedisCache) becomes an in-process cache" in messages(report, "cache", "change")
    server_host = [f for f in report["findings"] if f["topic"] == "server host"]
    assert "SESSION_COOKIE_SECURE bind" in server_host[0]["message"]
    assert server_host[0]["locations"][0].startswith("mysite/settings.py:")
    assert git(plain_project, "status", "--porcelain") == " M mysite/settings.py\n"
