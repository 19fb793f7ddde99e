"""The pure-Python Ed25519 verifier (desktop_django.minisign, inlined in verify.py) agrees with
OpenSSL (through `cryptography`) on valid signatures, on every kind of damage, and on the
malformed edge cases."""

from __future__ import annotations

import hashlib
import random

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from desktop_django.minisign import _L, ed25519_verify
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def library_accepts(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def keypair(seed: bytes) -> tuple[Ed25519PrivateKey, bytes]:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return private, private.public_key().public_bytes(*RAW)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300))
def test_valid_signatures_are_accepted(seed, message):
    private, public = keypair(seed)
    signature = private.sign(message)
    assert ed25519_verify(public, message, signature)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.binary(min_size=32, max_size=32),
    message=st.binary(min_size=1, max_size=200),
    target=st.sampled_from(["signature", "message", "public key"]),
    position=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_any_flipped_bit_is_judged_like_openssl(seed, message, target, position, bit):
    private, public = keypair(seed)
    signature = private.sign(message)
    parts = {"signature": signature, "message": message, "public key": public}
    damaged = bytearray(parts[target])
    damaged[position % len(damaged)] ^= 1 << bit
    parts[target] = bytes(damaged)
    args = (parts["public key"], parts["message"], parts["signature"])
    assert ed25519_verify(*args) is library_accepts(*args)
    assert not ed25519_verify(*args)


def test_signature_by_another_key_is_rejected():
    rng = random.Random(7)
    for _ in range(20):
        signer, _ = keypair(rng.randbytes(32))
        _, other_public = keypair(rng.randbytes(32))
        message = rng.randbytes(rng.randrange(0, 100))
        assert not ed25519_verify(other_public, message, signer.sign(message))


def test_non_canonical_s_is_rejected_like_openssl():
    private, public = keypair(hashlib.sha256(b"malleable").digest())
    message = b"SHA256SUMS"
    signature = private.sign(message)
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + _L).to_bytes(32, "little")
    assert not library_accepts(public, message, malleated)
    assert not ed25519_verify(public, message, malleated)


@pytest.mark.parametrize(
    "public",
    [
        (1).to_bytes(32, "little"),  # the identity point: small order, would accept forgeries
        bytes(32),  # a point of order 4
        (2**255 - 19 + 1).to_bytes(32, "little"),  # y not reduced modulo p
        b"\xff" * 32,
        b"\x00" * 31,  # too short
    ],
)
def test_degenerate_public_keys_are_rejected(public):
    assert not ed25519_verify(public, b"message", bytes(64))
