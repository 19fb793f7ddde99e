"""The server listens on loopback addresses only, on a port the OS picks."""

import errno
import os
import socket
import time
from urllib.parse import urlsplit

import pytest
from desktop_django.server import ServerError, bind_loopback
from desktop_django_testing.ci import require_in_ci


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1"])
def test_loopback_addresses_bind_on_a_port_the_os_picks(host):
    try:
        sock = bind_loopback(host, 0)
    except ServerError as exc:
        if host == "::1" and "cannot listen" in str(exc):
            require_in_ci("this machine has no IPv6 loopback")
        raise
    with sock:
        assert sock.getsockname()[1] > 0
        assert sock.family == (socket.AF_INET6 if ":" in host else socket.AF_INET)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "2001:db8::1"])  # noqa: S104
def test_other_addresses_are_refused(host):
    with pytest.raises(ServerError, match="only loopback"):
        bind_loopback(host, 0)


@pytest.mark.parametrize("host", ["localhost", "example.com", "", "127.0.0.1.nip.io"])
def test_names_are_refused_because_they_can_resolve_anywhere(host):
    with pytest.raises(ServerError, match="must be a loopback IP address"):
        bind_loopback(host, 0)


def _echo_length(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(len(body)).encode()]


def _post(url: str, size: int) -> int:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("POST", "/", body=b"x" * size)
        return connection.getresponse().status
    finally:
        connection.close()


def test_request_bodies_over_the_limit_are_refused_with_413():
    from desktop_django.server import serve_in_thread

    server = serve_in_thread(_echo_length, bind_loopback("127.0.0.1", 0), max_request_bytes=1000)
    try:
        assert _post(server.url, 1000) == 200
        assert _post(server.url, 1001) == 413
    finally:
        server.stop()


def test_a_project_sets_the_request_size_limit(settings):
    from desktop_django.service import DEFAULT_MAX_REQUEST_BYTES, max_request_bytes

    assert max_request_bytes() == DEFAULT_MAX_REQUEST_BYTES
    settings.DESKTOP_DJANGO_MAX_REQUEST_BYTES = 50_000_000
    assert max_request_bytes() == 50_000_000


def _hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


@pytest.fixture
def out_of_descriptors():
    """Fill this process's descriptor table (the server thread's too: it is one process), by
    lowering the soft limit and duplicating a descriptor until EMFILE; `release()` frees it."""
    resource = pytest.importorskip("resource", reason="POSIX descriptor limits")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    fillers: list[int] = []

    def fill() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        while True:
            try:
                fillers.append(os.dup(0))
            except OSError as exc:
                if exc.errno != errno.EMFILE:
                    raise
                return

    def release() -> None:
        while fillers:
            os.close(fillers.pop())
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    yield fill, release
    release()


def test_accept_out_of_descriptors_pauses_and_logs_once(out_of_descriptors, caplog):
    """An accept() that fails with EMFILE leaves the listening socket readable: without a
    pause the server's loop calls it again at once (full CPU) and logs every failure."""
    from desktop_django.server import serve_in_thread

    fill, release = out_of_descriptors
    server = serve_in_thread(_hello, bind_loopback("127.0.0.1", 0), max_request_bytes=1000)
    client = socket.socket()
    client.settimeout(10)
    try:
        fill()
        client.connect(("127.0.0.1", urlsplit(server.url).port))
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        cpu_before = time.process_time()
        time.sleep(1.5)  # the loop keeps failing to accept it
        cpu_spent = time.process_time() - cpu_before
        release()
        answer = b""
        while chunk := client.recv(1000):  # accepted once descriptors are free again
            answer += chunk
    finally:
        release()
        client.close()
        server.stop()
    assert answer.startswith(b"HTTP/1.1 200"), answer
    assert answer.endswith(b"hello"), answer
    refused = [r for r in caplog.records if "cannot accept a connection" in r.getMessage()]
    assert len(refused) == 1, [r.getMessage() for r in refused]
    assert "Too many open files" in refused[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    # A spinning loop burns the whole 1.5 s; pausing costs a few wake-ups.
    assert cpu_spent < 0.5, cpu_spent


def test_connections_are_capped_below_the_open_files_limit():
    from desktop_django.open_files import MINIMUM_CONNECTIONS, RESERVED, connection_cap

    assert connection_cap(500, 256) == 256 - RESERVED
    assert connection_cap(500, 100_000) == 500
    assert connection_cap(500, None) == 500  # Windows: no such limit
    assert connection_cap(500, 20) == MINIMUM_CONNECTIONS
