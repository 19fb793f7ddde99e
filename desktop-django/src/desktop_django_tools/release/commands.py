"""`desktop-django icons | release | offline-bundle | verify | keygen`: the release commands."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from desktop_django_tools.errors import ToolError
from desktop_django_tools.shells import catalogue


def _icons(args: argparse.Namespace) -> int:
    from desktop_django_tools import icons

    if args.check:
        stale = icons.stale()
        for path in stale:
            print(f"STALE  {path}")
        if stale:
            print("icons: regenerate with `nox -s icons` and commit the result")
            return 1
        print(f"icons: all {len(icons.outputs())} icons match {icons.SOURCE.name}")
        return 0
    changed = icons.write()
    for path in changed:
        print(f"wrote  {path}")
    print(f"icons: {len(changed)} of {len(icons.outputs())} files changed")
    return 0


def _release_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=catalogue.PACKAGEABLE)
    parser.add_argument("--dir", type=Path, help="release folder (default: dist/SHELL/VERSION)")
    parser.add_argument("--version", help="release version (default: the backend's)")
    parser.add_argument(
        "--allow-dirty", action="store_true", help="allow uncommitted changes (trial runs)"
    )
    parser.add_argument(
        "--require-signature", action="store_true", help="fail unless a release key is set"
    )
    parser.add_argument(
        "--layer-from",
        action="append",
        type=Path,
        default=[],
        metavar="OLD_STAGE",
        help="also release the backend layer from this earlier stage to the current one "
        "(repeatable; `.layer` files already in the folder are released too)",
    )


def _release(args: argparse.Namespace) -> int:
    from desktop_django_tools.release import manifest

    folder, data = manifest.run(
        args.shell,
        folder=args.dir,
        version=args.version,
        allow_dirty=args.allow_dirty,
        require_signature=args.require_signature,
        layer_from=args.layer_from,
    )
    for line in manifest.describe(folder, data):
        print(line)
    return 0


def _offline_bundle(args: argparse.Namespace) -> int:
    from desktop_django_tools.release import bundle, manifest
    from desktop_django_tools.release.verify import CHECKSUMS

    version = args.version or catalogue.product().version
    folder = args.dir or catalogue.release_folder(args.shell, version)
    if args.layer_from or not (folder / CHECKSUMS).is_file():
        why = "making its layers" if args.layer_from else f"it has no {CHECKSUMS} yet"
        print(f"offline-bundle: {folder}: {why}: running the release step")
        folder, data = manifest.run(
            args.shell,
            folder=folder,
            version=args.version,
            allow_dirty=args.allow_dirty,
            require_signature=args.require_signature,
            layer_from=args.layer_from,
        )
        for line in manifest.describe(folder, data):
            print(line)
    result = bundle.make_bundle(folder, args.output or bundle.OFFLINE)
    print(f"offline-bundle: {result.folder}")
    for archive in result.archives:
        print(f"offline-bundle: {archive} (+ {archive.name}.sha256)")
    if result.rehearsal:
        print(
            f"offline-bundle: a {result.rehearsal['kind']} REHEARSAL, not for carrying to a "
            f"site: {result.rehearsal['note']}"
        )
        return 0
    print(f"offline-bundle: carry one of these; check it with {result.folder.name}/VERIFY.txt")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from desktop_django_tools.release import signing

    key = signing.generate()
    args.folder.mkdir(parents=True, exist_ok=True)
    secret = args.folder / "release.key"
    public = args.folder / "release.pub"
    if secret.exists() and not args.force:
        raise ToolError(f"{secret} exists", "pass --force to replace it")
    descriptor = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(key.secret_key_text())
    public.write_text(key.public_key_text(), encoding="utf-8", newline="\n")
    print(f"keygen: key ID {key.key_id_text}")
    print(f"keygen: secret key {secret} (unencrypted: move it into your secret store, e.g.")
    print(f"        the CI secret {signing.KEY_ENV}, then delete this file)")
    print(f"keygen: public key {public}: publish it, and commit it as")
    print("        release/release-signing-key.pub so no other key can sign a release")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    icons = commands.add_parser("icons", help="generate every shell's icons from the SVG")
    icons.add_argument("--check", action="store_true", help="only report stale icons")
    icons.set_defaults(handler=_icons)

    release = commands.add_parser("release", help="release manifest, checksums, signature")
    _release_options(release)
    release.set_defaults(handler=_release)

    offline = commands.add_parser("offline-bundle", help="the folder for air-gapped sites")
    _release_options(offline)
    offline.add_argument("--output", type=Path, help="where to write it (default: dist/offline)")
    offline.set_defaults(handler=_offline_bundle)

    commands.add_parser("verify", help="verify a release folder (see `verify --help`)")

    keygen = commands.add_parser("keygen", help="generate a release signing key pair")
    keygen.add_argument("folder", type=Path)
    keygen.add_argument("--force", action="store_true")
    keygen.set_defaults(handler=_keygen)
