"""The benchmark suite behind `nox -s bench`: start-up, request latency, tasks, shutdown,
size and memory of the staged backend, each comparison run side by side in one session."""

# The bench starts backends and windows with the tests' own support, most of which lives in
# desktop-django/tests/desktop_django_testing; importing the tests package puts that folder on
# sys.path for `python -m bench` (tests/__init__.py says why it is done there).
import tests  # noqa: F401
