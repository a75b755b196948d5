"""[tickets] `find_similar`: past tickets and KB articles like a ticket or a text, ranked locally.

Halo's own `search` is a substring filter, useless for "tickets like this one". So the server keeps, per surface,
an in-process BM25 index (field-weighted: titles count more than bodies; light stemming; stop words) over what
Halo returns: recent tickets and KB articles. It is built on first use, refreshed incrementally after a TTL
(`lastupdatefromdate` for tickets, newest-edited first for articles), bounded in documents with LRU eviction, and
guarded by a lock so concurrent calls share one refresh. Resolutions (closure note, or the last resolving action)
are fetched only for the tickets that make the top of a ranking, then cached on the document.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import Field

from halo_mcp.halo.client import HaloClient, rows_of
from halo_mcp.halo.errors import HaloNotFound, HaloPermissionError
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.render import is_empty, list_output, short_date, text_field, truncate
from halo_mcp.tools.resolve import Ref

# -- text -----------------------------------------------------------------------------------------------------

_STOP_TEXT = """a about after again all also am an and any are as at be been before being but by can cannot could did do
    does doing don dont for from get gets got had has have having he her here hi him his how i if in into is it its
    just me more my myself no not now of off on once only or other our out over own please same she should since so
    some still such than thank thanks that the their them then there these they this those through to too under
    until up us very was we were what when where which while who why will with would you your yours
    again already always another anything around because both each even ever every few many may might much must
    never often one others perhaps quite rather really seeing seems something sometimes soon though today yesterday
    morning afternoon evening time times minute minutes hour hours day days week two three four five six ten"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Light suffix stripping (plurals, -ing, -ed, -ly, final e) so 'drops', 'dropping', 'dropped' meet at 'drop'."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses") or word.endswith(("ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def words(text: str) -> list[tuple[str, str]]:
    """(stem, surface word) pairs of the informative words of a text, in order."""
    out = []
    for raw in _WORD.findall(text.lower()):
        if len(raw) < 2 or raw in STOP_WORDS:
            continue
        out.append((stem(raw), raw))
    return out


def terms(text: str) -> list[str]:
    return [s for s, _ in words(text)]


# -- ranking --------------------------------------------------------------------------------------------------


@dataclass
class Hit:
    key: str
    score: float
    contributions: dict[str, float]  # stem -> its share of the score


