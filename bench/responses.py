"""2. Response cost: tokens of our tool result versus tokens of Halo's raw JSON for the same records.

The raw side is what a pass-through server would hand the model: the bodies Halo returned for the tool's main
request, captured on the wire (list pages, the ticket record), or, for `find_similar`, whose answer is assembled
from an index, the raw records of exactly the rows it returned. Every copy a host may forward counts: "ratio" is what
the default settings send (the text, plus structuredContent only for tools that declare an output schema),
"both_copies_ratio" is text plus structuredContent as `structured_output="always"` sends them, and "text_ratio" the
text block alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from common import DirectHalo, SandboxProc, new_http

LIST_TARGET = 0.10  # issue 11: a 50-row page, every copy counted


def _rows(structured: Any) -> list[dict[str, Any]]:
    data = structured or {}
    cols = data.get("columns") or []
    return [dict(zip(cols, row, strict=False)) for row in data.get("rows") or []]


async def measure(sb: SandboxProc, quick: bool = False) -> dict[str, Any]:
    """Against the default sandbox, then against one whose rows omit Halo's unset markers (the lean shape)."""
    out = await _measure_on(sb)
    lean = SandboxProc(seed=sb.seed, scale=sb.scale, shape_defaults=False).start()
    try:
        lean_cases = (await _measure_on(lean))["cases"]
    finally:
        lean.stop()
    for name, case in out["cases"].items():
        if name in lean_cases:
            case["lean_raw_tokens"] = lean_cases[name]["raw_tokens"]
            case["lean_ratio"] = lean_cases[name]["ratio"]
            case["lean_both_copies_ratio"] = lean_cases[name]["both_copies_ratio"]
    out["lean_is"] = "the same records with unset fields omitted instead of Halo's recorded unset markers"
    return out


async def _measure_on(sb: SandboxProc) -> dict[str, Any]:
    import aiohttp
    import mcp_types as types
    from mcp import Client
    from yarl import URL

    from halo_mcp.config import HaloSettings, ServerSettings
    from halo_mcp.costs import count, result_tokens
    from halo_mcp.server.surface import Surface
    from halo_mcp.tools.framework import registry

    settings = HaloSettings(
        url=sb.url, client_id=sb.client_id, client_secret=sb.client_secret, rate_limit="off", read_timeout=30.0
    )
    # "always" to read ids from the structured copy; what the default would send is computed per tool below.
    surface = Surface(settings, ServerSettings(toolsets="all", audit_db=":memory:", structured_output="always"))
    captured: list[str] = []  # every URL the server's Halo client fetched; replayed below for Halo's raw JSON
    trace = aiohttp.TraceConfig()

    async def record(session: Any, context: Any, params: aiohttp.TraceRequestEndParams) -> None:
        if params.method == "GET":
            captured.append(str(params.url))

    trace.on_request_end.append(record)
    trace.freeze()
    out: dict[str, Any] = {
        "what": "o200k_base tokens of our result (text + structuredContent) vs Halo's raw JSON for the same records",
        "target_list_ratio": LIST_TARGET,
        "cases": {},
    }
    try:
        async with Client(surface.server) as client, new_http(4) as http:
            direct = DirectHalo(sb, http)
            surface.halo.http._trace_configs.append(trace)  # bench only: aiohttp has no public hook after creation

            async def call(name: str, args: dict[str, Any]) -> types.CallToolResult:
                result = await client.call_tool(name, args)
                if result.is_error:
                    raise RuntimeError(f"{name}{args}: {result.content}")
                return result

            listing = await call("list_tickets", {"limit": 50, "state": "all"})
            ticket_id = int(_rows(listing.structured_content)[0]["id"])
            busiest = max(_rows(listing.structured_content), key=lambda r: int(r["id"]))  # a recent, open ticket
            cases: list[tuple[str, dict[str, Any], str, Callable[[Any], list[dict[str, Any]]] | None]] = [
                ("list_tickets", {"limit": 50, "state": "all"}, r"/api/Tickets$", None),
                ("get_ticket", {"id": ticket_id}, r"/api/Tickets/\d+$", None),
                ("search_kb", {"query": "VPN"}, r"/api/KBArticle$", None),
                ("list_assets", {"limit": 50}, r"/api/Asset$", None),
                ("find_similar", {"ticket_id": int(busiest["id"])}, r"^$", _rows),
            ]
            for name, args, raw_path, by_rows in cases:
                await call(name, args)  # warm: name tables, token, similarity index
                captured.clear()
                result = await call(name, args)
                if by_rows is None:
                    bodies = [(await direct.url(u)).text for u in captured if re.search(raw_path, URL(u).path)]
                    records = "the page(s) Halo returned for the tool's request"
                else:
                    bodies = []
                    for row in by_rows(result.structured_content):
                        path = f"Tickets/{row['id']}" if row.get("type") == "ticket" else f"KBArticle/{row['id']}"
                        bodies.append((await direct.get(path)).text)
                    records = "GET of each returned ticket / article"
                raw = sum(count(b) for b in bodies)
                text = sum(count(b.text) for b in result.content if isinstance(b, types.TextContent))
                both = result_tokens(result)
                declared = getattr(registry.get(name), "output_schema", None) is not None
                ours = both if declared else text
                structured = result.structured_content
                rows = len(_rows(structured)) if isinstance(structured, dict) and "rows" in structured else None
                out["cases"][name] = {
                    "arguments": args,
                    "rows": rows,
                    "raw_tokens": raw,
                    "raw_requests": len(bodies),
                    "raw_is": records,
                    "text_tokens": text,
                    "ours_tokens": ours,
                    "ratio": round(ours / raw, 3) if raw else None,
                    "both_copies_ratio": round(both / raw, 3) if raw else None,
                    "text_ratio": round(text / raw, 3) if raw else None,
                }
    finally:
        await surface.aclose()
    lists = [c for n, c in out["cases"].items() if n in ("list_tickets", "list_assets")]
    out["lists_within_target"] = all(c["ratio"] is not None and c["ratio"] <= LIST_TARGET for c in lists)
    return out
