"""Serve the user's uploaded files (MEDIA_ROOT, in app data) in packaged mode.

On a server a web server or a storage bucket serves /media/; a desktop app has neither, and
Django only serves media itself with DEBUG on. This middleware sits after the token check
(desktop_django.settings.middleware() puts it there), so every file needs the session token
like every page, and it answers only GET and HEAD for paths below MEDIA_URL:

- a path that leaves MEDIA_ROOT (`..`, an absolute part, a symlink pointing out) is a 404,
  exactly like a file that is not there;
- the content type comes from the file name; types a browser would run as a page (HTML,
  SVG, XML, JavaScript) are sent as downloads, and every answer carries `nosniff` and a
  policy that allows nothing, so an uploaded file never runs script in the app's origin.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.http import http_date

# Types a browser renders as a document that can run script: never inline from the app origin.
ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
                "application/xml", "text/javascript", "application/javascript")  # fmt: skip
MEDIA_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "private, no-cache",
}


def media_file(root: Path, relative: str) -> Path | None:
    """The file below `root` that a URL path names, or None when it names nothing there."""
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("..", ".") or "\\" in p or "\x00" in p for p in parts):
        return None
    if PurePosixPath(relative).is_absolute() or ":" in parts[0]:
        return None
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not resolved.is_relative_to(root.resolve()) or not resolved.is_file():
        return None
    return resolved


class MediaMiddleware:
    """Answer MEDIA_URL requests from MEDIA_ROOT; every other request goes on unchanged."""

    def __init__(self, get_response):
        prefix = getattr(settings, "MEDIA_URL", "") or ""
        root = getattr(settings, "MEDIA_ROOT", "") or ""
        # Only a local prefix ("/media/") on this server; a CDN URL is not ours to serve.
        if not root or not prefix.startswith("/") or prefix == "/":
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.root = Path(root)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return _with_media_headers(HttpResponseNotAllowed(["GET", "HEAD"]))
        path = media_file(self.root, request.path_info[len(self.prefix) :])
        if path is None:
            raise Http404("no such media file")
        return _with_media_headers(_file_response(path))


def _file_response(path: Path) -> FileResponse:
    content_type, encoding = mimetypes.guess_type(path.name)
    content_type = content_type or "application/octet-stream"
    active = content_type in ACTIVE_TYPES
    response = FileResponse(
        path.open("rb"),
        content_type=content_type if not encoding else "application/octet-stream",
        as_attachment=active,
        filename=path.name,
    )
    if not active:
        # FileResponse names the file for inline answers too; a plain inline answer is enough.
        response.headers.pop("Content-Disposition", None)
    response["Last-Modified"] = http_date(path.stat().st_mtime)
    return response


def _with_media_headers(response: HttpResponse) -> HttpResponse:
    for header, value in MEDIA_HEADERS.items():
        response.headers[header] = value
    return response
