"""minisign-compatible signatures: our signer, our verifier and the real minisign agree."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from desktop_django_testing.ci import require_tool
from desktop_django_tools.release import signing
from desktop_django_tools.release.verify import minisign_verify

DATA = b"0" * 64 + b"  flying-stable-linux-0.1.0-x86_64.AppImage\n"


def minisign() -> str:
    return require_tool("minisign", "signature interoperability; apt install minisign", ("linux",))


def test_signature_verifies_with_the_signing_key():
    key = signing.generate()
    signature = signing.sign(key, DATA, "file:SHA256SUMS", "signature from tests")
    valid, detail = minisign_verify(key.public_key_text(), signature, DATA)
    assert valid, detail
    assert "file:SHA256SUMS" in detail


def test_signature_made_with_one_key_is_rejected_by_another():
    one, other = signing.generate(), signing.generate()
    signature = signing.sign(one, DATA, "t", "u")
    valid, detail = minisign_verify(other.public_key_text(), signature, DATA)
    assert not valid
    assert one.key_id_text in detail
    # Even when the other key claims the same key ID, the signature itself does not match.
    impostor = signing.SigningKey(one.key_id, other.private)
    assert not minisign_verify(impostor.public_key_text(), signature, DATA)[0]


def test_altered_trusted_comment_or_data_is_rejected():
    key = signing.generate()
    signature = signing.sign(key, DATA, "version:0.1.0", "u")
    forged = signature.replace("version:0.1.0", "version:9.9.9")
    assert not minisign_verify(key.public_key_text(), forged, DATA)[0]
    assert not minisign_verify(key.public_key_text(), signature, DATA + b" ")[0]


def test_secret_key_text_round_trips_in_every_accepted_form():
    key = signing.generate()
    text = key.secret_key_text()
    wrapped = base64.b64encode(text.encode()).decode()  # Tauri's TAURI_SIGNING_PRIVATE_KEY form
    for form in (text, text.splitlines()[1], wrapped):
        loaded = signing.parse_secret_key(form)
        assert (loaded.key_id, loaded.public_bytes) == (key.key_id, key.public_bytes)


def test_pem_key_is_accepted_with_a_stable_key_id():
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    first = signing.parse_secret_key(pem)
    assert first.key_id == signing.parse_secret_key(pem).key_id
    assert first.public_bytes == private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def test_damaged_keys_are_refused_with_a_reason():
    text = signing.generate().secret_key_text()
    body = bytearray(base64.b64decode(text.splitlines()[1]))
    body[60] ^= 1  # inside the secret key: the embedded public half no longer matches
    with pytest.raises(signing.SigningKeyError, match="damaged"):
        signing.parse_secret_key(base64.b64encode(bytes(body)).decode())
    with pytest.raises(signing.SigningKeyError, match="neither"):
        signing.parse_secret_key("not a key")


def test_key_comes_from_the_environment_only_when_set(tmp_path):
    assert signing.key_from_environment({}) is None
    key = signing.generate()
    key_file = tmp_path / "release.key"
    key_file.write_text(key.secret_key_text(), encoding="utf-8")
    loaded = signing.key_from_environment({signing.KEY_FILE_ENV: str(key_file)})
    assert loaded.key_id == key.key_id
    with pytest.raises(signing.SigningKeyError, match="not both"):
        signing.key_from_environment(
            {signing.KEY_ENV: key.secret_key_text(), signing.KEY_FILE_ENV: str(key_file)}
        )


def test_scrypt_parameters_match_minisigns_defaults():
    # minisign stores opslimit 2^25 and memlimit 2^30: libsodium turns them into N=2^20, r=8, p=1.
    assert signing.scrypt_parameters(33554432, 1073741824) == (1 << 20, 8, 1)


def test_real_minisign_verifies_our_signature(tmp_path):
    tool = minisign()
    key = signing.generate()
    (tmp_path / "SHA256SUMS").write_bytes(DATA)
    (tmp_path / "SHA256SUMS.minisig").write_text(signing.sign(key, DATA, "trusted", "u"), "utf-8")
    (tmp_path / "release.pub").write_text(key.public_key_text(), "utf-8")
    ok = subprocess.run(
        [tool, "-Vm", "SHA256SUMS", "-p", "release.pub"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "Trusted comment: trusted" in ok.stdout
    other = signing.generate()
    refused = subprocess.run(
        [tool, "-Vm", "SHA256SUMS", "-P", other.public_key_line], cwd=tmp_path, capture_output=True
    )
    assert refused.returncode != 0


def test_our_verifier_accepts_a_real_minisign_signature_and_key(tmp_path):
    tool = minisign()
    subprocess.run(
        [tool, "-G", "-W", "-p", "m.pub", "-s", "m.key"], cwd=tmp_path, check=True,
        capture_output=True,
    )  # fmt: skip
    (tmp_path / "SHA256SUMS").write_bytes(DATA)
    subprocess.run(
        [tool, "-S", "-s", "m.key", "-m", "SHA256SUMS", "-t", "made by minisign"],
        cwd=tmp_path, check=True, capture_output=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    public = (tmp_path / "m.pub").read_text(encoding="utf-8")
    signature = (tmp_path / "SHA256SUMS.minisig").read_text(encoding="utf-8")
    assert minisign_verify(public, signature, DATA) == (
        True,
        f"key {signing.parse_secret_key((tmp_path / 'm.key').read_text()).key_id_text}, "
        "trusted comment: made by minisign",
    )
    # ...and our signer can use minisign's key.
    key = signing.parse_secret_key((tmp_path / "m.key").read_text(encoding="utf-8"))
    assert minisign_verify(public, signing.sign(key, DATA, "ours", "u"), DATA)[0]


@pytest.mark.slow
def test_password_protected_minisign_key_is_decrypted(tmp_path):
    """minisign's default key: scrypt with 1 GiB, as libsodium derives it (a few seconds)."""
    tool = minisign()
    subprocess.run(
        [tool, "-G", "-p", "m.pub", "-s", "m.key"], cwd=tmp_path, check=True,
        input=b"correct horse\ncorrect horse\n", capture_output=True,
    )  # fmt: skip
    text = (tmp_path / "m.key").read_text(encoding="utf-8")
    with pytest.raises(signing.SigningKeyError, match=signing.PASSWORD_ENV):
        signing.parse_secret_key(text)
    key = signing.key_from_environment(
        {signing.KEY_ENV: text, signing.PASSWORD_ENV: "correct horse"}
    )
    public = (tmp_path / "m.pub").read_text(encoding="utf-8")
    assert minisign_verify(public, signing.sign(key, DATA, "t", "u"), DATA)[0]


def test_keygen_writes_a_private_key_file_and_a_public_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "desktop_django_tools", "keygen", str(tmp_path / "keys")],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    secret = tmp_path / "keys" / "release.key"
    if sys.platform != "win32":
        assert secret.stat().st_mode & 0o777 == 0o600
    key = signing.parse_secret_key(secret.read_text(encoding="utf-8"))
    assert key.key_id_text in result.stdout
    public = (tmp_path / "keys" / "release.pub").read_text(encoding="utf-8")
    assert minisign_verify(public, signing.sign(key, DATA, "t", "u"), DATA)[0]
