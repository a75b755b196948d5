"""Key rings shared through a real PostgreSQL or Redis: replicas agree on the signing key, accept each other's tokens
and sealed request state, rotate without refusing what older keys made, and give Redis its keys back when it
restarts empty."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from mcp.server.request_state import InvalidRequestState
from pydantic import SecretStr

from halo_mcp.config import ServerSettings
from halo_mcp.server.auth.keys import KeyRing
from halo_mcp.server.interaction import RingCodec
from halo_mcp.state.base import KeyRingStore
from halo_mcp.state.keyring import ACCESS_TOKEN, REQUEST_STATE, Rings
from halo_mcp.state.postgres import PostgresKeyRings
from halo_mcp.state.redis import RedisKeyRings
from tests.helpers import PostgresServer, RedisServer, halo_mcp_cli, subprocess_env

pytestmark = [pytest.mark.replicas]

SIGNIN_KEY = KeyRing.new_secret()


Store = Callable[[], KeyRingStore]


@pytest.fixture(params=["postgres", "redis"])
def store(request: pytest.FixtureRequest) -> Store:
    """A new connection to an empty ring store, per call (one per replica)."""
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        RedisKeyRings(redis.url).redis.flushall()
        return lambda: RedisKeyRings(redis.url)
    request.getfixturevalue("postgres_server")
    url: str = request.getfixturevalue("database_url")
    return lambda: PostgresKeyRings(url)


def replicas(store: Store, n: int = 3, signin_key: str = SIGNIN_KEY) -> list[Rings]:
    """`n` replicas' rings on one store, started together, each with its own connection as processes would have."""
    settings = ServerSettings(signin_keys=SecretStr(signin_key))
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: Rings(settings, store()), range(n)))


def sign(keys: KeyRing, subject: str) -> str:
    kid, key = keys.signing
    return jwt.encode({"sub": subject}, key, algorithm="HS256", headers={"kid": kid})


def verify(keys: KeyRing, token: str) -> str:
    key = keys.verifying(jwt.get_unverified_header(token)["kid"])
    assert key is not None, "no key for this kid"
    return str(jwt.decode(token, key, algorithms=["HS256"])["sub"])


def test_replicas_starting_together_agree_on_one_key_per_ring(store: Store) -> None:
    rings = replicas(store)
    for name in (ACCESS_TOKEN, REQUEST_STATE):
        first = {r[name].secrets()[0] for r in rings}
        assert len(first) == 1
        assert len(rings[0][name].describe()) == 1
    a, b, _ = (KeyRing.of(r) for r in rings)
    assert verify(b, sign(a, "tenant/agent/7")) == "tenant/agent/7"
    sealed = a.seal(b"halo token", "halo:tenant/agent/7")
    assert b.open(sealed, "halo:tenant/agent/7") == b"halo token"
    assert b.open(sealed, "halo:tenant/agent/8") is None  # bound to its record
    for r in rings:
        r.close()


def test_a_rotated_key_signs_once_active_and_the_old_one_still_verifies(store: Store) -> None:
    rings = replicas(store, 2)
    a, b = (KeyRing.of(r) for r in rings)
    old = sign(a, "before")
    old_kid = jwt.get_unverified_header(old)["kid"]
    new_kid, dropped = rings[0][ACCESS_TOKEN].rotate(activate_in=0.5)
    assert dropped == []  # the old key's tokens may still be alive
    assert jwt.get_unverified_header(sign(a, "pending"))["kid"] == old_kid  # not active yet: the old key signs
    time.sleep(0.6)
    rings[1][ACCESS_TOKEN].load()  # what the other replica's refresh (every few seconds) does
    new = sign(b, "after")
    assert jwt.get_unverified_header(new)["kid"] == new_kid
    assert verify(a, new) == "after"
    assert verify(b, old) == "before"  # the old key still verifies
    for r in rings:
        r.close()


def test_request_state_sealed_by_one_replica_opens_on_another_also_after_rotation(store: Store) -> None:
    rings = replicas(store, 2)
    a, b = (RingCodec(r[REQUEST_STATE]) for r in rings)
    before = a.seal(b'{"answers": {}}')
    assert b.unseal(before) == b'{"answers": {}}'
    rings[0][REQUEST_STATE].rotate(activate_in=0)
    rings[1][REQUEST_STATE].load()
    after = b.seal(b"new")
    assert a.unseal(after) == b"new"
    assert a.unseal(before) == b'{"answers": {}}'
    with pytest.raises(InvalidRequestState):
        a.unseal(after[:-4] + "AAAA")
    for r in rings:
        r.close()


def test_ring_secrets_are_stored_wrapped_under_the_configured_keys(store: Store) -> None:
    (ring,) = replicas(store, 1)
    stored = store()
    (entry, *_) = stored.keys(ACCESS_TOKEN)
    secret = ring[ACCESS_TOKEN].secrets()[0]
    assert secret not in entry.secret and entry.secret[:1] == b"w"
    (stranger,) = replicas(store, 1, signin_key=KeyRing.new_secret())  # another configured key cannot unwrap them
    assert secret not in stranger[ACCESS_TOKEN].secrets()
    for r in (ring, stranger):
        r.close()
    stored.close()


def test_a_redis_restarted_empty_gets_the_rings_back_from_the_replicas() -> None:
    redis = RedisServer().start()
    try:
        a, b = replicas(lambda: RedisKeyRings(redis.url), 2)
        token = sign(KeyRing.of(a), "kept")
        redis.stop()
        redis.start()
        a[ACCESS_TOKEN].load()  # Redis is empty: this replica writes back the keys it holds
        (fresh,) = replicas(lambda: RedisKeyRings(redis.url), 1)
        assert verify(KeyRing.of(fresh), token) == "kept"  # a replica started now accepts what was signed before
        for r in (a, b, fresh):
            r.close()
    finally:
        redis.stop()


def test_without_redis_the_rings_are_the_settings() -> None:
    key = KeyRing.new_secret()
    rings = Rings(ServerSettings(signin_keys=SecretStr(key)))
    assert rings.store is None
    assert KeyRing.of(rings).signing[0] == KeyRing.parse(key).signing[0]
    with pytest.raises(Exception, match="HALO_MCP_SIGNIN_KEYS"):
        rings[ACCESS_TOKEN].rotate()


def test_the_keys_command_rotates_a_shared_ring_and_lists_it(
    postgres_server: PostgresServer, database_url: str
) -> None:
    env = subprocess_env(HALO_MCP_DATABASE_URL=database_url)
    rotated = halo_mcp_cli(env, "keys", "rotate", "--ring", "request-state")
    assert rotated.returncode == 0, rotated.stderr
    assert "request-state: new key" in rotated.stderr and "signs in 15 s" in rotated.stderr
    listed = halo_mcp_cli(env, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    states = [line.split("\t")[2] for line in listed.stdout.splitlines() if line.startswith("request-state\t")]
    assert states[0].startswith("signs in") and states[1] == "signs"  # the first key signs until the new one is due
    refused = halo_mcp_cli(subprocess_env(), "keys", "rotate")
    assert refused.returncode == 2 and "HALO_MCP_SIGNIN_KEYS" in refused.stderr  # no store: rotate in the setting
