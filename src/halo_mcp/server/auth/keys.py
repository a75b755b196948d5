"""The sign-in key ring: AES-GCM for Halo tokens at rest, HMAC keys for MCP access tokens.

Policy: the ring is a list of 32-byte secrets, newest first. New data is sealed (and tokens signed) with the
newest; anything sealed or signed with an older one still opens, so a key is rotated by prepending a new one and
dropped once its tokens have expired. Each use derives its own subkey (HKDF-SHA256), so one secret never serves
two purposes. A sealed value is bound to its record (AES-GCM associated data): a blob copied onto another
person's record does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from halo_mcp.config import ConfigError

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_BYTES = 4


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"halo-mcp " + purpose).derive(secret)


@dataclass(frozen=True)
class _Key:
    kid: bytes
    seal: AESGCM
    sign: bytes


class KeyRing:
    """Seal/open and the JWT signing keys, by key id (the first 4 bytes of the secret's SHA-256)."""

    def __init__(self, secrets: list[bytes]) -> None:
        if not secrets:
            raise ConfigError("HALO_MCP_SIGNIN_KEYS: at least one key is required")
        self._keys: list[_Key] = []
        for secret in secrets:
            if len(secret) != KEY_BYTES:
                raise ConfigError(f"HALO_MCP_SIGNIN_KEYS: each key is {KEY_BYTES} random bytes, base64-encoded")
            kid = hashlib.sha256(secret).digest()[:KEY_ID_BYTES]
            self._keys.append(_Key(kid, AESGCM(_derive(secret, b"seal")), _derive(secret, b"jwt")))
        self._by_kid = {k.kid: k for k in self._keys}

    @classmethod
    def parse(cls, value: str) -> KeyRing:
        """`HALO_MCP_SIGNIN_KEYS`: comma-separated base64 keys, newest first."""
        try:
            return cls([base64.b64decode(part.strip(), validate=True) for part in value.split(",") if part.strip()])
        except (binascii.Error, ValueError):
            raise ConfigError(
                'HALO_MCP_SIGNIN_KEYS: not base64; make a key with `python -c "import os,base64;'
                'print(base64.b64encode(os.urandom(32)).decode())"`'
            ) from None

    @staticmethod
    def new_secret() -> str:
        return base64.b64encode(os.urandom(KEY_BYTES)).decode()

    def seal(self, plaintext: bytes, record: str) -> bytes:
        key = self._keys[0]
        nonce = os.urandom(NONCE_BYTES)
        return key.kid + nonce + key.seal.encrypt(nonce, plaintext, record.encode())

    def open(self, blob: bytes, record: str) -> bytes | None:
        """The plaintext, or None when no key of the ring opens it for this record."""
        key = self._by_kid.get(blob[:KEY_ID_BYTES])
        if key is None:
            return None
        nonce = blob[KEY_ID_BYTES : KEY_ID_BYTES + NONCE_BYTES]
        try:
            return key.seal.decrypt(nonce, blob[KEY_ID_BYTES + NONCE_BYTES :], record.encode())
        except InvalidTag:
            return None

    @property
    def signing(self) -> tuple[str, bytes]:
        """(kid, key) to sign new tokens with."""
        return self._keys[0].kid.hex(), self._keys[0].sign

    def verifying(self, kid: str) -> bytes | None:
        try:
            key = self._by_kid.get(bytes.fromhex(kid))
        except ValueError:
            return None
        return key.sign if key else None
