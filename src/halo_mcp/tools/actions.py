"""One action applied to many tickets: selection, a bound, a dry run, per-ticket results, honest partial failure.

`POST /Actions` takes an array (facts §6: "Batch: several objects in one POST are allowed"), but nothing documents
whether Halo applies a batch all or nothing or item by item, nor what it answers for a failed item, and one lost
answer would leave every ticket of the batch in doubt. So a bulk change is a sequence of one-action writes, each
with its own fate. The policy:

- the tickets are chosen by ids or by `list_tickets` filters, read once (`GET /Tickets`), and refused whole when
  more than BULK_LIMIT match (nothing is written; the model narrows the filter or splits the ids);
- `dry_run` stops after that read and says what each ticket would get;
- a ticket already in the asked-for state (agent, team, status, priority) is skipped, and so is its note when
  the ticket already has it, so repeating a call that partly failed changes only what is left;
- writes go one at a time and are never retried (`halo/client.py`). When Halo's answer is lost (a dropped
  connection, a 5xx) the ticket's actions are read back to settle whether it was applied, so the result says
  "done" or "not done" instead of "maybe", and the retry list names only tickets that were not changed; if the
  read-back fails too, the ticket is "unknown" and left out of the retry list.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from halo_mcp.halo.client import PAGE_CAP, rows_of
from halo_mcp.halo.errors import HaloError, HaloNotFound, HaloUnavailable, HaloWriteUncertain
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import ToolContext, ToolOutput
from halo_mcp.tools.render import halo_datetime, list_output
from halo_mcp.tools.resolve import Entity

BULK_LIMIT = 50  # tickets one call may change; more is refused before anything is written
PREVIEW_LINES = 20  # tickets listed one by one when a person is asked to confirm a bulk change
VERIFY_WINDOW = timedelta(minutes=10)  # how recent a read-back action must be to count as ours (clock skew)
# Filters that only shape a list_tickets page: meaningless for choosing tickets to change.
NOT_FILTERS = frozenset({"limit", "cursor", "fields", "group_by"})
SCAN_PAGES = 5  # pages of 100 read when a filter is checked row by row (SLA state, unassigned)
# What a change compares against, per list row: the target entity's id (or name, for the team) vs the row's field.
STATE_FIELDS = {"agent": "agent_id", "team": "team", "status": "status_id", "priority": "priority_id"}
NAME_FIELDS = {"agent": "agent_name", "team": "team", "status": "status_name", "priority": "priority_name"}

Post = Callable[[int], Awaitable[ToolOutput]]
Keep = Callable[[Mapping[str, Any]], bool]
# list_tickets filters -> (GET /Tickets params, the row check for what Halo cannot filter on, or None)
ListParams = Callable[[ToolContext, Mapping[str, Any]], Awaitable[tuple[dict[str, Any], Keep | None]]]


@dataclass
class TicketResult:
    """What happened to one ticket."""

    ticket: int
    result: str  # done, skipped, failed (not applied), unknown (could not tell), would change
    detail: str = ""
    action: Any = None


def _target(entity: Entity, kind: str) -> Any:
    return entity.name if kind == "team" else entity.id


def _pending(row: Mapping[str, Any], targets: Mapping[str, Entity]) -> dict[str, str]:
    """The asked-for changes this ticket does not have yet, as `old -> new` texts."""
    out: dict[str, str] = {}
    for kind, entity in targets.items():
        current = row.get(STATE_FIELDS[kind])
        want = _target(entity, kind)
        same = str(current or "").lower() == str(want).lower()
        if not same:
            old = row.get(NAME_FIELDS[kind]) or current or "none"
            out[kind] = f"{old} -> {entity.name}"
    return out


async def select_tickets(ctx: ToolContext, where: Mapping[str, Any], list_params: ListParams) -> list[dict[str, Any]]:
    """The tickets `where` names (`ids`) or matches (list_tickets filters), refused beyond BULK_LIMIT."""
    where = dict(where)
    ids = where.pop("ids", None)
    if ids is not None:
        if where:
            raise ToolError(f"where takes ids or filters, not both (got ids and {', '.join(where)})")
        if not isinstance(ids, list) or not ids or not all(str(i).isdigit() for i in ids):
            raise ToolError("where.ids must be a non-empty list of ticket ids, e.g. {'ids': [12, 15]}")
        wanted = list(dict.fromkeys(int(i) for i in ids))
        _check_bound(len(wanted), "ids")
        # `ticketids` (string) "Returns only the tickets specified" [SPEC GET /Tickets]; open or closed alike.
        page = await ctx.halo.list_page(
            "Tickets", "tickets", {"ticketids": ",".join(map(str, wanted))}, page_size=BULK_LIMIT
        )
        found = {int(r["id"]): r for r in page.rows if r.get("id")}
        return [found.get(i, {"id": i, "_missing": True}) for i in wanted]
    shaping = sorted(NOT_FILTERS & set(where))
    if shaping:
        raise ToolError(f"where takes list_tickets filters or ids; {', '.join(shaping)} do not choose tickets")
    if not where:
        raise ToolError("where needs ids=[...] or at least one list_tickets filter (e.g. agent, status, client)")
    params, keep = await list_params(ctx, where)
    if keep is None:
        page = await ctx.halo.list_page("Tickets", "tickets", params, page_size=BULK_LIMIT + 1)
        total = page.total if page.total is not None else len(page.rows)
        _check_bound(max(total, len(page.rows)), "filters")
        return page.rows
    rows: list[dict[str, Any]] = []
    for page_no in range(1, SCAN_PAGES + 1):
        page = await ctx.halo.list_page("Tickets", "tickets", params, page_no=page_no, page_size=PAGE_CAP)
        rows += [r for r in page.rows if keep(r)]
        _check_bound(len(rows), "filters")
        if len(page.rows) < PAGE_CAP or (page.total is not None and page_no * PAGE_CAP >= page.total):
            return rows
    raise ToolError(
        f"more than {SCAN_PAGES * PAGE_CAP} tickets to check one by one (SLA state or unassigned); nothing was "
        "changed. Add a filter Halo can apply (client, team, status) and repeat"
    )


def _check_bound(count: int, how: str) -> None:
    if count > BULK_LIMIT:
        fix = "narrow the filters (e.g. add status or client)" if how == "filters" else "split the ids"
        raise ToolError(
            f"{count} tickets match but one call changes at most {BULK_LIMIT}; nothing was changed. "
            f"{fix} and repeat; dry_run=true previews"
        )


async def apply(
    ctx: ToolContext,
    tickets: Sequence[Mapping[str, Any]],
    targets: Mapping[str, Entity],
    post: Post,
    *,
    what: str,
    note: str | None,
    outcome: Entity,
    dry_run: bool,
    note_given: bool,
) -> ToolOutput:
    """Run `post` for each selected ticket (or say what it would do), then one report of every ticket's fate."""
    if not dry_run and len(tickets) > 1:
        await ctx.confirm(_preview(tickets, targets, what))  # a person who can be asked sees the changes first
    results: list[TicketResult] = []
    for done, row in enumerate(tickets):
        if not dry_run and done:
            await ctx.progress(done, len(tickets), f"{what}: {done} of {len(tickets)} tickets")
        tid = int(row["id"])
        if row.get("_missing"):
            results.append(TicketResult(tid, "failed", "no such ticket"))
            continue
        pending = _pending(row, targets)
        if targets and not pending:
            # Already in the asked-for state: a repeat of a call that got this far. Its own note (if the caller
            # wrote one) is looked for too, so the note is added once: skipped if there, added if not.
            if note_given and not dry_run:
                found = await _applied(ctx, tid, note, outcome, datetime.now(UTC))
                if found is False:
                    results.append(await _one(ctx, tid, post, "note only (state already so)", note, outcome, {}))
                    continue
            results.append(TicketResult(tid, "skipped", "already so"))
            continue
        change = "; ".join(f"{k} {v}" for k, v in pending.items()) or what
        if dry_run:
            results.append(TicketResult(tid, "would change", change))
            continue
        results.append(await _one(ctx, tid, post, change, note, outcome, targets))
    return _report(results, what, dry_run)


