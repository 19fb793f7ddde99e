"""doctor's host checks against a local HTTPS index whose certificate comes from a CA of its own,
as a TLS-intercepting proxy's does: the real uv, npm and Python's urllib connect to it."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from desktop_django_testing.ci import only_on, require_tool
from desktop_django_tools import certificates, doctor

pytestmark = only_on("linux", "darwin", reason="the system store is one bundle file there")


def _certificate(subject: str, key, issuer_name, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        # Key identifiers: Python 3.13's strict verification wants them, as real CAs have them.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        names = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(names, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class NotFound(BaseHTTPRequestHandler):
    """An index that answers every request: the connection, not the content, is under test."""

    def do_GET(self):
        self.send_error(404)

    do_HEAD = do_GET

    def log_message(self, *_args):
        pass


@pytest.fixture
def intercepting_index(tmp_path: Path):
    """An HTTPS server on 127.0.0.1 with a leaf signed by a site CA; yields (url, ca.pem)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Site Proxy CA")])
    ca = _certificate("Test Site Proxy CA", ca_key, ca_name, ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _certificate("127.0.0.1", leaf_key, ca_name, ca_key, ca=False)
    (tmp_path / "ca.pem").write_bytes(_pem(ca))
    (tmp_path / "leaf.pem").write_bytes(_pem(leaf) + _pem(ca))
    (tmp_path / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/simple/", tmp_path / "ca.pem"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fresh_trust(monkeypatch, tmp_path):
    """The trust settings of a user who has set none: no certificate variables, and npm with
    empty user and global configs (this machine's may name a cafile)."""
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "UV_SYSTEM_CERTS", "UV_NATIVE_TLS",
                 "NODE_EXTRA_CA_CERTS", "PIP_CERT", "REQUESTS_CA_BUNDLE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for scope in ("userconfig", "globalconfig"):
        (tmp_path / f"{scope}.npmrc").write_text("", encoding="utf-8")
        monkeypatch.setenv(f"npm_config_{scope}", str(tmp_path / f"{scope}.npmrc"))
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))


def _download(url: str) -> doctor.Download:
    return doctor.Download("127.0.0.1", "a test index", "none", "none", url, ("uv", "npm"))


def test_an_untrusted_proxy_ca_is_named_for_each_tool_with_its_fix(intercepting_index, fresh_trust):
    require_tool("uv", "doctor probes the way uv connects")
    require_tool("npm", "doctor probes the way npm connects")
    url, _ca = intercepting_index
    lines = "\n".join(doctor.host_lines(_download(url)))
    assert lines.startswith("  CERT     127.0.0.1"), lines
    for tool in (certificates.SYSTEM, "uv", "npm"):
        assert f"{tool} does not trust it" in lines
    for setting in ("update-ca-certificates", "SSL_CERT_FILE=", "UV_SYSTEM_CERTS=1",
                    "UV_NATIVE_TLS=1", "NODE_EXTRA_CA_CERTS=", "PIP_CERT="):  # fmt: skip
        assert setting in lines


def test_the_settings_doctor_names_make_each_tool_trust_the_proxy(
    intercepting_index, fresh_trust, monkeypatch, tmp_path
):
    """The fix is real: the system bundle plus the site CA, given to uv and npm by the two
    variables doctor names, and every probe passes; without npm's, only npm is named."""
    require_tool("uv", "doctor probes the way uv connects")
    require_tool("npm", "doctor probes the way npm connects")
    url, ca = intercepting_index
    bundle = tmp_path / "system-plus-site.pem"
    system = Path(certificates.system_bundle()).read_bytes()
    bundle.write_bytes(system + b"\n" + ca.read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    # Node's own CA store, as in the Node.js 22 the README names (nodejs.org, NodeSource).
    # Debian's nodejs is built to read OpenSSL's store, and so SSL_CERT_FILE: with it npm
    # would trust the bundle already (the newcomer root's Node 20 did).
    node_options = os.environ.get("NODE_OPTIONS", "")
    monkeypatch.setenv("NODE_OPTIONS", f"{node_options} --use-bundled-ca".strip())
    only_npm = "\n".join(doctor.host_lines(_download(url)))
    assert "npm does not trust it" in only_npm
    assert "uv does not trust" not in only_npm
    assert f"{certificates.SYSTEM} does not trust" not in only_npm
    assert "NODE_EXTRA_CA_CERTS=" in only_npm
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(bundle))
    assert doctor.host_lines(_download(url))[0].startswith("  ok       127.0.0.1")


def test_doctor_runs_on_an_interpreter_with_only_the_standard_library():
    """`nox -s doctor` runs on nox's own interpreter, where none of the project's packages
    are installed: with site-packages switched off (-S) it still reports."""
    source = Path(doctor.__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "-S", "-m", "desktop_django_tools.doctor"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(source)},
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Download hosts" in done.stdout
