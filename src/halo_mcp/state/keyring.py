"""Key rings: the secrets that sign MCP access tokens, seal Halo tokens at rest and seal a 2026-07-28 call's
`requestState`, kept where every replica finds them, with rotation.

Policy:
- A ring is a list of 32-byte secrets. The newest *active* key signs or seals; every key the ring holds verifies
  or opens. So a token made by one replica is accepted by all, also across a rotation.
- Without a shared store (embedded) a ring is what the settings say, as before: HALO_MCP_SIGNIN_KEYS (newest
  first) for the two sign-in rings, HALO_MCP_REQUEST_STATE_KEY (or a key made at start) for request state; rotate
  by prepending a key to the setting.
- With HALO_MCP_DATABASE_URL the rings live in PostgreSQL (state/postgres.py `PostgresKeyRings`: durable, like the
  sealed Halo tokens they open), else with HALO_MCP_REDIS_URL in Redis (`RedisKeyRings`). The first replica to
  start puts a fresh key in an empty ring (of replicas starting together, one key wins), every replica reloads its
  rings every `REFRESH_SECONDS` off the event loop, and `halo-mcp keys rotate` adds a key that becomes active only after
  `ACTIVATION_SECONDS`, by which time every replica has loaded it; keys whose successor has been active longer than
  what they made can live (the access token's lifetime, the refresh token's, the request state's) are dropped on
  rotation. The configured keys stay at the end of the ring, so what they made before the move still opens.
- Ring secrets are stored wrapped (AES-GCM, bound to the ring and key id) under a key derived from the configured
  HALO_MCP_SIGNIN_KEYS (else HALO_MCP_REQUEST_STATE_KEY): read access to the store alone neither forges an access token
  nor opens a Halo token. With neither set the request-state ring is stored plain (it guards answers for at most
  ten minutes, and no sign-in ring exists then).
- A store that lost its rings (a Redis restarted empty) gets the keys back from the replicas that hold them (written
  back on their next refresh).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import itertools
import logging
import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from halo_mcp.config import ConfigError, ServerSettings
from halo_mcp.sealing import KEY_BYTES, Sealer, key_id
from halo_mcp.state.base import KeyRingStore, StoredKey

log = logging.getLogger("halo_mcp.state")

REFRESH_SECONDS = 5.0  # how often a replica reloads its rings
ACTIVATION_SECONDS = 3 * REFRESH_SECONDS  # a rotated-in key signs only once every replica has had time to load it
STATE_TTL = 600.0  # seconds a sealed requestState is accepted (server/interaction.py)
ACCESS_TOKEN, HALO_TOKEN, REQUEST_STATE = "access-token", "halo-token", "request-state"
RINGS = (ACCESS_TOKEN, HALO_TOKEN, REQUEST_STATE)
_PROCESS_KEY = os.urandom(KEY_BYTES)  # request state without a shared store or HALO_MCP_REQUEST_STATE_KEY


def signin_secrets(value: str) -> list[bytes]:
    """`HALO_MCP_SIGNIN_KEYS`: comma-separated base64 32-byte keys, newest first."""
    try:
        secrets = [base64.b64decode(part.strip(), validate=True) for part in value.split(",") if part.strip()]
    except (binascii.Error, ValueError):
        raise ConfigError(
            'HALO_MCP_SIGNIN_KEYS: not base64; make a key with `python -c "import os,base64;'
            'print(base64.b64encode(os.urandom(32)).decode())"`'
        ) from None
    if not secrets:
        raise ConfigError("HALO_MCP_SIGNIN_KEYS: at least one key is required")
    if any(len(s) != KEY_BYTES for s in secrets):
        raise ConfigError(f"HALO_MCP_SIGNIN_KEYS: each key is {KEY_BYTES} random bytes, base64-encoded")
    return secrets


def ring_key_id(secret: bytes) -> str:
    return key_id(secret).hex()


class Wrapper:
    """Wraps ring secrets for storage under keys derived from the configured ones (newest wraps, any unwraps), bound
    to the ring and key id; with no configured key they are stored plain."""

    def __init__(self, secrets: Sequence[bytes]) -> None:
        self._sealer = Sealer(secrets, b"keyring")

    def wrap(self, secret: bytes, ring: str, kid: str) -> bytes:
        return b"w" + self._sealer.seal(secret, f"{ring}:{kid}".encode()) if self._sealer else b"p" + secret

    def unwrap(self, stored: bytes, ring: str, kid: str) -> bytes | None:
        if stored[:1] == b"p":
            return stored[1:]
        return self._sealer.open(stored[1:], f"{ring}:{kid}".encode())


@dataclass(frozen=True)
class RingKey:
    kid: str
    secret: bytes
    active_from: float


class LiveRing:
    """One named ring as this replica knows it; `secrets()` is cheap and synchronous (codecs call it per token)."""

    def __init__(
        self,
        name: str,
        configured: Sequence[bytes],
        *,
        store: KeyRingStore | None = None,
        wrapper: Wrapper | None = None,
        retire_after: float = STATE_TTL,
    ) -> None:
        self.name = name
        self.configured = list(configured)
        self.store = store
        self.wrapper = wrapper or Wrapper([])
        self.retire_after = retire_after
        self._held: list[RingKey] = []
        self._secrets: list[bytes] = list(self.configured)
        self._next = 0.0  # when the next reload is due (monotonic)
        self._loaded = -math.inf  # when the ring was last read from the store (monotonic)
        self._loading = threading.Lock()
        self._tasks: set[asyncio.Future[bool]] = set()

    def secrets(self) -> list[bytes]:
        """The signing secret first, then every other one held; starts a reload when one is due. A new list
        whenever the ring changes, so users may cache what they derive from it by identity."""
        now = time.monotonic()
        if self.store is not None and now >= self._next:
            self._next = now + REFRESH_SECONDS
            if now - self._loaded > ACTIVATION_SECONDS:
                self.load()  # idle for long: a key rotated in meanwhile may be active now, so read it before use
            else:
                self._reload_later()
        if self._held and self._held_order_changed(time.time()):
            self._order(time.time())
        return self._secrets

    def _reload_later(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.load()
            return
        future = loop.run_in_executor(None, self.load)
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    def load(self, wait: bool = False) -> bool:
        """Read the ring from the store (making its first key when empty, writing back keys it lost); False when the
        store cannot be read (or, unless `wait`, another thread is reading it)."""
        if self.store is None or not self._loading.acquire(blocking=wait):
            return False
        try:
            stored = self.store.keys(self.name)
            if not stored:
                if self._held:
                    for key in self._held:  # Redis came back empty: put back what this replica holds
                        self.store.add(self.name, self._stored(key))
                    log.warning("key ring %s: the store had lost it; wrote back %d keys", self.name, len(self._held))
                else:
                    self.store.add(self.name, self._stored(self._new(time.time() - 1)), only_first=True)
                stored = self.store.keys(self.name)
            held = []
            for entry in stored:
                secret = self.wrapper.unwrap(entry.secret, self.name, entry.kid)
                if secret is None:
                    log.warning("key ring %s: key %s does not unwrap with the configured keys; skipped", self.name,
                                entry.kid)  # fmt: skip
                    continue
                held.append(RingKey(entry.kid, secret, entry.active_from))
            self._held = held
            self._loaded = time.monotonic()
            self._order(time.time())
            return True
        except Exception as exc:  # keep the ring this replica holds; try again at the next refresh, off the loop
            self._loaded = time.monotonic()
            log.warning("key ring %s: cannot read the shared store (%s)", self.name, type(exc).__name__)
            return False
        finally:
            self._loading.release()

    def _held_order_changed(self, now: float) -> bool:
        signing = self._signing(now)
        return signing is not None and bool(self._secrets) and self._secrets[0] != signing.secret

    def _signing(self, now: float) -> RingKey | None:
        active = [k for k in self._held if k.active_from <= now]
        return max(active, key=lambda k: (k.active_from, k.kid)) if active else None

    def _order(self, now: float) -> None:
        signing = self._signing(now)
        rest = sorted((k for k in self._held if k is not signing), key=lambda k: -k.active_from)
        ordered = ([signing] if signing else []) + rest
        secrets = [k.secret for k in ordered] + [s for s in self.configured if s not in {k.secret for k in ordered}]
        if not signing:  # nothing active in the store yet: the configured keys (or the process key) sign
            secrets = [*self.configured, *(k.secret for k in ordered)]
        if secrets and secrets != self._secrets:
            self._secrets = secrets

    def _new(self, active_from: float) -> RingKey:
        secret = os.urandom(KEY_BYTES)
        return RingKey(ring_key_id(secret), secret, active_from)

    def _stored(self, key: RingKey) -> StoredKey:
        return StoredKey(key.kid, self.wrapper.wrap(key.secret, self.name, key.kid), key.active_from)

    def rotate(self, activate_in: float = ACTIVATION_SECONDS) -> tuple[str, list[str]]:
        """Add a key that signs from `activate_in` seconds on; drop keys retired since. Returns (new kid, dropped)."""
        if self.store is None:
            raise ConfigError(
                f"key ring {self.name}: no shared store (HALO_MCP_DATABASE_URL or HALO_MCP_REDIS_URL); rotate by "
                "putting a new key first in "
                + ("HALO_MCP_REQUEST_STATE_KEY" if self.name == REQUEST_STATE else "HALO_MCP_SIGNIN_KEYS")
            )
        if not self.load(wait=True):
            raise ConfigError(f"key ring {self.name}: the shared store cannot be read; check that it runs")
        now = time.time()
        new = self._new(now + activate_in)
        self.store.add(self.name, self._stored(new))
        # A key is retired once the key after it has been active for longer than anything it made can live.
        by_start = sorted(self._held, key=lambda k: k.active_from)
        dropped = [
            older.kid for older, newer in itertools.pairwise(by_start) if newer.active_from + self.retire_after < now
        ]
        self.store.remove(self.name, dropped)
        self.load(wait=True)
        return new.kid, dropped

    def describe(self) -> list[tuple[str, float]]:
        """(kid, active_from) of every key held, newest first."""
        return [(k.kid, k.active_from) for k in sorted(self._held, key=lambda k: -k.active_from)]


class Rings:
    """The three rings of one server, opened once per process (see `open_rings`)."""

    def __init__(self, settings: ServerSettings, store: KeyRingStore | None = None) -> None:
        signin = signin_secrets(settings.signin_keys.get_secret_value()) if settings.signin_keys else []
        state = [settings.request_state_key.get_secret_value().encode()] if settings.request_state_key else []
        self.store = store
        wrapper = Wrapper(signin or state)
        lifetimes = {
            ACCESS_TOKEN: float(settings.signin_token_lifetime),
            HALO_TOKEN: float(settings.signin_refresh_lifetime),
            REQUEST_STATE: STATE_TTL,
        }
        configured = {ACCESS_TOKEN: signin, HALO_TOKEN: signin, REQUEST_STATE: state or [_PROCESS_KEY]}
        self.rings = {
            name: LiveRing(name, configured[name], store=store, wrapper=wrapper, retire_after=lifetimes[name])
            for name in RINGS
        }
        if store is not None:
            for name in RINGS if signin else (REQUEST_STATE,):  # no sign-in keys: no sign-in rings to make
                if not self.rings[name].load():
                    break  # the store is away: the rest load at their first use, off the event loop
            for name in (ACCESS_TOKEN, HALO_TOKEN) if not signin else ():
                self.rings[name].store = None

    def __getitem__(self, name: str) -> LiveRing:
        return self.rings[name]

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


_OPEN: dict[tuple[str, ...], Rings] = {}


def open_store(settings: ServerSettings) -> KeyRingStore | None:
    """PostgreSQL when HALO_MCP_DATABASE_URL is set (durable), else Redis when HALO_MCP_REDIS_URL is, else none."""
    if settings.database_url is not None:
        from halo_mcp.state.postgres import PostgresKeyRings

        return PostgresKeyRings(settings.database_url.get_secret_value())
    if settings.redis_url is not None:
        from halo_mcp.state.redis import RedisKeyRings

        return RedisKeyRings(settings.redis_url.get_secret_value())
    return None


def open_rings(settings: ServerSettings) -> Rings:
    """This process's rings for these settings (one per process: every collection's surface shares them)."""
    values = (settings.database_url, settings.redis_url, settings.signin_keys, settings.request_state_key)
    key = tuple(hashlib.sha256(v.get_secret_value().encode()).hexdigest() if v else "" for v in values)
    found = _OPEN.get(key)
    if found is None:
        found = _OPEN[key] = Rings(settings, open_store(settings))
    return found
