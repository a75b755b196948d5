"""Generate the declared tools' input schemas (`src/halo_mcp/data/tool_schemas.json`) from their `Args` models.

Usage: python scripts/gen_tool_schemas.py [OUT]
  OUT defaults to src/halo_mcp/data/tool_schemas.json.

Why: building every argument model and its JSON schema at start-up was a third of the server's own cold start
(issue 13), for a listing that only changes when the code does. The server reads this file for `tools/list` and
builds a tool's model on its first call; `tests/tools/test_tool_schemas.py` fails when the file and the models
differ, so run this after changing an `Args` model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from halo_mcp.tools import load_all
from halo_mcp.tools.framework import compact_schema, registry

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "src" / "halo_mcp" / "data" / "tool_schemas.json"


def schemas() -> dict[str, dict[str, object]]:
    """Every declared tool's compact input schema, by name, in listing order."""
    load_all()
    return {t.name: compact_schema(t.args.model_json_schema()) for t in registry}


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    found = schemas()
    out.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(found)} tool schemas -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