class Bm25:
    """BM25 over documents made of weighted fields (a title field can count 3x a body), with removal.

    Each document's term frequency is the weighted sum of its fields' counts, and its length the weighted sum of
    their lengths (a simplified BM25F), so a word in a summary outweighs the same word in a long description.
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, dict[str, float]] = {}
        self.lengths: dict[str, float] = {}
        self.doc_terms: dict[str, tuple[str, ...]] = {}  # so removal touches only the document's own postings
        self.total_length = 0.0

    def __len__(self) -> int:
        return len(self.lengths)

    def __contains__(self, key: str) -> bool:
        return key in self.lengths

    def add(self, key: str, fields: Mapping[str, str], weights: Mapping[str, float]) -> None:
        """Index (or re-index) a document; fields without a weight count once."""
        self.remove(key)
        tf: dict[str, float] = {}
        length = 0.0
        for name, text in fields.items():
            weight = weights.get(name, 1.0)
            for term in terms(text):
                tf[term] = tf.get(term, 0.0) + weight
                length += weight
        for term, freq in tf.items():
            self.postings.setdefault(term, {})[key] = freq
        self.doc_terms[key] = tuple(tf)
        self.lengths[key] = length
        self.total_length += length

    def remove(self, key: str) -> None:
        length = self.lengths.pop(key, None)
        if length is None:
            return
        self.total_length -= length
        for term in self.doc_terms.pop(key, ()):
            docs = self.postings[term]
            del docs[key]
            if not docs:
                del self.postings[term]

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        n = len(self.lengths)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(
        self, query: Mapping[str, float], accept: Callable[[str], bool] = lambda _key: True, limit: int = 10
    ) -> list[Hit]:
        """Best documents for weighted query terms; `accept` filters keys (e.g. one kind, not the query ticket)."""
        if not self.lengths:
            return []
        avg = self.total_length / len(self.lengths) or 1.0
        scores: dict[str, dict[str, float]] = {}
        for term, qweight in query.items():
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = self.idf(term)
            for key, freq in docs.items():
                if not accept(key):
                    continue
                norm = self.k1 * (1 - self.b + self.b * self.lengths[key] / avg)
                part = qweight * idf * freq * (self.k1 + 1) / (freq + norm)
                scores.setdefault(key, {})[term] = part
        hits = [Hit(key, sum(parts.values()), parts) for key, parts in scores.items()]
        hits.sort(key=lambda h: (-h.score, h.key))
        return hits[:limit]


def query_terms(fields: Iterable[tuple[str, float]], max_terms: int = 32) -> tuple[dict[str, float], dict[str, str]]:
    """Weighted query stems (repeats dampened) and the surface word first seen for each stem, for the 'why'."""
    counts: dict[str, float] = {}
    surface: dict[str, str] = {}
    for text, weight in fields:
        for s, raw in words(text):
            counts[s] = counts.get(s, 0.0) + weight
            surface.setdefault(s, raw)
    weighted = {s: 1 + math.log(c) if c >= 1 else c for s, c in counts.items()}
    if len(weighted) > max_terms:  # long ticket bodies: keep the heaviest words only
        weighted = dict(sorted(weighted.items(), key=lambda kv: -kv[1])[:max_terms])
    return weighted, surface


# -- the index ------------------------------------------------------------------------------------------------

TICKET_WEIGHTS = {"summary": 3.0, "category": 1.5, "details": 1.0, "resolution": 1.0}
KB_WEIGHTS = {"name": 3.0, "tags": 2.0, "description": 1.0, "resolution": 1.0}
PARALLEL_PAGES = 4  # concurrent list pages while building: fast, and polite to Halo's rate limit
CLOSED_BOOST = 1.3  # resolved tickets are what the caller can learn from
SAME_FIX = 0.6  # resolution word overlap above which two tickets count as fixed the same way
FIX_SCAN_BATCHES = 2  # how far down the ranking resolutions are fetched to fold same-fix tickets
RESOLVING = (re.compile(r"resol|fix|complet", re.I), re.compile(r"clos", re.I))


@dataclass
class Doc:
    key: str  # "t:123" or "kb:45"
    kind: str  # "ticket" | "kb"
    id: int
    title: str
    fields: dict[str, str]
    stamp: str = ""  # last_update / date_edited, for incremental refresh
    status_id: int | None = None
    closed_on: str = ""
    category: str = ""
    resolution: str | None = None  # None: not fetched yet; "" fetched, none recorded
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Source:
    checked: float = 0.0  # monotonic time of the last refresh
    watermark: str = ""  # newest stamp seen
    total: int | None = None  # Halo's record_count at the last full listing
    loaded: bool = False


class SimilarIndex:
    """Per-surface BM25 index of tickets and KB articles, fresh within `ttl`, capped at `max_docs` (LRU)."""

    def __init__(
        self,
        max_docs: int = 20_000,
        ttl: float = 60.0,
        seed_tickets: int = 3_000,
        seed_articles: int = 2_000,
        page_size: int = 100,
    ) -> None:
        self.max_docs = max_docs
        self.ttl = ttl
        self.seed_tickets = seed_tickets  # a cold build reads at most this many (newest) tickets...
        self.seed_articles = seed_articles  # ...and articles; Halo's search reaches the rest
        self.page_size = page_size
        self.bm25 = Bm25()
        self.docs: OrderedDict[str, Doc] = OrderedDict()
        self.evicted = 0
        self._sources = {"ticket": _Source(), "kb": _Source()}
        self._locks = {"ticket": asyncio.Lock(), "kb": asyncio.Lock()}

    def __len__(self) -> int:
        return len(self.docs)

    def count(self, kind: str) -> int:
        return sum(1 for d in self.docs.values() if d.kind == kind)

    def partial(self, kind: str) -> bool:
        """True when Halo holds more documents of this kind than the index does (search Halo too)."""
        total = self._sources[kind].total
        return total is None or total > self.count(kind)

    # -- maintenance ---------------------------------------------------------------------------------------

    def put(self, doc: Doc) -> None:
        """Insert or replace a document; a fetched resolution survives unless the ticket changed since."""
        old = self.docs.pop(doc.key, None)
        if old is not None and doc.resolution is None and old.stamp == doc.stamp:
            doc.resolution = old.resolution
        self.docs[doc.key] = doc
        self.bm25.add(doc.key, doc.fields, TICKET_WEIGHTS if doc.kind == "ticket" else KB_WEIGHTS)
        while len(self.docs) > self.max_docs:
            key, _ = self.docs.popitem(last=False)
            self.bm25.remove(key)
            self.evicted += 1

    def touch(self, key: str) -> None:
        if key in self.docs:
            self.docs.move_to_end(key)

    async def ensure(self, halo: HaloClient, kind: str) -> None:
        """Load on first use, then refresh incrementally once the TTL has passed; one refresh at a time."""
        source = self._sources[kind]
        if source.loaded and time.monotonic() - source.checked < self.ttl:
            return
        async with self._locks[kind]:
            if source.loaded and time.monotonic() - source.checked < self.ttl:
                return
            if kind == "ticket":
                await self._refresh_tickets(halo, source)
            else:
                await self._refresh_kb(halo, source)
            source.checked = time.monotonic()
            source.loaded = True

    async def _refresh_tickets(self, halo: HaloClient, source: _Source) -> None:
        """Newest first, up to `seed_tickets`; after the first page the others are fetched a few at a time."""
        params: dict[str, Any] = {"order": "last_update", "orderdesc": True}
        if source.loaded and source.watermark:
            params["lastupdatefromdate"] = source.watermark
        first = await halo.list_page("Tickets", "tickets", params, page_size=self.page_size)
        pages = [first.rows]
        if not source.loaded:
            source.total = first.total
        if first.total is not None and len(first.rows) == self.page_size:
            wanted = min(first.total, self.seed_tickets)
            gate = asyncio.Semaphore(PARALLEL_PAGES)

            async def page(no: int) -> list[dict[str, Any]]:
                async with gate:
                    got = await halo.list_page("Tickets", "tickets", params, page_no=no, page_size=self.page_size)
                    return got.rows

            more = range(2, math.ceil(wanted / self.page_size) + 1)
            pages += await asyncio.gather(*(page(no) for no in more))
        for rows in reversed(pages):  # oldest first, so the newest end up most recently used
            for row in reversed(rows):
                self.put(ticket_doc(row))
                source.watermark = max(source.watermark, str(row.get("last_update") or ""))
            await asyncio.sleep(0)  # indexing is CPU work: let other requests run between pages

    async def _refresh_kb(self, halo: HaloClient, source: _Source) -> None:
        params: dict[str, Any] = {"order": "date_edited", "orderdesc": True}
        page_no = 1
        while True:
            page = await halo.list_page("KBArticle", "articles", params, page_no=page_no, page_size=self.page_size)
            if not source.loaded and page_no == 1:
                source.total = page.total
            stamps = []
            for row in page.rows:
                doc = kb_doc(row)
                stamps.append(doc.stamp)
                self.put(doc)
            newest = max(stamps, default="")
            reached_known = source.loaded and stamps and min(stamps) < source.watermark
            source.watermark = max(source.watermark, newest)
            if len(page.rows) < self.page_size or reached_known or page_no * self.page_size >= self.seed_articles:
                break
            page_no += 1
            await asyncio.sleep(0)


def ticket_doc(row: Mapping[str, Any]) -> Doc:
    category = " ".join(str(row.get(f) or "") for f in ("category_1", "category_2")).strip()
    details = text_field(row, "details")
    closed_on = str(row.get("dateclosed") or "")
    closure = text_field(row, "closure_note")
    return Doc(
        key=f"t:{row['id']}",
        kind="ticket",
        id=int(row["id"]),
        title=str(row.get("summary") or ""),
        fields={
            "summary": str(row.get("summary") or ""),
            "category": category.replace(">", " "),
            "details": details,
            "resolution": closure,
        },
        stamp=str(row.get("last_update") or ""),
        status_id=row.get("status_id") if isinstance(row.get("status_id"), int) else None,
        closed_on="" if is_empty("dateclosed", closed_on) else closed_on,
        category=category,
        resolution=closure.strip() or None,
        extra={
            "hasbeenclosed": bool(row.get("hasbeenclosed")),
            "client_id": row.get("client_id"),
            # what suggest_ticket_fields (tools/suggest.py) learns from resolved tickets
            **{k: row.get(k) for k in ("team", "priority_id", "tickettype_id", "categoryid_1", "category_1")},
        },
    )


def kb_doc(row: Mapping[str, Any]) -> Doc:
    description = text_field(row, "description")
    resolution = text_field(row, "resolution")
    return Doc(
        key=f"kb:{row['id']}",
        kind="kb",
        id=int(row["id"]),
        title=str(row.get("name") or ""),
        fields={
            "name": str(row.get("name") or ""),
            "tags": str(row.get("tag_string") or "").replace(",", " "),
            "description": description,
            "resolution": resolution,
        },
        stamp=str(row.get("date_edited") or row.get("date_created") or ""),
        extra={"tags": str(row.get("tag_string") or "")},
    )


def index_of(ctx: ToolContext) -> SimilarIndex:
    """The surface's index, created on first use (tests may place a smaller one in `ctx.extras` first)."""
    index = ctx.extras.get("similar_index")
    if not isinstance(index, SimilarIndex):
        index = ctx.extras["similar_index"] = SimilarIndex()
    return index


