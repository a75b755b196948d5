"""The state store's contract, on every backend: digests only, revoked and expired tokens never found, stored
collections kept by name."""

from __future__ import annotations

import hashlib

from halo_mcp.state.base import ApiToken, State

NOW = 1_800_000_000.0


def token(token_id: str, collection: str = "desk", expires: float | None = None) -> ApiToken:
    return ApiToken(token_id, collection, f"label {token_id}", NOW - 100, None, expires)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def test_a_token_is_found_by_its_digest_only_while_usable(state: State) -> None:
    state.tokens.add(token("tok_a"), digest("secret-a"))
    state.tokens.add(token("tok_b", expires=NOW + 10), digest("secret-b"))
    assert state.tokens.find(digest("secret-a"), NOW) == token("tok_a")
    assert state.tokens.find(digest("secret-b"), NOW) is not None
    assert state.tokens.find(digest("secret-b"), NOW + 10) is None  # expired at its instant
    assert state.tokens.find(digest("secret-c"), NOW) is None
    assert state.tokens.revoke("tok_a", NOW)
    assert not state.tokens.revoke("tok_a", NOW)  # once
    assert state.tokens.find(digest("secret-a"), NOW) is None
    revoked = state.tokens.get("tok_a")
    assert revoked is not None and revoked.revoked == NOW and not revoked.usable(NOW)


def test_last_use_listing_collection_revocation_and_pruning(state: State) -> None:
    state.tokens.add(token("tok_1"), digest("1"))
    state.tokens.add(token("tok_2", expires=NOW - 1), digest("2"))
    state.tokens.add(token("tok_3", collection="kb"), digest("3"))
    state.tokens.touch("tok_1", NOW)
    assert [t.id for t in state.tokens.list("desk")] == ["tok_1", "tok_2"]
    assert len(state.tokens.list()) == 3
    assert state.tokens.list("desk")[0].last_used == NOW
    assert state.tokens.revoke_collection("kb", NOW) == 1
    assert state.tokens.prune(NOW) == 2  # the expired one and the revoked one
    assert [t.id for t in state.tokens.list()] == ["tok_1"]


def test_stored_collections_are_kept_by_name(state: State) -> None:
    state.collections.put("ops", {"name": "ops", "tenant": "acme"})
    state.collections.put("ops", {"name": "ops", "tenant": "acme", "read_only": True})
    state.collections.put("b", {"name": "b", "tenant": "acme"})
    assert state.collections.get("ops") == {"name": "ops", "tenant": "acme", "read_only": True}
    assert [c["name"] for c in state.collections.list()] == ["b", "ops"]
    assert state.collections.delete("ops")
    assert not state.collections.delete("ops")
    assert state.collections.get("ops") is None


def test_the_embedded_store_survives_a_restart(tmp_path: object) -> None:
    from halo_mcp.state.embedded import EmbeddedState

    path = f"{tmp_path}/state.db"
    first = EmbeddedState(path)
    first.tokens.add(token("tok_r"), digest("restart"))
    first.collections.put("ops", {"name": "ops", "tenant": "acme"})
    first.close()
    again = EmbeddedState(path)
    try:
        assert again.tokens.find(digest("restart"), NOW) == token("tok_r")
        assert again.collections.get("ops") == {"name": "ops", "tenant": "acme"}
    finally:
        again.close()
