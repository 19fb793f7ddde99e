"""Detached signatures of SHA256SUMS in minisign's format, made with `cryptography`.

`minisign -Vm SHA256SUMS -p <key>.pub` verifies them, and so does verify.py without
any library. The secret key comes from the environment, never from a file in the repository:

- DESKTOP_DJANGO_RELEASE_KEY: the key itself, as a minisign secret key file's text (from
  `minisign -G`, or `desktop-django keygen`), the same text base64-encoded once more (the
  form Tauri's TAURI_SIGNING_PRIVATE_KEY uses), or an Ed25519 PKCS#8 PEM;
- DESKTOP_DJANGO_RELEASE_KEY_FILE: a path to such a file, instead;
- DESKTOP_DJANGO_RELEASE_KEY_PASSWORD: the password of an encrypted key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from desktop_django.minisign import TRUSTED_PREFIX, UNTRUSTED_PREFIX, key_id_text

from desktop_django_tools.errors import ToolError

KEY_ENV = "DESKTOP_DJANGO_RELEASE_KEY"
KEY_FILE_ENV = "DESKTOP_DJANGO_RELEASE_KEY_FILE"
PASSWORD_ENV = "DESKTOP_DJANGO_RELEASE_KEY_PASSWORD"  # noqa: S105 (a variable name)

_ALGORITHM = b"Ed"
_PREHASHED = b"ED"
_SCRYPT = b"Sc"
_NO_KDF = b"\0\0"
_CHECKSUM = b"B2"
_SECRET_KEY_BYTES = 158  # algorithms 6 + salt 32 + limits 16 + key id 8 + key 64 + checksum 32
_RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class SigningKeyError(ToolError):
    pass


@dataclass(frozen=True)
class SigningKey:
    key_id: bytes
    private: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(*_RAW)

    @property
    def key_id_text(self) -> str:
        return key_id_text(self.key_id)

    @property
    def public_key_line(self) -> str:
        """The base64 form `minisign -P` and `verify.py --public-key-string` take."""
        return base64.b64encode(_ALGORITHM + self.key_id + self.public_bytes).decode()

    def public_key_text(self) -> str:
        return f"{UNTRUSTED_PREFIX}minisign public key {self.key_id_text}\n{self.public_key_line}\n"

    def secret_key_text(self) -> str:
        """An unencrypted minisign secret key (like `minisign -G -W`): keep it in a secret
        store, not on disk."""
        seed = self.private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        secret = seed + self.public_bytes
        body = (
            _ALGORITHM + _NO_KDF + _CHECKSUM + bytes(32 + 16)
            + self.key_id + secret + _checksum(self.key_id, secret)
        )  # fmt: skip
        return f"{UNTRUSTED_PREFIX}minisign secret key {self.key_id_text} (unencrypted)\n" + (
            base64.b64encode(body).decode() + "\n"
        )


def generate() -> SigningKey:
    return SigningKey(os.urandom(8), Ed25519PrivateKey.generate())


def sign(key: SigningKey, data: bytes, trusted_comment: str, untrusted_comment: str) -> str:
    """A prehashed ("ED") minisign signature of `data`: the default of minisign 0.8 and later."""
    if any(c in trusted_comment + untrusted_comment for c in "\r\n"):
        raise ValueError("signature comments are single lines")
    signature = key.private.sign(hashlib.blake2b(data).digest())
    global_signature = key.private.sign(signature + trusted_comment.encode("utf-8"))
    return (
        f"{UNTRUSTED_PREFIX}{untrusted_comment}\n"
        f"{base64.b64encode(_PREHASHED + key.key_id + signature).decode()}\n"
        f"{TRUSTED_PREFIX}{trusted_comment}\n"
        f"{base64.b64encode(global_signature).decode()}\n"
    )


def key_from_environment(environ: Mapping[str, str] = os.environ) -> SigningKey | None:
    """The release key the environment names, or None when it names none."""
    text = environ.get(KEY_ENV, "").strip()
    key_file = environ.get(KEY_FILE_ENV, "").strip()
    if text and key_file:
        raise SigningKeyError(f"set {KEY_ENV} or {KEY_FILE_ENV}, not both")
    if key_file:
        try:
            text = Path(key_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise SigningKeyError(f"{KEY_FILE_ENV}: cannot read the key file: {exc}") from exc
    if not text:
        return None
    return parse_secret_key(text, environ.get(PASSWORD_ENV) or None)


def parse_secret_key(text: str, password: str | None = None) -> SigningKey:
    text = text.strip()
    if "-----BEGIN" in text:
        return _from_pem(text, password)
    unwrapped = _unwrap_base64_file(text)
    lines = [line.strip() for line in unwrapped.splitlines() if line.strip()]
    if lines and lines[0].startswith(UNTRUSTED_PREFIX):
        lines = lines[1:]
    try:
        raw = base64.b64decode(lines[0] if len(lines) == 1 else "!", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _SECRET_KEY_BYTES:
        raise SigningKeyError(
            "the release key is neither a minisign secret key nor an Ed25519 PEM private key"
        )
    algorithm, kdf, checksum_algorithm = raw[0:2], raw[2:4], raw[4:6]
    if algorithm != _ALGORITHM or checksum_algorithm != _CHECKSUM or kdf not in (_SCRYPT, _NO_KDF):
        raise SigningKeyError("the minisign secret key uses algorithms this tool does not know")
    keynum = raw[54:158]
    if kdf == _SCRYPT:
        if password is None:
            raise SigningKeyError(f"the release key is encrypted: set {PASSWORD_ENV}")
        salt = raw[6:38]
        opslimit = int.from_bytes(raw[38:46], "little")
        memlimit = int.from_bytes(raw[46:54], "little")
        stream = _scrypt(password.encode("utf-8"), salt, opslimit, memlimit, len(keynum))
        keynum = bytes(a ^ b for a, b in zip(keynum, stream, strict=True))
    key_id, secret, checksum = keynum[:8], keynum[8:72], keynum[72:]
    # `minisign -G -W` leaves the checksum of an unencrypted key zeroed.
    if checksum != _checksum(key_id, secret) and (kdf == _SCRYPT or any(checksum)):
        raise SigningKeyError(
            "wrong password for the release key"
            if kdf == _SCRYPT
            else "the release key is damaged (checksum mismatch)"
        )
    key = SigningKey(key_id, Ed25519PrivateKey.from_private_bytes(secret[:32]))
    if key.public_bytes != secret[32:]:
        raise SigningKeyError("the release key is damaged (its halves do not match)")
    return key


def _from_pem(text: str, password: str | None) -> SigningKey:
    try:
        private = serialization.load_pem_private_key(
            text.encode(), password.encode() if password else None
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError(f"the PEM release key cannot be loaded: {exc}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyError("the PEM release key is not an Ed25519 key")
    # A PEM key has no minisign key ID: derive a stable one from the public key.
    public = private.public_key().public_bytes(*_RAW)
    return SigningKey(hashlib.blake2b(public, digest_size=8).digest(), private)


def _unwrap_base64_file(text: str) -> str:
    """Tauri's signer keeps the whole minisign key file base64-encoded in one variable."""
    if text.startswith(UNTRUSTED_PREFIX):
        return text
    try:
        decoded = base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return text
    return decoded if decoded.startswith(UNTRUSTED_PREFIX) else text


