"""Packaged desktop mode: what every shell runs. Reads the launcher contract's environment."""

from desktop_django import settings as desktop
from desktop_django.settings import LOOPBACK_HOSTS

from .base import *  # noqa: F403
from .base import PACKAGE_DIR

DEBUG = False
APP_DATA = desktop.app_data().prepare()

# Generated once per install into app data (mode 0600): never a hard-coded fallback.
SECRET_KEY = APP_DATA.secret_key()
ALLOWED_HOSTS = LOOPBACK_HOSTS
DATABASES = {"default": desktop.sqlite_database(APP_DATA.database)}
DESKTOP_DJANGO_AUTH_TOKEN = desktop.auth_token()

STATIC_ROOT = desktop.static_root(default=PACKAGE_DIR.parent.parent / "staticfiles")
STORAGES = desktop.storages()
# Hashed names never change content, so the web view may cache them for good.
WHITENOISE_MAX_AGE = 31536000
LOGGING = desktop.logging_config()

# `check --deploy` assumes a public HTTPS site. This server speaks plain HTTP to one web view
# on 127.0.0.1 and is never reachable from the network, so the HTTPS-only advice does not apply:
SILENCED_SYSTEM_CHECKS = [
    "security.W004",  # HSTS: no TLS on loopback; a browser would pin HSTS for 127.0.0.1
    "security.W008",  # SSL redirect: there is no HTTPS listener to redirect to
    "security.W016",  # Secure CSRF cookie: a Secure cookie is never sent back over plain HTTP
]
