from urllib.parse import parse_qs, urlsplit

from flying_stable_positron.addresses import bootstrap_url, carries_token, is_backend_page

BACKEND = "http://127.0.0.1:50123"
TOKEN = "ab" * 32


def test_bootstrap_url_carries_token_and_next():
    url = bootstrap_url(BACKEND, TOKEN)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "http",
        "127.0.0.1:50123",
        "/desktop-auth/bootstrap/",
    )
    assert parse_qs(parts.query) == {"token": [TOKEN], "next": ["/"]}


def test_backend_pages_exclude_the_bootstrap_hop_and_other_origins():
    assert is_backend_page(f"{BACKEND}/", BACKEND)
    assert is_backend_page(f"{BACKEND}/routines/", BACKEND)
    assert not is_backend_page(bootstrap_url(BACKEND, TOKEN), BACKEND)
    assert not is_backend_page("http://127.0.0.1:50124/", BACKEND)
    assert not is_backend_page("https://127.0.0.1:50123/", BACKEND)
    assert not is_backend_page("http://localhost.evil.example:50123/", BACKEND)
    assert not is_backend_page(None, BACKEND)


def test_token_detection():
    assert carries_token(bootstrap_url(BACKEND, TOKEN), TOKEN)
    assert not carries_token(f"{BACKEND}/", TOKEN)


def test_the_navigation_lock_follows_the_shared_loopback_origin_vectors():
    """tests/contracts/loopback-origins.json, which the Electron and Tauri shells run too:
    only "allow" may load in the WebView (Positron hands nothing to a browser)."""
    import json

    from desktop_django_testing.paths import REPO_ROOT
    from flying_stable_positron.addresses import same_origin

    vectors = json.loads((REPO_ROOT / "tests" / "contracts" / "loopback-origins.json").read_text())
    assert len(vectors["navigation"]) >= 10
    for case in vectors["navigation"]:
        assert same_origin(case["url"], vectors["backend"]) is (case["decision"] == "allow"), case
