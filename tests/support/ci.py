import os

import pytest


def require_in_ci(reason: str) -> None:
    """Skip locally, but fail under CI=true: CI must never silently skip a dependency."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)
