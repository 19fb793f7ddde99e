"""`nox -s release -- SHELL`: describe, checksum and (optionally) sign one release folder.

The folder dist/<shell>/<version>/ ends up holding, beside the artifacts the packager left:

    release-manifest.json   product, shell, version, git sha, build time, OS/arch, each
                            artifact's name, size, sha256 and role, and `rehearsal` (null, or
                            the kind and reason of a release not for installing)
    verify.py               the standalone verifier (standard library only)
    VERIFY.txt              the commands that check the folder by hand on each OS
    <app id>-release.pub    the minisign public key, when signed
    SHA256SUMS              every file above and every artifact, `sha256sum -c` format
    SHA256SUMS.minisig      the signature of SHA256SUMS, when a key is set

SHA256SUMS covers the manifest, so one signature covers everything.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from desktop_django.manifest import MANIFEST_NAME

from desktop_django_tools.errors import ToolError
from desktop_django_tools.integrations import git
from desktop_django_tools.locations import stage_dir, workspace_root
from desktop_django_tools.release import artifacts as artifact_rules
from desktop_django_tools.release import signing, verify_script
from desktop_django_tools.release.checksums import write_checksums
from desktop_django_tools.release.credentials import PUBLIC_KEY_IN_REPO
from desktop_django_tools.release.instructions import verify_text
from desktop_django_tools.release.verify import (
    CHECKSUMS,
    MANIFEST,
    SIGNATURE,
    sha256_of,
    verify_folder,
)
from desktop_django_tools.shells.catalogue import (
    Product,
    product,
    rehearsal_folder,
    release_folder,
)

# Releases are made from a checkout of the workspace (or, outside one, the current folder).
ROOT = workspace_root() or Path.cwd()
# 2: `rehearsal` (null for a real release; {kind, note} for a layout-only one), which
# verify.py turns into its REHEARSAL verdict.
SCHEMA_VERSION = 2
# Commit the project's release public key here and every signed release is checked against
# it: a release can then never be signed with a stray key by mistake.
TRUSTED_PUBLIC_KEY = ROOT / PUBLIC_KEY_IN_REPO


class ReleaseError(ToolError):
    pass


def host_platform() -> dict:
    system = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(
        platform.system(), platform.system().lower()
    )
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)
    return {"os": system, "arch": arch}


def git_state() -> dict:
    """The commit, and whether tracked files differ from it (untracked files are build
    byproducts here: every output folder is ignored, and packagers write lock files)."""
    if not git.in_work_tree(ROOT):
        return {"sha": "unknown", "dirty": False}
    changes = git.output(ROOT, "status", "--porcelain", "--untracked-files=no")
    return {"sha": git.head(ROOT) or "unknown", "dirty": bool(changes)}


def refuse_dirty_tree(allow_dirty: bool) -> dict:
    """pip's rule for release sessions: what is released must be exactly a commit."""
    state = git_state()
    if state["dirty"] and not allow_dirty:
        raise ReleaseError(
            "the git working tree has uncommitted changes: commit or stash them so the release "
            "records exactly what it was made from, or pass --allow-dirty for a trial run"
        )
    return state


def build_time() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def bundle_name(manifest: dict) -> str:
    """The offline bundle's folder name, fixed by the manifest (VERIFY.txt quotes it); a
    rehearsal's says which kind it is."""
    plat = manifest["platform"]
    rehearsal = manifest.get("rehearsal")
    kind = f"-{rehearsal['kind']}" if rehearsal else ""
    return (
        f"{manifest['product']['id']}-{manifest['shell']}-{manifest['version']}{kind}"
        f"-{plat['os']}-{plat['arch']}"
    )


def _no_artifacts(shell: str, folder: Path, exc: Exception) -> ReleaseError:
    """What to do when the folder holds nothing to release: package first, or name the
    folder that does hold the artifacts (a rehearsal's, when there is one)."""
    hint = f"run `nox -s package -- {shell}` first, or pass `--dir FOLDER` for artifacts elsewhere"
    rehearsal = rehearsal_folder(shell, folder.name)
    if rehearsal.is_dir() and rehearsal != folder:
        hint += (
            f" (a layout-only rehearsal is in {rehearsal}: `nox -s release -- {shell} --dir "
            f"{rehearsal}`)"
        )
    return ReleaseError(str(exc), hint)


def trusted_key_check(key: signing.SigningKey, trusted_file: Path = TRUSTED_PUBLIC_KEY) -> None:
    if not trusted_file.is_file():
        return
    from desktop_django.minisign import parse_public_key

    key_id, public = parse_public_key(trusted_file.read_text(encoding="utf-8"))
    if (key_id, public) != (key.key_id, key.public_bytes):
        raise ReleaseError(
            f"the release key in the environment (ID {key.key_id_text}) is not the project's "
            f"published key ({trusted_file.name}): refusing to sign with it"
        )


