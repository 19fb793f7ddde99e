"""`desktop-django wrap`: check an existing Django project (preflight), then wrap it (--apply).

- `project`: find manage.py, the settings module, the dependency files and the interpreter;
- `probe`: a standalone script run by the *project's* interpreter to read its settings;
- `preflight`: turn what was found into a report (works / needs a change / out of scope /
  blockers);
- `apply`: write the desktop entry folder and the one dependency edit, from `templates/`.
"""
