"""AI-created marking: how an admin can tell in Halo what a collection created.

Halo flags what its own MCP collections create (`faicreated`, `aacreated`, `kbaicreated`, and the collection's
`VirtualAgent` id in `fvirtualagentid` / `avirtualagentid` / `kbvirtualagentid`; seed 002), but its API offers no
way to set those columns. So every ticket a collection creates carries a ticket tag naming it (`created_tag`, on
by default, stated by `doctor`; tools/tickets.py sends it), and the audit log keeps the full record of every write.
`virtual_agent = true` (opt-in, since it writes into the admin's Halo) also keeps a `VirtualAgent` record named
for the collection, so Halo's own list of AI agents shows it.
"""

from __future__ import annotations

from typing import Any

from halo_mcp.halo.client import HaloClient, rows_of

PREFIX = "halo-mcp: "


def virtual_agent_name(collection: str) -> str:
    return PREFIX + collection


async def ensure_virtual_agent(halo: HaloClient, collection: str) -> int:
    """The id of the collection's VirtualAgent record, created once (`POST /VirtualAgent` with its name only)."""
    name = virtual_agent_name(collection)
    existing: list[dict[str, Any]] = rows_of(await halo.get("VirtualAgent"), None)
    found = next((r for r in existing if str(r.get("name") or "") == name and r.get("id")), None)
    if found is not None:
        return int(found["id"])
    saved = await halo.post("VirtualAgent", [{"name": name}])
    row = saved[0] if isinstance(saved, list) and saved else saved
    return int(row["id"]) if isinstance(row, dict) and row.get("id") else 0
