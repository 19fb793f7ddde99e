"""The real window over WebDriver: tauri-driver in front of WebKitWebDriver, driving the
release build's WebKitGTK web views (the splash, then the app window) under Xvfb."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import psutil
import pytest
from desktop_django_testing.other_service import OtherLoopbackService
from selenium import webdriver
from selenium.common.exceptions import NoSuchWindowException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait
from tauri_app import BUILD_TIMEOUT, LINUX_ONLY, WEBKIT_WEBDRIVER
from urllib3.exceptions import ProtocolError

SESSION_TIMEOUT = 60

pytestmark = [LINUX_ONLY, BUILD_TIMEOUT]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Window:
    """One WebDriver session on the app. The app's stdout does not come through
    WebKitWebDriver, so its backend is found as a process: ours has our app data folder."""

    def __init__(self, driver: webdriver.Remote, app_data: str):
        self.driver = driver
        self.app_data = app_data
        self.origin = ""

    def wait(self, timeout: float = 20) -> WebDriverWait:
        return WebDriverWait(self.driver, timeout)

    def switch_to_app_window(self) -> None:
        """The app window replaces the splash once the first page has loaded."""

        def on_the_app(driver) -> bool:
            for handle in driver.window_handles:
                driver.switch_to.window(handle)
                if driver.current_url.startswith("http://127.0.0.1:"):
                    return True
            return False

        # The splash can close between listing the handles and switching to it (the race
        # is real: the splash closes as soon as the app's page has loaded).
        waiting = WebDriverWait(
            self.driver, SESSION_TIMEOUT, ignored_exceptions=(NoSuchWindowException,)
        )
        waiting.until(on_the_app)
        parts = urlsplit(self.driver.current_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"

    def server(self) -> psutil.Process:
        for process in psutil.process_iter(["cmdline"]):
            cmdline = process.info["cmdline"] or []
            if cmdline[-1:] != ["serve"]:
                continue
            with contextlib.suppress(psutil.Error):
                if process.environ().get("DESKTOP_DJANGO_APP_DATA_DIR") == self.app_data:
                    return process
        pytest.fail(f"no serve process for {self.app_data}")

    def token(self) -> str:
        return self.server().environ()["DESKTOP_DJANGO_AUTH_TOKEN"]

    def path(self) -> str:
        return urlsplit(self.driver.current_url).path


def new_session(port: int, binary, args: Sequence[str] = ()) -> webdriver.Remote:
    """tauri-driver starts WebKitWebDriver for each session and connects to it at once, so a
    first attempt can meet a native driver that is not listening yet: try again, briefly."""
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": str(binary), "args": list(args)})
    for attempt in range(3):
        try:
            return webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
        except (WebDriverException, ProtocolError):
            if attempt == 2:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def stop_tree(process: subprocess.Popen) -> None:
    """tauri-driver, and the WebKitWebDriver and app it started."""
    with contextlib.suppress(psutil.NoSuchProcess):
        children = psutil.Process(process.pid).children(recursive=True)
        process.terminate()
        process.wait(timeout=20)
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(children, timeout=10)


@contextlib.contextmanager
def webdriver_session(binary, tauri_driver, env, args: Sequence[str] = ()):
    """tauri-driver on free ports, and one WebDriver session on the app it starts (with
    `args` on its command line)."""
    port, native_port = free_port(), free_port()
    while native_port == port:
        native_port = free_port()
    driver_process = subprocess.Popen(
        [str(tauri_driver), "--port", str(port), "--native-port", str(native_port),
         "--native-driver", str(WEBKIT_WEBDRIVER)],
        env=env,
    )  # fmt: skip
    try:
        wait_for_port(port, 30)
        driver = new_session(port, binary, args)
        try:
            yield driver
        finally:
            with contextlib.suppress(WebDriverException):
                driver.quit()
    finally:
        stop_tree(driver_process)


@pytest.fixture
def window(tauri_build, tauri_driver, app_env):
    with webdriver_session(tauri_build.binary, tauri_driver, app_env) as driver:
        yield Window(driver, app_env["DESKTOP_DJANGO_APP_DATA_DIR"])


@pytest.fixture
def other_service():
    server = OtherLoopbackService()
    yield server
    server.close()


def test_the_splash_gives_way_to_the_ponies(window):
    driver = window.driver
    # The session attaches to the first web view, the splash, while the backend starts.
    assert driver.current_url == "tauri://localhost/splash.html"
    assert driver.find_element(By.TAG_NAME, "h1").text == "Flying Stable"
    window.switch_to_app_window()
    heading = window.wait().until(
        expected_conditions.presence_of_element_located((By.TAG_NAME, "h1"))
    )
    assert heading.text == "My Ponies"
    assert driver.current_url == f"{window.origin}/"
    # The splash has closed: only the app window is left.
    window.wait().until(lambda d: len(d.window_handles) == 1)


def test_create_a_pony_and_run_a_routine(window, artifacts_dir):
    driver = window.driver
    window.switch_to_app_window()
    window.wait().until(expected_conditions.element_to_be_clickable((By.LINK_TEXT, "Add a pony")))
    driver.find_element(By.LINK_TEXT, "Add a pony").click()
    window.wait().until(expected_conditions.presence_of_element_located((By.ID, "id_name")))
    driver.find_element(By.ID, "id_name").send_keys("Zephyr Moonmane")
    driver.find_element(By.XPATH, "//button[normalize-space()='Add to the stable']").click()
    window.wait().until(
        expected_conditions.presence_of_element_located(
            (By.XPATH, "//*[normalize-space()='Zephyr Moonmane']")
        )
    )
    assert window.path() == "/"

    driver.find_element(By.LINK_TEXT, "Stable Routines").click()
    window.wait().until(expected_conditions.presence_of_element_located((By.ID, "start-routine")))
    Select(driver.find_element(By.ID, "id_kind")).select_by_visible_text("Flight practice")
    driver.find_element(By.XPATH, "//button[normalize-space()='Start routine']").click()
    # The page polls the status endpoint while the worker runs the routine. The staged demo
    # fails one routine in five on purpose (ROUTINE_FAILURE_RATE): either end is a finish.
    finished = "#routine-table tr[data-status='done'], #routine-table tr[data-status='failed']"
    row = window.wait(30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, finished))
    )
    result = row.find_element(By.CSS_SELECTOR, "[data-field='result']").text
    if row.get_attribute("data-status") == "done":
        assert result == "all done, happy pony"
    else:
        assert result, "a failed routine says why"
    driver.save_screenshot(str(artifacts_dir / "tauri-routine-done.png"))


def test_the_token_is_in_neither_the_url_nor_document_cookie(window):
    driver = window.driver
    window.switch_to_app_window()
    token = window.token()
    assert len(token) == 64
    assert token not in driver.current_url
    assert "token=" not in driver.current_url
    assert token not in driver.execute_script("return document.cookie")
    assert token not in driver.page_source


def test_other_origins_and_other_loopback_ports_are_refused(window, other_service, browser_log):
    driver = window.driver
    window.switch_to_app_window()
    elsewhere = ["https://docs.djangoproject.com/en/stable/", other_service.url]
    for url in elsewhere:
        driver.execute_script("window.location.href = arguments[0];", url)
        time.sleep(1.5)
        assert driver.current_url.startswith(window.origin), url
    driver.execute_script("window.location.href = 'file:///etc/hostname';")
    time.sleep(1.0)
    assert driver.current_url.startswith(window.origin)
    assert other_service.requests == [], "the window reached another loopback port"
    # Web links go to the OS browser instead; file: goes nowhere.
    handed_over = browser_log.read_text(encoding="utf-8").splitlines()
    assert handed_over == elsewhere


def test_popups_are_refused(window, other_service):
    driver = window.driver
    window.switch_to_app_window()
    handles = set(driver.window_handles)
    for url in (other_service.url, "about:blank", "https://example.org/"):
        opened = driver.execute_script("return window.open(arguments[0]) === null;", url)
        time.sleep(1.0)
        assert opened is True, f"window.open({url!r}) returned a window"
        assert set(driver.window_handles) == handles
    assert other_service.requests == []


def test_open_app_data_folder_from_the_failure_view(
    tauri_build, tauri_driver, app_env, tmp_path, browser_log
):
    """A failed start shows the splash's failure view with the two folder buttons: the only
    page with IPC. Its "Open App Data Folder" hands the folder to the OS, without error."""
    empty_stage = tmp_path / "empty-stage"
    empty_stage.mkdir()
    env = {**app_env, "DESKTOP_DJANGO_STAGE_DIR": str(empty_stage)}
    with webdriver_session(tauri_build.binary, tauri_driver, env) as driver:
        wait = WebDriverWait(driver, 20)
        button = wait.until(
            expected_conditions.visibility_of_element_located((By.ID, "open-app-data"))
        )
        message = driver.find_element(By.ID, "failure-message").text
        assert "runtime-manifest.json" in message
        button.click()
        wait.until(lambda _d: browser_log.is_file())
        assert browser_log.read_text(encoding="utf-8").split() == [
            env["DESKTOP_DJANGO_APP_DATA_DIR"]
        ]
        # A failed IPC call would have replaced the message with its error.
        assert driver.find_element(By.ID, "failure-message").text == message
