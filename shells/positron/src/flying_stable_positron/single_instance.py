"""One Positron per app data folder; a second launch asks the first to come to the front.

The first instance holds the app data's instance lock (the same OS lock `serve` uses, so a
Positron and a `serve` never share one SQLite file either) and listens on a loopback port
for one-line JSON commands, authenticated with a token it writes next to the lock. The
owner file is in the user's own app data folder, so only that user can read the token.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import socket
import threading
from collections.abc import Callable

from desktop_django.instance_lock import InstanceLock

logger = logging.getLogger("positron.single_instance")

# A later launch with --install-backend-update FILE hands the file over with this command.
INSTALL_COMMAND = "install-backend-update"
COMMANDS = ("focus", "quit", INSTALL_COMMAND)


class InstanceServer:
    """The first instance (it holds `lock`): answers `focus`, `quit` and
    `install-backend-update` (with the layer's absolute path as `file`) from later launches;
    `on_command` gets the command, and the file for the last one."""

    def __init__(self, lock: InstanceLock, on_command: Callable[..., None]):
        self.lock = lock
        self.on_command = on_command
        self.token = secrets.token_hex(32)
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._closed = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._serve, name="single-instance", daemon=True).start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                self._handle(connection)

    def _handle(self, connection: socket.socket) -> None:
        try:
            message = json.loads(connection.makefile("r", encoding="utf-8").readline())
            token = str(message.get("token", ""))
            command = message.get("command")
            file = message.get("file")
        except (OSError, ValueError, AttributeError):
            return
        wanted_file = command == INSTALL_COMMAND
        if (
            not hmac.compare_digest(token.encode(), self.token.encode())
            or command not in COMMANDS
            or wanted_file != isinstance(file, str)
        ):
            logger.warning("refused an instance command")
            connection.sendall(b"refused\n")
            return
        connection.sendall(b"ok\n")
        if wanted_file:
            self.on_command(command, file)
        else:
            self.on_command(command)

    def close(self) -> None:
        self._closed.set()
        self._socket.close()


def send_command(
    lock: InstanceLock, command: str, timeout: float = 3.0, file: str | None = None
) -> bool:
    """Ask the running instance to do `command` (with `file` for install-backend-update);
    False when it cannot be reached."""
    owner = lock.owner()
    port, token = owner.get("ipc_port"), owner.get("ipc_token")
    if not port or not token:
        return False
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=timeout) as connection:
            message = {"token": token, "command": command}
            if file is not None:
                message["file"] = file
            line = json.dumps(message) + "\n"
            connection.sendall(line.encode())
            return connection.makefile("r").readline().strip() == "ok"
    except (OSError, ValueError):
        return False