def _preview(tickets: Sequence[Mapping[str, Any]], targets: Mapping[str, Entity], what: str) -> str:
    """The bulk change ticket by ticket, as the person confirming it reads it."""
    lines = [
        f"#{int(row['id'])}: " + ("; ".join(f"{k} {v}" for k, v in pending.items()) or what)
        for row in tickets
        if not row.get("_missing") and ((pending := _pending(row, targets)) or not targets)
    ]
    shown = lines[:PREVIEW_LINES]
    more = [f"... and {len(lines) - len(shown)} more"] if len(lines) > len(shown) else []
    return "\n".join([f"Apply {what} to {len(lines)} tickets in Halo?", *shown, *more])


async def _one(
    ctx: ToolContext,
    tid: int,
    post: Post,
    change: str,
    note: str | None,
    outcome: Entity,
    targets: Mapping[str, Entity],
) -> TicketResult:
    started = datetime.now(UTC)
    try:
        out = await post(tid)
    except (HaloWriteUncertain, HaloUnavailable) as exc:
        # Halo may have applied it: read back instead of guessing, so a retry never doubles it.
        applied = await _applied(ctx, tid, note, outcome, started, targets)
        if applied is None:
            return TicketResult(tid, "unknown", f"Halo's answer was lost and the read-back failed ({exc})")
        if applied:
            return TicketResult(
                tid, "done", f"{change} (confirmed by reading back after Halo's answer was lost)", applied
            )
        return TicketResult(tid, "failed", "not applied (Halo failed; read back, nothing was written)")
    except HaloNotFound:
        return TicketResult(tid, "failed", "no such ticket")
    except (HaloError, ToolError) as exc:
        return TicketResult(tid, "failed", str(exc))
    state = out.structured if isinstance(out.structured, dict) else {}
    return TicketResult(tid, "done", change, state.get("action"))


