"""URLs the WebView may load, and the one-time bootstrap URL that swaps the token for a cookie."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

BOOTSTRAP_PATH = "/desktop-auth/bootstrap/"


def bootstrap_url(backend_url: str, token: str, next_path: str = "/") -> str:
    return f"{backend_url}{BOOTSTRAP_PATH}?{urlencode({'token': token, 'next': next_path})}"


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def is_backend_page(url: str | None, backend_url: str) -> bool:
    """A page of our own backend that is not the bootstrap hop."""
    if not url:
        return False
    return origin(url) == origin(backend_url) and urlsplit(url).path != BOOTSTRAP_PATH


def carries_token(url: str | None, token: str) -> bool:
    return bool(url) and token in url
