"""Private mount namespaces for tests that need a read-only folder, a tiny full filesystem
or a hidden interpreter: as root directly, otherwise through an unprivileged user namespace
where the kernel allows one."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys


@functools.cache
def mount_namespace_prefix() -> list[str] | None:
    """The command prefix that runs a shell script in a private mount namespace, or None."""
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return None
    candidates = [["unshare", "--mount"]] if os.geteuid() == 0 else []
    candidates.append(["unshare", "--user", "--map-root-user", "--mount"])
    for prefix in candidates:
        probe = [
            *prefix,
            "sh",
            "-c",
            "mount -t tmpfs tmpfs /mnt 2>/dev/null || mount -t tmpfs tmpfs /tmp",
        ]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return prefix
    return None


def in_mount_namespace(script: str, *args: str) -> list[str] | None:
    """`sh -c script args...` in a private mount namespace, or None where none can be made."""
    prefix = mount_namespace_prefix()
    return None if prefix is None else [*prefix, "sh", "-c", script, *args]