async def _applied(
    ctx: ToolContext,
    tid: int,
    note: str | None,
    outcome: Entity,
    started: datetime,
    targets: Mapping[str, Entity] | None = None,
) -> Any | None:
    """The id of our action (or True) if Halo shows it applied, False if it does not, None if unreadable.

    Without a note to recognise the action by, a state change is settled by the ticket's state: it lacked the
    asked-for values before the write, so having them now means the write landed.
    """
    if note is None and targets:
        try:
            page = await ctx.halo.list_page("Tickets", "tickets", {"ticketids": str(tid)}, page_size=1)
        except HaloError:
            return None
        return bool(page.rows) and not _pending(page.rows[0], targets)
    try:
        # Every action of the ticket: the order `count` would cut in is not documented, and a ticket has few.
        data = await ctx.halo.get("Actions", {"ticket_id": tid, "excludesys": True})
    except HaloError:
        return None
    since = started - VERIFY_WINDOW
    for action in rows_of(data, "actions"):
        when = halo_datetime(action.get("datetime"))
        same_outcome = str(action.get("outcome_id") or "") == str(outcome.id) or action.get("outcome") == outcome.name
        same_note = note is None or str(action.get("note") or "").strip() == note.strip()
        if same_outcome and same_note and (when is None or when >= since):
            return action.get("id") or True
    return False


def _report(results: Sequence[TicketResult], what: str, dry_run: bool) -> ToolOutput:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.result] = counts.get(r.result, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in counts.items()) or "no tickets"
    failed = [r.ticket for r in results if r.result == "failed"]
    unknown = [r.ticket for r in results if r.result == "unknown"]
    head = f"{'dry run, nothing written' if dry_run else what}: {len(results)} tickets, {summary}"
    notes = []
    if unknown:
        notes.append(f"UNKNOWN: check tickets {_ids(unknown)} in Halo (get_ticket) before repeating anything for them")
    if failed and not dry_run:
        done = [r.ticket for r in results if r.result == "done"]
        notes.append(
            f"PARTIAL: done {_ids(done)}; not done {_ids(failed)}. Repeat with where={{'ids': {failed}}} "
            "for the rest (done tickets are not changed again)"
        )
    elif dry_run and counts.get("would change"):
        notes.append("repeat without dry_run to apply")
    rows = [{"ticket": r.ticket, "result": r.result, "detail": r.detail, "action": r.action} for r in results]
    out = list_output("tickets", rows, columns=["ticket", "result", "detail", "action"], note="; ".join(notes))
    out.text = f"{head}\n{out.text}"
    out.affected = [f"ticket:{r.ticket}" for r in results if r.result == "done"]
    if isinstance(out.structured, dict):
        out.structured.update(counts=counts, failed=failed, unknown=unknown)
    return out


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(map(str, ids)) or "none"


def filter_args(model: type[Any], where: Mapping[str, Any]) -> Any:
    """`where` as list_tickets arguments; a bad filter names the valid ones."""
    try:
        return model(**where)
    except ValidationError as exc:
        valid = ", ".join(n for n in model.model_fields if n not in NOT_FILTERS)
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise ToolError(f"where: {problems}. Filters are those of list_tickets: {valid}, or ids") from None
