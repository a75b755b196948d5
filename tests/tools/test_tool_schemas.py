"""Declared tools' input schemas come from `data/tool_schemas.json` (scripts/gen_tool_schemas.py), so a start-up
lists tools without building their argument models (issue 13). The file must say exactly what the models say."""

from __future__ import annotations

import subprocess
import sys

from halo_mcp.tools import load_all
from halo_mcp.tools.framework import committed_schemas, compact_schema, registry
from tests.helpers import subprocess_env


def test_the_committed_schemas_are_what_the_argument_models_say() -> None:
    load_all()
    generated = {t.name: compact_schema(t.args.model_json_schema()) for t in registry}
    stale = sorted(name for name in generated.keys() | committed_schemas().keys()
                   if generated.get(name) != committed_schemas().get(name))  # fmt: skip
    assert stale == [], f"run `python scripts/gen_tool_schemas.py`: {', '.join(stale)} changed"
    assert all(t.input_schema() == generated[t.name] for t in registry)


def test_listing_builds_no_argument_model_and_the_first_call_builds_its_own() -> None:
    code = (
        "from halo_mcp.config import HaloSettings, ServerSettings\n"
        "from halo_mcp.server.surface import Surface\n"
        "surface = Surface(HaloSettings(), ServerSettings())\n"
        "built = [t.name for t in surface.tools if t.args.__pydantic_complete__]\n"
        "surface.tool('get_ticket').args.model_validate({'id': 5})\n"
        "print(len(surface.tools), built, [t.name for t in surface.tools if t.args.__pydantic_complete__])\n"
    )
    env = subprocess_env(None, HALO_URL="http://127.0.0.1:9", HALO_CLIENT_ID="id", HALO_CLIENT_SECRET="secret")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    listed, before, after = done.stdout.strip().split(" ", 2)
    assert int(listed) >= 15
    assert (before, after) == ("[]", "['get_ticket']")
