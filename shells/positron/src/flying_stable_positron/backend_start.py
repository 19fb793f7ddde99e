"""The backend's start on its own thread, and the instance server, begun before the window
toolkit is imported (`__main__`), so Django's imports and migration check overlap Toga's.

Until the app takes over (`hand_to`), the start's outcome and any command a second launch
sends are held here, then delivered in order: the app may exist only after both arrived.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from desktop_django import timeline

from flying_stable_positron.announce import announce
from flying_stable_positron.host import BackendHost
from flying_stable_positron.single_instance import InstanceServer

logger = logging.getLogger("positron.backend_start")

# ("ready", url), ("failed", message) or ("trial-failed", message).
Outcome = tuple[str, str]


class BackendStart:
    def __init__(self, host: BackendHost, slot_choice=None):
        self.host = host
        self.slot_choice = slot_choice  # backend_slots.SlotChoice of a staged run, else None
        self.instance_server: InstanceServer | None = None
        self._lock = threading.Lock()
        self._outcome: Outcome | None = None
        self._on_outcome: Callable[[Outcome], None] | None = None
        self._on_command: Callable[..., None] | None = None
        self._commands: list[tuple[str, str | None]] = []

    @property
    def on_trial(self) -> bool:
        return self.slot_choice is not None and self.slot_choice.mode == "trial"

    def start(self) -> BackendStart:
        """Listen for second launches (recorded beside the lock), then start the backend."""
        self.instance_server = InstanceServer(self.host.lock, self._command)
        self.host.lock.record_owner(
            ipc_port=self.instance_server.port, ipc_token=self.instance_server.token
        )
        self.instance_server.start()
        threading.Thread(target=self._run, name="backend-start", daemon=True).start()
        timeline.mark("backend-spawned")
        return self

    def hand_to(
        self, on_outcome: Callable[[Outcome], None], on_command: Callable[..., None]
    ) -> None:
        """From now on the app gets the outcome and the commands; what arrived before is
        delivered now, in order. Both are called under this object's lock, from any thread:
        they only hand over to the app's loop (call_soon_threadsafe) and never block."""
        with self._lock:
            self._on_outcome, self._on_command = on_outcome, on_command
            for command, file in self._commands:
                on_command(command, file=file)
            self._commands = []
            if self._outcome is not None:
                on_outcome(self._outcome)

    def _command(self, command: str, file: str | None = None) -> None:
        with self._lock:
            if self._on_command is None:
                self._commands.append((command, file))
            else:
                self._on_command(command, file=file)

    def _run(self) -> None:
        try:
            url = self.host.start()
            if self.on_trial:
                self._gate_and_confirm(url)
        except Exception as exc:
            logger.exception("backend failed to start")
            self._finish(("trial-failed" if self.on_trial else "failed", str(exc)))
            return
        slot = {"slot": self.slot_choice.slot} if self.slot_choice else {}
        announce("backend-ready", url=url, **slot)
        self._finish(("ready", url))

    def _finish(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcome = outcome
            if self._on_outcome is not None:
                self._on_outcome(outcome)

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
