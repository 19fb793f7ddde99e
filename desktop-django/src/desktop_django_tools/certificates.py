"""Does each tool trust the certificate a package index presents, connecting the way it does?

Behind a TLS-intercepting proxy (a site CA in the system store, as on many company networks)
a TCP connection and Python's own HTTPS both succeed, while uv and npm, which bring their own
root certificates, fail on every download. So doctor asks each tool itself: uv resolves one
package from the index, npm pings its registry, and Python's urllib (the system store, what
apt, git, cargo and Debian's pip trust) sends a HEAD. A certificate failure is named with the
setting that points that tool at the system store.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass

# Long enough for a slow proxy, short enough that doctor answers at once (probes run in parallel).
TIMEOUT_SECONDS = 5
# What uv, node and OpenSSL say when the chain does not verify.
CERTIFICATE_FAILURE = re.compile(
    r"certificate|UnknownIssuer|CERT_|self[- ]signed|unable to (get|verify)", re.IGNORECASE
)

OK, CERTIFICATE, NO_ANSWER, ABSENT = "ok", "certificate", "no answer", "absent"
# Python's urllib with the default context stands for every client of the system store.
SYSTEM = "the system store (git, cargo, apt, Debian's pip)"


@dataclass(frozen=True)
class Probe:
    tool: str
    state: str  # OK, CERTIFICATE, NO_ANSWER or ABSENT
    detail: str = ""


def system_bundle() -> str:
    """The system store's bundle file (what the fixes point the tools at), by its real name:
    Debian's OpenSSL default is a link to /etc/ssl/certs/ca-certificates.crt."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and os.path.isfile(candidate):
            return os.path.realpath(candidate)
    return paths.openssl_cafile


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # The cause, not the tool's hint about it.
    hits = [ln for ln in lines if CERTIFICATE_FAILURE.search(ln) and not ln.startswith("hint")]
    return (hits or lines or ["no output"])[-1][:200]


def _run(tool: str, command: list[str], stdin: str = "", env: dict | None = None) -> Probe:
    found = shutil.which(command[0])  # npm is npm.cmd on Windows
    if found is None:
        return Probe(tool, ABSENT)
    try:
        done = subprocess.run(
            [found, *command[1:]], input=stdin, capture_output=True, text=True, errors="replace",
            timeout=TIMEOUT_SECONDS * 4, env={**os.environ, **(env or {})},
            cwd=tempfile.gettempdir(),  # no project .npmrc or uv.toml: the user's own settings
        )  # fmt: skip
    except FileNotFoundError:
        return Probe(tool, ABSENT)
    except subprocess.TimeoutExpired:
        return Probe(tool, NO_ANSWER, f"no answer within {TIMEOUT_SECONDS * 4} s")
    output = done.stdout + done.stderr
    if CERTIFICATE_FAILURE.search(output) and done.returncode != 0:
        return Probe(tool, CERTIFICATE, _last_line(output))
    if done.returncode == 0 or re.search(r"\b404\b|not found", output, re.IGNORECASE):
        return Probe(tool, OK)  # the index answered over a verified connection
    return Probe(tool, NO_ANSWER, _last_line(output))


def probe_system(url: str) -> Probe:
    """A HEAD with Python's default context: the system store (SSL_CERT_FILE when set), read
    now rather than by urllib's cached opener."""
    if not url.startswith("https://"):
        raise ValueError(f"not an https URL: {url}")
    request = urllib.request.Request(url, method="HEAD")  # noqa: S310 (https only, above)
    context = ssl.create_default_context()
    try:
        # https only (checked above), so the file:// scheme that S310/B310 warn of cannot come.
        with urllib.request.urlopen(  # noqa: S310  # nosec B310
            request, timeout=TIMEOUT_SECONDS, context=context
        ):
            return Probe(SYSTEM, OK)
    except urllib.error.HTTPError:
        return Probe(SYSTEM, OK)  # an HTTP answer came over a verified connection
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return Probe(SYSTEM, CERTIFICATE, reason.verify_message or str(reason))
        return Probe(SYSTEM, NO_ANSWER, str(reason))
    except (OSError, ValueError) as exc:
        return Probe(SYSTEM, NO_ANSWER, str(exc))


def probe_uv(index_url: str) -> Probe:
    """uv resolves `pip` from the index (one or two requests), without retries or cache."""
    command = [
        "uv", "pip", "compile", "-", "--quiet", "--no-header", "--no-cache",
        "--index-url", index_url, "--python", sys.executable,
    ]  # fmt: skip
    env = {"UV_HTTP_RETRIES": "0", "UV_HTTP_TIMEOUT": str(TIMEOUT_SECONDS)}
    return _run("uv", command, stdin="pip\n", env=env)


def probe_npm(registry_url: str) -> Probe:
    """`npm ping`: the registry through npm's own fetch and node's TLS."""
    command = [
        "npm", "ping", "--registry", registry_url, "--fetch-retries=0",
        f"--fetch-timeout={TIMEOUT_SECONDS * 1000}",
    ]  # fmt: skip
    return _run("npm", command)


PROBES = {SYSTEM: probe_system, "uv": probe_uv, "npm": probe_npm}


def fixes(failed: list[Probe], system_trusts: bool) -> list[str]:
    """The settings that point each failing tool at the system store, one line each; first
    the system store itself when it does not trust the chain either."""
    bundle = system_bundle()
    lines = []
    if not system_trusts:
        lines.append(
            "this machine does not trust it either: a TLS-intercepting proxy's CA goes into "
            "the system store first (Debian: copy it to /usr/local/share/ca-certificates/ and "
            "run `sudo update-ca-certificates`); then pip: PIP_CERT=" + bundle
        )
    tools = {probe.tool for probe in failed}
    if "uv" in tools or not system_trusts:
        lines.append(
            f"uv uses its own root certificates: export SSL_CERT_FILE={bundle} "
            "(or UV_SYSTEM_CERTS=1; older uv: UV_NATIVE_TLS=1)"
        )
    if "npm" in tools or not system_trusts:
        lines.append(
            f"npm uses node's own root certificates: export NODE_EXTRA_CA_CERTS={bundle} "
            f"(or `npm config set cafile {bundle}`)"
        )
    return lines
