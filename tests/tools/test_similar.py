"""find_similar: the BM25 ranker in isolation, then the tool over real MCP and real HTTP to the sandbox."""

from __future__ import annotations

import math
import time
from typing import Any

import anyio
import pytest
from mcp import Client

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools.similar import Bm25, Doc, SimilarIndex, query_terms, stem, words
from tests.helpers import call, halo_settings_for, text

# -- the ranker ------------------------------------------------------------------------------------------------


def test_stemming_joins_inflections_and_keeps_short_words() -> None:
    assert {stem(w) for w in ("drops", "dropping", "dropped", "drop")} == {"drop"}
    assert {stem(w) for w in ("disconnects", "disconnecting", "disconnected")} == {"disconnect"}
    assert stem("batteries") == "battery"
    assert stem("issues") == stem("issue")
    assert stem("status") == "status" and stem("vpn") == "vpn"


def test_stop_words_and_single_letters_are_dropped() -> None:
    assert [s for s, _ in words("Hi, the VPN is dropping again - please help a user")] == [
        "vpn",
        "drop",
        "help",
        "user",
    ]


def test_summary_words_outweigh_the_same_words_in_a_body() -> None:
    bm = Bm25()
    weights = {"summary": 3.0, "details": 1.0}
    bm.add("a", {"summary": "printer offline", "details": "the second floor device needs toner"}, weights)
    bm.add("b", {"summary": "toner low", "details": "printer offline since monday on floor two"}, weights)
    bm.add("c", {"summary": "password reset", "details": "locked out of my account"}, weights)
    hits = bm.search(query_terms([("printer offline", 1.0)])[0])
    assert [h.key for h in hits] == ["a", "b"]
    assert hits[0].score > hits[1].score > 0
    assert set(hits[0].contributions) == {"printer", stem("offline")}


def test_rare_words_count_more_than_common_ones() -> None:
    bm = Bm25()
    for i in range(20):
        bm.add(f"common{i}", {"summary": "laptop slow"}, {})
    bm.add("rare", {"summary": "laptop bitlocker recovery"}, {})
    assert bm.idf("bitlocker") > bm.idf("laptop")
    assert bm.search({"laptop": 1.0, "bitlocker": 1.0})[0].key == "rare"


def test_accept_filters_and_removal_forgets_terms() -> None:
    bm = Bm25()
    bm.add("t:1", {"summary": "vpn drops"}, {})
    bm.add("kb:1", {"name": "vpn keepalive"}, {})
    assert [h.key for h in bm.search({"vpn": 1.0}, lambda k: k.startswith("kb:"))] == ["kb:1"]
    bm.remove("kb:1")
    assert "keepalive" not in bm.postings and len(bm) == 1
    bm.add("t:1", {"summary": "printer jam"}, {})  # re-indexing replaces the old terms
    assert bm.search({"vpn": 1.0}) == [] and bm.total_length == 2


def test_query_terms_dampen_repeats_and_remember_surface_words() -> None:
    weighted, surface = query_terms([("VPN vpn vpn drops", 1.0), ("London", 2.0)])
    assert weighted["vpn"] < 3 and weighted["london"] > 1
    assert surface["drop"] == "drops"


def _doc(i: int) -> Doc:
    return Doc(key=f"t:{i}", kind="ticket", id=i, title=f"t{i}", fields={"summary": f"word{i} shared"})


def test_index_is_bounded_and_evicts_least_recently_used() -> None:
    index = SimilarIndex(max_docs=10)
    for i in range(10):
        index.put(_doc(i))
    index.touch("t:0")  # recently used: survives
    for i in range(10, 15):
        index.put(_doc(i))
    assert len(index) == 10 and len(index.bm25) == 10 and index.evicted == 5
    assert "t:0" in index.docs and "t:1" not in index.docs
    assert "word1" not in index.bm25.postings  # evicted documents leave no postings behind
    assert len(index.bm25.postings[stem("shared")]) == 10


# -- the tool ----------------------------------------------------------------------------------------------------

pytestmark = pytest.mark.anyio


async def _open_ticket_of_family(client: Client, family: str) -> dict[str, Any]:
    result = await call(client, "list_tickets", search=family, state="open", limit=25)
    assert not result.is_error, text(result)
    rows = result.structured_content["rows"]
    columns = result.structured_content["columns"]
    assert rows, f"the sandbox has no open {family} ticket"
    return dict(zip(columns, rows[0], strict=True))


def _matches(result: Any) -> list[dict[str, Any]]:
    structured = result.structured_content
    return [dict(zip(structured["columns"], row, strict=True)) for row in structured["rows"]]


