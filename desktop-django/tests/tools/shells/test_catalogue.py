"""The shell catalogue (desktop_django_tools/shells/catalogue.py): what it says each shell can
do is what the shell's module does, and a packager's missing program is named, with its
install line, before anything runs."""

from __future__ import annotations

import pytest
from desktop_django import env as env_names
from desktop_django_tools.errors import ToolError
from desktop_django_tools.shells import catalogue

from tools.test_errors import desktop_django, failure_line


@pytest.mark.parametrize("shell", catalogue.SHELLS, ids=lambda shell: shell.name)
def test_each_shell_module_does_what_the_catalogue_says(shell):
    module = catalogue.module(shell.name)
    assert callable(module.run)
    assert callable(getattr(module, "test", None)) == shell.testable
    assert callable(getattr(module, "package", None)) == shell.packageable
    assert callable(getattr(module, "prepare_for_tests", None)) == shell.prepared
    if not shell.packageable:
        assert shell.package_tools == ()
        assert shell.package_requirements == ()


def test_the_lists_follow_the_entries():
    assert catalogue.RUNNABLE == ("electron", "tauri", "positron", "browser")
    assert "browser" not in catalogue.WINDOWS
    assert "browser" not in catalogue.PACKAGEABLE
    assert set(catalogue.TESTABLE) <= set(catalogue.RUNNABLE)
    assert set(catalogue.PREPARED) <= set(catalogue.TESTABLE)
    assert catalogue.packaging_needs(catalogue.CARGO) == ("tauri",)


def test_an_unknown_shell_names_the_ones_there_are():
    with pytest.raises(ToolError, match=r"no shell called 'qt'.*electron, tauri, positron"):
        catalogue.release_folder("qt", "1.0")


def test_every_shell_releases_into_its_own_versioned_folder():
    version = catalogue.product().version
    folders = {catalogue.release_folder(name, version) for name in catalogue.PACKAGEABLE}
    assert folders == {catalogue.DIST / name / version for name in catalogue.PACKAGEABLE}
    assert catalogue.rehearsal_folder("electron", version) not in folders


def offline(host: str) -> bool:
    return False


def test_a_missing_tool_is_named_with_its_install_line_and_its_variable_counts(tmp_path):
    empty = {"PATH": str(tmp_path)}
    with pytest.raises(ToolError) as missing:
        catalogue.require_package_tools("electron", empty, offline)
    assert missing.value.cause == "packaging electron needs 7za, which is not installed"
    assert "apt-get install p7zip-full" in missing.value.next_step
    variable = {**empty, catalogue.SEVEN_ZIP.variable: "7za"}
    catalogue.require_package_tools("electron", variable, offline)
    seven_zip = tmp_path / "7za"
    seven_zip.write_text("#!/bin/sh\n", encoding="utf-8")
    seven_zip.chmod(0o755)
    catalogue.require_package_tools("electron", empty, offline)


def test_a_tool_the_packager_can_download_is_needed_only_offline(tmp_path):
    asked = []

    def online(host: str) -> bool:
        asked.append(host)
        return True

    catalogue.require_package_tools("electron", {"PATH": str(tmp_path)}, online)
    assert asked == ["github.com"]


# The real command, with nothing on PATH (the interpreter is started by its full path);
# electron's 7za is not here: where GitHub answers, electron-builder downloads it (above).
@pytest.mark.parametrize("shell", ["tauri", "positron"])
def test_package_names_the_missing_tool_before_it_stages_anything(shell, tmp_path):
    stage = tmp_path / "stage"
    env = {"PATH": str(tmp_path / "bin"), env_names.STAGE_DIR: str(stage)}
    tool = catalogue.get(shell).package_tools[0]
    line = failure_line(desktop_django("package", shell, env=env), "package")
    assert line.startswith(f"desktop-django package: packaging {shell} needs {tool.command}")
    assert line.endswith(f"Next: {tool.install}")
    assert not stage.exists()
