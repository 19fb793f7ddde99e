"""No-egress proof: run a process tree in a network namespace that has only loopback, record
with strace every address any process of it tries to reach, and judge the record.

A namespace alone would only make an attempt fail; the trace is what shows that one was
made. strace prints the kernel's view of each call's socket address, so the record covers
every language and library in the tree (Python, Rust, WebKit's own processes).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The calls that name a destination; send/write on a connected socket went through connect().
TRACED_CALLS = "connect,sendto,sendmsg,sendmmsg"
# RFC 5737 TEST-NET-1: never routed anywhere. The control run aims at it, and only from
# inside the loopback-only namespace, where there is no route at all.
TEST_NET_ADDRESS = "192.0.2.1"
# Families that cannot leave the machine: local sockets, the kernel's netlink, and
# AF_UNSPEC (a connect() with it dissolves a datagram socket's association).
LOCAL_FAMILIES = {"AF_UNIX", "AF_LOCAL", "AF_NETLINK", "AF_UNSPEC"}

_CALL = re.compile(r"^(?P<pid>\d+)\s+(?P<call>connect|sendto|sendmsg|sendmmsg)\(")
_ADDRESS = re.compile(r"\{sa_family=(?P<family>AF_[A-Z0-9]+)(?P<fields>[^{}]*)\}")
_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_IPV4 = re.compile(r'inet_addr\("([^"]+)"\)')
_IPV6 = re.compile(r'inet_pton\(AF_INET6, "([^"]+)"')


@dataclass(frozen=True)
class Attempt:
    """One destination a traced process named in a system call."""

    pid: int
    call: str
    family: str
    address: str | None
    port: int | None
    line: str

    @property
    def leaves_machine(self) -> bool:
        if self.family in LOCAL_FAMILIES:
            return False
        if self.family not in ("AF_INET", "AF_INET6") or self.address is None:
            return True  # a family we cannot judge (raw packets, Bluetooth...) is suspect
        address = ipaddress.ip_address(self.address)
        mapped = getattr(address, "ipv4_mapped", None)
        return not (mapped or address).is_loopback


def read_attempts(log: Path) -> list[Attempt]:
    """Every socket address in an strace log written by `traced()` (`-s 0`: no data strings,
    so page contents can never look like an address)."""
    attempts = []
    for line in log.read_text(errors="replace").splitlines():
        call = _CALL.match(line)
        if call is None:
            continue
        for found in _ADDRESS.finditer(line):
            fields = found["fields"]
            port = _PORT.search(fields)
            address = _IPV4.search(fields) or _IPV6.search(fields)
            attempts.append(
                Attempt(
                    pid=int(call["pid"]),
                    call=call["call"],
                    family=found["family"],
                    address=address[1] if address else None,
                    port=int(port[1]) if port else None,
                    line=line,
                )
            )
    return attempts


def leaving(attempts: list[Attempt]) -> list[Attempt]:
    return [attempt for attempt in attempts if attempt.leaves_machine]


@functools.cache
def loopback_namespace_prefix() -> tuple[str, ...] | None:
    """The command prefix that runs `sh -c` in a new network namespace (as root directly, else
    through an unprivileged user namespace), or None where neither can be made."""
    if not sys.platform.startswith("linux") or not (shutil.which("unshare") and shutil.which("ip")):
        return None
    candidates = [("unshare", "--net")] if os.geteuid() == 0 else []
    candidates.append(("unshare", "--user", "--map-root-user", "--net"))
    for prefix in candidates:
        probe = [*prefix, "sh", "-c", "ip link set lo up"]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return prefix
    return None


def traced(command: list[str], log: Path) -> list[str]:
    """`command` in a new network namespace with only loopback (brought up), every process of
    its tree traced into `log`. Needs `loopback_namespace_prefix()` and strace."""
    prefix = loopback_namespace_prefix()
    if prefix is None:
        raise RuntimeError("no network namespace can be made here (Linux, unshare, ip)")
    # Only lo exists in a new namespace, and it starts down.
    script = (
        f"ip link set lo up && exec strace -f -qq -s 0 -e signal=none -e trace={TRACED_CALLS} "
        '-o "$0" "$@"'
    )
    return [*prefix, "sh", "-c", script, str(log), *command]
