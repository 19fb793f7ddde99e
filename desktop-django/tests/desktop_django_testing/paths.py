"""Where the tests find this repository: one answer for every test tree."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
