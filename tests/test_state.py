"""The state store's contract, on every backend: digests only, revoked and expired tokens never found, stored
collections kept by name, sign-in records used once and gone when expired."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from halo_mcp.state.base import ApiToken, State

pytestmark = pytest.mark.anyio

NOW = 1_800_000_000.0


def token(token_id: str, collection: str = "desk", expires: float | None = None) -> ApiToken:
    return ApiToken(token_id, collection, f"label {token_id}", NOW - 100, None, expires)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def test_a_token_is_found_by_its_digest_only_while_usable(state: State) -> None:
    await state.tokens.add(token("tok_a"), digest("secret-a"))
    await state.tokens.add(token("tok_b", expires=NOW + 10), digest("secret-b"))
    assert await state.tokens.find(digest("secret-a"), NOW) == token("tok_a")
    assert await state.tokens.find(digest("secret-b"), NOW) is not None
    assert await state.tokens.find(digest("secret-b"), NOW + 10) is None  # expired at its instant
    assert await state.tokens.find(digest("secret-c"), NOW) is None
    assert await state.tokens.revoke("tok_a", NOW)
    assert not await state.tokens.revoke("tok_a", NOW)  # once
    assert await state.tokens.find(digest("secret-a"), NOW) is None
    revoked = await state.tokens.get("tok_a")
    assert revoked is not None and revoked.revoked == NOW and not revoked.usable(NOW)


async def test_last_use_listing_collection_revocation_and_pruning(state: State) -> None:
    await state.tokens.add(token("tok_1"), digest("1"))
    await state.tokens.add(token("tok_2", expires=NOW - 1), digest("2"))
    await state.tokens.add(token("tok_3", collection="kb"), digest("3"))
    await state.tokens.touch("tok_1", NOW)
    assert [t.id for t in await state.tokens.list("desk")] == ["tok_1", "tok_2"]
    assert len(await state.tokens.list()) == 3
    assert (await state.tokens.list("desk"))[0].last_used == NOW
    assert await state.tokens.revoke_collection("kb", NOW) == 1
    assert await state.tokens.prune(NOW) == 2  # the expired one and the revoked one
    assert [t.id for t in await state.tokens.list()] == ["tok_1"]


async def test_stored_collections_are_kept_by_name(state: State) -> None:
    await state.collections.put("ops", {"name": "ops", "tenant": "acme"})
    await state.collections.put("ops", {"name": "ops", "tenant": "acme", "read_only": True})
    await state.collections.put("b", {"name": "b", "tenant": "acme"})
    assert await state.collections.get("ops") == {"name": "ops", "tenant": "acme", "read_only": True}
    assert [c["name"] for c in await state.collections.list()] == ["b", "ops"]
    assert await state.collections.delete("ops")
    assert not await state.collections.delete("ops")
    assert await state.collections.get("ops") is None


async def test_the_embedded_store_survives_a_restart(tmp_path: object) -> None:
    from halo_mcp.state.embedded import EmbeddedState

    path = f"{tmp_path}/state.db"
    first = EmbeddedState(path)
    await first.tokens.add(token("tok_r"), digest("restart"))
    await first.collections.put("ops", {"name": "ops", "tenant": "acme"})
    first.close()
    again = EmbeddedState(path)
    try:
        assert await again.tokens.find(digest("restart"), NOW) == token("tok_r")
        assert await again.collections.get("ops") == {"name": "ops", "tenant": "acme"}
    finally:
        again.close()


async def test_sign_in_records_expire_and_a_taken_one_is_gone_for_every_other_taker(state: State) -> None:
    store = state.signin
    await store.put("code", "c1", b"grant", NOW + 60)
    await store.put("halo", "acme/agent/1", b"sealed", None)
    assert await store.get("code", "c1", NOW) == b"grant"
    assert await store.get("code", "c1", NOW + 60) is None  # expired at its instant
    assert await store.get("refresh", "c1", NOW) is None  # kinds are apart
    taken = await asyncio.gather(*(store.take("code", "c1", NOW) for _ in range(5)))
    assert taken.count(b"grant") == 1 and taken.count(None) == 4
    await store.put("code", "c2", b"old", NOW - 1)
    assert await store.prune(NOW) == 1
    assert await store.get("halo", "acme/agent/1", NOW + 10**9) == b"sealed"  # no expiry
    assert await store.delete("halo", "acme/agent/1") and not await store.delete("halo", "acme/agent/1")
    claims = [await store.claim("lease", "p", b"1", NOW + 30, NOW) for _ in range(3)]
    assert claims == [True, False, False]
    assert await store.claim("lease", "p", b"1", NOW + 60, NOW + 30)  # an expired lease is free again
