#!/usr/bin/env python3
"""Verify a release folder: every file against SHA256SUMS and release-manifest.json, the
minisign signature of SHA256SUMS when there is one, and each backend layer in it; or one
backend layer carried alone.

    python3 verify.py [FOLDER] [--public-key FILE | --public-key-string KEY] [--require-signature]
    python3 verify.py FILE.layer (--public-key FILE | --public-key-string KEY)

FOLDER defaults to the folder this script is in. Each file is reported as OK, MISSING,
CHANGED or UNEXPECTED; the exit status is 0 only when every listed file is present and
unchanged, nothing unlisted is there, and the signature (if any, or if one is required) is
valid. Exit status 1 means the folder failed verification, 2 that it could not be read, 3
that it is intact but a rehearsal its manifest marks as not for installing (a layout-only
Electron build, made with a stand-in executable that cannot run). electron-builder's own
working files (`linux-unpacked/`, `builder-debug.yml`, ...) are never part of a release: a
folder that still holds them is reported with one IGNORED line for each, not as problems.

The copy in a release is one self-contained script on purpose: it runs on a bare Python 3.8+
with the standard library only, because it is carried into sites where nothing can be
installed. That is also why it verifies Ed25519 itself (RFC 8032, in plain integers, the
runtime's desktop_django/minisign.py inlined) instead of importing a cryptography library.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

CHECKSUMS = "SHA256SUMS"
SIGNATURE = CHECKSUMS + ".minisig"
MANIFEST = "release-manifest.json"
# Files that describe the release rather than belong to it: never listed in SHA256SUMS.
DESCRIPTORS = (CHECKSUMS, SIGNATURE)
# What electron-builder leaves in its output folder beside the artifacts: the unpacked app
# (`linux-unpacked/`, `win-unpacked/`, `mac/`, `mac-arm64/`, ...) and its build logs.
BUILDER_LOGS = ("builder-debug.yml", "builder-effective-config.yaml")
BUILDER_FOLDERS = ("mac", "mac-arm64", "mac-universal")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREADABLE = 2
EXIT_REHEARSAL = 3


# --- Ed25519, minisign and backend layers -----------------------------------------------------
# One implementation, in the runtime (desktop_django/minisign.py, desktop_django/layers.py).
# A release carries this script alone: the release step replaces each import between the
# INLINE markers by the text of its module (desktop_django_tools/release/verify_script.py).
# INLINE desktop_django.minisign
from desktop_django.minisign import minisign_verify  # noqa: E402

# END INLINE
# isort: split
# INLINE desktop_django.layers
from desktop_django.layers import LAYER_SUFFIX, LayerError, open_layer  # noqa: E402

# END INLINE
BACKEND_LAYER = "backend-layer"  # the role release-manifest.json gives a layer

# --- SHA256SUMS (GNU coreutils format) --------------------------------------------------------


def parse_checksums(text: str) -> tuple[dict, list[str]]:
    """({name: sha256}, problems). Lines are `HASH  NAME` or `HASH *NAME`; a line starting
    with a backslash has `\\\\`, `\\n` and `\\r` escapes in its name, as sha256sum writes them."""
    entries: dict = {}
    problems: list[str] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line[:-1] if line.endswith("\r") else line
        if not line:
            continue
        escaped = line.startswith("\\")
        body = line[1:] if escaped else line
        digest, name = body[:64], body[66:]
        if (
            len(body) < 67
            or body[64] != " "
            or body[65] not in " *"
            or any(c not in "0123456789abcdefABCDEF" for c in digest)
        ):
            problems.append(f"{CHECKSUMS} line {number} is not `<sha256>  <name>`")
            continue
        if escaped:
            try:
                name = _unescape(name)
            except ValueError:
                problems.append(f"{CHECKSUMS} line {number} has a bad escape")
                continue
        if not _safe_name(name):
            problems.append(f"{CHECKSUMS} line {number} names a path outside the folder: {name!r}")
            continue
        if name in entries:
            problems.append(f"{CHECKSUMS} lists {name} twice")
            continue
        entries[name] = digest.lower()
    return entries, problems


def _unescape(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        if name[i] == "\\":
            nxt = name[i + 1 : i + 2]
            if nxt not in ("\\", "n", "r"):
                raise ValueError(name)
            out.append({"\\": "\\", "n": "\n", "r": "\r"}[nxt])
            i += 2
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def _safe_name(name: str) -> bool:
    """A relative path that stays inside the folder on every OS (Windows reads `\\` and
    drive letters as path syntax too)."""
    parts = name.replace("\\", "/").split("/")
    return (
        bool(name)
        and ":" not in name
        and "\0" not in name
        and all(part not in ("", ".", "..") for part in parts)
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- The folder -------------------------------------------------------------------------------


def builder_working_entry(name: str) -> str | None:
    """The top-level entry (`linux-unpacked/`, `builder-debug.yml`) when `name`, a path
    relative to the folder, is one of electron-builder's working files; else None."""
    top, _, rest = name.partition("/")
    if rest and (top.endswith("-unpacked") or top in BUILDER_FOLDERS):
        return top + "/"
    if not rest and top in BUILDER_LOGS:
        return top
    return None


