"""The top-level test trees (contracts, end to end, reliability, the bench's own tests) and the
scripts run from them (`python -m tests.newcomer`, `tests.reliability.no_egress_session`).

Most of their support lives beside the distribution's tests, in
desktop-django/tests/desktop_django_testing, which pytest finds through pyproject's `pythonpath`.
A script run outside pytest (`python -m ...` from the repo root) has only the repo root on its
path, so importing this package adds that folder too: the one place the fact is written for
everything outside pytest (the bench imports this package for it)."""

import sys
from pathlib import Path

_DISTRIBUTION_TESTS = str(Path(__file__).resolve().parents[1] / "desktop-django" / "tests")
if _DISTRIBUTION_TESTS not in sys.path:
    sys.path.append(_DISTRIBUTION_TESTS)
