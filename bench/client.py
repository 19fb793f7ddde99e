"""A small load generator: N threads, one keep-alive connection each, a fixed request count.

Loopback only, bounded in requests and time. Every request's latency is kept, and every
failure (exception or unexpected status) is counted as an error with an example message.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

TOKEN_HEADER = "X-Desktop-Django-Token"  # noqa: S105 - a name, not a secret
REQUEST_TIMEOUT = 30.0


class Client:
    """One keep-alive connection to a loopback server, with the session token on every request."""

    def __init__(self, url: str, token: str, timeout: float = REQUEST_TIMEOUT):
        parts = urlsplit(url)
        if not ipaddress.ip_address(parts.hostname).is_loopback:
            raise ValueError(f"the benchmarks only talk to loopback addresses, not {url}")
        self.host, self.port = parts.hostname, parts.port
        self.token = token
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, self.timeout)
        all_headers = {TOKEN_HEADER: self.token, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self._connection.request(method, path, body=body, headers=all_headers)
            response = self._connection.getresponse()
            payload = response.read()
        except BaseException:
            self.close()
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, payload

    def connect(self) -> None:
        """Open the connection now; a failure here shows up on the first request instead."""
        self._connection = http.client.HTTPConnection(self.host, self.port, self.timeout)
        try:
            self._connection.connect()
        except OSError:
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def first_200(url: str, path: str, token: str, deadline: float, poll_every: float = 0.0) -> float:
    """perf_counter() at the first 200 on `path`, retrying refused connections (every
    `poll_every` seconds) until `deadline`, a perf_counter() value."""
    while True:
        client = Client(url, token, timeout=max(0.5, deadline - time.perf_counter()))
        try:
            status, _ = client.request("GET", path)
            if status == 200:
                return time.perf_counter()
        except OSError:
            pass
        finally:
            client.close()
        if time.perf_counter() + poll_every > deadline:
            raise TimeoutError(f"no 200 from {url}{path} before the deadline")
        time.sleep(poll_every)


@dataclass
class FormSession:
    """A CSRF cookie and form token, fetched once the way a browser would."""

    cookie: str
    form_token: str

    @classmethod
    def fetch(cls, url: str, token: str, form_path: str) -> FormSession:
        client = Client(url, token)
        try:
            status, body = client.request("GET", form_path)
        finally:
            client.close()
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not found or "csrftoken" not in client.cookies:
            raise RuntimeError(f"no CSRF form at {url}{form_path} (status {status})")
        return cls(client.cookies["csrftoken"], found.group(1).decode())

    def post(self, client: Client, path: str, fields: dict) -> int:
        client.cookies["csrftoken"] = self.cookie
        body = urlencode({**fields, "csrfmiddlewaretoken": self.form_token}).encode()
        status, _ = client.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        return status


# One request: gets a connected client and the request's sequence number, returns the status.
RequestFn = Callable[[Client, int], int]


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    def merge(self, other: LoadResult) -> None:
        self.latencies_ms += other.latencies_ms
        self.errors += other.errors
        self.error_examples = (self.error_examples + other.error_examples)[:5]
        self.wall_seconds += other.wall_seconds


def run_load(
    url: str,
    token: str,
    send: RequestFn,
    total: int,
    concurrency: int,
    expected: tuple[int, ...] = (200,),
    time_limit: float = 300.0,
) -> LoadResult:
    """`total` requests from `concurrency` threads; stops early (counting the rest as errors)
    if `time_limit` seconds pass."""
    result = LoadResult()
    lock = threading.Lock()
    tickets = iter(range(total))
    start = threading.Barrier(concurrency + 1)
    stop_at = time.perf_counter() + time_limit

    def next_ticket() -> int | None:
        with lock:
            return next(tickets, None)

    def record(latency_ms: float, error: str | None) -> None:
        with lock:
            result.latencies_ms.append(latency_ms)
            if error is not None:
                result.errors += 1
                if len(result.error_examples) < 5:
                    result.error_examples.append(error)

    def client_thread() -> None:
        client = Client(url, token)
        # Connect before the clock starts: the latency of a request on an open keep-alive
        # connection is what is measured, as a web view holds its connections open.
        client.connect()
        start.wait()
        try:
            while (ticket := next_ticket()) is not None:
                if time.perf_counter() > stop_at:
                    record(0.0, "time limit reached")
                    continue
                began = time.perf_counter()
                try:
                    status = send(client, ticket)
                    error = None if status in expected else f"HTTP {status}"
                except Exception as exc:  # any failure is an error to report, not to raise
                    error = f"{type(exc).__name__}: {exc}"
                record((time.perf_counter() - began) * 1000, error)
        finally:
            client.close()

    threads = [threading.Thread(target=client_thread, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    result.wall_seconds = time.perf_counter() - began
    return result
