"""Validation of the bootstrap `next` parameter: only a same-origin relative path may pass."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from django.utils.http import url_has_allowed_host_and_scheme

_MAX_UNQUOTE_ROUNDS = 4


def safe_next_path(value: str | None, default: str = "/") -> str:
    """Return `value` when it is a path on this origin, else `default`.

    Browsers forgive a lot (backslashes as slashes, tabs and newlines stripped, `%2f` decoded
    by some layers), so every decoded form must be a plain absolute path with no authority.
    """
    if not value:
        return default
    candidate = value
    for _ in range(_MAX_UNQUOTE_ROUNDS):
        if not _is_plain_local_path(candidate):
            return default
        decoded = unquote(candidate)
        if decoded == candidate:
            break
        candidate = decoded
    else:
        return default
    return value


def _is_plain_local_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    # "/.//evil.example" is a plain path, but a browser removes the dot segment and then
    # requests "//evil.example", a network-path reference to another host.
    if _path_after_dot_segments(value).startswith("//"):
        return False
    if "\\" in value:
        return False
    if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in value):
        return False
    if any(char.isspace() and char != " " for char in value):
        return False
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return False
    return url_has_allowed_host_and_scheme(value, allowed_hosts=set(), require_https=False)


def _path_after_dot_segments(value: str) -> str:
    """The path a browser requests for `value` (WHATWG URL parsing): "." and ".." segments
    removed, ".." never above the root, empty segments kept. urllib's urljoin drops an empty
    segment after "..", so it would answer "/evil.example" where a browser goes to
    "//evil.example"."""
    path = value.split("?", 1)[0].split("#", 1)[0]
    kept: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    return "/" + "/".join(kept)