async def kb_hits(ctx: ToolContext, query: str, limit: int) -> list[tuple[Doc, Hit]]:
    """KB articles ranked for a free text (used by `search_kb` when Halo's substring search falls short)."""
    index = index_of(ctx)
    await index.ensure(ctx.halo, "kb")
    weighted, _ = query_terms([(query, 1.0)])
    hits = index.bm25.search(weighted, lambda k: k.startswith("kb:"), limit)
    return [(index.docs[h.key], h) for h in hits]


# -- the tool -------------------------------------------------------------------------------------------------


class FindSimilarArgs(Args):
    ticket_id: int | None = None
    text: str | None = Field(None, description="or problem text")
    client: Ref | None = None
    limit: int = Field(5, ge=1, le=20)


@tool("tickets", title="Find similar tickets and articles", idempotent=True)
async def find_similar(ctx: ToolContext, args: FindSimilarArgs) -> ToolOutput:
    """Tickets and KB articles like a ticket or text, with why. Before create_ticket pass client and text: that
    client's open near-identical tickets come first as 'likely duplicate'; then resolved ones with their fix."""
    text = (args.text or "").strip()
    if args.ticket_id is None and not text:
        raise ToolError("pass ticket_id (an existing ticket) or text (a description of the problem)")
    query_fields: list[tuple[str, float]] = [(text, 2.0)] if text else []
    index = index_of(ctx)
    client_id = (await ctx.resolver.resolve("client", args.client)).id if args.client not in (None, "") else None
    headline = text
    if args.ticket_id is not None:
        subject = index.docs.get(f"t:{args.ticket_id}") or await _ticket_subject(ctx, args.ticket_id)
        query_fields += [(subject.fields["summary"], 2.0), (subject.category.replace(">", " "), 1.0)]
        query_fields.append((subject.fields["details"], 1.0))
        owner = subject.extra.get("client_id")
        client_id = client_id or (int(float(owner)) if isinstance(owner, int | float | str) and owner else None)
        headline = subject.fields["summary"] or text
    query, surface = query_terms(query_fields)
    if not query:
        raise ToolError("the text has no searchable words; describe the problem in a few words")
    duplicates = await _open_duplicates(ctx, client_id, headline, args.ticket_id) if client_id else []

    await index.ensure(ctx.halo, "ticket")
    kb_note = ""
    try:
        await index.ensure(ctx.halo, "kb")
    except HaloPermissionError:
        kb_note = "KB not readable with this connection's permissions"
    if index.partial("ticket"):
        await _pull_from_halo_search(ctx, index, query, surface)

    resolved_ids = await _resolved_statuses(ctx)
    self_key = f"t:{args.ticket_id}" if args.ticket_id is not None else ""
    ticket_hits = index.bm25.search(query, lambda k: k.startswith("t:") and k != self_key, args.limit * 4)
    pool = sorted(
        ((index.docs[h.key], h) for h in ticket_hits),
        key=lambda dh: -dh[1].score * (CLOSED_BOOST if _resolved(dh[0], resolved_ids) else 1.0),
    )
    shown = {f"t:{row['id']}" for row in duplicates}
    pool = [(doc, hit) for doc, hit in pool if doc.key not in shown]
    ranked, same_fix = await _distinct_fixes(ctx, pool, max(args.limit - len(duplicates), 1), resolved_ids)
    articles = [(index.docs[h.key], h) for h in index.bm25.search(query, lambda k: k.startswith("kb:"), 3)]

    statuses = {e.id: e.name for e in await ctx.resolver.table("status")}
    rows = [{**row, "state": f"{statuses.get(row.pop('status_id'), 'open')}, likely duplicate"} for row in duplicates]
    for doc, hit in ranked:
        index.touch(doc.key)
        resolved = _resolved(doc, resolved_ids)
        state = statuses.get(doc.status_id or 0, "closed" if resolved else "open")
        if resolved and doc.closed_on:
            state += f" {short_date(doc.closed_on)[:10]}"
        row = _row("ticket", doc, hit, state, surface, doc.resolution if resolved else None)
        if same_fix.get(doc.key):
            row["why"] += f"; same fix: {', '.join(str(i) for i in same_fix[doc.key][:5])}"
        rows.append(row)
    for doc, hit in articles:
        index.touch(doc.key)
        rows.append(_row("kb", doc, hit, "article", surface, None))
    what = f"ticket {args.ticket_id}" if args.ticket_id is not None else "the text"
    note = f"Most similar to {what}; resolved tickets first. get_ticket / get_kb_article for details"
    if duplicates:
        note = f"{len(duplicates)} open ticket(s) of the same client look like duplicates (first). " + note
    if kb_note:
        note += f". {kb_note}"
    columns = ["type", "id", "title", "state", "why", "resolution"]
    return list_output("matches", rows, columns=columns, note=note)


