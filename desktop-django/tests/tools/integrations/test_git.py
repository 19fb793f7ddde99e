"""The git wrapper against a real repository: answers, no metadata outside a work tree or
before the first commit, and every other failure an error naming the command."""

import subprocess

import pytest
from desktop_django_tools.integrations import git

IDENTITY = ["-c", "user.email=t@example.invalid", "-c", "user.name=t"]


def test_answers_from_a_real_repository(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert git.in_work_tree(tmp_path)
    assert git.head(tmp_path) is None  # no commit yet
    (tmp_path / "f").write_text("x")
    subprocess.run(["git", *IDENTITY, "-C", str(tmp_path), "add", "f"], check=True)
    subprocess.run(["git", *IDENTITY, "-C", str(tmp_path), "commit", "-qm", "one"], check=True)
    sha = git.head(tmp_path)
    assert len(sha) == 40
    assert all(c in "0123456789abcdef" for c in sha)
    assert git.visible_files(tmp_path) == {tmp_path / "f"}


def test_a_failing_command_is_an_error_that_names_it(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    with pytest.raises(git.GitError, match=r"`git log -1` failed in .* \(exit 128\)"):
        git.output(tmp_path, "log", "-1")


def test_outside_a_repository_there_is_no_metadata(tmp_path):
    assert not git.in_work_tree(tmp_path)
    assert git.head(tmp_path) is None
    assert git.visible_files(tmp_path) is None
    with pytest.raises(git.GitError, match="rev-parse HEAD"):
        git.output(tmp_path, "rev-parse", "HEAD")


def test_without_git_installed_there_is_no_metadata_and_commands_say_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git.head(tmp_path) is None
    with pytest.raises(git.GitError, match="git is not installed") as error:
        git.output(tmp_path, "status")
    assert "apt-get install git" in error.value.next_step
