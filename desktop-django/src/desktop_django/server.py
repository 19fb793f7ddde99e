"""The production WSGI server, bound by us to a loopback port the OS picks.

waitress: pure Python (nothing to compile for three OSes), mature, runs on Windows (gunicorn
does not), threaded, and accepts an already-bound socket, so there is no window between
choosing a free port and listening on it in which another process could take it.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass

logger = logging.getLogger("desktop_django.server")

THREADS = 8


class ServerError(RuntimeError):
    pass


def bind_loopback(host: str, port: int) -> socket.socket:
    try:
        if not ipaddress.ip_address(host).is_loopback:
            raise ServerError(f"refusing to listen on {host}: only loopback addresses are allowed")
    except ValueError:
        raise ServerError(f"--host must be a loopback IP address, not {host!r}") from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


@dataclass
class RunningServer:
    url: str
    _server: object
    _thread: threading.Thread

    def stop(self, timeout: float = 2.0) -> None:
        from waitress import wasyncore

        server = self._server
        # Let requests in flight finish; a stuck one must not hold the app open.
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        # Then close the listener and every channel, idle keep-alive ones included (they would
        # keep waitress's loop alive for channel_timeout seconds), on the loop's own thread: the
        # trigger wakes its select() at once. Closed from this thread, the loop slept on for
        # its whole poll timeout (1 s) or failed on a closed descriptor.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        self._thread.join(timeout)
        if self._thread.is_alive():
            wasyncore.close_all(server._map)
        logger.info("server stopped")


def serve_in_thread(wsgi_app, sock: socket.socket) -> RunningServer:
    from waitress.server import create_server

    server = create_server(
        wsgi_app,
        sockets=[sock],
        threads=THREADS,
        ident="",
        clear_untrusted_proxy_headers=True,
        channel_timeout=30,
    )
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{shown_host}:{port}", _server=server, _thread=thread)
