"""The settings helpers a wrapped project's packaged settings are built from, and the CSP
middleware used on Django 5.2 (which has no built-in CSP)."""

import pytest
from desktop_django import settings as desktop
from desktop_django.csp import ContentSecurityPolicyMiddleware, build_policy
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def test_middleware_puts_the_token_check_first_and_csp_last():
    arranged = desktop.middleware(STARTPROJECT_MIDDLEWARE)
    assert arranged[0] == desktop.AUTH_MIDDLEWARE
    assert arranged[1:4] == [
        desktop.SECURITY_MIDDLEWARE, desktop.WHITENOISE_MIDDLEWARE, desktop.MEDIA_MIDDLEWARE,
    ]  # fmt: skip
    assert arranged[-1] == desktop.csp_middleware()
    assert arranged[4:-1] == STARTPROJECT_MIDDLEWARE[1:]


def test_middleware_is_idempotent_and_works_without_security_middleware():
    once = desktop.middleware(["django.middleware.common.CommonMiddleware"])
    assert once == [
        desktop.AUTH_MIDDLEWARE,
        desktop.WHITENOISE_MIDDLEWARE,
        desktop.MEDIA_MIDDLEWARE,
        "django.middleware.common.CommonMiddleware",
        desktop.csp_middleware(),
    ]
    assert desktop.middleware(once) == once


def test_installed_apps_adds_static_files_and_the_task_database_once():
    apps = desktop.installed_apps(["django.contrib.admin", "notes.apps.NotesConfig"])
    assert apps[:2] == ["django.contrib.admin", "notes.apps.NotesConfig"]
    assert "django.contrib.staticfiles" in apps
    assert apps[-1] == "django_tasks_db"
    assert desktop.installed_apps(apps) == apps
    with_config = desktop.installed_apps(["django_tasks_db.apps.TasksAppConfig"])
    assert "django_tasks_db" not in with_config


def test_cache_servers_become_in_process_caches():
    caches = desktop.local_caches(
        {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"},
            "files": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"},
        }
    )
    assert caches["default"] == {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    assert caches["files"]["BACKEND"].endswith("FileBasedCache")
    assert desktop.local_caches(None)["default"]["BACKEND"].endswith("LocMemCache")


def test_fallback_policy_matches_the_desktop_policy():
    header = build_policy(desktop.content_security_policy())
    assert header.startswith("default-src 'self'; script-src 'self'; style-src 'self'")
    assert "object-src 'none'" in header
    assert "http" not in header
    assert build_policy({"upgrade-insecure-requests": True, "report-uri": None}) == (
        "upgrade-insecure-requests"
    )


def test_fallback_policy_refuses_nonces():
    with pytest.raises(ImproperlyConfigured, match="nonce"):
        build_policy({"script-src": ["'self'", "<CSP_NONCE_SENTINEL>"]})


@override_settings(SECURE_CSP={"default-src": ["'self'"]}, SECURE_CSP_REPORT_ONLY={})
def test_fallback_middleware_sets_the_header_unless_the_view_did():
    request = RequestFactory().get("/")
    plain = ContentSecurityPolicyMiddleware(lambda _r: HttpResponse("ok"))(request)
    assert plain["Content-Security-Policy"] == "default-src 'self'"
    assert "Content-Security-Policy-Report-Only" not in plain

    def own_policy(_request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    kept = ContentSecurityPolicyMiddleware(own_policy)(request)
    assert kept["Content-Security-Policy"] == "default-src 'none'"
