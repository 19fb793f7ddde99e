"""Names of the environment variables in the launcher contract (docs/architecture.md).

Shells set these; the backend reads them. Keeping the names in one module means a rename is
one edit here plus the schema version bump in the stage manifest.
"""

APP_DATA_DIR = "DESKTOP_DJANGO_APP_DATA_DIR"
AUTH_TOKEN = "DESKTOP_DJANGO_AUTH_TOKEN"  # noqa: S105 - a name, not a secret
STAGE_DIR = "DESKTOP_DJANGO_STAGE_DIR"
SETTINGS_MODULE = "DJANGO_SETTINGS_MODULE"
# Backend updates (docs/backend-updates.md): the installed app's own read-only stage, passed
# beside STAGE_DIR (which may be a slot in app data) so that `serve` applies the slot rule
# itself; and the shell's word that the trial it started failed before serve could count it.
FACTORY_STAGE_DIR = "DESKTOP_DJANGO_FACTORY_STAGE_DIR"
ROLLBACK = "DESKTOP_DJANGO_ROLLBACK"
# Not part of the contract (so not in ALL): set by the benchmark to collect start-up
# milestones (desktop_django/timeline.py); every shell and the backend append to this file.
TIMELINE = "DESKTOP_DJANGO_TIMELINE"

ALL = (APP_DATA_DIR, AUTH_TOKEN, STAGE_DIR, SETTINGS_MODULE)
