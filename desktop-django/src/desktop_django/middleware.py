"""Per-session authentication between a desktop shell and the local Django server.

Any process on the machine can reach a loopback port, so every request must prove it comes
from the shell that started this server: either the `X-Desktop-Django-Token` header (Electron
injects it) or an HttpOnly cookie set by the one-time bootstrap URL (Tauri, Positron).
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse

from desktop_django.database import is_corruption, record_damage
from desktop_django.disk_space import free_bytes, human, is_disk_full
from desktop_django.log_limits import RateLimitedLog
from desktop_django.redirects import safe_next_path

TOKEN_HEADER = "X-Desktop-Django-Token"  # noqa: S105 - a name, not a secret
BOOTSTRAP_PATH = "/desktop-auth/bootstrap/"
HEALTH_PATH = "/health/"
# This middleware answers before SecurityMiddleware and the CSP middleware ever see the
# request, so its own answers carry the same protections themselves. They load nothing, so
# their policy allows nothing.
OWN_ANSWER_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
BUSY_RETRY_SECONDS = 5

logger = logging.getLogger("desktop_django.auth")
# Requests without the token, or with a foreign Host, can come from any local process.
unauthenticated_log = RateLimitedLog(logger)
TOKEN_REFUSALS = "403 answers for a missing or wrong token"  # noqa: S105 - not a secret


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

    # Set for the whole process once a request met a damaged database.
    database_damaged = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        own_answer = self._answer_before_the_app(request)
        if own_answer is not None:
            return _with_own_headers(own_answer)
        response = self.get_response(request)
        # Only the app's own web view may read its answers: WhiteNoise sends
        # `Access-Control-Allow-Origin: *` on static files by default, and a wrapped
        # project's CORS settings were written for a server on the internet.
        if "Access-Control-Allow-Origin" in response.headers:
            del response.headers["Access-Control-Allow-Origin"]
        return response

    def _answer_before_the_app(self, request: HttpRequest) -> HttpResponse | None:
        # WhiteNoise answers static files without asking for the host; do it here for every
        # request so a rebinding DNS name never reaches any content.
        try:
            request.get_host()
        except DisallowedHost:
            # At most one line, not Django's ERROR with a traceback, and rate-limited: a page
            # probing Host values would otherwise rotate every useful line out of the log.
            unauthenticated_log.warning(
                "400 answers for a Host that is not a loopback name",
                "400 %s %s: Host %r is not a loopback name",
                request.method,
                request.path,
                request.META.get("HTTP_HOST", "")[:100],
            )
            return _bad_host()
        expected = expected_token()
        if expected:
            if request.path_info == BOOTSTRAP_PATH:
                return self._bootstrap(request, expected)
            presented = request.headers.get(TOKEN_HEADER) or request.COOKIES.get(cookie_name())
            if not tokens_match(presented, expected):
                reason = "missing" if not presented else "wrong"
                unauthenticated_log.warning(
                    TOKEN_REFUSALS,
                    "403 %s %s: %s desktop token",
                    request.method,
                    request.path,
                    reason,
                )
                return _forbidden()
        if request.path_info == HEALTH_PATH:
            return JsonResponse({"status": "ok"})
        if DesktopAuthMiddleware.database_damaged:
            return _damaged()
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        """Database conditions a user can act on get a 503 that says what to do, not a
        generic server error: a write lock held past SQLite's busy timeout (another process
        in a long transaction) passes; damage does not, so it is recorded, and from then on
        this server writes nothing more into the file (the next start moves it aside)."""
        database = Path(settings.DATABASES["default"]["NAME"])
        if isinstance(exception, DatabaseError) and is_corruption(exception):
            record_damage(database, exception)
            DesktopAuthMiddleware.database_damaged = True
            return _with_own_headers(_damaged())
        if is_disk_full(exception, database.parent):
            return _disk_full(request, database.parent, exception)
        if not (isinstance(exception, OperationalError) and "locked" in str(exception)):
            return None
        logger.warning(
            "503 %s %s: database is locked (%s)", request.method, request.path, exception
        )
        response = HttpResponse(
            "The app's database is busy: another program is holding it. "
            "Try again in a few seconds.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(BUSY_RETRY_SECONDS)
        return _with_own_headers(response)

    def _bootstrap(self, request: HttpRequest, expected: str) -> HttpResponse:
        if request.method != "GET" or not tokens_match(request.GET.get("token"), expected):
            unauthenticated_log.warning(TOKEN_REFUSALS, "403 bootstrap: missing or wrong token")
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


# The page a project may override with its own look (the demo extends its base template);
# the runtime's plain one otherwise.
DISK_FULL_TEMPLATE = "desktop_django/disk_full.html"
_PLAIN_DISK_FULL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The disk is full</title></head><body>
<h1>The disk is full</h1>
<p>Nothing was saved: the disk that holds {{ folder }} has {{ free }} free. Free some space
(empty the trash, remove large downloads, or move old backups out of the backups folder in
{{ folder }}), then press Try again.</p>
{% if fields %}<form method="post" action="{{ action }}">{% csrf_token %}
{% for name, value in fields %}<p><label>{{ name }}<br>
<textarea name="{{ name }}" rows="2" cols="60">{{ value }}</textarea></label></p>{% endfor %}
<button type="submit">Try again</button></form>{% endif %}
</body></html>"""


def _disk_full(request: HttpRequest, folder: Path, exception: Exception) -> HttpResponse:
    """A 503 that says what happened and what to free, with what the user typed kept in a
    form that sends it again (rendered with the project's own template when it has one, so
    it passes through the security and CSP middleware like every page)."""
    from django.template import engines
    from django.template.backends.django import DjangoTemplates
    from django.template.loader import TemplateDoesNotExist, get_template

    free = human(free_bytes(folder))
    logger.warning(
        "503 %s %s: the disk is full (%s free in %s): %s",
        request.method,
        request.path,
        free,
        folder,
        exception,
    )
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken"
        for value in values
    ]
    context = {"folder": str(folder), "free": free, "fields": fields, "action": request.path}
    try:
        template = get_template(DISK_FULL_TEMPLATE)
    except TemplateDoesNotExist:
        django_engine = next(e for e in engines.all() if isinstance(e, DjangoTemplates))
        template = django_engine.from_string(_PLAIN_DISK_FULL_PAGE)
    response = HttpResponse(template.render(context, request), status=503)
    response["Retry-After"] = str(BUSY_RETRY_SECONDS)
    response._has_been_logged = True
    return response


def _forbidden() -> HttpResponse:
    return HttpResponse(
        "Forbidden: this local server only answers the desktop app that started it.\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


def _damaged() -> HttpResponse:
    return HttpResponse(
        "The app's database is damaged, so nothing more is saved into it. Quit the app and "
        "start it again: the damaged file is moved aside and kept, and a fresh one begins.\n",
        status=503,
        content_type="text/plain; charset=utf-8",
    )


def _bad_host() -> HttpResponse:
    return HttpResponse(
        "Bad Request: this local server answers only at a loopback address.\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _with_own_headers(response: HttpResponse) -> HttpResponse:
    """The security headers, a Content-Length (without one, waitress must close the
    connection after the answer, and requests pipelined behind it are lost), and no second
    log line from django.request: this middleware has already said what happened."""
    for header, value in OWN_ANSWER_HEADERS.items():
        response.headers.setdefault(header, value)
    response.headers["Content-Length"] = str(len(response.content))
    response._has_been_logged = True
    return response
