"""The stage check at start (stage_integrity.py) on a small real stage folder: which files
it checks, when it re-hashes, and the file it names. The real stage under serve:
tests/reliability/test_stage_integrity.py."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from desktop_django.stage_integrity import StageDamaged, check, record, snapshot

VECTOR = Path(__file__).resolve().parents[3] / "tests/stage/vectors/valid/minimal-linux.json"
FILES = {
    "pkg/__init__.py": b"VALUE = 1\n",
    "pkg/__pycache__/__init__.cpython-313.pyc": b"\x00bytecode of pkg/__init__.py",
    "pkg/plain.py": b"# no bytecode for this one\n",
    "templates/page.html": b"<p>a page</p>\n",
}


def write_index(stage: Path) -> None:
    lines = "".join(
        f"{hashlib.sha256((stage / name).read_bytes()).hexdigest()}  {name}\n" for name in FILES
    )
    (stage / "stage-files.sha256").write_text(lines, encoding="utf-8")
    manifest = json.loads(VECTOR.read_text(encoding="utf-8"))
    manifest["index"] = {
        "path": "stage-files.sha256",
        "sha256": hashlib.sha256(lines.encode()).hexdigest(),
    }
    (stage / "runtime-manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def stage(tmp_path) -> Path:
    root = tmp_path / "backend"
    for name, content in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    write_index(root)
    return root


def replace(path: Path, content: bytes) -> None:
    """Another file renamed over it, the way installers and copies replace files."""
    fresh = path.with_name(path.name + ".new")
    fresh.write_bytes(content)
    os.replace(fresh, path)


def test_the_first_check_hashes_what_runs_and_the_next_only_looks(stage, tmp_path):
    record = tmp_path / "stage-check.json"
    first = check(stage, record)
    # pkg/__init__.py is left out: its bytecode is indexed, the interpreter never reads it.
    assert (first.files, first.hashed) == (3, 3)
    again = check(stage, record)
    assert (again.files, again.hashed) == (3, 0)
    assert "unchanged since the last check" in again.describe()


def test_a_snapshot_recorded_under_the_final_name_spares_the_first_check(stage, tmp_path):
    """What an update's applier does: snapshot the slot it built, re-hash it, rename it."""
    taken = snapshot(stage)
    final = stage.rename(tmp_path / "1.2.0")
    record_path = tmp_path / "stage-check.json"
    record(final, record_path, taken)
    assert (check(final, record_path).hashed, check(final, record_path).files) == (0, 3)


def test_a_file_replaced_after_the_snapshot_is_hashed_at_the_first_check(stage, tmp_path):
    taken = snapshot(stage)
    replace(stage / "templates/page.html", b"<p>b page</p>\n")  # a new inode, same size
    record_path = tmp_path / "stage-check.json"
    record(stage, record_path, taken)
    with pytest.raises(StageDamaged) as caught:
        check(stage, record_path)
    assert caught.value.name == "templates/page.html"


def test_a_file_changed_after_the_record_is_named(stage, tmp_path):
    record = tmp_path / "stage-check.json"
    check(stage, record)
    replace(stage / "templates/page.html", b"<p>b page</p>\n")  # same size
    with pytest.raises(StageDamaged) as caught:
        check(stage, record)
    assert caught.value.name == "templates/page.html"
    message = str(caught.value)
    assert str(stage / "templates" / "page.html") in message
    assert "has changed since the stage was built" in message
    assert "Reinstall the app" in message
    assert f"desktop-django verify-stage {stage}" in message


def test_a_missing_pyc_puts_its_source_under_check(stage, tmp_path):
    record = tmp_path / "stage-check.json"
    (stage / "pkg/__pycache__/__init__.cpython-313.pyc").unlink()
    assert check(stage, record).files == 3  # the source in its place
    replace(stage / "pkg/__init__.py", b"VALUE = 2\n")
    with pytest.raises(StageDamaged) as caught:
        check(stage, record)
    assert caught.value.name == "pkg/__init__.py"


@pytest.mark.parametrize(
    ("damage", "name", "cause"),
    [
        (lambda s: (s / "pkg/plain.py").unlink(), "pkg/plain.py", "is missing"),
        (
            lambda s: ((s / "pkg/plain.py").unlink(), (s / "pkg/plain.py").symlink_to(s / "x")),
            "pkg/plain.py",
            "is not a regular file",
        ),
        (
            lambda s: (s / "stage-files.sha256").write_text("", encoding="utf-8"),
            "stage-files.sha256",
            "does not match the manifest's sha256",
        ),
    ],
    ids=["missing", "symlink", "index"],
)
def test_each_kind_of_damage_names_its_file(stage, tmp_path, damage, name, cause):
    damage(stage)
    with pytest.raises(StageDamaged) as caught:
        check(stage, tmp_path / "stage-check.json")
    assert caught.value.name == name
    assert cause in str(caught.value)
