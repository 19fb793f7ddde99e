"""The demo's settings are composed with the desktop-django helpers a wrapped project uses."""

from desktop_django import settings as desktop
from flying_stable.settings import base


def test_the_middleware_is_arranged_by_the_desktop_helper():
    assert desktop.middleware(base.MIDDLEWARE) == base.MIDDLEWARE
    assert base.MIDDLEWARE[0] == desktop.AUTH_MIDDLEWARE
    assert base.MIDDLEWARE[-1] == desktop.csp_middleware()
    # WhiteNoise right after SecurityMiddleware: static files need the token too.
    at = base.MIDDLEWARE.index(desktop.SECURITY_MIDDLEWARE)
    assert base.MIDDLEWARE[at + 1] == desktop.WHITENOISE_MIDDLEWARE


def test_the_apps_and_tasks_are_what_the_desktop_worker_needs():
    assert desktop.installed_apps(base.INSTALLED_APPS) == base.INSTALLED_APPS
    assert "django_tasks_db" in base.INSTALLED_APPS
    assert desktop.tasks() == base.TASKS
    assert desktop.content_security_policy() == base.SECURE_CSP
