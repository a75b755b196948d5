"""Per-request cost of a signed-in person's token: the JWT's signature and claims (HS256, key ring), its grant's
revocation, and the person's Halo sign-in still being there (two SQLite lookups), as `ResourceServer.verify` runs
them on every request to an `oauth` collection. Target: under 0.2 ms p50.

Set-up: one WAL SQLite file, no network (verification never calls Halo).
Run: `.venv/bin/python bench/signin.py [--n 5000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time

from halo_mcp.halo.auth import HaloToken
from halo_mcp.server.auth.cimd import MetadataDocuments
from halo_mcp.server.auth.keys import KeyRing
from halo_mcp.server.auth.provider import HaloAuthProvider
from halo_mcp.state.embedded import EmbeddedState

BASE = "https://mcp.example.com"
SUBJECT = "acme/agent/1"


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state = EmbeddedState(os.path.join(tmp, "state.db"))
        provider = HaloAuthProvider(
            state.signin,
            KeyRing.parse(KeyRing.new_secret()),
            issuer=BASE,
            base_url=BASE,
            collections=dict,
            halo=lambda tenant: None,  # type: ignore[arg-type,return-value]
            documents=MetadataDocuments([]),
        )
        tokens = await provider._tokens("client", ["halo:read"], f"{BASE}/mcp/desk", SUBJECT)
        await provider.save_halo_grant(SUBJECT, HaloToken("halo-access", "halo-refresh", time.time() + 3600, "all"))
        timings = []
        for _ in range(n):
            started = time.perf_counter()
            found = await provider.load_access_token(tokens.access_token)
            assert found is not None and found.subject is not None
            assert await provider.has_halo_grant(found.subject)
            timings.append((time.perf_counter() - started) * 1000)
        state.close()
    timings.sort()
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(f"token verification: p50 {p50:.3f} ms, p99 {p99:.3f} ms over {n:,} requests")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    asyncio.run(main(parser.parse_args().n))
