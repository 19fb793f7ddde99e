"""The bootstrap `next` parameter can never send the web view to another origin."""

from urllib.parse import urljoin, urlsplit

import pytest
from desktop_django.redirects import safe_next_path
from hypothesis import given, settings
from hypothesis import strategies as st

ORIGIN = "http://127.0.0.1:8123"

ATTACKS = [
    "//evil.example/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "data:text/html,hi",
    "/%2f%2fevil.example",
    "/%5cevil.example",
    "%2f%2fevil.example",
    "/%252f%252fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\x00",
    " //evil.example",
    "http:/evil.example",
    "http:evil.example",
    "evil.example",
    "/\u2028/evil.example",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_known_attacks_fall_back_to_root(attack):
    assert safe_next_path(attack) == "/"


@pytest.mark.parametrize("path", ["/", "/ponies/new/", "/routines/?page=2", "/a%20b/"])
def test_same_origin_paths_pass_unchanged(path):
    assert safe_next_path(path) == path


def test_empty_and_missing_fall_back():
    assert safe_next_path(None) == "/"
    assert safe_next_path("") == "/"


def _stays_on_origin(location: str) -> bool:
    """Resolve like a browser does, including its leniency with backslashes and whitespace."""
    lenient = location.replace("\\", "/")
    for char in "\t\n\r":
        lenient = lenient.replace(char, "")
    resolved = urlsplit(urljoin(ORIGIN + "/start/", lenient))
    return (resolved.scheme, resolved.netloc) == ("http", "127.0.0.1:8123")


url_alphabet = st.sampled_from([*"/\\:.%@?#&=-_ab2f5c\t\n\x00 ", "%2f", "%5c", "//", "http"])


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(url_alphabet, max_size=20).map("".join)))
def test_no_generated_value_leaves_the_origin(value):
    location = safe_next_path(value)
    assert location.startswith("/")
    assert _stays_on_origin(location), (value, location)
