"""The Briefcase wrapper: the offline path is explicit, and the blocker says what to set."""

import sys

import pytest
from desktop_django_tools.integrations import briefcase


def test_local_template_and_support_package_need_no_network(monkeypatch, tmp_path):
    monkeypatch.setenv(briefcase.TEMPLATE_ENV, str(tmp_path / "template"))
    monkeypatch.setenv(briefcase.SUPPORT_ENV, str(tmp_path / "support.tar.gz"))
    assert briefcase.offline_blocker() is None
    assert briefcase.override_args() == [
        "--template",
        str(tmp_path / "template"),
        "-C",
        f'support_package="{tmp_path / "support.tar.gz"}"',
    ]


def test_without_them_and_without_github_the_blocker_names_what_is_missing(monkeypatch):
    monkeypatch.delenv(briefcase.TEMPLATE_ENV, raising=False)
    monkeypatch.setenv(briefcase.SUPPORT_ENV, "/somewhere/support.tar.gz")
    monkeypatch.setattr(briefcase.network, "reachable", lambda host: False)
    blocker = briefcase.offline_blocker()
    assert briefcase.TEMPLATE_ENV in blocker
    assert briefcase.SUPPORT_ENV not in blocker
    assert "docs/positron.md" in blocker


def test_the_target_matches_this_os():
    platform, output_format = briefcase.host_target()
    expected = {"darwin": "macOS", "win32": "windows"}.get(sys.platform, "linux")
    assert platform == expected
    assert output_format in ("app", "appimage")


def test_a_step_without_briefcase_installed_names_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(briefcase.BriefcaseError, match="`briefcase build`: briefcase is not"):
        briefcase.run("build", tmp_path)
