"""Tests: the packaged settings with fast, never-failing routines.

In-process tests (Django's test client) get a throwaway app data folder, a fixed token and
static files straight from the apps; process tests pass the launcher environment and a
collected `staticfiles/`, exactly like a shell would.
"""

import os
import tempfile

from desktop_django import env

os.environ.setdefault(env.APP_DATA_DIR, tempfile.mkdtemp(prefix="flying-stable-test-data-"))

from .packaged import *  # noqa: F403
from .packaged import STORAGES

DESKTOP_DJANGO_AUTH_TOKEN = os.environ.get(env.AUTH_TOKEN) or "a" * 64
# Reliability tests stretch routines ("low,high" seconds) to kill a worker mid-task.
ROUTINE_DURATION_SECONDS = tuple(
    float(bound) for bound in os.environ.get("FLYING_STABLE_ROUTINE_SECONDS", "0.2,0.4").split(",")
)
ROUTINE_FAILURE_RATE = 0.0

if not os.environ.get(env.STAGE_DIR):
    STORAGES = {
        **STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    WHITENOISE_USE_FINDERS = True
    STATIC_ROOT = None  # nothing collected: WhiteNoise serves from the app folders
