"""The server listens on loopback addresses only, on a port the OS picks."""

import socket

import pytest
from desktop_django.server import ServerError, bind_loopback

from tests.support.ci import require_in_ci


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