DUPLICATE_SHARE = 0.8  # share of the shorter summary's words two open tickets of one client share to be duplicates


async def _open_duplicates(
    ctx: ToolContext, client_id: int, headline: str, ticket_id: int | None
) -> list[dict[str, Any]]:
    """The client's open tickets (newest 100, one request) whose summary nearly repeats the headline.

    Read from Halo rather than the index: a duplicate is usually minutes old, newer than the index's last refresh.
    """
    mine = set(terms(headline))
    if not mine:
        return []
    params = {"client_id": client_id, "open_only": True, "order": "id", "orderdesc": True}
    page = await ctx.halo.list_page("Tickets", "tickets", params, page_size=100)
    found: list[tuple[float, dict[str, Any]]] = []
    for row in page.rows:
        theirs = set(terms(str(row.get("summary") or "")))
        shared = mine & theirs
        if row.get("id") == ticket_id or not theirs or len(shared) < min(2, len(theirs)):
            continue
        closeness = len(shared) / min(len(mine), len(theirs))
        if closeness >= DUPLICATE_SHARE:
            why = "same client, open; shares: " + ", ".join(sorted(shared)[:4])
            found.append(
                (closeness, {"type": "ticket", "id": row.get("id"), "title": str(row.get("summary") or ""),
                             "status_id": row.get("status_id"), "why": why})
            )  # fmt: skip
    found.sort(key=lambda item: (-item[0], -int(item[1]["id"] or 0)))
    return [row for _, row in found[:5]]


