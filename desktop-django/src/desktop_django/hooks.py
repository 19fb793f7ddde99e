"""Project hooks named in settings as dotted paths, so the launcher stays project-agnostic.

- `DESKTOP_DJANGO_FIRST_RUN`: run once, right after a brand-new database is migrated (seeding).
- `DESKTOP_DJANGO_ON_STARTUP`: run at every server start, before the first request
  (for example reconciling work a previous run left unfinished).
"""

from __future__ import annotations

import logging

logger = logging.getLogger("desktop_django.hooks")


def run_hooks(setting_name: str) -> None:
    from django.conf import settings
    from django.utils.module_loading import import_string

    for dotted_path in getattr(settings, setting_name, ()):
        logger.info("running %s hook %s", setting_name, dotted_path)
        import_string(dotted_path)()
