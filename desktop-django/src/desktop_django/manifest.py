"""Read and validate `runtime-manifest.json`, the stage contract, with the standard library only.

This is the reference reader: shells in other languages (the Electron main process, the Tauri
supervisor crate) mirror these checks and run the same test vectors under
`tests/stage/vectors/`. Every error names the field (as a JSON path) or the file that is wrong.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from desktop_django import env

SCHEMA_VERSION = 2
MANIFEST_NAME = "runtime-manifest.json"
# Where a project keeps its stage when $DESKTOP_DJANGO_STAGE_DIR (env.STAGE_DIR) is not set:
# relative to the project's root, in every layer (docs/stage.md).
STAGE_SUBDIR = Path(".stage") / "backend"
# ASCII only and anchored at both ends: `$` alone would accept a trailing newline and `\d`
# any Unicode digit, which other readers of the same manifest reject.
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\S*", re.ASCII)
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*", re.ASCII)


class MalformedIndexLine(ValueError):
    """A line of the stage index that is not `<sha256>  <path>`; `number` counts from 1."""

    def __init__(self, number: int):
        self.number = number
        super().__init__(f"line {number} is malformed")


def index_entries(text: str) -> list[tuple[str, str]]:
    """The stage index (`manifest.index.path`: one `<sha256>  <path>` line per file) as
    (digest, path) pairs in file order; MalformedIndexLine for the first line that is not.
    Plain string work: it runs over thousands of lines at every start."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        digest, separator, path = line.partition("  ")
        if not separator or len(digest) != 64 or not path:
            raise MalformedIndexLine(number)
        entries.append((digest, path))
    return entries


class ManifestError(ValueError):
    """The manifest is missing or invalid; `field` is a JSON path like `launcher.serve[0]`."""

    def __init__(self, message: str, field: str = "", path: str = ""):
        self.field = field
        self.path = path
        where = f"{path}: " if path else ""
        at = f"field `{field}`: " if field else ""
        super().__init__(f"{where}{at}{message}")


@dataclass(frozen=True)
class Launch:
    """What a shell needs to start one role: the interpreter, its arguments, and the cwd."""

    executable: Path
    args: list[str]
    stage_dir: Path

    @property
    def argv(self) -> list[str]:
        return [str(self.executable), *self.args]


@dataclass(frozen=True)
class RuntimeManifest:
    stage_dir: Path
    data: dict

    @property
    def app_version(self) -> str:
        return self.data["app"]["version"]

    @property
    def python_executable(self) -> Path:
        return self.stage_dir / PurePosixPath(self.data["python"]["executable"])

    def launch(self, role: str) -> Launch:
        if role not in ("serve", "worker"):
            raise ValueError(f"unknown launcher role {role!r}")
        return Launch(self.python_executable, list(self.data["launcher"][role]), self.stage_dir)


def current_platform() -> str:
    """`<os>-<arch>` as the manifest spells it: linux-x86_64, darwin-arm64, windows-amd64."""
    system = {"win32": "windows", "darwin": "darwin"}.get(sys.platform, sys.platform)
    if system.startswith("linux"):
        system = "linux"
    machine = platform.machine().lower() or "unknown"
    machine = {"aarch64": "arm64", "x64": "x86_64", "amd64": "x86_64"}.get(machine, machine)
    return f"{system}-{machine}"


def load(stage_dir: Path | str, check_files: bool = True) -> RuntimeManifest:
    bundle = Path(stage_dir)
    path = bundle / MANIFEST_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError("file is missing: run `nox -s stage` first", path=str(path)) from None
    except OSError as exc:
        raise ManifestError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ManifestError(f"not valid JSON ({exc})", path=str(path)) from None
    try:
        validate(data)
    except ManifestError as exc:
        raise ManifestError(str(exc), exc.field, str(path)) from None
    manifest = RuntimeManifest(bundle, data)
    if check_files:
        _check_platform(data, path)
        executable = manifest.python_executable
        if not executable.is_file():
            raise ManifestError(
                f"the interpreter {executable} does not exist", "python.executable", str(path)
            )
    return manifest


def _check_platform(data: dict, path: Path) -> None:
    built_for = data["python"]["platform"]
    here = current_platform()
    if built_for != here:
        raise ManifestError(
            f"this stage was built for {built_for} and cannot run on {here}",
            "python.platform",
            str(path),
        )


