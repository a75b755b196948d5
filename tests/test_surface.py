"""The tool surface is public API: a committed snapshot (names, schemas, annotations) and token budgets.

After an intended change, refresh the snapshot with `UPDATE_SNAPSHOTS=1 make pytest` and commit it.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from halo_mcp.costs import compact_json, count, tool_tokens
from halo_mcp.tools import load_all
from halo_mcp.tools.framework import registry
from halo_mcp.tools.toolsets import TOOLSETS, required_scope, selection_from

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"
CORE_CONTRACT = {
    "tickets": {"list_tickets", "get_ticket", "create_ticket", "update_ticket", "add_action", "add_note", "log_time",
                "assign_ticket", "find_similar"},
    "knowledge": {"search_kb", "get_kb_article"},
    "directory": {"lookup", "find_users", "get_user", "find_clients"},
    "assets": {"list_assets", "get_asset"},
    "services": {"search_services"},
    "reports": {"list_reports", "run_report", "query_sql"},
    "attachments": {"list_attachments", "get_attachment", "add_attachment"},
    "api": {"search_operations", "call_operation"},
}  # fmt: skip


def surface_dump() -> list[dict[str, object]]:
    load_all()
    return [
        {"toolset": t.toolset, "kind": t.kind, **t.to_mcp().model_dump(by_alias=True, exclude_none=True, mode="json")}
        for t in registry
    ]


def test_core_tool_contract_exists_in_its_toolsets() -> None:
    load_all()
    for toolset, names in CORE_CONTRACT.items():
        present = {t.name for t in registry if t.toolset == toolset}
        assert names <= present, f"{toolset} lacks {sorted(names - present)}"


def test_tool_surface_matches_the_committed_snapshot() -> None:
    current = surface_dump()
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail("snapshot was missing and has been written; review and commit tests/snapshots/tools.json")
    committed = json.loads(SNAPSHOT.read_text())
    assert current == committed, "the tool surface changed: run UPDATE_SNAPSHOTS=1 make pytest and commit the snapshot"


def test_every_tool_has_a_title_description_and_refuses_unknown_arguments() -> None:
    for entry in surface_dump():
        assert entry["title"] and entry["description"], entry["name"]
        assert isinstance(entry["inputSchema"], dict), entry["name"]
    for t in registry:  # the listed schema leaves additionalProperties out (tokens); validation still refuses
        assert t.args.model_config.get("extra") == "forbid", t.name


def test_annotations_follow_the_kind_and_omit_mcp_defaults() -> None:
    """MCP's defaults: readOnly false, destructive true, idempotent false, openWorld true. Only differences are sent."""
    load_all()
    for t in registry:
        hints = t.annotations
        assert hints.title is None and hints.open_world_hint is None, t.name
        if t.kind == "read" and not t.dynamic_kind:
            assert hints.read_only_hint is True and hints.destructive_hint is None, t.name
        else:
            assert hints.read_only_hint is None, t.name  # i.e. false
            destructive = t.kind == "delete" or t.dynamic_kind
            assert hints.destructive_hint is (None if destructive else False), t.name


def test_default_tools_list_fits_the_budget() -> None:
    load_all()
    tools = [t.to_mcp() for t in selection_from(["default"]).tools()]
    listing = count(
        compact_json({"tools": [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]})
    )
    assert listing <= 2500, f"default tools/list costs {listing} tokens (budget 2,500)"
    assert all(tool_tokens(t) <= 450 for t in tools), sorted((tool_tokens(t), t.name) for t in tools)[-3:]


def test_read_only_default_hides_every_write() -> None:
    load_all()
    tools = selection_from(["default"], read_only=True).tools()
    assert tools and all(t.kind == "read" or t.dynamic_kind for t in tools)


def test_every_toolset_has_tools() -> None:
    load_all()
    for ts in TOOLSETS:
        chosen = selection_from([ts.name])
        assert chosen.tools() or replace(chosen, audience="user").tools(), ts.name  # selfservice: user tools


def test_scope_is_least_privilege_for_what_is_exposed() -> None:
    load_all()
    tickets_only = required_scope(selection_from(["tickets"]))
    # client, site and user names are resolved with customers; find_similar also reads the KB
    assert set(tickets_only.split()) == {"read:tickets", "edit:tickets", "read:customers", "read:kb"}
    assert required_scope(selection_from(["tickets", "knowledge"], read_only=True)).split() == [
        "read:customers",
        "read:kb",
        "read:tickets",
    ]
    assert required_scope(selection_from(["default"])) == "all"  # the API long tail can reach anything
    read_only_all = required_scope(selection_from(["all"], read_only=True)).split()
    assert read_only_all and all(s.startswith("read:") for s in read_only_all)
