"""Log files under `<app data>/logs/`, one rotating file per process role.

Two faults shape this module. A full disk: the file handler then fails on every line, and the
standard library prints "--- Logging error ---" with a traceback for each, to stderr; here the
first failure writes one line to stderr and the records follow it there until the file can
be written again. A symbolic link put where a log file belongs: log lines would be appended
to whatever it points to, so the file is opened without following links, and refused.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path

from desktop_django.app_data import AppDataError, refuse_link

MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
# After a failed write, how long the records go to stderr before the file is tried again.
RETRY_FILE_SECONDS = 30.0
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_to_file(logs_dir: Path, role: str) -> Path:
    """Send the root logger to `<logs_dir>/<role>.log`; one file per role so that two processes
    never rotate the same file (which fails on Windows)."""
    path = logs_dir / f"{role}.log"
    refuse_link(path, "log file")
    handler = FileOrStderrHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ClientErrorsAsWarnings())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


class FileOrStderrHandler(logging.handlers.RotatingFileHandler):
    """A rotating file that, when it cannot be written (a full disk, mostly), says so once
    on stderr and sends the records there instead, trying the file again every
    RETRY_FILE_SECONDS; no traceback per record."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._file_failed_at: float | None = None

    def _open(self):
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.baseFilename, flags, 0o600)
        except OSError:
            if os.path.islink(self.baseFilename):  # ELOOP on POSIX: a link put here later
                refuse_link(Path(self.baseFilename), "log file")
            raise
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        failed_at = self._file_failed_at
        if failed_at is not None and time.monotonic() - failed_at < RETRY_FILE_SECONDS:
            self._to_stderr(record)
            return
        super().emit(record)  # calls handleError when the file cannot be written
        if failed_at is not None and self._file_failed_at == failed_at:
            self._file_failed_at = None
            self._to_stderr_line(f"log file {self.baseFilename} can be written again")

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (OSError, AppDataError)):
            super().handleError(record)
            return
        if self._file_failed_at is None:
            cause = getattr(error, "strerror", None) or error
            self._to_stderr_line(
                f"cannot write log file {self.baseFilename} ({cause}); "
                "log lines go to stderr until it can be written again (is the disk full?)"
            )
        self._file_failed_at = time.monotonic()
        self._drop_stream()
        self._to_stderr(record)

    def _drop_stream(self) -> None:
        """Forget the open file, whose buffer holds what could not be written: the next try
        opens it afresh instead of failing on the same buffer forever."""
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()

    def _to_stderr(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot even be formatted: say that much
            text = f"{record.levelname} {record.name}: (a log record that cannot be formatted)"
        self._to_stderr_line(text)

    @staticmethod
    def _to_stderr_line(text: str) -> None:
        stream = sys.__stderr__ or sys.stderr
        with contextlib.suppress(OSError, ValueError, AttributeError):  # stderr is gone too
            stream.write(text + "\n")
            stream.flush()


# Raised by Django while reading a request a client sent: its own fault, answered with a 400.
# Django logs them at ERROR with a traceback (30 lines for 10,000 form fields); one WARNING
# line says the same.
_CLIENT_ERROR_LOGGERS = "django.security."


class ClientErrorsAsWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_CLIENT_ERROR_LOGGERS) and record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
            request = getattr(record, "request", None)
            if request is not None and hasattr(request, "path"):
                record.msg = f"400 {request.method} {request.path[:200]}: {record.getMessage()}"
                record.args = None
        return True
