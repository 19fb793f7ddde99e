"""Names of the environment variables in the launcher contract (docs/architecture.md).

Shells set these; the backend reads them. Keeping the names in one module means a rename is
one edit here plus the schema version bump in the stage manifest.
"""

APP_DATA_DIR = "DESKTOP_DJANGO_APP_DATA_DIR"
AUTH_TOKEN = "DESKTOP_DJANGO_AUTH_TOKEN"  # noqa: S105 - a name, not a secret
STAGE_DIR = "DESKTOP_DJANGO_STAGE_DIR"
SETTINGS_MODULE = "DJANGO_SETTINGS_MODULE"
# Not part of the contract (so not in ALL): set by the benchmark to collect start-up
# milestones (desktop_django/timeline.py); every shell and the backend append to this file.
TIMELINE = "DESKTOP_DJANGO_TIMELINE"

ALL = (APP_DATA_DIR, AUTH_TOKEN, STAGE_DIR, SETTINGS_MODULE)
