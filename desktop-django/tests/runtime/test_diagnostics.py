"""`diagnostics PATH`: one zip with what support needs, never a token or the secret key."""

import json
import logging
import subprocess
import sys
import zipfile

import pytest
from desktop_django_testing.backend import LAUNCHER_MODULE, request

pytestmark = pytest.mark.slow


def export(env: dict, destination) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", LAUNCHER_MODULE, "diagnostics", str(destination)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_zip_has_logs_versions_integrity_and_listing_but_no_secret(backend, tmp_path):
    running = backend().start(with_worker=True)
    assert running.get("/").status == 200
    assert request(running.url, "/", token="f" * 64).status == 403
    running.stop()
    # A log line that happens to carry the token (a careless project's own logging).
    with (running.app_data / "logs" / "serve.log").open("a", encoding="utf-8") as log:
        log.write(f"project debug: token={running.token}\n")
    secret_key = (running.app_data / "secret_key").read_text(encoding="utf-8").strip()

    written = export(running.env, tmp_path)
    with zipfile.ZipFile(written["path"]) as archive:
        names = set(archive.namelist())
        contents = b"".join(archive.read(name) for name in names).decode("utf-8", "replace")
        database = json.loads(archive.read("database.json"))
        versions = json.loads(archive.read("versions.json"))
        listing = archive.read("app-data.txt").decode()
    assert {"versions.json", "database.json", "app-data.txt", "logs/serve.log"} <= names
    assert database["integrity_check"] == ["ok"]
    assert versions["packages"]["django"]
    assert "app.sqlite3" in listing
    assert not any(name.endswith((".sqlite3", "secret_key")) for name in names)
    assert running.token not in contents
    assert secret_key not in contents
    assert "token=[redacted]" in contents


def test_it_works_when_the_database_is_damaged_and_says_so(backend, tmp_path):
    running = backend().start()
    running.stop()
    database = running.app_data / "app.sqlite3"
    with database.open("r+b") as handle:
        handle.seek(4096)  # past the header page: damage an ordinary page
        handle.write(b"\xde\xad\xbe\xef" * 256)
    written = export(running.env, tmp_path / "support.zip")
    with zipfile.ZipFile(written["path"]) as archive:
        report = json.loads(archive.read("database.json"))
    assert report.get("error") or report["integrity_check"] != ["ok"]
    logging.getLogger(__name__).info("damaged database report: %s", report)
