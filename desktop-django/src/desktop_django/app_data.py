"""The per-user application data folder: database, secret key, logs, backups, lock."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from desktop_django import env

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a name, not a secret
DATABASE_FILE = "app.sqlite3"


class AppDataError(RuntimeError):
    """The app data folder cannot be used; the message names the path and the cause."""

    def __init__(self, message: str, path: Path | str):
        super().__init__(message)
        self.path = str(path)


@dataclass(frozen=True)
class AppData:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / DATABASE_FILE

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def lock_file(self) -> Path:
        return self.root / "app.lock"

    @property
    def worker_lock_file(self) -> Path:
        return self.root / "worker.lock"

    @property
    def secret_key_file(self) -> Path:
        return self.root / SECRET_KEY_FILE

    @classmethod
    def from_environment(cls) -> AppData:
        raw = os.environ.get(env.APP_DATA_DIR, "").strip()
        if not raw:
            raise AppDataError(
                f"{env.APP_DATA_DIR} is not set: the shell must pass a writable per-user folder",
                "",
            )
        return cls(Path(raw).expanduser().absolute())

    def prepare(self) -> AppData:
        """Create the folder tree and prove it is writable, naming the path when it is not."""
        for folder in (self.root, self.logs, self.backups):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                cause = exc.strerror or str(exc)
                message = (
                    f"cannot create app data folder {folder}: {cause}"
                    if folder == self.root
                    else f"app data folder {self.root} is not writable ({folder.name}/: {cause})"
                )
                raise AppDataError(message, self.root) from exc
        probe = self.root / f".write-probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise AppDataError(
                f"app data folder {self.root} is not writable: {exc.strerror or exc}", self.root
            ) from exc
        return self

    def secret_key(self) -> str:
        """Read the per-install secret key, creating it (mode 0600) on first use."""
        path = self.secret_key_file
        try:
            return _read_secret(path)
        except FileNotFoundError:
            pass
        self.prepare()
        try:
            _create_secret(path, secrets.token_urlsafe(50))
        except FileExistsError:
            pass  # another process won the race on first start; use its key
        except OSError as exc:
            raise AppDataError(
                f"cannot create secret key file {path}: {exc.strerror or exc}", path
            ) from exc
        return _read_secret(path)


def _create_secret(path: Path, key: str) -> None:
    """Write the key completely to a private temporary file, then link it into place: a full
    disk or a crash can never leave a truncated key behind, and of two racing first starts
    exactly one key wins (the link fails if the file exists)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read_secret(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except UnicodeDecodeError as exc:
        raise AppDataError(f"secret key file {path} is not ASCII text", path) from exc
    except PermissionError as exc:
        raise AppDataError(f"cannot read secret key file {path}: permission denied", path) from exc
    if len(key) < 32:
        raise AppDataError(f"secret key file {path} is truncated or empty", path)
    return key
