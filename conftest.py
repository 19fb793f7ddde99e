"""Every test tree's shared fixtures (stage_dir, backend, staged, artifacts_dir) come from the
distribution's test support, desktop-django/tests/desktop_django_testing/fixtures.py."""

pytest_plugins = ["desktop_django_testing.fixtures"]
