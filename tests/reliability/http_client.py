"""A small HTTP client for load and write tests: keep-alive, CSRF-aware, loopback only."""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from desktop_django_testing.backend import TOKEN_HEADER


@dataclass
class Client:
    url: str
    token: str
    csrf_cookie: str = ""
    csrf_form: str = ""
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    _connection: http.client.HTTPConnection | None = None

    def _conn(self) -> http.client.HTTPConnection:
        if self._connection is None:
            parts = urlsplit(self.url)
            self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        return self._connection

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = {TOKEN_HEADER: self.token, **(headers or {})}
        started = time.perf_counter()
        try:
            connection = self._conn()
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
            status = reply.status
            reply_headers = dict(reply.getheaders())
            if reply.will_close:
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
            status, data, reply_headers = 0, b"", {}
        self.latencies.append(time.perf_counter() - started)
        self.statuses.append(status)
        return status, data, reply_headers

    def prepare_csrf(self) -> None:
        status, body, headers = self.request("GET", "/ponies/new/")
        assert status == 200, status
        self.csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
        self.csrf_form = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)

    def post_form(self, path: str, fields: dict) -> int:
        body = urlencode({**fields, "csrfmiddlewaretoken": self.csrf_form.decode()}).encode()
        status, _data, _headers = self.request(
            "POST",
            path,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.csrf_cookie}",
            },
        )
        return status

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0
