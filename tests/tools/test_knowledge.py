"""search_kb and get_kb_article over real MCP, real HTTP to the sandbox."""

from __future__ import annotations

import re

import pytest
from mcp import Client

from halo_mcp.costs import compact_json, count, result_tokens
from halo_mcp.server.surface import Surface
from tests.helpers import call, text

pytestmark = pytest.mark.anyio


def _names(result: object) -> list[str]:
    structured = result.structured_content  # type: ignore[attr-defined]
    col = structured["columns"].index("name")
    return [row[col] for row in structured["rows"]]


async def test_search_ranks_matching_articles_first(client: Client) -> None:
    result = await call(client, "search_kb", query="VPN disconnecting")
    assert not result.is_error, text(result)
    names = _names(result)
    assert names and "vpn" in names[0].lower()
    assert text(result).startswith(f"{len(names)} articles\n«id|name|tags")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How do I connect to the guest Wi-Fi?", "wi-fi"),  # the seed's L1 workflow
        ("my authenticator app stopped working after I got a new phone", "authenticator"),
    ],
)
async def test_questions_find_the_right_article(client: Client, question: str, expected: str) -> None:
    result = await call(client, "search_kb", query=question, limit=5)
    assert not result.is_error, text(result)
    names = _names(result)
    assert expected in names[0].lower() or expected.replace("-", "") in names[0].lower(), names


async def test_ten_hits_cost_a_fraction_of_halo_raw_json(surface: Surface, client: Client) -> None:
    raw = await surface.halo.get("KBArticle", {"search": "error", "pageinate": True, "page_size": 10})
    assert len(raw["articles"]) == 10
    result = await call(client, "search_kb", query="error", limit=10)
    assert len(_names(result)) == 10
    ratio = result_tokens(result) / count(compact_json(raw))
    print(f"search_kb 10 hits: {result_tokens(result)} tokens vs raw {count(compact_json(raw))} -> {ratio:.2f}")
    assert ratio <= 0.25


async def test_article_is_readable_steps_not_html(client: Client) -> None:
    hit = await call(client, "search_kb", query="printer", limit=1)
    article_id = hit.structured_content["rows"][0][0]
    result = await call(client, "get_kb_article", id=article_id)
    assert not result.is_error, text(result)
    body = text(result)
    assert f"id: {article_id}" in body and "steps: «1. " in body
    assert re.search(r"\n2\. ", body)
    assert not re.search(r"</?(p|li|ol|ul|h3)>", body)
    assert "«" in body and "»" in body


async def test_unknown_article_says_how_to_find_ids(client: Client) -> None:
    result = await call(client, "get_kb_article", id=987654)
    assert result.is_error and "no knowledge base article 987654" in text(result) and "search_kb" in text(result)


async def test_empty_and_hopeless_searches(client: Client) -> None:
    result = await call(client, "search_kb", query="")
    assert result.is_error and "query" in text(result)
    result = await call(client, "search_kb", query="   ")
    assert result.is_error and "query is empty" in text(result)
    result = await call(client, "search_kb", query="zzqqxxyy")
    assert not result.is_error and text(result).startswith("no articles found") and "try other words" in text(result)
