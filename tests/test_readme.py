"""The README is what a newcomer reads first: its numbers come from the sandbox, its configurations parse, its
first screen is two commands, every setting the server reads is documented, and the licence it promises ships."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from halo_mcp.config import HaloSettings, ServerSettings
from halo_mcp.costs import compact_json, count
from halo_mcp.sandbox import Sandbox
from halo_mcp.tools import load_all
from halo_mcp.tools.toolsets import selection_from

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

# Each noun of the README's sandbox data line and the seeded table it counts (inactive rows included: the seed).
SEEDED = {
    "clients": "Client",
    "sites": "Site",
    "users": "Users",
    "agents": "Agent",
    "teams": "Team",
    "ticket types": "TicketType",
    "categories": "Category",
    "outcomes": "Outcome",
    "tickets": "Tickets",
    "KB articles": "KBArticle",
    "assets": "Asset",
}


def _data_line() -> str:
    found = re.search(r"^- \*\*Data\*\*.*?(?=^- \*\*)", README, re.M | re.S)
    assert found, "the README's sandbox section has no '- **Data**' bullet"
    return " ".join(found.group(0).split())


def test_the_sandbox_numbers_in_the_readme_are_the_seeded_ones(fresh_sandbox: Sandbox) -> None:
    sandbox = fresh_sandbox  # as seeded: the session sandbox has seen other tests' writes
    assert sandbox.app is not None
    line = _data_line()
    nouns = "|".join(sorted(map(re.escape, SEEDED), key=len, reverse=True))
    stated = {noun: text for text, noun in re.findall(rf"(\d[\d,+]*) ({nouns})\b", line)}
    assert set(stated) == set(SEEDED), f"stated: {sorted(stated)}"
    wrong = {
        noun: (text, sandbox.app.store.count(table))
        for noun, table in SEEDED.items()
        if (text := stated[noun]) != f"{sandbox.app.store.count(table):,}"
    }
    assert not wrong, f"README says / the seed has: {wrong}"
    priorities = sandbox.app.store.count("Priority")
    assert f"P1-P{priorities}" in line


def test_the_first_screen_is_two_commands() -> None:
    first = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first and README.index(first.group(0)) < README.index("\n## ")
    commands = [line.split("#")[0].strip() for line in first.group(1).splitlines()]
    assert commands == ["make demo", "make test"]


def test_every_client_configuration_parses_and_starts_the_server() -> None:
    blocks = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README, re.S)]
    servers = [entry for block in blocks for entry in (block.get("mcpServers") or block.get("servers") or {}).values()]
    assert len(servers) >= 3, "Claude Desktop, Cursor and VS Code each get a configuration"
    for server in servers:
        assert server["command"] == "halo-mcp" and server["args"] == ["serve"], server
        assert {"HALO_URL", "HALO_CLIENT_ID", "HALO_CLIENT_SECRET"} <= set(server["env"]), server
    for client in ("Claude Desktop", "Claude Code", "Cursor", "VS Code", "claude mcp add", "pipx install", "uvx"):
        assert client in README, client


def test_the_licence_the_metadata_promises_ships() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "halo-mcp contributors" in licence
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "MIT"


def test_every_setting_the_server_reads_is_documented() -> None:
    settings = [f"HALO_{f.upper()}" for f in HaloSettings.model_fields]
    settings += [f"HALO_MCP_{f.upper()}" for f in ServerSettings.model_fields]
    missing = [name for name in settings if not re.search(rf"`{name}[`=]", README)]
    assert not missing, f"document these in README.md: {missing}"
    named = {name for name in re.findall(r"\bHALO_[A-Z0-9_]+", README) if not name.endswith("_")}  # not HALO_MCP_*
    assert named <= set(settings), f"the README names settings nobody reads: {named - set(settings)}"


def test_the_tools_list_costs_in_the_readme_are_the_measured_ones() -> None:
    load_all()
    measured = {}
    for selection in ("default", "all"):
        tools = [
            t.to_mcp().model_dump(by_alias=True, exclude_none=True, mode="json")
            for t in selection_from([selection]).tools()
        ]
        measured[selection] = (len(tools), count(compact_json({"tools": tools})))
    default = re.search(r"is \*\*(\d+) tools costing ([\d,]+) tokens\*\* of `tools/list`", README)
    every = re.search(r"every agent toolset together is (\d+) tools and ([\d,]+) tokens", README)
    assert default and every, "the README's Tools section states both tools/list costs"
    stated = {s: (int(m.group(1)), int(m.group(2).replace(",", ""))) for s, m in (("default", default), ("all", every))}
    assert stated == measured, f"README says / tools/list measures: {stated} / {measured}"