class Report:
    def __init__(self):
        self.files: list[tuple[str, str]] = []  # (status, name)
        self.problems: list[str] = []
        self.ignored: list[str] = []  # electron-builder's working files, not the release's
        self.signature = "UNSIGNED"  # or "OK", "BAD"
        self.signature_detail = ""
        # The manifest's mark of a release that is not for installing, e.g. "layout-only",
        # and its reason.
        self.rehearsal: str | None = None
        self.rehearsal_note = ""
        self.layers: list[tuple[str, str, str]] = []  # (status, name, detail)

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and self.signature != "BAD"
            and all(status == "OK" for status, _name in self.files)
            and all(status != "BAD" for status, _name, _detail in self.layers)
        )

    def lines(self) -> list[str]:
        out = [f"{status:<10} {name}" for status, name in self.files]
        out += [
            f"IGNORED    {entry} (electron-builder's working files: not part of the release)"
            for entry in self.ignored
        ]
        out += [f"PROBLEM    {problem}" for problem in self.problems]
        out += [f"LAYER      {status} {name}: {detail}" for status, name, detail in self.layers]
        detail = f" ({self.signature_detail})" if self.signature_detail else ""
        out.append(f"SIGNATURE  {self.signature}{detail}")
        return out


def _files_in(folder: Path) -> list[str]:
    names = []
    for directory, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for filename in sorted(filenames):
            names.append((Path(directory) / filename).relative_to(folder).as_posix())
    return names


def verify_folder(
    folder: Path,
    public_key_text: str | None = None,
    require_signature: bool = False,
    ignore_unlisted: bool = False,
) -> Report:
    """Check `folder` against its SHA256SUMS, its release manifest and its signature.

    Every file SHA256SUMS does not list is UNEXPECTED, unless `ignore_unlisted` (for the
    packager's output folder, where build leftovers sit beside the release).

    Without an explicit public key, the key the release manifest names (shipped in the same
    folder) is used: that proves the files match each other, not who made them, so the
    report says which key it was and the caller should compare its ID with a published one.
    """
    report = Report()
    checksums_path = folder / CHECKSUMS
    try:
        checksums_text = checksums_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        report.problems.append(f"{CHECKSUMS} is missing: this is not a release folder")
        return report
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{CHECKSUMS} cannot be read: {exc}")
        return report
    expected, problems = parse_checksums(checksums_text)
    report.problems += problems

    present = set(_files_in(folder))
    for name in sorted(expected):
        path = folder / name
        if name not in present:
            report.files.append(("MISSING", name))
        elif sha256_of(path) != expected[name]:
            report.files.append(("CHANGED", name))
        else:
            report.files.append(("OK", name))
    manifest = _check_manifest(folder, expected, present, report)
    key_text = _check_signature(
        folder, manifest, public_key_text, require_signature, present, report
    )
    for item in manifest.get("artifacts") or []:
        if isinstance(item, dict) and item.get("role") == BACKEND_LAYER:
            name = str(item.get("name"))
            if ("OK", name) in report.files:
                report.layers.append(check_layer(folder / name, key_text))
    rehearsal = manifest.get("rehearsal")
    if isinstance(rehearsal, dict):
        report.rehearsal = str(rehearsal.get("kind") or "unnamed")
        report.rehearsal_note = str(rehearsal.get("note") or "")
    ignored = set()
    for name in sorted(present - set(expected) - set(DESCRIPTORS)):
        working = builder_working_entry(name)
        if working is not None:
            ignored.add(working)
        elif not ignore_unlisted:
            report.files.append(("UNEXPECTED", name))
    report.ignored = sorted(ignored)
    return report


def _check_manifest(folder: Path, expected: dict, present: set, report: Report) -> dict:
    if MANIFEST not in expected:
        report.problems.append(f"{CHECKSUMS} does not list {MANIFEST}")
        return {}
    if MANIFEST not in present:
        return {}
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        artifacts = manifest["artifacts"]
        listed = {item["name"]: item for item in artifacts}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        report.problems.append(f"{MANIFEST} is unreadable or malformed: {exc!r}")
        return {}
    for name, item in sorted(listed.items()):
        if name not in expected:
            report.problems.append(f"{MANIFEST} lists {name}, which {CHECKSUMS} does not")
        elif str(item.get("sha256", "")).lower() != expected[name]:
            report.problems.append(f"{MANIFEST} and {CHECKSUMS} disagree about {name}")
        elif name in present and (folder / name).stat().st_size != item.get("size"):
            report.problems.append(f"{name} does not have the size {MANIFEST} records")
    return manifest if isinstance(manifest, dict) else {}