def validate(data: object) -> None:
    """Raise ManifestError for the first problem found, checking fields in a fixed order."""
    obj = _object(data, "")
    version = _get(obj, "schemaVersion", int, "")
    if version != SCHEMA_VERSION:
        raise ManifestError(
            f"unsupported schema version {version} (this reader knows {SCHEMA_VERSION})",
            "schemaVersion",
        )
    app = _get(obj, "app", dict, "")
    _text(app, "name", "app")
    _text(app, "id", "app")
    _matching(app, "version", _VERSION, "app", "a version like 1.2.3")
    build = _get(obj, "build", dict, "")
    _text(build, "gitSha", "build")
    _text(build, "timestamp", "build")
    python = _get(obj, "python", dict, "")
    _matching(python, "version", _VERSION, "python", "a version like 3.13.1")
    _relative_path(python, "executable", "python")
    _text(python, "platform", "python")
    launcher = _get(obj, "launcher", dict, "")
    _text(launcher, "module", "launcher")
    for role in ("serve", "worker"):
        argv = _get(launcher, role, list, "launcher")
        if not argv:
            raise ManifestError("must not be empty", f"launcher.{role}")
        for index, item in enumerate(argv):
            if not isinstance(item, str) or not item:
                raise ManifestError("must be a non-empty string", f"launcher.{role}[{index}]")
    names = _get(launcher, "env", list, "launcher")
    for index, name in enumerate(names):
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            raise ManifestError("must be an environment variable name", f"launcher.env[{index}]")
    for required in (env.APP_DATA_DIR, env.AUTH_TOKEN):
        if required not in names:
            raise ManifestError(f"must list {required}", "launcher.env")
    paths = _get(obj, "paths", dict, "")
    _relative_path(paths, "staticfiles", "paths")
    size = _get(obj, "size", dict, "")
    for key in ("bytes", "files"):
        if _get(size, key, int, "size") < 0:
            raise ManifestError("must not be negative", f"size.{key}")
    index = _get(obj, "index", dict, "")
    _relative_path(index, "path", "index")
    _matching(index, "sha256", _SHA256, "index", "64 lowercase hex characters")


def _object(value: object, field: str) -> dict:
    if not isinstance(value, dict):
        raise ManifestError("must be a JSON object", field)
    return value


def _get(obj: dict, key: str, kind: type, parent: str):
    field = f"{parent}.{key}" if parent else key
    if key not in obj:
        raise ManifestError("is missing", field)
    value = obj[key]
    # bool is an int in Python; JSON true is never a valid count or version.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {dict: "an object", list: "an array", int: "an integer", str: "a string"}
        raise ManifestError(f"must be {names[kind]}", field)
    return value


def _text(obj: dict, key: str, parent: str) -> str:
    value = _get(obj, key, str, parent)
    if not value.strip():
        raise ManifestError("must not be empty", f"{parent}.{key}")
    return value


def _matching(obj: dict, key: str, pattern: re.Pattern, parent: str, wanted: str) -> str:
    value = _get(obj, key, str, parent)
    if not pattern.fullmatch(value):
        raise ManifestError(f"must be {wanted}, not {value!r}", f"{parent}.{key}")
    return value


def _relative_path(obj: dict, key: str, parent: str) -> str:
    value = _text(obj, key, parent)
    pure = PurePosixPath(value)
    if pure.is_absolute() or "\\" in value or ".." in pure.parts or re.match(r"^[A-Za-z]:", value):
        raise ManifestError(
            f"must be a relative path inside the stage using '/', not {value!r}",
            f"{parent}.{key}",
        )
    return value


def main(argv: list[str] | None = None) -> int:
    """`python -m desktop_django.manifest STAGE_DIR`: validate a stage the way a shell does,
    printing one JSON line (`ok` with the serve argv, or `error` naming field and file)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m desktop_django.manifest STAGE_DIR", file=sys.stderr)
        return 2
    try:
        manifest = load(args[0])
    except ManifestError as exc:
        print(
            json.dumps(
                {"event": "error", "message": str(exc), "field": exc.field, "path": exc.path}
            )
        )
        return 1
    print(json.dumps({"event": "ok", "serve": manifest.launch("serve").argv}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
