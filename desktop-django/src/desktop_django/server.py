"""The production WSGI server, bound by us to a loopback port the OS picks.

waitress: pure Python (nothing to compile for three OSes), mature, runs on Windows (gunicorn
does not), threaded, and accepts an already-bound socket, so there is no window between
choosing a free port and listening on it in which another process could take it.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass

from desktop_django import open_files
from desktop_django.log_limits import RateLimitedLog

logger = logging.getLogger("desktop_django.server")

THREADS = 8
# Slow-loris bounds. A connection that takes longer than this to send its request line and
# headers is closed (waitress has no such limit: each trickled byte counts as activity);
# an idle keep-alive connection is closed after IDLE_SECONDS (a web view reconnects at once).
HEADER_READ_SECONDS = 10
IDLE_SECONDS = 15
# How often those bounds are checked, on waitress's own loop.
CHECK_INTERVAL_SECONDS = 1
# Far above what one web view opens, so a few hundred stalled connections cannot shut out
# the shell's health check (waitress's default is 100). poll(), not select(): select() cannot
# watch descriptors numbered above 1024. Lowered below what the open-files limit allows
# (open_files.py).
CONNECTION_LIMIT = 500
# accept() failing for want of descriptors leaves the listening socket readable: the loop would
# call it again at once, forever. It pauses accepting this long instead.
ACCEPT_PAUSE_SECONDS = 0.5
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


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


def serve_in_thread(wsgi_app, sock: socket.socket, max_request_bytes: int) -> RunningServer:
    from waitress.adjustments import Adjustments
    from waitress.task import ThreadedTaskDispatcher

    soft_limit = open_files.raise_soft_limit()
    connection_limit = open_files.connection_cap(CONNECTION_LIMIT, soft_limit)
    if connection_limit < CONNECTION_LIMIT:
        logger.info("open-files limit %s: at most %d connections", soft_limit, connection_limit)
    adjustments = Adjustments(
        sockets=[sock],
        threads=THREADS,
        ident="",
        clear_untrusted_proxy_headers=True,
        channel_timeout=IDLE_SECONDS,
        cleanup_interval=CHECK_INTERVAL_SECONDS,
        connection_limit=connection_limit,
        asyncore_use_poll=True,
        # Bodies are read (and spooled to disk) before any token check: bound them (413).
        max_request_body_size=max_request_bytes + 1,  # waitress refuses a body of exactly its limit
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(THREADS)
    # What waitress's create_server does for one listening socket, with our server class.
    server = _bounded_server_class()(
        wsgi_app,
        {},
        True,
        sock,
        dispatcher=dispatcher,
        adj=adjustments,
        bind_socket=False,
        sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
    )
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{shown_host}:{port}", _server=server, _thread=thread)


def _bounded_server_class():
    """waitress's TCP server whose periodic maintenance also closes connections that are
    still sending their headers after HEADER_READ_SECONDS (imported late: waitress is not
    needed until a server starts)."""
    import time

    from waitress.channel import HTTPChannel
    from waitress.server import TcpWSGIServer

    class HeaderTimedChannel(HTTPChannel):
        request_began = 0.0

        def received(self, data):
            if self.request is None:  # the first bytes of a new request
                self.request_began = time.time()
            return super().received(data)

    class BoundedServer(TcpWSGIServer):
        channel_class = HeaderTimedChannel
        accept_paused_until = 0.0
        accept_log = RateLimitedLog(logger)

        def readable(self):
            listening = super().readable()  # also runs maintenance and the connection cap
            return listening and time.monotonic() >= self.accept_paused_until

        def handle_accept(self):
            try:
                accepted = self.socket.accept()
            except OSError as exc:
                if exc.errno in _OUT_OF_DESCRIPTORS:
                    self.accept_paused_until = time.monotonic() + ACCEPT_PAUSE_SECONDS
                    self.accept_log.warning(
                        "refused connections (accept failed: out of descriptors)",
                        "cannot accept a connection: %s; pausing %.1f s",
                        exc.strerror, ACCEPT_PAUSE_SECONDS,
                    )  # fmt: skip
                    return
                if exc.errno in (errno.EWOULDBLOCK, errno.ECONNABORTED, errno.EAGAIN):
                    return  # another thread or the client got there first
                logger.warning("accept failed: %s", exc)
                return
            conn, addr = accepted
            try:
                self.set_socket_options(conn)
            except OSError:  # the client already went away (macOS)
                conn.close()
                return
            self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)

        def maintenance(self, now):
            super().maintenance(now)
            cutoff = now - HEADER_READ_SECONDS
            stalled = [
                channel
                for channel in self.active_channels.values()
                if channel.request is not None
                and not channel.will_close
                and not channel.request.headers_finished
                and channel.request_began < cutoff
            ]
            for channel in stalled:
                channel.will_close = True
            if stalled:
                logger.warning(
                    "closing %d connections that sent no complete request headers in %d s",
                    len(stalled),
                    HEADER_READ_SECONDS,
                )

    return BoundedServer