def _check_signature(
    folder: Path,
    manifest: dict,
    public_key_text: str | None,
    require_signature: bool,
    present: set,
    report: Report,
) -> str | None:
    """Check the signature of SHA256SUMS; return the key it was checked with (None when
    there was none to check with)."""
    signing = manifest.get("signing") or {}
    signed = bool(signing.get("signed"))
    if SIGNATURE not in present:
        if signed:
            report.files.append(("MISSING", SIGNATURE))
            report.signature = "BAD"
            report.signature_detail = f"{MANIFEST} says the release is signed"
        elif require_signature or public_key_text:
            report.signature = "BAD"
            report.signature_detail = "a signature was required, but the release is unsigned"
        else:
            report.signature_detail = (
                "the files are intact, but who made them is not proven: compare the SHA-256 "
                f"of {CHECKSUMS} with one obtained through another channel"
            )
        return public_key_text
    if public_key_text is None:
        key_file = signing.get("publicKeyFile")
        if not key_file or key_file not in present:
            report.signature = "BAD"
            report.signature_detail = "no public key given, and none named by the manifest"
            return None
        public_key_text = (folder / key_file).read_text(encoding="utf-8")
        source = f"the key shipped in this folder ({key_file})"
    else:
        source = "the key given"
    signature_text = (folder / SIGNATURE).read_text(encoding="utf-8")
    valid, detail = minisign_verify(
        public_key_text, signature_text, (folder / CHECKSUMS).read_bytes()
    )
    report.files.append(("OK" if valid else "CHANGED", SIGNATURE))
    report.signature = "OK" if valid else "BAD"
    report.signature_detail = f"{detail}; checked with {source}"
    return public_key_text


def check_layer(path: Path, public_key_text: str | None) -> tuple[str, str, str]:
    """(status, name, detail) of one backend layer: OK when layer.json is signed by the key
    and every file in the layer matches its SHA-256; NOT CHECKED with no key to check with."""
    if not public_key_text:
        return ("NOT CHECKED", path.name, "no key to check its signature: pass --public-key")
    try:
        layer = open_layer(path, public_key_text)
    except LayerError as exc:
        return ("BAD", path.name, str(exc))
    try:
        problems = layer.check_every_file()
        description = layer.describe()
    finally:
        layer.close()
    if problems:
        return ("BAD", path.name, "; ".join(problems))
    return ("OK", path.name, f"{description}, signed with the key checked above")


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    parser = argparse.ArgumentParser(
        prog="verify.py", description="Verify a release folder against SHA256SUMS."
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="the release folder (default: the folder this script is in)",
    )
    keys = parser.add_mutually_exclusive_group()
    keys.add_argument("--public-key", type=Path, help="minisign public key file to trust")
    keys.add_argument("--public-key-string", help="minisign public key (its base64 line)")
    parser.add_argument(
        "--require-signature", action="store_true", help="fail when the release is unsigned"
    )
    parser.add_argument(
        "--ignore-unlisted",
        action="store_true",
        help="do not report files SHA256SUMS does not list (a packager's output folder)",
    )
    args = parser.parse_args(argv)

    public_key_text = args.public_key_string
    if args.public_key is not None:
        try:
            public_key_text = args.public_key.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"cannot read the public key: {exc}", file=sys.stderr)
            return EXIT_UNREADABLE
    if args.folder.is_file() and args.folder.name.endswith(LAYER_SUFFIX):
        return _verify_one_layer(args.folder, public_key_text)
    if not args.folder.is_dir():
        print(f"{args.folder} is not a folder", file=sys.stderr)
        return EXIT_UNREADABLE

    report = verify_folder(
        args.folder, public_key_text, args.require_signature, args.ignore_unlisted
    )
    for line in report.lines():
        print(line)
    failures = sum(1 for status, _name in report.files if status != "OK")
    failures += len(report.problems)
    failures += sum(1 for status, _name, _detail in report.layers if status == "BAD")
    if report.ok and report.rehearsal:
        note = f" ({report.rehearsal_note})" if report.rehearsal_note else ""
        print(
            f"REHEARSAL  {len(report.files)} files intact in {args.folder}, but it is a "
            f"{report.rehearsal} rehearsal, NOT FOR INSTALLING{note}"
        )
        return EXIT_REHEARSAL
    if report.ok:
        print(f"VERIFIED   {len(report.files)} files in {args.folder}")
        return EXIT_OK
    print(f"FAILED     {failures} problems in {args.folder}: do not install from it")
    return EXIT_FAILED


def _verify_one_layer(path: Path, public_key_text: str | None) -> int:
    """A layer carried on its own: only a key given here can vouch for it."""
    if not public_key_text:
        print(
            "a backend layer is checked against the release key: pass --public-key FILE or "
            "--public-key-string KEY (the key your organisation published)",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    status, name, detail = check_layer(path, public_key_text)
    print(f"LAYER      {status} {name}: {detail}")
    if status == "OK":
        print(f"VERIFIED   {name}")
        return EXIT_OK
    print(f"FAILED     {name}: do not install it")
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
