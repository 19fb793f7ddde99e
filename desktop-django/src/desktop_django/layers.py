"""Reading a backend layer: one signed file that turns a base stage into a new one.

A layer is a zip file (docs/backend-updates.md, section 4):

    layer.json           what the layer is: the new stage's manifest in full, the base it
                         applies to, every added or changed file with its SHA-256, size and
                         mode, the removed paths, the stage contract and the lowest shell
    layer.json.minisig   a minisign signature of layer.json
    files/<path>         the added and changed files, compressed

The signature covers layer.json, which holds every file's SHA-256, so it covers the whole
layer. A layer with a base does not carry the new stage's index (stage-files.sha256): one
SHA-256 per file of the stage, which no compressor shrinks, would be most of a small layer.
layer.json lists it in `derived`; it is rebuilt from the base's index and the layer's files
(`derive_index`) and must match its signed SHA-256 like every other file.

Standard library only, Python 3.8 syntax: verify.py carries this module's text inline to check
layers at an air-gapped site, and the stage applies layers with it.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path, PurePosixPath

from desktop_django.minisign import minisign_verify

LAYER_FORMAT = 1
LAYER_JSON = "layer.json"
LAYER_SIGNATURE = LAYER_JSON + ".minisig"
FILES_PREFIX = "files/"
LAYER_SUFFIX = ".layer"
# desktop_django.manifest.MANIFEST_NAME, spelled out: verify.py inlines this module alone.
STAGE_MANIFEST = "runtime-manifest.json"
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)


class LayerError(ValueError):
    """The layer cannot be used; the message names what is wrong and what to do."""


def safe_stage_path(value: object) -> bool:
    """A relative '/'-separated path that stays inside the stage on every OS."""
    if not isinstance(value, str) or not value or "\\" in value or ":" in value:
        return False
    if "\0" in value or value.startswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in PurePosixPath(value).parts) and (
        "//" not in value
    )


class Layer:
    """An opened layer whose layer.json signature was checked (`open_layer`)."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, data: dict, signer: str):
        self.path = path
        self.archive = archive
        self.data = data
        self.signer = signer  # minisign's explanation: key ID and trusted comment

    @property
    def version(self) -> str:
        return self.data["manifest"]["app"]["version"]

    @property
    def manifest(self) -> dict:
        return self.data["manifest"]

    @property
    def base(self):
        return self.data["base"]

    @property
    def files(self) -> list:
        return self.data["files"]

    @property
    def removed(self) -> list:
        return self.data["removed"]

    @property
    def derived(self) -> list:
        """Paths listed in `files` that the layer does not hold: rebuilt from the base."""
        return self.data.get("derived", [])

    def describe(self) -> str:
        base = self.base
        start = f"from {base['version']}" if base else "full"
        return f"backend {self.version} ({start}, {len(self.files)} files)"

    def read(self, entry: dict, base_stage=None) -> bytes:
        """The bytes of one file of the layer, checked against its size and SHA-256. A
        derived file (the index) is rebuilt from `base_stage`, the folder of the base."""
        if entry["path"] in self.derived:
            return self._derive(entry, base_stage)
        name = FILES_PREFIX + entry["path"]
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise LayerError(
                f"{self.path.name}: {entry['path']} is missing from the layer"
            ) from None
        if info.file_size != entry["size"]:
            raise LayerError(
                f"{self.path.name}: {entry['path']} does not have its listed size: the layer is "
                "damaged or was altered; get it again from the release"
            )
        with self.archive.open(info) as handle:
            data = handle.read(entry["size"] + 1)
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise LayerError(
                f"{self.path.name}: {entry['path']} does not match its SHA-256: the layer is "
                "damaged or was altered; get it again from the release"
            )
        return data

    def _derive(self, entry: dict, base_stage) -> bytes:
        if base_stage is None:
            raise LayerError(
                f"{self.path.name}: {entry['path']} is rebuilt from the base stage, and no "
                "base stage was given"
            )
        index_path = Path(base_stage) / self.manifest["index"]["path"]
        try:
            base_index = index_path.read_bytes()
        except OSError as exc:
            raise LayerError(f"{index_path}: cannot read the base's index ({exc})") from None
        if hashlib.sha256(base_index).hexdigest() != self.base["indexSha256"]:
            raise LayerError(
                f"{self.path.name} applies to {self.base['version']} (index "
                f"{self.base['indexSha256'][:12]}), and {base_stage} is another stage: a full "
                "layer is needed"
            )
        data = derive_index(base_index, self.files, self.removed, set(self.derived))
        if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise LayerError(
                f"{self.path.name}: {entry['path']} rebuilt from {base_stage} does not match "
                "its SHA-256: the base stage was altered, or the layer is damaged"
            )
        return data

    def check_every_file(self) -> list:
        """Problems found reading every file the layer holds (an empty list when all match;
        derived files are checked when they are rebuilt from the base)."""
        problems = []
        for entry in self.files:
            if entry["path"] in self.derived:
                continue
            try:
                self.read(entry)
            except LayerError as exc:
                problems.append(str(exc))
        listed = {FILES_PREFIX + entry["path"] for entry in self.files}
        extra = sorted(
            info.filename
            for info in self.archive.infolist()
            if info.filename not in listed and info.filename not in (LAYER_JSON, LAYER_SIGNATURE)
        )
        problems += [
            f"{self.path.name}: {name} is in the layer but not in {LAYER_JSON}" for name in extra
        ]
        return problems

    def close(self) -> None:
        self.archive.close()


