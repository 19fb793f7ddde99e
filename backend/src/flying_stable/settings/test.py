"""pytest: the packaged settings, with app data in a throwaway folder and a known token."""

import os
import tempfile

os.environ.setdefault(
    "DESKTOP_DJANGO_APP_DATA_DIR", tempfile.mkdtemp(prefix="flying-stable-test-data-")
)

from .packaged import *  # noqa: F403

DESKTOP_DJANGO_AUTH_TOKEN = "a" * 64
ROUTINE_DURATION_SECONDS = (0.05, 0.1)
ROUTINE_FAILURE_RATE = 0.0
# Tests render pages without running collectstatic.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
