"""The sign-in keys: AES-GCM for Halo tokens at rest (the halo-token ring), HMAC keys for MCP access tokens (the
access-token ring). The rings themselves, embedded or shared with rotation, are state/keyring.py's.

Policy: each ring is a list of 32-byte secrets, the signing one first. New data is sealed (and tokens signed) with
the first; anything sealed or signed with another key the ring holds still opens, and a token names its key (JWT
`kid`, the first 4 bytes of a sealed blob), so verification picks that key. Each use derives its own subkey
(HKDF-SHA256), so one secret never serves two purposes. A sealed value is bound to its record (AES-GCM associated
data): a blob copied onto another person's record does not open.
"""

from __future__ import annotations

import base64
import os

from halo_mcp.sealing import KEY_BYTES, Sealer, derive, key_id
from halo_mcp.state.keyring import ACCESS_TOKEN, HALO_TOKEN, LiveRing, Rings, signin_secrets


class _Derived:
    """One ring's keys as of one version of it: a sealer, and the access-token signing keys by key id."""

    def __init__(self, secrets: list[bytes]) -> None:
        self.sealer = Sealer(secrets, b"seal")
        self.signing = [(key_id(s), derive(s, b"jwt")) for s in secrets]
        self.by_kid = dict(reversed(self.signing))


class KeyRing:
    """Seal/open with the halo-token ring, sign/verify with the access-token ring, by key id."""

    def __init__(self, sealing: LiveRing, signing: LiveRing) -> None:
        self._rings = {HALO_TOKEN: sealing, ACCESS_TOKEN: signing}
        self._derived: dict[str, tuple[list[bytes], _Derived]] = {}  # rebuilt when a ring's secrets change

    @classmethod
    def parse(cls, value: str) -> KeyRing:
        """`HALO_MCP_SIGNIN_KEYS` alone (the embedded rings): comma-separated base64 keys, newest first."""
        secrets = signin_secrets(value)
        return cls(LiveRing(HALO_TOKEN, secrets), LiveRing(ACCESS_TOKEN, secrets))

    @classmethod
    def of(cls, rings: Rings) -> KeyRing:
        return cls(rings[HALO_TOKEN], rings[ACCESS_TOKEN])

    @staticmethod
    def new_secret() -> str:
        return base64.b64encode(os.urandom(KEY_BYTES)).decode()

    def _ring(self, name: str) -> _Derived:
        secrets = self._rings[name].secrets()
        found = self._derived.get(name)
        if found is None or found[0] is not secrets:
            found = self._derived[name] = (secrets, _Derived(secrets))
        return found[1]

    def seal(self, plaintext: bytes, record: str) -> bytes:
        return self._ring(HALO_TOKEN).sealer.seal(plaintext, record.encode())

    def open(self, blob: bytes, record: str) -> bytes | None:
        """The plaintext, or None when no key of the ring opens it for this record."""
        return self._ring(HALO_TOKEN).sealer.open(blob, record.encode())

    @property
    def signing(self) -> tuple[str, bytes]:
        """(kid, key) to sign new tokens with."""
        kid, key = self._ring(ACCESS_TOKEN).signing[0]
        return kid.hex(), key

    def verifying(self, kid: str) -> bytes | None:
        try:
            return self._ring(ACCESS_TOKEN).by_kid.get(bytes.fromhex(kid))
        except ValueError:
            return None
