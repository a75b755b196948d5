"""`halo-mcp tools`: the selected tools, their definitions as sent, or their context cost (works offline)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from halo_mcp.cli.common import selection_flags, server_settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("tools", help="list the selected tools (works offline)")
    p.add_argument("--json", action="store_true", help="print the tool definitions as sent in tools/list")
    p.add_argument("--tokens", action="store_true", help="print each tool's o200k_base token cost and totals")
    selection_flags(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from halo_mcp.tools import load_all
    from halo_mcp.tools.toolsets import selection_from_settings

    load_all()
    settings = server_settings(args)
    selection = selection_from_settings(settings)
    tools = selection.tools()
    definitions = [t.to_mcp(selection).model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
    if not args.tokens:
        if args.json:
            print(json.dumps(definitions, indent=2, ensure_ascii=False))
        else:
            width = max((len(t.name) for t in tools), default=4)
            for t in tools:
                print(f"{t.name:<{width}}  {t.toolset:<11} {t.kind:<6} {t.title}")
            print(f"{len(tools)} tools", file=sys.stderr)
        return 0

    from halo_mcp.costs import compact_json, count, tool_tokens

    costs = sorted(((tool_tokens(t.to_mcp(selection)), t) for t in tools), key=lambda c: (-c[0], c[1].name))
    catalogue = count(compact_json({"tools": definitions}))
    per_toolset: dict[str, list[int]] = {}
    for cost, t in costs:
        per_toolset.setdefault(t.toolset, []).append(cost)
    if args.json:
        report = {
            "encoding": "o200k_base",
            "tools": [{"name": t.name, "toolset": t.toolset, "tokens": cost} for cost, t in costs],
            "toolsets": {name: sum(v) for name, v in sorted(per_toolset.items(), key=lambda kv: -sum(kv[1]))},
            "total": sum(c for c, _ in costs),
            "catalogue": catalogue,
        }
        print(json.dumps(report, indent=2))
        return 0
    width = max((len(t.name) for _, t in costs), default=4)
    print(f"{'tool':<{width}}  {'toolset':<11} {'tokens':>6}")
    for cost, t in costs:
        print(f"{t.name:<{width}}  {t.toolset:<11} {cost:>6}")
    print()
    print(f"{'toolset':<{width + 13}} {'tokens':>6}")
    for name, values in sorted(per_toolset.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
        label = f"{name} ({len(values)} tools)"
        print(f"{label:<{width + 13}} {sum(values):>6}")
    print()
    print(f"total: {len(costs)} tools, {sum(c for c, _ in costs)} tokens (o200k_base)")
    print(f"catalogue (tools/list result as sent): {catalogue} tokens")
    return 0
