"""[knowledge] Knowledge base: ranked search, and one article as readable steps instead of HTML."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from halo_mcp.halo.errors import HaloNotFound
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.render import compact, html_to_text, list_output, record_output, text_field, truncate
from halo_mcp.tools.similar import Doc, index_of, kb_doc, kb_hits
from halo_mcp.tools.spans import untrusted

HALO_MATCH_BOOST = 1.5  # Halo matched the whole phrase: a strong signal on top of word overlap
ARTICLE_TEXT = 6000
CLOSED_FIELDS = frozenset({"useful", "related"})  # counts, and related ids beside delimited titles


class SearchKbArgs(Args):
    query: str = Field(min_length=1, description="words or an error message")
    limit: int = Field(10, ge=1, le=50)


@tool("knowledge", title="Search the knowledge base", idempotent=True, audiences=("agent", "user"))
async def search_kb(ctx: ToolContext, args: SearchKbArgs) -> ToolOutput:
    """Find KB articles for a problem, best first; get_kb_article(id) for the steps."""
    query = args.query.strip()
    if not query:
        raise ToolError("query is empty: pass a few words describing the problem or an error message")
    data = await ctx.halo.list_page("KBArticle", "articles", {"search": query}, page_size=args.limit)
    index = index_of(ctx)
    halo_docs = [kb_doc(row) for row in data.rows if row.get("id") is not None]
    ranked = await kb_hits(ctx, query, max(args.limit * 2, 20))
    for doc in halo_docs:  # Halo may know articles the bounded index evicted
        if doc.key not in index.docs:
            index.put(doc)
    scores = {doc.key: hit.score for doc, hit in ranked}
    halo_keys = {d.key for d in halo_docs}
    pool: dict[str, Doc] = {d.key: d for d, _ in ranked} | {d.key: d for d in halo_docs}
    order = sorted(
        pool.values(), key=lambda d: -scores.get(d.key, 0.0) * (HALO_MATCH_BOOST if d.key in halo_keys else 1)
    )
    rows = [_hit_row(d) for d in order[: args.limit]]
    note = "" if rows else "try other words, a shorter phrase, or the error message text"
    return list_output("articles", rows, note=note)


def _hit_row(doc: Doc) -> dict[str, Any]:
    """Title and tags only: article titles say what they fix, and ten hits stay a fraction of Halo's rows."""
    return {"id": doc.id, "name": doc.title, "tags": doc.extra.get("tags", "")}


class GetKbArticleArgs(Args):
    id: int = Field(description="article id from search_kb")


@tool("knowledge", title="Get a knowledge base article", idempotent=True, audiences=("agent", "user"))
async def get_kb_article(ctx: ToolContext, args: GetKbArticleArgs) -> ToolOutput:
    """A KB article as text: symptoms, then numbered steps."""
    record = await fetch_article(ctx, args.id)
    return record_output(article_view(record), CLOSED_FIELDS)


async def fetch_article(ctx: ToolContext, article_id: int) -> dict[str, Any]:
    try:
        record = await ctx.halo.get(f"KBArticle/{article_id}")
    except HaloNotFound:
        raise ToolError(f"no knowledge base article {article_id}; find ids with search_kb") from None
    if not isinstance(record, dict):
        raise ToolError(f"Halo returned no article for id {article_id}; find ids with search_kb")
    return record


def article_view(record: dict[str, Any], limit: int = ARTICLE_TEXT) -> dict[str, Any]:
    """The fields a reader needs, with HTML turned into text and the resolution into numbered steps."""
    article_id = record.get("id")
    description = text_field(record, "description")
    steps = resolution_steps(record)
    more = f"read resource halo://kb/{article_id} for the full article"
    view = compact(
        {
            "id": article_id,
            "name": record.get("name"),
            "tags": record.get("tag_string"),
            "updated": record.get("date_edited"),
            "useful": f"{record.get('useful_count') or 0} yes / {record.get('notuseful_count') or 0} no",
            "description": truncate(description.strip(), limit // 3, more),
            "steps": truncate(steps, limit, more),
        }
    )
    related = record.get("related_articles")
    if isinstance(related, list) and related:
        view["related"] = ", ".join(
            f"{r.get('id')} {untrusted(str(r.get('name') or ''))}" for r in related if isinstance(r, dict)
        )
    return view


def resolution_steps(record: dict[str, Any]) -> str:
    """Numbered steps from an HTML list when there is one, else the plain resolution text."""
    html = str(record.get("resolution_html") or "")
    items = [html_to_text(i) for i in re.findall(r"(?is)<li[^>]*>(.*?)</li>", html)]
    if items:
        rest = html_to_text(re.sub(r"(?is)<(ol|ul)[^>]*>.*?</\1>", "", html))
        text = "\n".join(f"{n}. {item}" for n, item in enumerate(items, 1))
        return f"{text}\n{rest}".strip()
    plain = str(record.get("resolution") or "") or html_to_text(html)
    return plain.strip()
