"""Refusals: a clear message, a non-zero exit, and nothing written."""

from __future__ import annotations

import subprocess

import pytest

from tools.wrap.conftest import git, wrap_cli
from tools.wrap.projects import commit

pytestmark = pytest.mark.slow


def untracked_and_changed(root) -> str:
    return git(root, "status", "--porcelain", "--untracked-files=all")


def test_dirty_tree_is_refused_without_force(plain_project):
    (plain_project / "mysite" / "urls.py").write_text("# work in progress\n", encoding="utf-8")
    done = wrap_cli(plain_project, "--apply")
    assert done.returncode == 1
    assert "uncommitted changes (mysite/urls.py)" in done.stderr
    assert "Nothing was written" in done.stderr
    assert untracked_and_changed(plain_project) == " M mysite/urls.py\n"


def test_dirty_tree_is_wrapped_with_force(plain_project):
    (plain_project / "notes" / "admin.py").write_text("# work in progress\n", encoding="utf-8")
    done = wrap_cli(plain_project, "--apply", "--force")
    assert done.returncode == 0, done.stderr
    assert (plain_project / "mysite_desktop" / "settings.py").is_file()


def test_not_a_git_repository_is_refused_without_force(plain_project):
    subprocess.run(["rm", "-rf", str(plain_project / ".git")], check=True)
    before = sorted(p.name for p in plain_project.iterdir())
    done = wrap_cli(plain_project, "--apply")
    assert done.returncode == 1
    assert "not in a git work tree" in done.stderr
    assert sorted(p.name for p in plain_project.iterdir()) == before


def test_folder_without_manage_py(tmp_path):
    (tmp_path / "empty").mkdir()
    done = wrap_cli(tmp_path / "empty", "--apply", "--force")
    assert done.returncode == 1
    assert "no manage.py in" in done.stdout
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ('SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\n', "KeyError: 'DJANGO_SECRET_KEY'"),
        ("INSTALLED_APPS = [\n", "SyntaxError"),
    ],
    ids=["needs-environment", "syntax-error"],
)
def test_unreadable_settings_are_a_blocker(plain_project, monkeypatch, broken, expected):
    # Even when the developer's shell has the variable, the desktop app will not.
    monkeypatch.setenv("DJANGO_SECRET_KEY", "set in my shell only")
    settings = plain_project / "mysite" / "settings.py"
    settings.write_text("import os\n" + settings.read_text() + broken, encoding="utf-8")
    git(plain_project, "add", "-A")
    commit(plain_project, "settings that do not import on their own")
    for args in ((), ("--apply",)):
        done = wrap_cli(plain_project, *args)
        assert done.returncode == 1, done.stdout
        assert "mysite.settings cannot be imported" in done.stdout
        assert expected in done.stdout
        assert "settings.py:" in done.stdout  # where in the user's file
    assert untracked_and_changed(plain_project) == ""


def test_unsupported_settings_argument(plain_project):
    done = wrap_cli(plain_project, "--settings", "mysite.nonexistent")
    assert done.returncode == 1
    assert "mysite.nonexistent cannot be imported" in done.stdout


def test_a_failure_while_writing_is_one_line_not_a_traceback(plain_project):
    # A dangling link where the desktop folder goes: creating the folder fails.
    (plain_project / "mysite_desktop").symlink_to(plain_project / "gone")
    git(plain_project, "add", "-A")
    commit(plain_project, "a link that points nowhere")
    done = wrap_cli(plain_project, "--apply")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("desktop-django wrap: FileExistsError: ")
    assert line.endswith("fix the cause named here and run the command again")
