"""README's sessions table is the list `nox -l` prints: no session missing, none invented."""

import re
import shutil
import subprocess

import pytest

from tests.support.ci import require_in_ci
from tests.support.paths import REPO_ROOT


def listed_sessions() -> set[str]:
    nox = shutil.which("nox")
    if nox is None:
        require_in_ci("nox is not on PATH")
    result = subprocess.run([nox, "-l"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return {m.group(1) for m in re.finditer(r"^[*-] (\S+) ->", result.stdout, re.MULTILINE)}


def readme_sessions() -> set[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## Sessions") :]
    return set(re.findall(r"^\| `nox -s ([\w-]+)`", table, re.MULTILINE))


@pytest.mark.slow
def test_the_sessions_table_matches_nox_list():
    listed = listed_sessions()
    assert len(listed) > 10
    assert readme_sessions() == listed
