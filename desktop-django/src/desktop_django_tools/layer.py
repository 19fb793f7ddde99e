"""`desktop-django layer --from OLD_STAGE --to NEW_STAGE`: one signed file that turns the old
stage into the new one (docs/backend-updates.md, section 4).

The two stages' sha256 indexes (stage-files.sha256) say which files were added, changed or
removed; only those travel, LZMA-compressed, with the new stage's manifest and index. The
file this writes is exactly what `desktop_django.layers.open_layer` reads: layer.json (what
the layer is and every file's SHA-256), its minisign signature made with the release key
(release/signing.py, the one signer), and files/<path>. `--full` makes a layer with no base
that carries every file, for a user too many versions behind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from desktop_django.layers import (
    FILES_PREFIX,
    LAYER_FORMAT,
    LAYER_JSON,
    LAYER_SIGNATURE,
    LAYER_SUFFIX,
    derive_index,
    validate,
)
from desktop_django.manifest import MANIFEST_NAME, ManifestError, load
from desktop_django.minisign import parse_public_key
from desktop_django.slots import is_version, version_key

from desktop_django_tools.errors import ToolError
from desktop_django_tools.release import signing
from desktop_django_tools.stage.files import INDEX_NAME, sha256_of

# The minisign public key a stage trusts layers from (docs/backend-updates.md, section 4).
UPDATE_KEY = "update-key.pub"
# A full layer names no base: any shell that reads the same stage contract can take it.
ANY_SHELL = "0.0.0"


class LayerBuildError(ToolError):
    pass


@dataclass(frozen=True)
class Stage:
    """A stage as the layer sees it: its manifest, and its index as path -> sha256."""

    root: Path
    manifest: dict
    index: dict[str, str]

    @property
    def version(self) -> str:
        return self.manifest["app"]["version"]

    @property
    def index_sha256(self) -> str:
        return self.manifest["index"]["sha256"]


def read_stage(root: Path) -> Stage:
    """The manifest and index of `root`, refused when the index is not the one the manifest
    names (a stage edited after it was described would make a layer no app can apply)."""
    root = Path(root)
    try:
        manifest = load(root, check_files=False).data
    except ManifestError as exc:
        raise LayerBuildError(
            str(exc), f"point at a stage folder (built by `nox -s stage`) holding {MANIFEST_NAME}"
        ) from None
    index_path = root / manifest["index"]["path"]
    if not index_path.is_file():
        raise LayerBuildError(
            f"{index_path}: the stage's index is missing", "stage it again (`nox -s stage`)"
        )
    if sha256_of(index_path) != manifest["index"]["sha256"]:
        raise LayerBuildError(
            f"{index_path} does not match the sha256 {root / MANIFEST_NAME} gives it: the stage "
            "was changed after it was built",
            "stage it again (`nox -s stage`), then make the layer",
        )
    index: dict[str, str] = {}
    for number, line in enumerate(index_path.read_text(encoding="utf-8").splitlines(), 1):
        digest, separator, name = line.partition("  ")
        if not separator or len(digest) != 64:
            raise LayerBuildError(
                f"{index_path}: line {number} is not `<sha256>  <path>`",
                "stage it again (`nox -s stage`)",
            )
        index[name] = digest
    return Stage(root, manifest, index)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _entry(stage: Stage, name: str, expected: str | None) -> dict:
    """One file of the new stage as layer.json lists it, checked against its index line."""
    path = stage.root / name
    if not path.is_file() or path.is_symlink():
        raise LayerBuildError(
            f"{path}: listed in {INDEX_NAME} but not a file in the stage",
            "stage it again (`nox -s stage`)",
        )
    digest = sha256_of(path)
    if expected is not None and digest != expected:
        raise LayerBuildError(
            f"{path} does not match its line in {INDEX_NAME}: the stage was changed after it "
            "was built",
            "stage it again (`nox -s stage`), or run `desktop-django verify-stage` to see what "
            "changed",
        )
    return {"path": name, "sha256": digest, "size": path.stat().st_size, "mode": _mode(path)}


def changed_files(base: Stage | None, new: Stage) -> tuple[list[str], list[str]]:
    """(paths to carry, paths removed): every file whose content or mode differs from the base
    (all of them without one), and the base's paths the new stage no longer has."""
    if base is None:
        return sorted(new.index), []
    carried = [
        name
        for name, digest in sorted(new.index.items())
        if base.index.get(name) != digest
        or _mode(base.root / name) != _mode(new.root / name)  # same bytes, new mode
    ]
    return carried, sorted(set(base.index) - set(new.index))