def check_layer(path: Path, product_info: Product, key: signing.SigningKey | None) -> None:
    """A layer released beside the installers is for this app and version, intact, and (in a
    signed release) signed with the release key, or the release stops."""
    from desktop_django.layers import LAYER_JSON, LayerError, open_layer

    again = "make it again with `desktop-django layer` (docs/release.md), or move it out"
    if key is not None:
        try:
            layer = open_layer(path, key.public_key_text())
        except LayerError as exc:
            raise ReleaseError(str(exc), again) from None
        try:
            problems = layer.check_every_file()
            data = layer.data
        finally:
            layer.close()
        if problems:
            raise ReleaseError("; ".join(problems), again)
    else:
        import zipfile

        try:
            with zipfile.ZipFile(path) as archive:
                data = json.loads(archive.read(LAYER_JSON))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ReleaseError(f"{path.name} is not a backend layer ({exc})", again) from None
    app = data.get("app") or {}
    if (app.get("id"), app.get("version")) != (product_info.id, product_info.version):
        raise ReleaseError(
            f"{path.name} is backend {app.get('id')} {app.get('version')}, and this release is "
            f"{product_info.id} {product_info.version}",
            again,
        )


def make_release(
    shell: str,
    folder: Path,
    *,
    product_info: Product,
    git: dict,
    key: signing.SigningKey | None,
    stage_manifest: dict | None = None,
) -> dict:
    """Write the release files into `folder` and return the manifest."""
    found, rehearsal = _collect_artifacts(shell, folder)
    for artifact in found:
        if artifact.role == artifact_rules.BACKEND_LAYER:
            check_layer(folder / artifact.name, product_info, key)
    key_file = _write_public_key(folder, product_info, key)
    verify_script.write(folder / artifact_rules.VERIFY_SCRIPT)
    manifest = _manifest(shell, product_info, git, key, key_file, found, rehearsal)
    if stage_manifest:
        manifest["backend"] = _backend_of(stage_manifest)
    (folder / MANIFEST).write_text(
        json.dumps(manifest, indent=2) + "\n", encoding="utf-8", newline="\n"
    )
    listed = [a.name for a in found] + [MANIFEST, artifact_rules.VERIFY_SCRIPT]
    if key_file:
        listed.append(key_file)
    _write_instructions(folder, manifest, product_info, found, listed, key)
    checksums = write_checksums(folder, [*listed, artifact_rules.INSTRUCTIONS])
    if key is not None:
        _sign_checksums(folder / SIGNATURE, checksums, shell, product_info, key)
    _verify_written(folder, key)
    return manifest


def _collect_artifacts(
    shell: str, folder: Path
) -> tuple[list[artifact_rules.Artifact], dict | None]:
    """The packager's artifacts in the folder and the rehearsal they are, if one; the release
    files of an earlier run are removed first (they are written anew)."""
    earlier = [p.name for p in folder.glob(f"*{artifact_rules.PUBLIC_KEY_SUFFIX}")]
    for name in [*artifact_rules.RELEASE_FILES, *earlier]:
        (folder / name).unlink(missing_ok=True)
    if not folder.is_dir():
        raise _no_artifacts(shell, folder, FileNotFoundError(f"{folder} does not exist"))
    try:
        found = artifact_rules.collect(folder)
        return found, artifact_rules.rehearsal_of(found)
    except artifact_rules.ArtifactError as exc:
        raise _no_artifacts(shell, folder, exc) from exc


def _write_public_key(
    folder: Path, product_info: Product, key: signing.SigningKey | None
) -> str | None:
    """The signing key's public half beside the release (its file name), when signed."""
    if key is None:
        return None
    key_file = f"{product_info.id}{artifact_rules.PUBLIC_KEY_SUFFIX}"
    (folder / key_file).write_text(key.public_key_text(), encoding="utf-8", newline="\n")
    return key_file


def _manifest(
    shell: str,
    product_info: Product,
    git: dict,
    key: signing.SigningKey | None,
    key_file: str | None,
    found: list[artifact_rules.Artifact],
    rehearsal: dict | None,
) -> dict:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "product": {"id": product_info.id, "name": product_info.name},
        "shell": shell,
        "version": product_info.version,
        "git": git,
        "buildTime": build_time(),
        "platform": host_platform(),
        "artifacts": [artifact.as_json() for artifact in found],
        "rehearsal": rehearsal,
        "signing": {
            "signed": key is not None,
            "format": "minisign" if key else None,
            "keyId": key.key_id_text if key else None,
            "publicKey": key.public_key_line if key else None,
            "publicKeyFile": key_file,
            "checksums": CHECKSUMS,
            "signature": SIGNATURE if key else None,
        },
    }


