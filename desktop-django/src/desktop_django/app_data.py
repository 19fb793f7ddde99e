"""The per-user application data folder: database, secret key, logs, backups, lock."""

from __future__ import annotations

import os
import secrets
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from desktop_django import env

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a name, not a secret
DATABASE_FILE = "app.sqlite3"
# SQLite's Unix file layer refuses a longer path (MAX_PATHNAME); Windows' classic MAX_PATH.
MAX_DATABASE_PATH_BYTES = 260 if sys.platform == "win32" else 512
# The longest name the app puts beside the database: its rollback journal.
LONGEST_COMPANION = "-journal"
# Files of the app's own in the folder, none of which may be a symbolic link: SQLite, the log
# handler and the key reader would follow one to wherever it points (another app's database,
# a user's document, a world-readable file as the secret key).
_DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class AppDataError(RuntimeError):
    """The app data folder cannot be used; the message names the path and the cause."""

    def __init__(self, message: str, path: Path | str):
        super().__init__(message)
        self.path = str(path)


@dataclass(frozen=True)
class AppData:
    root: Path
    # What prepare() corrected (a folder others could write to, made private), for the log.
    notes: list[str] = field(default_factory=list, compare=False, repr=False)

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

    @property
    def stage_check_file(self) -> Path:
        """What the last stage integrity check saw (stage_integrity.py): a cache."""
        return self.root / "stage-check.json"

    @classmethod
    def from_environment(cls) -> AppData:
        raw = os.environ.get(env.APP_DATA_DIR, "").strip()
        if not raw:
            raise AppDataError(
                f"{env.APP_DATA_DIR} is not set: the shell must pass a writable per-user folder",
                "",
            )
        path = Path(raw).expanduser()
        if not path.is_absolute():
            # Relative to whatever folder the shell happened to start us in: the stage, often,
            # which is read-only and replaced by the next update.
            raise AppDataError(
                f"{env.APP_DATA_DIR} must be an absolute path, not {raw!r}: the shell must "
                "pass the per-user data folder (a relative one would put the database in "
                "the folder the app was started from)",
                raw,
            )
        _refuse_too_long(path)
        return cls(path)

    def prepare(self) -> AppData:
        """Create the folder tree and prove it is writable and private, naming the path
        when it is not."""
        for folder in (self.root, self.logs, self.backups):
            if folder != self.root:
                refuse_link(folder, "app data folder")
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                cause = exc.strerror or str(exc)
                if _too_long(exc):
                    cause = f"{cause}: the path is longer than this system allows"
                message = (
                    f"cannot create app data folder {folder}: {cause}"
                    if folder == self.root
                    else f"app data folder {self.root} is not writable ({folder.name}/: {cause})"
                )
                raise AppDataError(message, self.root) from exc
            if folder == self.root:
                self._make_private()
        for suffix in _DATABASE_COMPANIONS:
            refuse_link(self.database.with_name(DATABASE_FILE + suffix), "database file")
        refuse_link(self.secret_key_file, "secret key file")
        probe = self.root / f".write-probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise AppDataError(
                f"app data folder {self.root} is not writable: {exc.strerror or exc}", self.root
            ) from exc
        return self

    def _make_private(self) -> None:
        """Refuse a folder owned by another user (its owner could swap the database or the
        key under us); make ours private (0700) when others may write into it."""
        if not hasattr(os, "geteuid"):
            return  # Windows: the per-user profile folder's ACLs already say who may write
        info = self.root.stat()
        if info.st_uid != os.geteuid():
            raise AppDataError(
                f"app data folder {self.root} belongs to another user (uid {info.st_uid}, "
                f"this app runs as uid {os.geteuid()}): the app keeps its database and key "
                "only in a folder of its own user; point the app at a folder you own",
                self.root,
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o022:
            os.chmod(self.root, 0o700)
            self.notes.append(
                f"app data folder {self.root} was writable by other users (mode {mode:04o}); "
                "it is now private to this user (0700)"
            )

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


def _refuse_too_long(root: Path) -> None:
    longest = root / (DATABASE_FILE + LONGEST_COMPANION)
    length = len(os.fsencode(longest))
    if length > MAX_DATABASE_PATH_BYTES:
        raise AppDataError(
            f"{env.APP_DATA_DIR} is too long: the database would be {longest}, "
            f"{length} bytes, and SQLite opens paths of at most {MAX_DATABASE_PATH_BYTES} "
            f"bytes; choose a folder whose path is at most "
            f"{MAX_DATABASE_PATH_BYTES - (length - len(os.fsencode(root)))} bytes",
            root,
        )


def _too_long(exc: OSError) -> bool:
    import errno

    return exc.errno == errno.ENAMETOOLONG or getattr(exc, "winerror", None) == 206


def refuse_link(path: Path, what: str) -> None:
    """An AppDataError naming the link and its target when `path` is a symbolic link."""
    if path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        raise AppDataError(
            f"{what} {path} is a symbolic link (to {target}); the app does not follow links "
            "in its data folder: remove the link (move the real file into its place if it "
            "is yours) and start the app again",
            path,
        )


def _create_secret(path: Path, key: str) -> None:
    """Write the key completely to a private temporary file, then link it into place: a full
    disk or a crash can never leave a truncated key behind, and of two racing first starts
    exactly one key wins (the link fails if the file exists)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _read_secret(path: Path) -> str:
    """Read the key without following a link, and only from a file of ours that no other
    user can read (else the key may be known: signed cookies could be forged)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError as exc:
        raise AppDataError(f"cannot read secret key file {path}: permission denied", path) from exc
    except OSError:
        if path.is_symlink():  # ELOOP: a link put here since prepare() looked
            refuse_link(path, "secret key file")
        raise
    with os.fdopen(fd, "rb") as handle:
        _refuse_shared_secret(path, os.fstat(handle.fileno()))
        raw = handle.read()
    try:
        key = raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise AppDataError(f"secret key file {path} is not ASCII text", path) from exc
    if len(key) < 32:
        raise AppDataError(f"secret key file {path} is truncated or empty", path)
    return key


def _refuse_shared_secret(path: Path, info: os.stat_result) -> None:
    if not hasattr(os, "geteuid"):
        return  # Windows: the profile folder's ACLs keep other users out
    if not stat.S_ISREG(info.st_mode):
        raise AppDataError(f"secret key file {path} is not a regular file", path)
    if info.st_uid != os.geteuid():
        raise AppDataError(
            f"secret key file {path} belongs to another user (uid {info.st_uid}): delete it "
            "and start the app again to make a new key (this signs the app out of nothing "
            "that matters: only cookies of earlier sessions are signed with it)",
            path,
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise AppDataError(
            f"secret key file {path} can be read by other users (mode {mode:04o}), so the key "
            f"may be known: delete it to make a new one, or run `chmod 600 {path}` if no one "
            "else has read it",
            path,
        )