def _refuse_mismatch(base: Stage, new: Stage) -> None:
    old_app, new_app = base.manifest["app"], new.manifest["app"]
    if old_app.get("id") != new_app.get("id"):
        raise LayerBuildError(
            f"{base.root} is {old_app.get('id')!r} and {new.root} is {new_app.get('id')!r}: a "
            "layer turns one app's stage into a newer stage of the same app",
            "pass two stages of the same app",
        )
    if version_key(new.version) <= version_key(base.version):
        raise LayerBuildError(
            f"the new stage's version {new.version} is not newer than the old one's "
            f"{base.version}: an app installs only newer versions",
            "raise `__version__` in the backend, stage again, then make the layer",
        )
    if base.manifest["schemaVersion"] != new.manifest["schemaVersion"]:
        raise LayerBuildError(
            f"the stage contract changed ({base.manifest['schemaVersion']} -> "
            f"{new.manifest['schemaVersion']}): the installed shells read the old one",
            "ship this version as an installer (docs/release.md, backend updates)",
        )
    old_python, new_python = base.manifest["python"], new.manifest["python"]
    if old_python["platform"] != new_python["platform"]:
        raise LayerBuildError(
            f"the stages are for different platforms ({old_python['platform']}, "
            f"{new_python['platform']})",
            "make the layer from two stages built on the same OS and architecture",
        )


