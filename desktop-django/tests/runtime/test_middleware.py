"""DesktopAuthMiddleware: both token transports, every rejection, bootstrap cookie, CSRF, hosts.

These run in-process against the workspace's test project (pytest-django); the project's
settings put the middleware first, as every desktop build must.
"""

import pytest
from desktop_django.middleware import BOOTSTRAP_PATH, TOKEN_HEADER, cookie_name
from django.test import Client, override_settings

TOKEN = "0123456789abcdef" * 4

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("session_token")]


@pytest.fixture
def session_token():
    with override_settings(DESKTOP_DJANGO_AUTH_TOKEN=TOKEN):
        yield TOKEN


def get(client, path, **headers):
    return client.get(path, headers=headers)


def test_health_with_header_token(client):
    response = get(client, "/health/", **{TOKEN_HEADER: TOKEN})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "presented",
    [None, "", TOKEN[:-1], TOKEN + "0", TOKEN.upper(), "x" * 64, "ä" * 64, f"{TOKEN}, {TOKEN}"],
    ids=["missing", "empty", "short", "long", "uppercase", "other", "unicode", "repeated"],
)
def test_wrong_or_missing_header_token_is_403(client, presented):
    headers = {} if presented is None else {TOKEN_HEADER: presented}
    response = get(client, "/health/", **headers)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/plain")
    assert TOKEN.encode() not in response.content


def test_rejection_is_logged_without_the_token(client, caplog, monkeypatch):
    from desktop_django import middleware
    from desktop_django.log_limits import RateLimitedLog

    # A limiter of its own: earlier tests' refusals used up the shared one's interval.
    monkeypatch.setattr(middleware, "unauthenticated_log", RateLimitedLog(middleware.logger))
    get(client, "/", **{TOKEN_HEADER: "nope"})
    assert any("wrong desktop token" in record.getMessage() for record in caplog.records)
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


def test_every_page_needs_the_token(client):
    for path in ["/", "/routines/", "/routines/status.json", "/ponies/new/", "/nowhere/"]:
        assert client.get(path).status_code == 403, path


def test_static_files_are_protected(client):
    path = "/static/flying_stable/stable.css"
    assert client.get(path).status_code == 403
    allowed = get(client, path, **{TOKEN_HEADER: TOKEN})
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/css")


def test_bootstrap_sets_strict_httponly_cookie_and_redirects(client):
    response = client.get(BOOTSTRAP_PATH, {"token": TOKEN, "next": "/routines/"})
    assert response.status_code == 302
    assert response["Location"] == "/routines/"
    assert TOKEN not in response["Location"]
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    cookie = response.cookies[cookie_name()]
    assert cookie.value == TOKEN
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    # The cookie alone now authenticates, static files included.
    assert client.get("/health/").status_code == 200
    assert client.get("/routines/").status_code == 200


def test_cookie_name_is_unique_to_the_app(settings):
    assert cookie_name().startswith(settings.DESKTOP_DJANGO_APP_ID)


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN[:32]])
def test_bootstrap_with_bad_token_is_403_and_sets_nothing(client, token):
    params = {"next": "/"} if token is None else {"token": token, "next": "/"}
    response = client.get(BOOTSTRAP_PATH, params)
    assert response.status_code == 403
    assert cookie_name() not in response.cookies


def test_bootstrap_refuses_post(client):
    response = client.post(f"{BOOTSTRAP_PATH}?token={TOKEN}&next=/")
    assert response.status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example", "/\\evil"])
def test_bootstrap_never_redirects_off_origin(client, target):
    response = client.get(BOOTSTRAP_PATH, {"token": TOKEN, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_cookie_is_403(client):
    client.cookies[cookie_name()] = "f" * 64
    assert client.get("/health/").status_code == 403


def test_csrf_is_still_enforced_with_a_valid_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/ponies/new/", {"name": "Sneaky", "status": "grazing"}, headers={TOKEN_HEADER: TOKEN}
    )
    assert response.status_code == 403
    assert b"CSRF" in response.content


@pytest.mark.parametrize(
    "host",
    ["evil.example", "127.0.0.1.evil.example", "192.168.1.10", "0.0.0.0"],  # noqa: S104
)
def test_host_outside_loopback_names_is_400(client, host):
    response = client.get("/health/", headers={TOKEN_HEADER: TOKEN}, HTTP_HOST=host)
    assert response.status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"])
def test_loopback_hosts_are_accepted(client, host):
    response = client.get("/health/", headers={TOKEN_HEADER: TOKEN}, HTTP_HOST=host)
    assert response.status_code == 200


def test_pages_carry_a_csp_without_remote_origins(client):
    response = get(client, "/", **{TOKEN_HEADER: TOKEN})
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "http" not in policy


@override_settings(DESKTOP_DJANGO_AUTH_TOKEN="")
def test_without_a_configured_token_requests_pass(client):
    """Dev mode (runserver in a browser): no token configured, no token required."""
    assert client.get("/health/").status_code == 200