async def _ticket_subject(ctx: ToolContext, ticket_id: int) -> Doc:
    try:
        return ticket_doc(await ctx.halo.get(f"Tickets/{ticket_id}"))
    except HaloNotFound:
        raise ToolError(f"no ticket {ticket_id}; check the id with list_tickets, or pass text") from None


def _row(
    kind: str, doc: Doc, hit: Hit, state: str, surface: Mapping[str, str], resolution: str | None
) -> dict[str, Any]:
    shared = sorted(hit.contributions.items(), key=lambda kv: -kv[1])[:4]
    why = "shares: " + ", ".join(surface.get(term, term) for term, _ in shared)
    row: dict[str, Any] = {"type": kind, "id": doc.id, "title": doc.title, "state": state, "why": why}
    if resolution:
        more = f"get_ticket({doc.id}) for the full note"
        row["resolution"] = truncate(" ".join(resolution.split()), 160, more)
    return row


async def _distinct_fixes(
    ctx: ToolContext, pool: list[tuple[Doc, Hit]], limit: int, closed: frozenset[int]
) -> tuple[list[tuple[Doc, Hit]], dict[str, list[int]]]:
    """Best tickets, one per distinct resolution: a ticket fixed like a better-ranked one is folded into it.

    Resolutions are fetched a batch at a time down the ranking, only as far as needed to fill `limit`, and at most
    FIX_SCAN_BATCHES batches: each resolution costs Halo requests, and Halo's hosted limit is 300 per 5 minutes.
    """
    picked: list[tuple[Doc, Hit]] = []
    signatures: list[tuple[str, set[str]]] = []
    same_fix: dict[str, list[int]] = {}
    for start in range(0, min(len(pool), FIX_SCAN_BATCHES * limit), limit):
        if len(picked) >= limit:
            break
        batch = pool[start : start + limit]
        await _fetch_resolutions(ctx, [d for d, _ in batch if _resolved(d, closed)])
        for doc, hit in batch:
            signature = set(terms(doc.resolution or "")) if _resolved(doc, closed) else set()
            twin = next((key for key, sig in signatures if jaccard(signature, sig) >= SAME_FIX), None)
            if twin is not None:
                same_fix.setdefault(twin, []).append(doc.id)
            elif len(picked) < limit:
                picked.append((doc, hit))
                if signature:
                    signatures.append((doc.key, signature))
    # Past the scan, fill up in ranking order without fetching more resolutions (open tickets need none).
    scanned = min(len(pool), FIX_SCAN_BATCHES * limit)
    picked += pool[scanned : scanned + limit - len(picked)] if len(picked) < limit else []
    return picked, same_fix


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


