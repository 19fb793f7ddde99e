"""The git wrapper: answers from a real repository, "" where git cannot answer."""

import subprocess

from desktop_django_tools.integrations import git


def test_answers_from_a_real_repository(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "f").write_text("x")
    env = ["-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(["git", *env, "-C", str(tmp_path), "add", "f"], check=True)
    subprocess.run(["git", *env, "-C", str(tmp_path), "commit", "-qm", "one"], check=True)
    sha = git.output(tmp_path, "rev-parse", "HEAD")
    assert len(sha) == 40
    assert all(c in "0123456789abcdef" for c in sha)


def test_outside_a_repository_the_answer_is_empty(tmp_path):
    assert git.output(tmp_path, "rev-parse", "HEAD") == ""


def test_without_git_installed_the_answer_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git.output(tmp_path, "status") == ""
