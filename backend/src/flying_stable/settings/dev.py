"""Development: runserver, DEBUG, no token, data in the repo's `.devdata/` folder."""

import os
from pathlib import Path

from desktop_django.app_data import AppData
from desktop_django.settings import logging_config, sqlite_database

from .base import *  # noqa: F403
from .base import PACKAGE_DIR

DEBUG = True
REPO_ROOT = PACKAGE_DIR.parent.parent.parent
APP_DATA = AppData(
    Path(os.environ.get("DESKTOP_DJANGO_APP_DATA_DIR") or REPO_ROOT / ".devdata")
).prepare()

SECRET_KEY = APP_DATA.secret_key()
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
DATABASES = {"default": sqlite_database(APP_DATA.database)}
DESKTOP_DJANGO_AUTH_TOKEN = os.environ.get("DESKTOP_DJANGO_AUTH_TOKEN", "")
STATIC_ROOT = REPO_ROOT / ".devdata" / "staticfiles"
LOGGING = logging_config()
