"""URLs the WebView may load, and the one-time bootstrap URL that swaps the token for a cookie."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

BOOTSTRAP_PATH = "/desktop-auth/bootstrap/"


def bootstrap_url(backend_url: str, token: str, next_path: str = "/") -> str:
    return f"{backend_url}{BOOTSTRAP_PATH}?{urlencode({'token': token, 'next': next_path})}"


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port), or None for a URL that does not parse (a bad port, say)."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def same_origin(url: str | None, backend_url: str) -> bool:
    """The one rule of the navigation lock: exactly the backend's scheme, host and port."""
    here = origin(url) if url else None
    return here is not None and here == origin(backend_url)


def is_backend_page(url: str | None, backend_url: str) -> bool:
    """A page of our own backend that is not the bootstrap hop."""
    return same_origin(url, backend_url) and urlsplit(url).path != BOOTSTRAP_PATH


def carries_token(url: str | None, token: str) -> bool:
    return bool(url) and token in url
