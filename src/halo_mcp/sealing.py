"""One way to seal what halo-mcp keeps sealed (Halo tokens at rest, ring secrets in a shared store, the server's Halo
token in Redis): AES-GCM under a key derived from each secret for one purpose (HKDF-SHA256, so one secret never
serves two purposes), laid out as key id (4 bytes), nonce (12), ciphertext. The first secret seals; any of them
opens what it sealed, picked by key id (rotation). A sealed value is bound to what it belongs to (associated data):
copied onto another record it does not open.

`cryptography` is imported by the first sealer with a key, not with this module: it is about 6 MiB resident, and a
server without sign-in, shared state or a 2026-07-28 question never seals anything."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
KEY_ID_BYTES = 4
NONCE_BYTES = 12


def key_id(secret: bytes) -> bytes:
    return hashlib.sha256(secret).digest()[:KEY_ID_BYTES]


def derive(secret: bytes, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"halo-mcp " + purpose).derive(secret)


def _aead(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


class Sealer:
    """Seals with the first of `secrets`, opens with any of them (for `purpose`)."""

    def __init__(self, secrets: Sequence[bytes], purpose: bytes) -> None:
        self._keys = [(key_id(s), _aead(derive(s, purpose))) for s in secrets]
        self._by_id = dict(reversed(self._keys))  # two secrets with one id: the newer wins

    def __bool__(self) -> bool:
        return bool(self._keys)

    def seal(self, plaintext: bytes, bound_to: bytes) -> bytes:
        kid, aead = self._keys[0]
        nonce = os.urandom(NONCE_BYTES)
        return kid + nonce + aead.encrypt(nonce, plaintext, bound_to)

    def open(self, blob: bytes, bound_to: bytes) -> bytes | None:
        """The plaintext, or None when no key opens it for `bound_to` (another key, another record, tampered)."""
        aead = self._by_id.get(blob[:KEY_ID_BYTES])
        if aead is None:
            return None
        from cryptography.exceptions import InvalidTag  # loaded already: `aead` is one of its objects

        nonce, sealed = blob[KEY_ID_BYTES : KEY_ID_BYTES + NONCE_BYTES], blob[KEY_ID_BYTES + NONCE_BYTES :]
        try:
            return aead.decrypt(nonce, sealed, bound_to)
        except InvalidTag:
            return None