def _backend_of(stage_manifest: dict) -> dict:
    """What the release records of the stage it ships."""
    return {
        "sourceHash": stage_manifest.get("app", {}).get("sourceHash"),
        "python": stage_manifest.get("python", {}).get("version"),
        "platform": stage_manifest.get("python", {}).get("platform"),
    }


def _write_instructions(
    folder: Path,
    manifest: dict,
    product_info: Product,
    found: list[artifact_rules.Artifact],
    listed: list[str],
    key: signing.SigningKey | None,
) -> None:
    """VERIFY.txt: the by-hand checks, quoting the hash of every file in `listed`."""
    rehearsal = manifest["rehearsal"]
    purpose = (
        f"{rehearsal['kind'].upper()} REHEARSAL, NOT FOR INSTALLING"
        if rehearsal
        else "verify before installing"
    )
    title = (
        f"{product_info.name} {product_info.version} ({manifest['shell']}, "
        f"{manifest['platform']['os']} {manifest['platform']['arch']}): {purpose}"
    )
    instructions = verify_text(
        title=title,
        folder_name=bundle_name(manifest),
        artifacts=found,
        hashes={name: sha256_of(folder / name) for name in listed},
        key=key,
        rehearsal=rehearsal,
    )
    (folder / artifact_rules.INSTRUCTIONS).write_text(instructions, encoding="utf-8", newline="\n")


def _sign_checksums(
    signature_file: Path,
    checksums: Path,
    shell: str,
    product_info: Product,
    key: signing.SigningKey,
) -> None:
    trusted = (
        f"product:{product_info.id} shell:{shell} version:{product_info.version} "
        f"file:{CHECKSUMS} timestamp:{int(time.time())}"
    )
    signature = signing.sign(
        key, checksums.read_bytes(), trusted, f"signature from release key {key.key_id_text}"
    )
    signature_file.write_text(signature, encoding="utf-8", newline="\n")


def _verify_written(folder: Path, key: signing.SigningKey | None) -> None:
    """The folder as a user would check it; build leftovers (unpacked apps, logs) may sit
    beside the release: they are not in it."""
    report = verify_folder(folder, key.public_key_text() if key else None, ignore_unlisted=True)
    if not report.ok:
        raise ReleaseError("the release folder does not verify:\n" + "\n".join(report.lines()))


def read_stage_manifest() -> dict | None:
    try:
        return json.loads((stage_dir(ROOT) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run(
    shell: str,
    *,
    folder: Path | None = None,
    version: str | None = None,
    allow_dirty: bool = False,
    require_signature: bool = False,
    layer_from: list[Path] = (),
) -> tuple[Path, dict]:
    """`layer_from`: stages of earlier versions; a layer from each to the current stage is
    made into the folder and released beside the installers."""
    git = refuse_dirty_tree(allow_dirty)
    info = product()
    if version:
        info = Product(info.id, info.name, version)
    folder = folder or release_folder(shell, info.version)
    key = signing.key_from_environment()
    if key is None and require_signature:
        raise ReleaseError(
            f"--require-signature: set {signing.KEY_ENV} (or {signing.KEY_FILE_ENV}) to the "
            "release key"
        )
    if key is not None:
        trusted_key_check(key)
    if layer_from:
        from desktop_django_tools.layer import make_layer

        if key is None:
            raise ReleaseError(
                "--layer-from: a backend layer must be signed, and no release key is set",
                f"set {signing.KEY_ENV} (or {signing.KEY_FILE_ENV}) to the release key",
            )
        if not folder.is_dir():
            raise _no_artifacts(shell, folder, FileNotFoundError(f"{folder} does not exist"))
        for old_stage in layer_from:
            make_layer(old_stage, stage_dir(ROOT), folder, key=key)
    manifest = make_release(
        shell, folder, product_info=info, git=git, key=key, stage_manifest=read_stage_manifest()
    )
    return folder, manifest


def describe(folder: Path, manifest: dict) -> list[str]:
    lines = [f"release: {folder}"]
    rehearsal = manifest.get("rehearsal")
    if rehearsal:
        lines.append(
            f"  {rehearsal['kind'].upper()} REHEARSAL, NOT FOR INSTALLING: {rehearsal['note']}"
        )
    for item in manifest["artifacts"]:
        updater = ", downloaded by the updater" if item.get("updater") else ""
        lines.append(f"  {item['role']:<17} {item['name']} ({item['size']} bytes{updater})")
    signed = manifest["signing"]
    if signed["signed"]:
        lines.append(f"  signed {CHECKSUMS} with key {signed['keyId']}")
    else:
        lines.append(
            f"  {CHECKSUMS} is UNSIGNED: set {signing.KEY_ENV} to sign it (see docs/release.md)"
        )
    if manifest["git"]["dirty"]:
        lines.append("  made from a DIRTY working tree (--allow-dirty): for trials only")
    return lines
