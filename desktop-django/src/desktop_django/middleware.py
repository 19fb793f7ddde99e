"""Per-session authentication between a desktop shell and the local Django server.

Any process on the machine can reach a loopback port, so every request must prove it comes
from the shell that started this server: either the `X-Desktop-Django-Token` header (Electron
injects it) or an HttpOnly cookie set by the one-time bootstrap URL (Tauri, Positron).
"""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from desktop_django.redirects import safe_next_path

TOKEN_HEADER = "X-Desktop-Django-Token"  # noqa: S105 - a name, not a secret
BOOTSTRAP_PATH = "/desktop-auth/bootstrap/"
HEALTH_PATH = "/health/"

logger = logging.getLogger("desktop_django.auth")


def expected_token() -> str:
    return getattr(settings, "DESKTOP_DJANGO_AUTH_TOKEN", "") or ""


def cookie_name() -> str:
    app_id = getattr(settings, "DESKTOP_DJANGO_APP_ID", "desktop-django")
    return f"{app_id}-desktop-token"


def tokens_match(presented: str | None, expected: str) -> bool:
    if not presented or not expected:
        return False
    return hmac.compare_digest(
        presented.encode("utf-8", "surrogateescape"), expected.encode("utf-8")
    )


class DesktopAuthMiddleware:
    """Host check, token check and `/health/`, before anything else (static files included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # WhiteNoise answers static files without asking for the host; do it here for every
        # request so a rebinding DNS name never reaches any content. Raises DisallowedHost (400).
        request.get_host()
        expected = expected_token()
        if expected:
            if request.path_info == BOOTSTRAP_PATH:
                return self._bootstrap(request, expected)
            presented = request.headers.get(TOKEN_HEADER) or request.COOKIES.get(cookie_name())
            if not tokens_match(presented, expected):
                reason = "missing" if not presented else "wrong"
                logger.warning("403 %s %s: %s desktop token", request.method, request.path, reason)
                return _forbidden()
        if request.path_info == HEALTH_PATH:
            return JsonResponse({"status": "ok"})
        return self.get_response(request)

    def _bootstrap(self, request: HttpRequest, expected: str) -> HttpResponse:
        if request.method != "GET" or not tokens_match(request.GET.get("token"), expected):
            logger.warning("403 bootstrap refused: missing or wrong token")
            return _forbidden()
        response = HttpResponseRedirect(safe_next_path(request.GET.get("next")))
        response.set_cookie(
            cookie_name(),
            expected,
            httponly=True,
            samesite="Strict",
            path="/",
            secure=False,  # plain HTTP on loopback; a Secure cookie would never be sent back
        )
        # The token is in this request's URL: keep it out of caches and Referer headers.
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


def _forbidden() -> HttpResponse:
    return HttpResponse(
        "Forbidden: this local server only answers the desktop app that started it.\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )
