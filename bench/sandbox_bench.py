"""Benchmark the Halo sandbox on loopback: single-ticket GETs and 50-ticket pages.

The sandbox runs in its own process (`python -m halo_mcp.sandbox`) so the load generator does not share
its GIL; the load generator is a minimal keep-alive HTTP/1.1 client on asyncio streams. Bounded: each
phase runs for a fixed number of seconds with a fixed number of connections.
Usage: python bench/sandbox_bench.py [--seconds 5] [--concurrency 8] [--scale small]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import httpx2


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _phase(port: int, token: str, path_for: Callable[[int], str], seconds: float, conns: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = n
        while time.perf_counter() < deadline:
            raw = (
                f"GET {path_for(i)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            status = await _request(reader, writer, raw)
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
            i += conns
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(conns)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "errors": errors,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--scale", default="small")
    args = parser.parse_args()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "halo_mcp.sandbox", "--port", str(port), "--scale", args.scale],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        while True:
            try:
                if httpx2.get(url + "/_sandbox/health", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if proc.poll() is not None or time.perf_counter() - t0 > 60:
                raise SystemExit(f"sandbox did not start: {proc.stdout.read() if proc.stdout else ''}")
            time.sleep(0.05)
        print(
            f"sandbox (scale={args.scale}) ready in {time.perf_counter() - t0:.2f}s at {url} (incl. interpreter start)"
        )
        info = httpx2.get(url + "/_sandbox/info").json()
        token = httpx2.post(
            url + "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            },
        ).json()["access_token"]
        first = httpx2.get(
            url + "/api/Tickets?pageinate=true&page_size=1", headers={"Authorization": f"Bearer {token}"}
        ).json()
        total = max(1, int(first["record_count"]))
        phases: dict[str, Callable[[int], str]] = {
            "GET /api/Tickets/{id}": lambda i: f"/api/Tickets/{i % total + 1}",
            "GET /api/Tickets (page of 50)": lambda i: f"/api/Tickets?pageinate=true&page_size=50&page_no={i % 20 + 1}",
        }
        for name, path_for in phases.items():
            res = asyncio.run(_phase(port, token, path_for, args.seconds, args.concurrency))
            print(
                f"{name:30s} {res['rps']:8.0f} req/s  p50 {res['p50_ms']:6.2f} ms  p95 {res['p95_ms']:6.2f} ms  "
                f"n={res['requests']:.0f} errors={res['errors']:.0f}"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
