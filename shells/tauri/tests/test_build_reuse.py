"""One release build per run: prepare-shells, `test-shell tauri`, this session's fixture and
`package` ask for the same build, and every request after the first reuses its outputs
(desktop_django_tools/build_record.py) rather than bundling again."""

from __future__ import annotations


def test_an_identical_build_reuses_the_made_one(tauri_build):
    from desktop_django_tools.shells import tauri

    shell = tauri.shell_dir()
    first = tauri.build(shell, ("deb", "rpm"))
    made = {path: path.stat().st_mtime_ns for path in [tauri.release_binary(shell), *first]}
    again = tauri.build(shell, ("deb", "rpm"))
    assert again == first
    assert {path: path.stat().st_mtime_ns for path in made} == made
    assert sorted(p.name for p in again) == sorted(p.name for p in tauri_build.artifacts)