async def test_vpn_ticket_finds_vpn_tickets_a_resolution_and_a_kb_article(client: Client, sandbox: Sandbox) -> None:
    ticket = await _open_ticket_of_family(client, "VPN")
    result = await call(client, "find_similar", ticket_id=ticket["id"])
    assert not result.is_error, text(result)
    matches = _matches(result)
    tickets = [m for m in matches if m["type"] == "ticket"]
    articles = [m for m in matches if m["type"] == "kb"]
    assert ticket["id"] not in [m["id"] for m in tickets]  # never the query ticket itself
    assert all("vpn" in m["title"].lower() or "vpn" in m["why"].lower() for m in tickets[:3])
    resolved = [m for m in tickets if m.get("resolution")]
    assert resolved, text(result)
    assert resolved[0]["why"].startswith("shares:") and "«" not in resolved[0]["resolution"]  # delimited in text only
    assert articles and any(w in articles[0]["title"].lower() for w in ("vpn", "gateway", "tunnel")), text(result)
    assert "shares:" in text(result)


async def test_text_query_ranks_by_shared_words(client: Client) -> None:
    result = await call(client, "find_similar", text="printer offline, jobs stuck in the print queue")
    assert not result.is_error, text(result)
    top = _matches(result)[0]
    assert "print" in top["title"].lower() and "print" in top["why"]


async def test_warm_calls_reuse_the_index(surface: Surface, client: Client) -> None:
    ticket = await _open_ticket_of_family(client, "VPN")
    before = surface.halo.request_count
    started = time.perf_counter()
    cold = await call(client, "find_similar", ticket_id=ticket["id"])
    cold_ms = (time.perf_counter() - started) * 1000
    cold_requests = surface.halo.request_count - before
    before = surface.halo.request_count
    started = time.perf_counter()
    warm = await call(client, "find_similar", ticket_id=ticket["id"])
    warm_ms = (time.perf_counter() - started) * 1000
    warm_requests = surface.halo.request_count - before
    print(f"find_similar cold {cold_ms:.0f} ms / {cold_requests} requests; warm {warm_ms:.0f} ms / {warm_requests}")
    assert not cold.is_error and not warm.is_error
    assert _matches(cold) == _matches(warm)
    # the ticket, the index and the resolutions are cached; the client's open tickets are read fresh (duplicates)
    assert warm_requests == 1
    assert cold_requests <= 40


async def test_refresh_is_incremental_and_sees_new_tickets(fresh_sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    surface.context.extras["similar_index"] = index = SimilarIndex(ttl=0)  # refresh on every call
    try:
        async with Client(surface.server) as client:
            first = await call(client, "find_similar", text="quokka enclosure badge reader")
            assert "quokka" not in text(first).lower()
            indexed = index.count("ticket")
            await surface.halo.post("Tickets", {"summary": "Quokka enclosure badge reader dead", "details": "x"})
            before = surface.halo.request_count
            second = await call(client, "find_similar", text="quokka enclosure badge reader")
            refresh_requests = surface.halo.request_count - before
        assert "Quokka enclosure badge reader dead" in text(second)
        assert refresh_requests <= 4  # one page of changes (plus the KB check), not a rebuild
        assert index.count("ticket") == indexed + 1
    finally:
        await surface.aclose()


async def test_concurrent_cold_calls_build_the_index_once(fresh_sandbox: Sandbox) -> None:
    surface = Surface(halo_settings_for(fresh_sandbox), ServerSettings(toolsets="all"))
    texts = ["vpn keeps disconnecting", "printer offline", "outlook not receiving email", "black screen"]
    results: list[Any] = []
    try:
        async with Client(surface.server) as client:
            fresh_sandbox.reset_counters()

            async def one(query: str) -> None:
                results.append(await call(client, "find_similar", text=query))

            async with anyio.create_task_group() as tg:
                for query in texts:
                    tg.start_soon(one, query)
        routes = fresh_sandbox.counters()["routes"]
        indexed = surface.context.extras["similar_index"].count("ticket")
    finally:
        await surface.aclose()
    assert len(results) == 4 and not any(r.is_error for r in results)
    ticket_pages = sum(n for route, n in routes.items() if route.endswith("/Tickets"))
    kb_pages = sum(n for route, n in routes.items() if route.endswith("/KBArticle"))
    assert ticket_pages == math.ceil(indexed / 100) and kb_pages == 1, routes  # one build shared by all four


async def test_index_cap_holds_during_a_real_call(surface: Surface, client: Client) -> None:
    surface.context.extras["similar_index"] = index = SimilarIndex(max_docs=300)
    result = await call(client, "find_similar", text="vpn keeps disconnecting")
    assert not result.is_error, text(result)
    assert len(index) <= 300 and len(index.bm25) == len(index) and index.evicted > 0


async def test_unknown_ticket_is_an_actionable_error(client: Client) -> None:
    result = await call(client, "find_similar", ticket_id=99_999_999)
    assert result.is_error and "no ticket 99999999" in text(result)


async def test_neither_ticket_nor_text_is_an_error(client: Client) -> None:
    result = await call(client, "find_similar")
    assert result.is_error and "ticket_id" in text(result) and "text" in text(result)
    result = await call(client, "find_similar", text="the and of")
    assert result.is_error and "searchable words" in text(result)
