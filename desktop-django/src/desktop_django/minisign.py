"""Ed25519 signatures (RFC 8032) and minisign's signature format, verified with the standard
library only: the one implementation of both that the runtime (backend updates) and the
release verifier use.

Hand-written on purpose: the stage must accept a signed backend update with no cryptography
library inside it, and `verify.py` (which carries this module's text inline, see
desktop_django_tools/release/verify_script.py) runs on a bare Python 3.8+ at sites where
nothing can be installed. Python 3.8 syntax only, for that reason.
"""

from __future__ import annotations

import base64
import hashlib

# --- Ed25519 verification (RFC 8032, section 5.1.7) ------------------------------------------
# Points are kept in extended homogeneous coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z and
# x*y = T/Z, which gives one addition formula that is also correct for doubling.

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)  # a square root of -1 mod p
_IDENTITY = (0, 1, 1, 0)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    k = (y1 - x1) * (y2 - x2) % _P
    m = (y1 + x1) * (y2 + x2) % _P
    c = 2 * _D * t1 * t2 % _P
    d = 2 * z1 * z2 % _P
    e, f, g, h = m - k, d - c, d + c, m + k
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point):
    result = _IDENTITY
    addend = point
    while scalar:
        if scalar & 1:
            result = _add(result, addend)
        addend = _add(addend, addend)
        scalar >>= 1
    return result


def _encode(point) -> bytes:
    x, y, z, _t = point
    inverse = pow(z, _P - 2, _P)
    x, y = x * inverse % _P, y * inverse % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(data: bytes):
    """The point encoded in 32 bytes, or None when the bytes encode no point (or not in the
    one canonical way)."""
    if len(data) != 32:
        return None
    value = int.from_bytes(data, "little")
    sign = value >> 255
    y = value & ((1 << 255) - 1)
    if y >= _P:
        return None
    # x^2 = (y^2 - 1) / (d y^2 + 1); square root by one exponentiation, since p = 5 mod 8.
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    check = v * x * x % _P
    if check == (-u) % _P:
        x = x * _SQRT_M1 % _P
    elif check != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


_BASE = _decode((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public_key`."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a = _decode(public_key)
    if a is None or _encode(_multiply(8, a)) == _encode(_IDENTITY):
        return False  # not a point, or one of small order (it would accept forgeries)
    r_bytes, s = signature[:32], int.from_bytes(signature[32:], "little")
    if s >= _L or _decode(r_bytes) is None:
        return False
    h = int.from_bytes(hashlib.sha512(r_bytes + public_key + message).digest(), "little") % _L
    # [s]B = R + [h]A  <=>  R = [s]B - [h]A; compare encodings, which are canonical.
    minus_a = ((-a[0]) % _P, a[1], a[2], (-a[3]) % _P)
    return _encode(_add(_multiply(s, _BASE), _multiply(h, minus_a))) == r_bytes


# --- minisign public keys and signatures ------------------------------------------------------

UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "


class FormatError(ValueError):
    pass


def key_id_text(key_id: bytes) -> str:
    """Key IDs the way minisign prints them (a little-endian 64-bit number in hex)."""
    return f"{int.from_bytes(key_id, 'little'):016X}"


def parse_public_key(text: str) -> tuple[bytes, bytes]:
    """(key id, Ed25519 public key) from a minisign public key file or its base64 line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if lines and lines[0].startswith(UNTRUSTED_PREFIX):
        lines = lines[1:]
    if len(lines) != 1:
        raise FormatError("a minisign public key is one base64 line (after its comment line)")
    try:
        raw = base64.b64decode(lines[0], validate=True)
    except ValueError:
        raise FormatError("the public key is not valid base64") from None
    if len(raw) != 42 or raw[:2] != b"Ed":
        raise FormatError("this is not a minisign Ed25519 public key")
    return raw[2:10], raw[10:]


class MinisignSignature:
    def __init__(self, algorithm: bytes, key_id: bytes, signature: bytes, trusted: str, glob):
        self.algorithm = algorithm
        self.key_id = key_id
        self.signature = signature
        self.trusted_comment = trusted
        self.global_signature = glob


def parse_signature(text: str) -> MinisignSignature:
    lines = text.splitlines()
    if len(lines) < 4:
        raise FormatError("a minisign signature has four lines")
    if not lines[0].startswith(UNTRUSTED_PREFIX) or not lines[2].startswith(TRUSTED_PREFIX):
        raise FormatError("the comment lines of the signature are malformed")
    try:
        raw = base64.b64decode(lines[1].strip(), validate=True)
        glob = base64.b64decode(lines[3].strip(), validate=True)
    except ValueError:
        raise FormatError("the signature is not valid base64") from None
    if len(raw) != 74 or raw[:2] not in (b"Ed", b"ED") or len(glob) != 64:
        raise FormatError("this is not a minisign Ed25519 signature")
    trusted = lines[2][len(TRUSTED_PREFIX) :].rstrip("\r\n")
    return MinisignSignature(raw[:2], raw[2:10], raw[10:], trusted, glob)


def minisign_verify(public_key_text: str, signature_text: str, data: bytes) -> tuple[bool, str]:
    """(valid, explanation) for a minisign signature of `data`, exactly as `minisign -V`
    decides: the key IDs match, the signature covers the data (or its BLAKE2b-512 for
    prehashed "ED" signatures) and the global signature covers signature + trusted comment."""
    try:
        key_id, public_key = parse_public_key(public_key_text)
        sig = parse_signature(signature_text)
    except FormatError as exc:
        return False, str(exc)
    if sig.key_id != key_id:
        return False, (
            f"signed with key {key_id_text(sig.key_id)}, but the public key is "
            f"{key_id_text(key_id)}"
        )
    message = hashlib.blake2b(data).digest() if sig.algorithm == b"ED" else data
    if not ed25519_verify(public_key, message, sig.signature):
        return False, "the signature does not match the file"
    comment = sig.signature + sig.trusted_comment.encode("utf-8")
    if not ed25519_verify(public_key, comment, sig.global_signature):
        return False, "the trusted comment was altered"
    return True, f"key {key_id_text(key_id)}, trusted comment: {sig.trusted_comment}"
