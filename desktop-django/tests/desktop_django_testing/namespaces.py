"""Private mount namespaces for tests that need a read-only folder, a tiny full filesystem
or a hidden interpreter: as root directly, otherwise through an unprivileged user namespace
where the kernel allows one."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys

from desktop_django_testing.processes import as_root


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


@contextlib.contextmanager
def small_disk(mount_point, size: str, inodes: int | None = None):
    """A tmpfs of `size` (like "16m"), and of at most `inodes` files and folders when given,
    to use as a full-able disk: yields the path to write through. As root, or through
    passwordless sudo, it is mounted at `mount_point` itself (unmounted afterwards); otherwise
    in a private mount namespace held by a sleeping process, reached from outside through that
    process's /proc/<pid>/root.
    Raises RuntimeError where neither can be arranged."""
    from pathlib import Path

    mount_point = Path(mount_point)
    mount_point.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0700" + (f",nr_inodes={int(inodes)}" if inodes else "")
    root = as_root()
    if root is not None and shutil.which("mount"):
        # Mounted where the test asked, owned by the user running it: a process that resolves
        # its paths (as the runtime does) stays on the small disk, where a /proc/<pid>/root
        # path resolves back to the real folder under the mount point.
        owner = f",uid={os.geteuid()},gid={os.getegid()}"
        subprocess.run([*root, "mount", "-t", "tmpfs", "-o", options + owner, "tmpfs",
                        str(mount_point)], check=True)  # fmt: skip
        try:
            yield mount_point
        finally:
            subprocess.run([*root, "umount", "-l", str(mount_point)], check=False)
        return
    script = 'mount -t tmpfs -o "$1" tmpfs "$0" && echo mounted && exec sleep 3600'
    command = in_mount_namespace(script, str(mount_point), options)
    if command is None:
        raise RuntimeError("a small disk needs root or a private mount namespace (Linux)")
    holder = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        if holder.stdout.readline().strip() != "mounted":
            raise RuntimeError(f"could not mount a tmpfs at {mount_point}")
        yield Path(f"/proc/{holder.pid}/root") / mount_point.relative_to("/")
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def fill(folder, leave_bytes: int = 0) -> object:
    """Fill the disk holding `folder` until at most `leave_bytes` are free; returns the
    filler file (remove it to make room again)."""
    from pathlib import Path

    filler = Path(folder) / "filler"
    with open(filler, "wb", buffering=0) as handle:
        chunk = b"\0" * 65536
        while shutil.disk_usage(folder).free > leave_bytes:
            want = min(len(chunk), shutil.disk_usage(folder).free - leave_bytes)
            try:
                handle.write(chunk[: max(want, 4096)])
                handle.flush()
            except OSError:
                break
    return filler
