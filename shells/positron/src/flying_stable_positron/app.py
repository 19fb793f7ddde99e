"""The Toga app: splash at once, backend on a thread, then the ponies page in a WebView."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import toga
from desktop_django import timeline

from flying_stable_positron.addresses import (
    bootstrap_url,
    carries_token,
    is_backend_page,
    same_origin,
)
from flying_stable_positron.folders import open_folder
from flying_stable_positron.host import BackendHost
from flying_stable_positron.navigation import lock_navigation
from flying_stable_positron.single_instance import INSTALL_COMMAND, InstanceServer

logger = logging.getLogger("positron.app")

SMOKE_TEST_ENV = "DESKTOP_DJANGO_SMOKE_TEST"
DIAGNOSTICS_COMMAND = "Export Diagnostics…"
BACKEND_UPDATE_COMMAND = "Install Backend Update…"
# Positron's own flag for the process it re-executes after a trial failed in this process
# (the failed version): the rollback then knows what to tell the user.
AFTER_FAILED_TRIAL = "--after-failed-trial"
# `--install-backend-update FILE`: the menu item's flow with FILE instead of the picker (an
# administrator's script, or "Open with" on a .layer file), run once the backend serves.
INSTALL_BACKEND_UPDATE = "--install-backend-update"
SPLASH_BASE_URL = "http://127.0.0.1/"
# Smoke mode only: after the page loads, the page itself tries to go to this URL (a test of
# the navigation lock), and the app reports where the WebView ended up.
SMOKE_NAVIGATE_ENV = "DESKTOP_DJANGO_SMOKE_NAVIGATE_TO"
NAVIGATION_PROBE_SECONDS = 2.0
SMOKE_TIMEOUT_SECONDS = 60
# Smoke mode only: the page's footer (app name and version) is announced once it has loaded,
# so a test sees which backend version the window shows.
FOOTER_SCRIPT = "(document.querySelector('footer') || {}).textContent || null"


def announce(event: str, **details) -> None:
    """One JSON line per milestone on stdout, so tests and scripts can follow the app."""
    print(json.dumps({"event": event, **details}), flush=True)


def rollback_message(rolled_back: dict) -> str:
    """The one sentence the user sees after a rollback (the same words in every shell)."""
    log = rolled_back.get("log") or "the app's logs folder"
    return (
        f"Backend {rolled_back['from']} failed to start; you are back on {rolled_back['to']}. "
        f"Details: {log}"
    )


def splash_file() -> Path:
    import flying_stable.pages

    return Path(flying_stable.pages.__file__).resolve().parent / "splash.html"


class PositronApp(toga.App):
    def __init__(self, *args, **kwargs):
        self.host: BackendHost | None = None  # attached before the main loop starts
        self.instance_server: InstanceServer | None = None
        self.exit_code = 0
        self.smoke_test = os.environ.get(SMOKE_TEST_ENV) == "1"
        self._page_announced = False
        self._smoke_timer: threading.Timer | None = None
        # Set by __main__ for a staged run (backend_slots.SlotChoice): which slot serves, and
        # the version whose trial failed in the process that re-executed this one.
        self.slot_choice = None
        self.failed_trial: str | None = None
        # A layer from --install-backend-update (or a later launch's hand-off), installed once
        # the page has loaded from the backend.
        self.pending_layer: Path | None = None
        self._backend_thread: threading.Thread | None = None
        # What the backend thread reported ("ready", url) or ("failed", message), delivered
        # once the window exists too: the backend may start before the toolkit has a window.
        self._backend_outcome: tuple[str, str] | None = None
        self._window_made = False
        self._backend_origin = ""  # set on the loop's thread when the web view is sent there
        super().__init__(*args, **kwargs)

    def startup(self) -> None:
        self.webview = toga.WebView(
            on_webview_load=self.on_page_load, style=toga.style.Pack(flex=1)
        )
        lock_navigation(self.webview, self.may_load)
        self.main_window = toga.MainWindow(title=self.formal_name, size=(1100, 760))
        self.main_window.content = self.webview
        # Toga's WebView loads only http(s) URLs, so the self-contained splash goes in as
        # content; it references nothing, so the base URL is never requested.
        self.webview.set_content(SPLASH_BASE_URL, splash_file().read_text(encoding="utf-8"))
        self.commands.add(
            toga.Command(
                lambda _cmd, **_kw: open_folder(self.host.app_data.root),
                text="Open App Data Folder",
                group=toga.Group.FILE,
            ),
            toga.Command(
                lambda _cmd, **_kw: open_folder(self.host.app_data.logs),
                text="Open Logs Folder",
                group=toga.Group.FILE,
            ),
            toga.Command(self.export_diagnostics, text=DIAGNOSTICS_COMMAND, group=toga.Group.HELP),
            toga.Command(
                self.install_backend_update, text=BACKEND_UPDATE_COMMAND, group=toga.Group.HELP
            ),
        )
        self.on_exit = self.handle_exit
        self.main_window.show()
        timeline.mark("window-created")
        # The host is attached after construction (some backends run startup() inside the
        # constructor), so the backend starts on the loop's first turn, not here.
        self.loop.call_soon(self.begin)

    def start_backend(self) -> None:
        """Start Django on its thread, at most once. `__main__` calls this before the main
        loop, so the backend's imports and migration check overlap the toolkit building the
        window and WebKit starting its processes; otherwise begin() does."""
        if self._backend_thread is not None:
            return
        self.instance_server = InstanceServer(self.host.lock, self.on_instance_command)
        self.host.lock.record_owner(
            ipc_port=self.instance_server.port, ipc_token=self.instance_server.token
        )
        self.instance_server.start()
        self._backend_thread = threading.Thread(
            target=self._start_backend, name="backend-start", daemon=True
        )
        self._backend_thread.start()
        timeline.mark("backend-spawned")

    def begin(self) -> None:
        self.start_backend()
        self._window_made = True
        self._deliver_backend_outcome()
        self._stop_on_interrupt()
        if self.smoke_test:
            # A daemon timer, cancelled on exit: a passed smoke test must not keep the process
            # (and WebKit) alive until the timeout.
            self._smoke_timer = threading.Timer(SMOKE_TIMEOUT_SECONDS, self._smoke_timeout)
            self._smoke_timer.daemon = True
            self._smoke_timer.start()

    def _stop_on_interrupt(self) -> None:
        """Ctrl+C (or SIGTERM) quits the way the menu does, so the backend stops cleanly."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self.loop.add_signal_handler(signum, self.request_exit)
            except (NotImplementedError, RuntimeError, ValueError):
                # Event loops without signal support (Windows): Python's handler, handed over
                # to the loop's thread.
                signal.signal(signum, lambda *_: self.loop.call_soon_threadsafe(self.request_exit))

    @property
    def on_trial(self) -> bool:
        return self.slot_choice is not None and self.slot_choice.mode == "trial"

    def _start_backend(self) -> None:
        try:
            url = self.host.start()
            if self.on_trial:
                self._gate_and_confirm(url)
        except Exception as exc:
            logger.exception("backend failed to start")
            kind = "trial-failed" if self.on_trial else "failed"
            self.loop.call_soon_threadsafe(self._backend_finished, (kind, str(exc)))
            return
        slot = {"slot": self.slot_choice.slot} if self.slot_choice else {}
        announce("backend-ready", url=url, **slot)
        self.loop.call_soon_threadsafe(self._backend_finished, ("ready", url))

    def _backend_finished(self, outcome: tuple[str, str]) -> None:
        self._backend_outcome = outcome
        self._deliver_backend_outcome()

    def _deliver_backend_outcome(self) -> None:
        """On the loop's thread, once both the window and the backend's outcome exist."""
        if not self._window_made or self._backend_outcome is None:
            return
        kind, detail = self._backend_outcome
        if kind == "trial-failed":
            self._trial_failed(detail)
            return
        if kind == "failed":
            self._backend_failed(detail)
            return
        rolled_back = self._rolled_back()
        if rolled_back:
            announce("rolled-back", **rolled_back, message=rollback_message(rolled_back))
            self._tell_rolled_back(rolled_back)
        self._backend_origin = detail
        timeline.mark("navigation-started")
        self.webview.url = bootstrap_url(detail, self.host.token)

    def _gate_and_confirm(self, url: str) -> None:
        """A trial slot: healthy and its worker started within the deadline, then confirmed
        with the trial slot's own interpreter (docs/backend-updates.md, section 3)."""
        from flying_stable_positron import backend_update
        from flying_stable_positron.gate import pass_gate

        choice = self.slot_choice
        pass_gate(url, self.host.token, self.host.app_data.root, self.host.worker_running)
        confirmed = backend_update.confirm(
            choice.stage_dir, choice.factory_dir, self.host.app_data.root
        )
        announce(
            "update-confirmed",
            version=confirmed.get("version"),
            removed=confirmed.get("removed", []),
        )

    def _trial_failed(self, message: str) -> None:
        """The trial slot failed: its code is loaded in this process, so the slot the rule
        names now starts in a fresh one (the same process id, re-executed)."""
        version = self.slot_choice.slot
        logger.error("backend %s failed its trial: %s", version, message)
        announce("trial-failed", version=version, message=message)
        self.relaunch([AFTER_FAILED_TRIAL, version])

    def relaunch(self, extra: list[str]) -> None:
        """Stop the backend and start Positron again on the same stage (the rule then picks the
        slot): after a failed trial, and after a backend update was installed."""
        if self._smoke_timer is not None:
            self._smoke_timer.cancel()
        if self.instance_server is not None:
            self.instance_server.close()
        self.host.stop()  # releases the instance lock for the next process
        argv = [
            sys.executable,
            "-m",
            "flying_stable_positron",
            "--stage",
            str(self.slot_choice.factory_dir),
            *extra,
        ]
        announce("relaunching", argv=argv[1:])
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - this same app, with its own arguments

    def _rolled_back(self) -> dict | None:
        """What to tell the user when this start replaced a failed backend update."""
        choice = self.slot_choice
        reported = getattr(self.host.slot_start, "rolled_back", None)
        if reported:  # the runtime put the database back and says so, as serve's ready line
            return reported
        if choice is None or choice.mode != "rollback":
            return None
        from desktop_django import slots
        from desktop_django.manifest import load

        failed = self.failed_trial
        if not failed:
            state = slots.read_state(self.host.app_data.root)
            failed = state["active"] if state else "the update"
        return {
            "from": failed,
            "to": load(choice.stage_dir, check_files=False).app_version,
            "log": str(self.host.app_data.logs / "positron.log"),
        }

    def _tell_rolled_back(self, rolled_back: dict) -> None:
        if self.smoke_test:
            return
        self.loop.create_task(
            self.main_window.dialog(
                toga.InfoDialog("Backend update rolled back", rollback_message(rolled_back))
            )
        )

    async def install_backend_update(self, _command, **_kwargs) -> None:
        """Help > Install Backend Update…: a signed layer from a file (a USB stick), picked,
        then installed by install_layer()."""
        if self.slot_choice is None:
            await self.main_window.dialog(
                toga.InfoDialog(
                    "No backend update here",
                    "Backend updates apply to a staged backend (--stage), not to this run.",
                )
            )
            return
        layer = await self.main_window.dialog(
            toga.OpenFileDialog("Install Backend Update", file_types=["layer"])
        )
        if layer is None:
            return
        await self.install_layer(Path(layer))

    async def install_layer(self, layer: Path) -> bool:
        """The menu item's flow once it has a file (the picker's or --install-backend-update's):
        applied with the serving slot's interpreter, then Positron restarts on the new slot's
        trial, which the health gate confirms or rolls back. A refusal is said in a dialog and
        the old version keeps serving; returns False then."""
        from flying_stable_positron import backend_update

        choice = self.slot_choice
        try:
            if choice is None:
                raise backend_update.BackendUpdateError(
                    "backend updates apply to a staged backend (--stage), not to this run"
                )
            applied = await asyncio.to_thread(
                backend_update.apply,
                choice.stage_dir,
                choice.factory_dir,
                self.host.app_data.root,
                layer,
            )
        except (backend_update.BackendUpdateError, OSError, subprocess.SubprocessError) as exc:
            logger.error("backend update %s not installed: %s", layer, exc)
            announce("update-refused", file=str(layer), message=str(exc))
            if not self.smoke_test:
                await self.main_window.dialog(
                    toga.ErrorDialog("Backend update not installed", str(exc))
                )
            return False
        announce("update-applied", version=applied["version"], slot=applied.get("slot"))
        self.relaunch([])  # only the stage: the new process never installs the layer again
        return True

    def _backend_failed(self, message: str) -> None:
        announce("error", message=message, log=str(self.host.app_data.logs / "positron.log"))
        self.exit_code = 1
        if self.smoke_test:
            self.request_exit()
            return
        self.main_window.error_dialog(
            f"{self.formal_name} could not start",
            f"{message}\n\nDetails are in {self.host.app_data.logs / 'positron.log'}",
        )

    def on_page_load(self, widget, **_kwargs) -> None:
        url = widget.url
        if not self.host.url or not is_backend_page(url, self.host.url):
            timeline.mark("webview-ready")  # the splash has loaded: the first time counts
        if self._page_announced or not self.host.url or not is_backend_page(url, self.host.url):
            return
        self._page_announced = True
        timeline.mark("page-loaded")
        announce("page-loaded", url=url, token_in_url=carries_token(url, self.host.token))
        self.loop.create_task(self._after_page_loaded())

    async def _after_page_loaded(self) -> None:
        layer, self.pending_layer = self.pending_layer, None
        if layer is not None and await self.install_layer(layer):
            return  # installed: this process is being replaced by the new slot's
        if not self.smoke_test:
            return
        try:
            footer = await self.webview.evaluate_javascript(FOOTER_SCRIPT)
        except Exception as exc:  # a script error in the page: report it, the smoke test goes on
            footer = None
            logger.warning("could not read the page footer: %s", exc)
        announce("page-footer", text=footer)
        probe = os.environ.get(SMOKE_NAVIGATE_ENV)
        if probe:
            self.webview.evaluate_javascript(f"window.location.href = {json.dumps(probe)};")
            self.loop.call_later(NAVIGATION_PROBE_SECONDS, self._after_navigation_probe)
        else:
            threading.Thread(target=self._smoke_check, name="smoke", daemon=True).start()

    def may_load(self, url: str) -> bool:
        """The navigation lock (navigation.py): the backend's origin only; before the web
        view is sent there, only the splash."""
        splash = url in ("about:blank", SPLASH_BASE_URL)
        if not self._backend_origin:
            return splash
        if splash:
            # Our own splash, superseded: the backend (started with the toolkit) was ready
            # before the web view got to load it. Refused, but nothing to warn about.
            return False
        allowed = same_origin(url, self._backend_origin)
        if not allowed:
            logger.warning("refused navigation to %s", url)
            announce("navigation-refused", url=url)
        return allowed

    def _after_navigation_probe(self) -> None:
        announce("navigation-probe", url=self.webview.url)
        threading.Thread(target=self._smoke_check, name="smoke", daemon=True).start()

    def _smoke_check(self) -> None:
        # The backend URL comes from our own server (always http://127.0.0.1:PORT).
        request = urllib.request.Request(  # noqa: S310
            f"{self.host.url}/health/", headers={"X-Desktop-Django-Token": self.host.token}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310  # nosec B310
                healthy = reply.status == 200
        except OSError:
            healthy = False
        self.exit_code = 0 if healthy else 1
        announce("smoke-test", passed=healthy)
        self.loop.call_soon_threadsafe(self.request_exit)

    def _smoke_timeout(self) -> None:
        if not self._page_announced:
            announce("smoke-test", passed=False, reason="the main page did not load in time")
            self.exit_code = 1
            self.loop.call_soon_threadsafe(self.request_exit)

    async def export_diagnostics(self, _command, **_kwargs) -> None:
        """Help > Export Diagnostics…: one zip for a support request (logs, manifest,
        versions, integrity check, app-data listing; never the token or the secret key)."""
        from desktop_django.diagnostics import write
        from desktop_django.settings import stage_dir

        target = await self.main_window.dialog(
            toga.SaveFileDialog(
                "Export Diagnostics", f"{self.app_name}-diagnostics.zip", file_types=["zip"]
            )
        )
        if target is None:
            return
        try:
            written = await asyncio.to_thread(write, Path(target), self.host.app_data, stage_dir())
        except OSError as exc:
            await self.main_window.dialog(toga.ErrorDialog("Diagnostics not saved", str(exc)))
            return
        announce("diagnostics", path=str(written))
        await self.main_window.dialog(
            toga.InfoDialog("Diagnostics saved", f"{written}\n\nIt holds no token and no key.")
        )

    def on_instance_command(self, command: str, file: str | None = None) -> None:
        if command == "focus":
            self.loop.call_soon_threadsafe(self._focus)
        elif command == INSTALL_COMMAND and file:
            self.loop.call_soon_threadsafe(self._install_handed_over, Path(file))
        elif command == "quit":
            self.loop.call_soon_threadsafe(self.request_exit)

    def _install_handed_over(self, layer: Path) -> None:
        """A later launch with --install-backend-update: come forward, and install it now when
        the page is up, else once it is."""
        self._focus()
        if self._page_announced:
            self.loop.create_task(self.install_layer(layer))
        else:
            self.pending_layer = layer

    def _focus(self) -> None:
        announce("focused")
        self.main_window.show()
        self.current_window = self.main_window

    def handle_exit(self, _app, **_kwargs) -> bool:
        if self._smoke_timer is not None:
            self._smoke_timer.cancel()
        if self.instance_server is not None:
            self.instance_server.close()
        if self.host is None:
            return True
        elapsed = self.host.stop()
        announce("stopped", seconds=round(elapsed, 3))
        return True


def create_app(name: str = "Flying Stable", app_id: str = "flying-stable") -> PositronApp:
    """The app; a staged wrapped project passes its manifest's name and id, which also keeps
    its Toga data folder apart from Flying Stable's."""
    return PositronApp(
        formal_name=name,
        app_id=f"org.desktopdjangostarter.{app_id}-positron",
        app_name=f"{app_id}-positron",
    )
