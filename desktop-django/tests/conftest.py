"""The same fixtures as the root conftest.py registers, so the distribution's tests also run
on their own (`pytest --rootdir desktop-django desktop-django/tests`); pytest registers the
plugin once when both conftests load."""

pytest_plugins = ["desktop_django_testing.fixtures"]