def _checksum(key_id: bytes, secret: bytes) -> bytes:
    return hashlib.blake2b(_ALGORITHM + key_id + secret, digest_size=32).digest()


def scrypt_parameters(opslimit: int, memlimit: int) -> tuple[int, int, int]:
    """(N, r, p) for libsodium's crypto_pwhash_scryptsalsa208sha256 limits, which is how
    minisign stores its key-derivation cost."""
    opslimit = max(opslimit, 32768)
    r = 8
    if opslimit < memlimit // 32:
        p = 1
        max_n = opslimit // (r * 4)
    else:
        max_n = memlimit // (r * 128)
    n_log2 = 1
    while n_log2 < 63 and (1 << n_log2) <= max_n // 2:
        n_log2 += 1
    if opslimit >= memlimit // 32:
        p = min((opslimit // 4) // (1 << n_log2), 0x3FFFFFFF) // r
    return 1 << n_log2, r, p


def _scrypt(password: bytes, salt: bytes, opslimit: int, memlimit: int, length: int) -> bytes:
    n, r, p = scrypt_parameters(opslimit, memlimit)
    needed = 128 * r * (n + p + 2)
    return hashlib.scrypt(
        password, salt=salt, n=n, r=r, p=p, maxmem=needed + (32 << 20), dklen=length
    )
