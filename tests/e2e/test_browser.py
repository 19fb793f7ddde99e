"""A real browser against a live `serve` + `worker`, authenticated the way Electron does it:
the token header added only to requests for the exact backend origin."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest
from desktop_django_testing.backend import TOKEN_HEADER
from desktop_django_testing.ci import require_in_ci

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", "chromium"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    require_in_ci("Chromium is not installed (apt-get install chromium)")
    return ""


@pytest.fixture
def page(backend):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_in_ci("the playwright Python package is not installed")
    executable = chromium_path()
    running = backend(DJANGO_SETTINGS_MODULE="flying_stable.settings.test").start(with_worker=True)
    origin = urlsplit(running.url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 760})
        seen_origins = []

        def add_token_for_backend_only(route):
            target = urlsplit(route.request.url)
            same_origin = (target.scheme, target.hostname, target.port) == (
                origin.scheme,
                origin.hostname,
                origin.port,
            )
            seen_origins.append(same_origin)
            if same_origin:
                route.continue_(headers={**route.request.headers, TOKEN_HEADER: running.token})
            else:
                route.abort()  # nothing may leave the machine

        context.route("**/*", add_token_for_backend_only)
        browser_page = context.new_page()
        browser_page.backend_url = running.url
        yield browser_page
        context.close()
        browser.close()
        assert all(seen_origins), "the page tried to reach another origin"


def test_create_a_pony_and_watch_a_routine_finish(page, artifacts_dir):
    page.goto(page.backend_url + "/")
    assert page.locator(".pony-card").count() == 3  # the starter roster

    page.get_by_role("link", name="Add a pony").click()
    page.get_by_label("Name").fill("Zephyr Moonmane")
    page.get_by_label("Galloping").check()
    page.get_by_label("Personality notes").fill("Races the sunrise every morning.")
    page.get_by_role("button", name="Add to the stable").click()
    card = page.locator(".pony-card", has_text="Zephyr Moonmane")
    card.wait_for()
    assert "Galloping" in card.inner_text()
    assert "Zephyr Moonmane joined the stable." in page.locator(".flash").inner_text()

    # JavaScript on: delete goes through the in-page dialog, then the pony is gone.
    card.get_by_role("link", name="Delete").click()
    dialog = page.locator("#confirm-dialog")
    assert dialog.is_visible()
    dialog.get_by_role("button", name="Keep").click()
    assert not dialog.is_visible()

    page.get_by_role("link", name="Stable Routines").click()
    page.get_by_label("Routine").select_option(label="Flight practice")
    page.get_by_role("button", name="Start routine").click()
    row = page.locator("#routine-table tbody tr").first
    # The page polls the status endpoint while the worker runs the task.
    row.locator(".badge-done").wait_for(timeout=15_000)
    assert "all done, happy pony" in row.inner_text()

    page.goto(page.backend_url + "/")
    page.screenshot(path=str(artifacts_dir / "browser-ponies.png"), full_page=True)
    assert page.locator(".pony-card", has_text="Zephyr Moonmane").count() == 1
