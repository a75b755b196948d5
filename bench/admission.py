"""Per-request cost of serving collections: Host/Origin check, routing to the collection, and the API token check
(one SQLite lookup by SHA-256 digest), measured on `CollectionHost.admit`, the exact code every collection request
runs before the MCP app. Target: under 0.2 ms p50.

Set-up: 50 collections on one tenant, 1,050 tokens in a WAL SQLite file, no network (admission never calls Halo).
Run: `.venv/bin/python bench/admission.py [--n 5000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from typing import Any

import anyio

from halo_mcp.config import ServerSettings, parse_file, tenant_halo_settings
from halo_mcp.server.collections.host import CollectionHost
from halo_mcp.server.collections.service import CollectionService
from halo_mcp.server.http import transport_security
from halo_mcp.state.embedded import EmbeddedState

COLLECTIONS = 50
EXTRA_TOKENS = 1000


def scope(path: str, token: str | None = None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {"type": "http", "method": "POST", "path": path, "query_string": b"", "headers": headers}


async def measure(n: int) -> dict[str, dict[str, float]]:
    os.environ.setdefault("BENCH_HALO_ID", "bench")
    os.environ.setdefault("BENCH_HALO_SECRET", "bench")
    tenant = {
        "url": "https://bench.example",
        "client_id_env": "BENCH_HALO_ID",
        "client_secret_env": "BENCH_HALO_SECRET",
    }
    collections: list[dict[str, Any]] = [
        {"name": f"c{i}", "tenant": "acme", "toolsets": ["tickets"], "auth": ["bearer"]} for i in range(COLLECTIONS)
    ]
    collections.append({"name": "link", "tenant": "acme", "toolsets": ["tickets"], "auth": ["url_token"]})
    collections.append({"name": "open", "tenant": "acme", "toolsets": ["tickets"]})
    file = parse_file({"tenants": {"acme": tenant}, "collections": collections})
    with tempfile.TemporaryDirectory() as tmp:
        state = EmbeddedState(f"{tmp}/state.db")
        service = CollectionService(file, state, loopback=True)
        secrets = {c["name"]: (await service.issue_token(c["name"]))[0] for c in collections if c["name"] != "open"}
        for i in range(EXTRA_TOKENS):
            await service.issue_token(f"c{i % COLLECTIONS}", label=f"extra {i}")
        settings = ServerSettings(transport="http")
        tenants = {"acme": tenant_halo_settings("acme", file.tenants["acme"])}
        host = CollectionHost(service, tenants, settings, transport_security(settings))
        cases = {
            "bearer token, /mcp/<name>": lambda: scope("/mcp/c17", secrets["c17"]),
            "URL token, /mcp/t/<token>": lambda: scope(f"/mcp/t/{secrets['link']}"),
            "no auth (loopback), /mcp/<name>": lambda: scope("/mcp/open"),
        }
        out: dict[str, dict[str, float]] = {}
        async with anyio.create_task_group() as tg:
            await host.run(tg)
            for label, make in cases.items():
                for _ in range(200):  # warm
                    assert isinstance(await host.admit(make()), tuple)
                samples = []
                for _ in range(n):
                    s = make()
                    started = time.perf_counter()
                    admitted = await host.admit(s)
                    samples.append((time.perf_counter() - started) * 1000)
                    assert isinstance(admitted, tuple)
                samples.sort()
                out[label] = {
                    "p50_ms": statistics.median(samples),
                    "p95_ms": samples[int(len(samples) * 0.95)],
                    "p99_ms": samples[int(len(samples) * 0.99)],
                }
            await host.aclose()
            tg.cancel_scope.cancel()
        state.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=5000, help="requests per case (bounded: at most 50,000)")
    args = parser.parse_args()
    results = asyncio.run(measure(min(args.n, 50_000)))
    print(f"admission per request ({COLLECTIONS + 2} collections, {COLLECTIONS + 1 + EXTRA_TOKENS} tokens):")
    for label, r in results.items():
        print(f"  {label:<34} p50 {r['p50_ms']:.3f} ms  p95 {r['p95_ms']:.3f} ms  p99 {r['p99_ms']:.3f} ms")


if __name__ == "__main__":
    main()
