"""Settings are split explicitly: `base` (shared), `dev` (runserver) and `packaged` (desktop)."""