def _refuse_untrusted_key(base: Stage, key: signing.SigningKey) -> None:
    """A base that ships an update key accepts layers signed with that key only: say so now,
    not at the user's site."""
    trusted = base.root / UPDATE_KEY
    if not trusted.is_file():
        return
    try:
        key_id, public = parse_public_key(trusted.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise LayerBuildError(
            f"{trusted} is not a minisign public key ({exc})", "stage the old version again"
        ) from None
    if (key_id, public) != (key.key_id, key.public_bytes):
        raise LayerBuildError(
            f"the release key in the environment (ID {key.key_id_text}) is not the key "
            f"{base.version} trusts ({trusted}): every app on {base.version} would refuse it",
            f"set {signing.KEY_ENV} to the release key {base.version} was built with",
        )


def _derived_index(base: Stage, files: list[dict], removed: list[str], index_path: str) -> bytes:
    """The index an app rebuilds from the base's (layers.derive_index)."""
    base_index = (base.root / base.manifest["index"]["path"]).read_bytes()
    return derive_index(base_index, files, removed, {index_path})


def layer_name(new: Stage, base: Stage | None) -> str:
    start = f"from-{base.version}" if base else "full"
    return f"{new.manifest['app']['id']}-backend-{new.version}-{start}{LAYER_SUFFIX}"


def _zip_time() -> tuple[int, int, int, int, int, int]:
    """SOURCE_DATE_EPOCH, else the zip epoch: the same stages and key give the same bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return (1980, 1, 1, 0, 0, 0)
    return time.gmtime(max(int(epoch), 315532800))[:6]


def make_layer(
    old_stage: Path | None,
    new_stage: Path,
    out: Path | None = None,
    *,
    key: signing.SigningKey | None = None,
    min_shell_version: str | None = None,
) -> Path:
    """Write the layer from `old_stage` to `new_stage` (a full layer when `old_stage` is None)
    and return its path. `out` is a file, or a folder to put the default name in (default:
    the current folder). The key defaults to the release key in the environment."""
    key = key or signing.key_from_environment()
    if key is None:
        raise LayerBuildError(
            "no release key to sign the layer with: an app installs only signed layers",
            f"set {signing.KEY_ENV} (or {signing.KEY_FILE_ENV}) to the release key "
            "(`desktop-django keygen` makes one)",
        )
    new = read_stage(new_stage)
    base = read_stage(old_stage) if old_stage is not None else None
    if base is not None:
        _refuse_mismatch(base, new)
        _refuse_untrusted_key(base, key)
    carried, removed = changed_files(base, new)
    files = [_entry(new, name, new.index[name]) for name in carried]
    index_path = new.manifest["index"]["path"]
    files += [_entry(new, name, None) for name in (MANIFEST_NAME, index_path)]
    # The index is most of a small layer (a SHA-256 per file of the stage): with a base the
    # app rebuilds it, and it must come out with the SHA-256 signed here (layers.py). An
    # index an app would not rebuild byte for byte travels as it is.
    derived = []
    if base is not None:
        rebuilt = _derived_index(base, files, removed, index_path)
        if rebuilt == (new.root / index_path).read_bytes():
            derived = [index_path]
    shell = min_shell_version or (base.version if base else ANY_SHELL)
    if not is_version(shell):
        raise LayerBuildError(
            f"--min-shell-version {shell!r} is not a version", "pass one like 0.1.0"
        )
    data = {
        "format": LAYER_FORMAT,
        "app": {"id": new.manifest["app"]["id"], "version": new.version},
        "manifest": new.manifest,
        "base": {"version": base.version, "indexSha256": base.index_sha256} if base else None,
        "stageContract": new.manifest["schemaVersion"],
        "minShellVersion": shell,
        "files": files,
        "removed": removed,
        "derived": derived,
    }
    try:
        validate(data, layer_name(new, base))
    except ValueError as exc:  # a path the reader refuses, or a malformed --min-shell-version
        raise LayerBuildError(str(exc), "fix the stage or the option it names") from None
    raw = (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8")
    trusted = (
        f"app:{data['app']['id']} version:{new.version} "
        f"base:{base.version if base else 'none'} file:{LAYER_JSON}"
    )
    signature = signing.sign(key, raw, trusted, f"signature from release key {key.key_id_text}")

    out = Path(out) if out is not None else Path.cwd()
    target = out / layer_name(new, base) if out.is_dir() else out
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    moment = _zip_time()
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_LZMA) as archive:
            archive.writestr(zipfile.ZipInfo(LAYER_JSON, moment), raw, zipfile.ZIP_LZMA)
            archive.writestr(
                zipfile.ZipInfo(LAYER_SIGNATURE, moment), signature, zipfile.ZIP_STORED
            )
            for entry in (entry for entry in files if entry["path"] not in derived):
                info = zipfile.ZipInfo(FILES_PREFIX + entry["path"], moment)
                info.compress_type = zipfile.ZIP_LZMA
                info.external_attr = (stat.S_IFREG | entry["mode"]) << 16
                source = new.root / entry["path"]
                with source.open("rb") as reading, archive.open(info, "w") as sink:
                    shutil.copyfileobj(reading, sink, 1 << 20)
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise LayerBuildError(
            f"cannot write {target}: {exc.strerror or exc}", "free space or pick --out elsewhere"
        ) from None
    return target


def _layer_command(args: argparse.Namespace) -> int:
    if args.full == (args.old is not None):
        raise LayerBuildError(
            "pass --from OLD_STAGE, or --full for a layer with no base (not both)",
            "see `desktop-django layer --help`",
        )
    target = make_layer(args.old, args.new, args.out, min_shell_version=args.min_shell_version)
    with zipfile.ZipFile(target) as archive:
        data = json.loads(archive.read(LAYER_JSON))
    start = f"from {data['base']['version']}" if data["base"] else "full (no base)"
    print(f"layer: {target} ({target.stat().st_size} bytes)")
    print(
        f"layer: backend {data['app']['version']} {start}: {len(data['files'])} files carried, "
        f"{len(data['removed'])} removed; for shells {data['minShellVersion']} and later"
    )
    trusting = args.old if args.old is not None else args.new
    if not (Path(trusting) / UPDATE_KEY).is_file():
        print(
            f"layer: note: {trusting} has no {UPDATE_KEY}, so an app running it accepts no layer "
            "(commit release/release-signing-key.pub and stage again: docs/release.md)"
        )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    layer = commands.add_parser(
        "layer",
        help="a signed backend layer from one stage to the next",
        description="Make the signed layer that updates an installed app's backend from "
        "OLD_STAGE to NEW_STAGE without an installer (docs/backend-updates.md). Signed with "
        f"the release key (${signing.KEY_ENV}).",
    )
    layer.add_argument("--from", dest="old", type=Path, metavar="OLD_STAGE")
    layer.add_argument("--to", dest="new", type=Path, metavar="NEW_STAGE", required=True)
    layer.add_argument(
        "--out", type=Path, help="the file, or a folder for the default name (default: here)"
    )
    layer.add_argument(
        "--full", action="store_true", help="no base: every file (for users many versions behind)"
    )
    layer.add_argument(
        "--min-shell-version",
        help="the lowest installed app version that may take it (default: the old stage's; "
        f"{ANY_SHELL} for --full)",
    )
    layer.set_defaults(handler=_layer_command)
