"""README's sessions table is the list `nox -l` prints (no session missing, none invented), and
its Debian install line is what CI installs."""

import re
import shutil
import subprocess

import pytest
from desktop_django_testing.ci import require_in_ci
from desktop_django_testing.paths import REPO_ROOT

from tests.support.readme import ci_apt_packages, readme_apt_packages


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


# What the CI machine kind comes with rather than gets from `.ci/run` (its header: "a fresh
# Debian 12 machine with Python, Node and Rust"; git made the checkout). Installing Debian's
# nodejs/npm there would fight the Node it has.
CI_MACHINE_HAS = {"git": "git", "nodejs": "node", "npm": "npm"}


def test_ci_installs_every_package_of_the_readmes_apt_line():
    readme = readme_apt_packages()
    assert {"python3-dev", "xvfb", "libwebkit2gtk-4.1-dev", "pipx"} <= readme
    missing = readme - ci_apt_packages() - set(CI_MACHINE_HAS)
    assert not missing, f".ci/run does not install what the README tells a newcomer to: {missing}"
    for package, command in CI_MACHINE_HAS.items():
        if package in readme and shutil.which(command) is None:
            require_in_ci(f"{command} is missing: the README's {package} is not installed here")
