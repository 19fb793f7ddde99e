"""The Positron orchestration (`desktop-django run positron`): what it refuses before anything
is staged, and how it says so (real commands in a real process)."""

from __future__ import annotations

from tools.test_errors import desktop_django, failure_line


def test_a_dev_run_of_a_project_that_is_not_wrapped_names_the_wrap_step(tmp_path):
    (tmp_path / "site").mkdir()
    done = desktop_django("run", "positron", "--project", str(tmp_path / "site"))
    line = failure_line(done, "run")
    assert f"no desktop-stage.toml in {tmp_path / 'site'}" in line
    assert not (tmp_path / "site" / ".stage").exists()
