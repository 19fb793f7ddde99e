from __future__ import annotations

import pytest
from desktop_django_testing.xvfb import display_for_tests


@pytest.fixture(scope="session")
def xvfb_display():
    """A private X display on Xvfb; DISPLAY for the app processes started by tests."""
    yield from display_for_tests()
