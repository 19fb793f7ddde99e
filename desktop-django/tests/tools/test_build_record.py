"""build_record.py: a build's outputs are reused only for exactly the same inputs and only
while they are as the build left them. On real files in a temporary folder."""

from __future__ import annotations

import os

from desktop_django_tools import build_record


def sources(tmp_path):
    root = tmp_path / "shell"
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.rs").write_text("fn main() {}\n", encoding="utf-8")
    (root / "target").mkdir()
    (root / "target" / "app").write_bytes(b"built")
    return root


def test_the_tree_digest_follows_sources_and_leaves_out_outputs(tmp_path):
    root = sources(tmp_path)
    first = build_record.tree_digest(root, ["target"])
    (root / "target" / "app").write_bytes(b"built again")
    assert build_record.tree_digest(root, ["target"]) == first
    (root / "src" / "main.rs").write_text("fn main() { run() }\n", encoding="utf-8")
    assert build_record.tree_digest(root, ["target"]) != first
    (root / "src" / "main.rs").rename(root / "src" / "lib.rs")  # a rename is a change too
    assert build_record.tree_digest(root, ["target"]) != first


def test_the_same_inputs_reuse_the_outputs(tmp_path):
    root = sources(tmp_path)
    record = root / "target" / "record.json"
    outputs = [root / "target" / "app"]
    inputs = build_record.inputs_digest(build_record.tree_digest(root, ["target"]), "deb,rpm")
    assert build_record.reusable(record, inputs) is None  # nothing built yet
    build_record.write(record, inputs, outputs)
    assert build_record.reusable(record, inputs) == outputs
    assert build_record.reusable(record, build_record.inputs_digest("deb")) is None


def test_an_output_changed_since_is_built_again(tmp_path):
    root = sources(tmp_path)
    record = root / "target" / "record.json"
    app = root / "target" / "app"
    build_record.write(record, "inputs", [app])
    status = app.stat()
    os.utime(app, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    assert build_record.reusable(record, "inputs") is None
    build_record.write(record, "inputs", [app])
    app.unlink()
    assert build_record.reusable(record, "inputs") is None


def test_a_forgotten_or_damaged_record_reuses_nothing(tmp_path):
    root = sources(tmp_path)
    record = root / "target" / "record.json"
    build_record.write(record, "inputs", [root / "target" / "app"])
    build_record.forget(record)
    assert not record.exists()
    record.write_text("{not json", encoding="utf-8")
    assert build_record.reusable(record, "inputs") is None