async def _resolved_statuses(ctx: ToolContext) -> frozenset[int]:
    """Status ids of resolved tickets: Halo's closed type (Status.type 2), except cancellations."""
    table = await ctx.resolver.table("status")
    return frozenset(e.id for e in table if e.record.get("type") == 2 and "cancel" not in e.name.lower())


def _resolved(doc: Doc, closed: frozenset[int]) -> bool:
    if doc.status_id is not None and closed:
        return doc.status_id in closed
    return bool(doc.extra.get("hasbeenclosed"))


async def _pull_from_halo_search(
    ctx: ToolContext, index: SimilarIndex, query: Mapping[str, float], surface: Mapping[str, str]
) -> None:
    """The index holds only recent tickets: let Halo's search add older ones sharing the rarest query word.

    Halo's search is a substring match, so the word goes as the prefix its surface forms share ('batter' for
    'battery'/'batteries').
    """
    usable = [t for t in query if len(t) >= 4 and t.isalpha()]
    if not usable:
        return
    rarest = min(usable, key=lambda t: (len(index.bm25.postings.get(t, ())), -query[t]))
    word = surface.get(rarest, rarest)
    shared = next(
        (i for i, (a, b) in enumerate(zip(rarest, word, strict=False)) if a != b), min(len(rarest), len(word))
    )
    prefix = rarest[:shared]
    page = await ctx.halo.list_page("Tickets", "tickets", {"search": prefix or rarest}, page_size=50)
    for row in page.rows:
        if f"t:{row.get('id')}" not in index.docs:
            index.put(ticket_doc(row))


async def _fetch_resolutions(ctx: ToolContext, docs: list[Doc]) -> None:
    """Resolution text of the top closed tickets, fetched once each (concurrently) and cached on the document."""
    missing = [d for d in docs if d.resolution is None]
    texts = await asyncio.gather(*(resolution_of(ctx.halo, d.id) for d in missing))
    for doc, text in zip(missing, texts, strict=True):
        doc.resolution = text  # shown, not indexed: a ranking must not change because it was displayed


async def resolution_of(halo: HaloClient, ticket_id: int) -> str:
    """A closed ticket's closure note, else the note of its last resolving action ('' when there is none)."""
    try:
        ticket = await halo.get(f"Tickets/{ticket_id}")
    except HaloNotFound:
        return ""
    note = text_field(ticket, "closure_note")
    if note.strip():
        return note.strip()
    actions = rows_of(await halo.get("Actions", {"ticket_id": ticket_id, "excludesys": True}), "actions")
    for pattern in RESOLVING:  # a "Resolve" note says what fixed it; a later "Close" often only says it closed
        for action in reversed(actions):
            if pattern.search(str(action.get("outcome") or "")):
                text = text_field(action, "note")
                if text.strip():
                    return text.strip()
    return ""
