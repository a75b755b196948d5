"""Cold start and memory (issue 13): a stdio server answers `tools/list` without importing what only other paths
need: the SDK's client and `MCPServer`, the HTTP clients, Prometheus, the SQL parser, cryptography, the modules of
toolsets it does not serve. Each was measured on the start-up path and deferred; this keeps them out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest

from halo_mcp.sandbox import Sandbox
from halo_mcp.tools import MODULE_TOOLSET, load_all
from halo_mcp.tools.framework import registry
from tests.helpers import LEGACY_INITIALIZE, CliServer, http_client, subprocess_env, text

# `halo-mcp serve` in a process that writes its sys.modules to a file on the way out.
SCRIPT = """
import atexit, sys
from halo_mcp.cli import main

out = sys.argv[1]
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.exit(main(["serve"]))
"""
# Imported on demand only: the SDK's client and MCPServer, HTTP clients, /metrics, the SQL guard, the sandbox, and
# cryptography (about 6 MiB resident) until something is sealed: a 2026-07-28 question, sign-in, shared state.
DEFERRED = (
    "mcp.client",
    "mcp.server.mcpserver",
    "mcp.server.request_state",
    "cryptography",
    "jwt",
    "aiohttp",
    "httpx2",
    "prometheus_client",
    "sqlglot",
    "halo_mcp.sandbox",
    "halo_mcp.server.http",
    # Tool modules of toolsets the default selection does not serve.
    "halo_mcp.tools.attachments",
    "halo_mcp.tools.billing",
    "halo_mcp.tools.suggest",
    "halo_mcp.tools.selfservice",
)


def serve_stdio_once(tmp_path: Path, **settings: str) -> tuple[dict[str, Any], set[str]]:
    """Initialize and list the tools over a real stdio server, then close its input; (tools/list result, modules)."""
    modules = tmp_path / "modules.txt"
    env = subprocess_env(
        None, HALO_URL="http://127.0.0.1:9", HALO_CLIENT_ID="id", HALO_CLIENT_SECRET="secret", **settings
    )
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(modules)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        messages = (
            LEGACY_INITIALIZE,
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        )
        proc.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
        proc.stdin.flush()
        answers = [json.loads(proc.stdout.readline()) for _ in range(2)]
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
    return answers[1]["result"], set(modules.read_text().split())


def test_a_stdio_server_lists_its_tools_without_importing_what_only_other_paths_need(tmp_path: Path) -> None:
    listed, modules = serve_stdio_once(tmp_path)
    assert "get_ticket" in {t["name"] for t in listed["tools"]}
    assert "mcp.server.lowlevel.server" in modules  # the check sees the server's own imports
    assert [m for m in sorted(modules) if any(m == d or m.startswith(f"{d}.") for d in DEFERRED)] == []


def test_a_server_of_other_toolsets_loads_their_modules(tmp_path: Path) -> None:
    listed, modules = serve_stdio_once(tmp_path, HALO_MCP_TOOLSETS="billing,attachments")
    assert {"time_logged", "client_contracts", "get_attachment"} <= {t["name"] for t in listed["tools"]}
    assert {"halo_mcp.tools.billing", "halo_mcp.tools.attachments"} <= modules
    assert "halo_mcp.tools.suggest" not in modules


def test_every_tool_module_declares_the_toolset_the_loader_expects() -> None:
    load_all()
    for t in registry:
        package, _, module = t.handler.__module__.rpartition(".")
        if package != "halo_mcp.tools":
            continue  # a test's own tool
        assert MODULE_TOOLSET.get(module, module) == t.toolset, t.name


def test_the_sdk_packages_run_their_own_initialisers_at_the_first_name_used_from_them() -> None:
    code = (
        "import sys\n"
        "import halo_mcp.server.surface\n"
        "assert 'mcp.client' not in sys.modules\n"
        "from mcp import Client, ClientSession\n"
        "import mcp.server\n"
        "print(Client.__module__, ClientSession.__module__, mcp.server.MCPServer.__module__, len(mcp.__all__))\n"
    )
    argv = [sys.executable, "-c", code]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=subprocess_env())
    assert done.returncode == 0, done.stderr
    client, session, server, exported = done.stdout.split()
    assert (client, session, server) == ("mcp.client.client", "mcp.client.session", "mcp.server.mcpserver.server")
    assert int(exported) > 50


def maps_cryptography(pid: int) -> bool:
    """Whether the process has cryptography's compiled bindings mapped (about 6 MiB resident once loaded)."""
    with open(f"/proc/{pid}/maps") as f:
        return "cryptography/hazmat/bindings" in f.read()


@pytest.mark.anyio
async def test_an_http_server_loads_cryptography_at_its_first_question_and_seals_it(sandbox: Sandbox) -> None:
    """Reads never seal anything, so cryptography stays out of the process; the first 2026-07-28 question seals its
    `requestState` (the SDK's boundary is made then) and the answer that comes back is opened."""
    server = CliServer(subprocess_env(sandbox))
    asked: list[str] = []

    async def decline(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="decline")

    try:
        async with http_client(server.url, elicitation_callback=decline) as client:
            read = await client.call_tool("get_ticket", {"id": 1})
            assert not read.is_error, text(read)
            assert not maps_cryptography(server.proc.pid)
            arguments = {"operation": "DELETE /Tickets/{id}", "arguments": {"id": 1}}
            declined = await client.call_tool("call_operation", arguments)
            assert declined.is_error and "nothing was changed in Halo" in text(declined), text(declined)
            assert maps_cryptography(server.proc.pid)
    finally:
        server.stop()
    assert len(asked) == 1
