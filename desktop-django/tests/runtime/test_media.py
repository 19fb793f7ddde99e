"""User media served from app data in packaged mode: behind the token, inside MEDIA_ROOT only,
with content types that cannot turn an upload into a page of the app."""

import pytest
from django.test import Client, override_settings

TOKEN_HEADER = {"X-Desktop-Django-Token": "a" * 64}


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    (root / "photos").mkdir(parents=True)
    (root / "photos" / "pony.png").write_bytes(b"\x89PNG\r\n\x1a\n fake pixels")
    (root / "notes.txt").write_text("feed the ponies\n", encoding="utf-8")
    (root / "page.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    (root / "drawing.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside media", encoding="utf-8")
    (root / "escape").symlink_to(tmp_path)
    with override_settings(MEDIA_ROOT=str(root), MEDIA_URL="/media/"):
        yield Client(headers=TOKEN_HEADER)


def test_a_media_file_needs_the_token(media):
    assert Client().get("/media/notes.txt").status_code == 403
    answer = media.get("/media/notes.txt")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == b"feed the ponies\n"


def test_content_types_come_from_the_name_with_nosniff(media):
    png = media.get("/media/photos/pony.png")
    assert png["Content-Type"] == "image/png"
    assert png["X-Content-Type-Options"] == "nosniff"
    assert "Content-Disposition" not in png
    assert media.get("/media/notes.txt")["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("name", ["page.html", "drawing.svg"])
def test_files_a_browser_would_run_are_downloads_in_a_sandbox(media, name):
    answer = media.get(f"/media/{name}")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment")
    assert "sandbox" in answer["Content-Security-Policy"]
    assert "default-src 'none'" in answer["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/photos/../../secret.txt",
        "/media/escape/secret.txt",  # a symlink out of MEDIA_ROOT
        "/media//etc/passwd",
        "/media/photos",  # a folder: no listings
        "/media/missing.png",
        "/media/photos%5c..%5c..%5csecret.txt",
    ],
)
def test_nothing_outside_media_root_is_served(media, path):
    answer = media.get(path)
    assert answer.status_code == 404, path
    body = answer.content if not answer.streaming else b"".join(answer.streaming_content)
    assert b"outside media" not in body


def test_only_reads_are_answered(media):
    assert media.post("/media/notes.txt").status_code == 405
    assert media.head("/media/notes.txt").status_code == 200


def test_other_paths_reach_the_app(media):
    assert media.get("/health/").status_code == 200
