import json
import os
import socket
import threading

from desktop_django.instance_lock import InstanceLock
from flying_stable_positron.single_instance import InstanceServer, send_command


def running_server(tmp_path):
    lock = InstanceLock(tmp_path / "app.lock").acquire()
    received = []
    arrived = threading.Event()

    def on_command(command, *details):
        received.append((command, *details) if details else command)
        arrived.set()

    server = InstanceServer(lock, on_command)
    lock.record_owner(ipc_port=server.port, ipc_token=server.token)
    server.start()
    return lock, server, received, arrived


def test_second_launch_hands_focus_to_the_first(tmp_path):
    lock, server, received, arrived = running_server(tmp_path)
    try:
        second = InstanceLock(tmp_path / "app.lock")
        assert send_command(second, "focus")
        assert arrived.wait(3)
        assert received == ["focus"]
    finally:
        server.close()
        lock.release()


def test_wrong_token_and_unknown_commands_are_refused(tmp_path):
    lock, server, received, _ = running_server(tmp_path)
    try:
        for message in (
            {"token": "0" * 64, "command": "quit"},
            {"token": server.token, "command": "rm"},
        ):
            with socket.create_connection(("127.0.0.1", server.port), timeout=3) as conn:
                conn.sendall((json.dumps(message) + "\n").encode())
                assert conn.makefile().readline().strip() == "refused"
        assert received == []
    finally:
        server.close()
        lock.release()


def test_a_later_launch_hands_over_the_layer_to_install(tmp_path):
    lock, server, received, arrived = running_server(tmp_path)
    try:
        second = InstanceLock(tmp_path / "app.lock")
        assert send_command(second, "install-backend-update", file="/media/usb/fix.layer")
        assert arrived.wait(3)
        assert received == [("install-backend-update", "/media/usb/fix.layer")]
        # The install command without its file, and a file on another command, are refused.
        assert not send_command(second, "install-backend-update")
        assert not send_command(second, "focus", file="/media/usb/fix.layer")
        assert len(received) == 1
    finally:
        server.close()
        lock.release()


def test_no_running_instance_means_no_hand_off(tmp_path):
    lock = InstanceLock(tmp_path / "app.lock")
    assert not send_command(lock, "focus")


CRASHING_OWNER = """
import sys, time
from pathlib import Path
from desktop_django.instance_lock import InstanceLock
lock = InstanceLock(Path(sys.argv[1])).acquire()
lock.record_owner(ipc_port=1, ipc_token="stale")
print("locked", flush=True)
time.sleep(60)
"""


def test_owner_details_from_a_crashed_instance_are_discarded(tmp_path):
    import subprocess
    import sys

    owner = subprocess.Popen(
        [sys.executable, "-c", CRASHING_OWNER, str(tmp_path / "app.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout.readline().strip() == "locked"
    owner.kill()  # no clean-up: the OS drops the lock, the owner file stays behind
    owner.wait()
    owner.stdout.close()
    assert InstanceLock(tmp_path / "app.lock").owner()["ipc_token"] == "stale"
    fresh = InstanceLock(tmp_path / "app.lock").acquire()
    try:
        # Only what the new owner recorded about itself (its identity, for the stale sweep).
        assert "ipc_token" not in fresh.owner()
        assert fresh.owner().get("pid", os.getpid()) == os.getpid()
    finally:
        fresh.release()
