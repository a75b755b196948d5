"""[suggest] Field suggestions for a ticket from the most similar resolved tickets (the `find_similar` index).

Halo's own suggestion engine has no public API: `/AISuggestion` in the spec holds suggestion *rules*, not
suggestions for a ticket, so the ranking here is ours. The ticket's summary and details (never its current
classification) find its nearest resolved tickets by BM25; each field is the score-weighted vote of those
neighbours, reported with its evidence (which tickets, how many agree). `apply=true` writes the suggested fields
in one `POST /Tickets` (Halo's upsert, halo-api-facts §6). Accuracy on the sandbox's history: bench/suggest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, ToolContext, ToolOutput, tool
from halo_mcp.tools.render import list_output
from halo_mcp.tools.similar import (
    Doc,
    SimilarIndex,
    _resolved,
    _resolved_statuses,
    _ticket_subject,
    index_of,
    query_terms,
)

NEIGHBOURS = 7  # resolved tickets that vote; more dilutes the nearest, fewer lets one odd ticket decide
# field -> (Doc.extra key, resolver kind naming the value, or None when the value is already a name)
FIELDS: dict[str, tuple[str, str | None]] = {
    "category": ("category_1", None),
    "priority": ("priority_id", "priority"),
    "team": ("team", None),
    "ticket_type": ("tickettype_id", "tickettype"),
}


@dataclass(frozen=True)
class Suggestion:
    field: str
    value: Any
    share: float  # of the neighbours' score behind the value
    agree: tuple[int, ...]  # ticket ids that carry the value
    voters: int


def query_of(doc: Doc) -> dict[str, float]:
    """What the ticket says, not how it is classified: summary twice as strong as details."""
    terms, _ = query_terms([(doc.fields.get("summary", ""), 2.0), (doc.fields.get("details", ""), 1.0)])
    return terms


def suggest(
    index: SimilarIndex, query: Mapping[str, float], accept: Callable[[Doc], bool], k: int = NEIGHBOURS
) -> dict[str, Suggestion]:
    """The score-weighted vote of the `k` nearest accepted tickets, per field (fields nobody set are left out)."""
    hits = index.bm25.search(query, lambda key: key.startswith("t:") and accept(index.docs[key]), k)
    out: dict[str, Suggestion] = {}
    for field, (key, _) in FIELDS.items():
        votes: dict[Any, float] = {}
        carriers: dict[Any, list[int]] = {}
        voters = 0
        for hit in hits:
            value = index.docs[hit.key].extra.get(key)
            if value in (None, "", 0):
                continue
            voters += 1
            votes[value] = votes.get(value, 0.0) + hit.score
            carriers.setdefault(value, []).append(index.docs[hit.key].id)
        if votes:
            best = max(votes, key=lambda v: (votes[v], len(carriers[v])))
            share = votes[best] / sum(votes.values())
            out[field] = Suggestion(field, best, share, tuple(carriers[best]), voters)
    return out


class SuggestArgs(Args):
    ticket: int = Field(description="ticket id")
    apply: bool = Field(False, description="set the suggested fields on the ticket (one Halo request)")


@tool("suggest", kind="write", title="Suggest ticket fields")
async def suggest_ticket_fields(ctx: ToolContext, args: SuggestArgs) -> ToolOutput:
    """Suggest category, priority, team and ticket type from the most similar resolved tickets, with evidence;
    apply=true sets them."""
    index = index_of(ctx)
    await index.ensure(ctx.halo, "ticket")
    subject = index.docs.get(f"t:{args.ticket}") or await _ticket_subject(ctx, args.ticket)
    query = query_of(subject)
    if not query:
        raise ToolError(f"ticket {args.ticket} has no summary or details to compare; add details first")
    resolved = await _resolved_statuses(ctx)
    found = suggest(index, query, lambda d: d.id != args.ticket and _resolved(d, resolved))
    if not found:
        raise ToolError(f"no resolved ticket resembles ticket {args.ticket}; nothing to suggest")
    names = {f: await _name(ctx, kind, found[f].value) for f, (_, kind) in FIELDS.items() if f in found and kind}
    rows = [
        {"field": f, "suggested": names.get(f, s.value), "agree": f"{len(s.agree)} of {s.voters}",
         "weight": f"{s.share:.0%}", "evidence": ", ".join(str(i) for i in s.agree[:5])}
        for f, s in found.items()
    ]  # fmt: skip
    note = "From the most similar resolved tickets (our ranking; Halo's AI suggestions have no public API)."
    if not args.apply:
        return list_output("suggestions", rows, note=note + " apply=true sets them in one request")
    body: dict[str, Any] = {"id": args.ticket}
    if "category" in found:
        body["category_1"] = found["category"].value
    if "priority" in found:
        body["priority_id"] = found["priority"].value
    if "team" in found:
        body["team"] = found["team"].value  # Faults.team is the team's name
    if "ticket_type" in found:
        body["tickettype_id"] = found["ticket_type"].value
    await ctx.halo.post("Tickets", [body])
    out = list_output("applied", rows, note=f"applied to ticket {args.ticket}. {note}")
    out.affected = [f"ticket:{args.ticket}"]
    return out


async def _name(ctx: ToolContext, kind: str, value: Any) -> str:
    table: Iterable[Any] = await ctx.resolver.table(kind)
    return next((f"{e.name} ({e.id})" for e in table if e.id == value), str(value))
