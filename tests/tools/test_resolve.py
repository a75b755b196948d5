"""Name matching: exact wins, unique prefixes are accepted, near misses are never guessed."""

from __future__ import annotations

import pytest

from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.resolve import Entity, pick, rank


def entities(kind: str, names: list[str]) -> list[Entity]:
    return [Entity(kind, i, n, {"id": i, "name": n}) for i, n in enumerate(names, start=1)]


TEAMS = entities("team", ["Service Desk", "Network", "Infrastructure", "Identity", "Security", "DevOps"])
PRIORITIES = entities("priority", ["P1 - Critical", "P2 - High", "P3 - Medium", "P4 - Low"])


def test_exact_match_is_case_insensitive() -> None:
    assert pick("team", "network", TEAMS).id == 2


def test_unique_prefix_is_accepted() -> None:
    assert pick("priority", "P2", PRIORITIES).name == "P2 - High"
    assert pick("team", "infra", TEAMS).id == 3


def test_typo_yields_candidates_not_a_wrong_id() -> None:
    with pytest.raises(ToolError, match=r"did you mean 'Network' \(id 2\)"):
        pick("team", "Netwrok", TEAMS)


def test_ambiguous_prefix_lists_the_candidates() -> None:
    with pytest.raises(ToolError, match="matches several") as info:
        pick("team", "i", [*TEAMS, Entity("team", 9, "Identity Ops", {"id": 9, "name": "Identity Ops"})])
    assert "Identity" in str(info.value)


def test_nothing_close_in_a_small_table_lists_every_valid_value() -> None:
    with pytest.raises(ToolError, match=r"no team named 'zzzzqqq'; valid teams \(nearest first\): 'Service Desk'"):
        pick("team", "zzzzqqq", TEAMS)


def test_rank_orders_exact_before_fuzzy() -> None:
    assert rank(TEAMS, "security")[0].name == "Security"