def open_layer(path: Path, public_key_text) -> Layer:
    """Open `path`, check the signature of layer.json against `public_key_text` (a minisign
    public key file's text) and the shape of layer.json; raise LayerError otherwise."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise LayerError(f"{path}: no such file") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise LayerError(f"{path}: not a backend layer ({exc})") from None
    try:
        try:
            raw = archive.read(LAYER_JSON)
        except KeyError:
            raise LayerError(
                f"{path.name}: not a backend layer ({LAYER_JSON} is missing)"
            ) from None
        try:
            signature = archive.read(LAYER_SIGNATURE).decode("utf-8")
        except KeyError:
            raise LayerError(
                f"{path.name}: the layer is not signed ({LAYER_SIGNATURE} is missing): only a "
                "layer signed with the release key can be installed"
            ) from None
        except UnicodeDecodeError:
            raise LayerError(
                f"{path.name}: {LAYER_SIGNATURE} is not a minisign signature"
            ) from None
        if not public_key_text:
            raise LayerError(
                f"{path.name}: no key to check the signature with: this app ships no update "
                "key (update-key.pub in its stage), so it accepts no backend layer; install a "
                "full installer instead"
            )
        valid, detail = minisign_verify(public_key_text, signature, raw)
        if not valid:
            raise LayerError(
                f"{path.name}: the signature does not verify ({detail}): the layer was altered "
                "or signed with another key; get it again from the release"
            )
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise LayerError(f"{path.name}: {LAYER_JSON} is not valid JSON ({exc})") from None
        validate(data, path.name)
    except BaseException:
        archive.close()
        raise
    return Layer(path, archive, data, detail)


def index_order(path: str) -> tuple:
    """Where a path comes in a stage's index: the order the stage build walks the folder in
    (each folder's files by name, then its subfolders by name)."""
    parts = path.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))


def derive_index(base_index: bytes, files: list, removed: list, derived: set) -> bytes:
    """The new stage's index (`<sha256>  <path>` lines, in index order) from the base's: the
    removed paths gone, every file the layer carries with its new SHA-256."""
    digests = {}
    for line in base_index.decode("utf-8").splitlines():
        digest, _separator, path = line.partition("  ")
        digests[path] = digest
    for path in removed:
        digests.pop(path, None)
    for entry in files:
        if entry["path"] not in derived and entry["path"] != STAGE_MANIFEST:
            digests[entry["path"]] = entry["sha256"]
    return "".join(
        f"{digests[path]}  {path}\n" for path in sorted(digests, key=index_order)
    ).encode("utf-8")


def validate(data: object, name: str) -> None:
    def bad(field: str, wanted: str):
        return LayerError(f"{name}: {LAYER_JSON} field `{field}` must be {wanted}")

    if not isinstance(data, dict):
        raise bad("", "an object")
    if data.get("format") != LAYER_FORMAT or isinstance(data.get("format"), bool):
        raise LayerError(
            f"{name}: layer format {data.get('format')!r} is not one this app reads "
            f"({LAYER_FORMAT}): install the new installer instead"
        )
    manifest = data.get("manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("app"), dict):
        raise bad("manifest", "the new stage's runtime-manifest.json")
    if not isinstance(manifest["app"].get("version"), str):
        raise bad("manifest.app.version", "a version")
    index = manifest.get("index")
    if not isinstance(index, dict) or not _HEX64.fullmatch(str(index.get("sha256", ""))):
        raise bad("manifest.index", "the index path and its sha256")
    base = data.get("base")
    if base is not None:
        if not isinstance(base, dict) or not isinstance(base.get("version"), str):
            raise bad("base", "null or {version, indexSha256}")
        if not _HEX64.fullmatch(str(base.get("indexSha256", ""))):
            raise bad("base.indexSha256", "64 lowercase hex characters")
    if type(data.get("stageContract")) is not int:
        raise bad("stageContract", "an integer")
    if not isinstance(data.get("minShellVersion"), str):
        raise bad("minShellVersion", "a version")
    files = data.get("files")
    if not isinstance(files, list):
        raise bad("files", "a list")
    seen = set()
    for number, entry in enumerate(files):
        field = f"files[{number}]"
        if not isinstance(entry, dict) or not safe_stage_path(entry.get("path")):
            raise bad(f"{field}.path", "a relative path inside the stage")
        if entry["path"] in seen:
            raise bad(f"{field}.path", "listed once")
        seen.add(entry["path"])
        if not _HEX64.fullmatch(str(entry.get("sha256", ""))):
            raise bad(f"{field}.sha256", "64 lowercase hex characters")
        for key in ("size", "mode"):
            if type(entry.get(key)) is not int or entry[key] < 0:
                raise bad(f"{field}.{key}", "a non-negative integer")
    removed = data.get("removed")
    if not isinstance(removed, list) or not all(safe_stage_path(item) for item in removed):
        raise bad("removed", "a list of relative paths inside the stage")
    derived = data.get("derived", [])
    if (
        not isinstance(derived, list)
        or not set(derived) <= {index["path"]}
        or (derived and (base is None or index["path"] not in seen))
    ):
        raise bad("derived", "[] or [the index path] (listed in files) in a layer with a base")
