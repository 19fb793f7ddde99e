"""A stage that cannot be built ends in one line: the cause, the next step and the path of the
full log; never a traceback. Run through the real CLI on small hand-written projects."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from desktop_django_tools.errors import EXIT_FAILURE

pytestmark = pytest.mark.slow

CONFIG = """
    [app]
    package = "site_desktop"
    settings = "site_desktop.settings"

    [source]
    include = ["site_desktop", "brokenapp"]

    [dependencies]
    requirements = ["requirements.txt"]
    """
SETTINGS = """
    import os
    from pathlib import Path

    SECRET_KEY = "only-for-this-test"
    INSTALLED_APPS = ["django.contrib.staticfiles", "brokenapp"]
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                             "NAME": Path(os.environ["DESKTOP_DJANGO_APP_DATA_DIR"]) / "db"}}
    STATIC_URL = "/static/"
    STATIC_ROOT = Path(os.environ["DESKTOP_DJANGO_STAGE_DIR"]) / "staticfiles"
    """


def make_project(root: Path, requirements: str, broken_import: bool = True,
                 settings_extra: str = "") -> Path:  # fmt: skip
    files = {
        "site_desktop/__init__.py": "",
        "site_desktop/settings.py": textwrap.dedent(SETTINGS) + settings_extra,
        "site_desktop/desktop-stage.toml": CONFIG,
        "brokenapp/__init__.py": "",
        # Something the stage holds part of (Django) but not this name: a pruned submodule
        # looks exactly like this.
        "brokenapp/views.py": "from django.contrib.staticfiles import pruned_away\n"
        if broken_import
        else "",
        "requirements.txt": requirements,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def stage(project: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", "stage", "--project", str(project),
         "--output", str(output), "--python-home", sys.base_prefix, "--no-bytecode"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess) -> tuple[str, Path]:
    assert done.returncode == EXIT_FAILURE, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("desktop-django stage:")]
    assert len(errors) == 1, done.stderr
    assert done.stderr.rstrip().endswith(errors[0])
    log = Path(errors[0].rpartition("(full log: ")[2].rstrip(")"))
    assert log.is_file()
    return errors[0], log


def test_a_version_conflict_fails_before_anything_is_built(tmp_path):
    project = make_project(tmp_path / "site", "django>=5.2\nwhitenoise==6.6.0\n")
    done = stage(project, tmp_path / "out" / "backend")
    line, log = one_line_error(done)
    assert "requirements.txt" in line
    assert "whitenoise" in line
    assert "Next:" in line
    assert "stage: runtime" not in done.stderr  # resolved before the runtime was copied
    assert "whitenoise" in log.read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "backend").exists()


def test_a_module_that_does_not_import_in_the_stage_is_named(tmp_path):
    project = make_project(tmp_path / "site", "django>=5.2\n")
    done = stage(project, tmp_path / "out" / "backend")
    line, log = one_line_error(done)
    assert "module brokenapp.views does not import inside the stage" in line
    assert "pruned_away" in line
    assert "broken: brokenapp.views" in log.read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "backend").exists()


def test_a_failing_system_check_is_named(tmp_path):
    # staticfiles.E002: an error of Django's own checks, found only by running them.
    project = make_project(tmp_path / "site", "django>=5.2\n", broken_import=False,
                           settings_extra="STATICFILES_DIRS = [STATIC_ROOT]\n")  # fmt: skip
    done = stage(project, tmp_path / "out" / "backend")
    line, log = one_line_error(done)
    assert "`manage.py check` failed inside the stage: ?: (staticfiles.E002)" in line
    assert "staticfiles.E002" in log.read_text(encoding="utf-8")
