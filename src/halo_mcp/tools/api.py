"""[api] The whole Halo API as a long tail: search the operation catalogue, call any operation.

Operation names are `METHOD /Path` as Halo's OpenAPI description spells them (`GET /Tickets/{id}`); case and spaces
are ignored and a concrete path (`GET /Tickets/42`) works too. `call_operation` takes one flat argument object and
splits it: path parameters fill the path, the rest goes to the query (GET, DELETE) or, for POST, to the query when
it names a query parameter and to the body otherwise. Halo's POST is an upsert of an array, so a flat body is sent
as a one-item array (with `id` it updates, without it creates); `body` passes an explicit object or array instead.

Policy: GET is a read, POST a write, DELETE a delete, checked against the selection (read-only, collection kinds)
before anything is sent. Path parameters are single path segments: `.`, `..`, empty values, `/`, `\\` and control
characters are refused and the rest percent-encoded, so the template checked is the path that leaves the server
(`GET /Users/.` would otherwise be normalised into `GET /Users`). Operations can be denied one by one with deny
entries `op:<METHOD /Path>` (glob patterns allowed; `op:/Path` denies every method on a path; `op:GET /Users`,
`op:GET/Users` and `op:GET:/Users` are the same entry). `request_policy` enforces them on every Halo request of a
surface, whichever tool sends it, so `op:POST /Tickets` also stops create_ticket.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import quote, unquote

from pydantic import Field

from halo_mcp.halo.catalogue import Catalogue, Operation, catalogue, key, matching
from halo_mcp.halo.client import rows_of
from halo_mcp.tools.errors import ToolError
from halo_mcp.tools.framework import Args, Kind, Selection, ToolContext, ToolOutput, registry, tool
from halo_mcp.tools.paging import clamp_to
from halo_mcp.tools.render import compact, cut, is_empty, list_output, record_output, truncate
from halo_mcp.tools.resolve import Entity, is_id_text
from halo_mcp.tools.spans import untrusted
from halo_mcp.tools.sql_guard import check_request

READ_CAP = 8_000  # characters of a read result's text; beyond it rows are dropped or the record is cut
WRITE_CAP = 3_000
MAX_COLUMNS = 12
CELL_CAP = 160  # characters of one text cell in a list; get the record by id for the rest
DETAIL_CAP = 4_000
PLURAL_RESOURCES = {"tickets": "ticket", "actions": "action", "users": "user", "projects": "project",
                    "opportunities": "opportunity"}  # fmt: skip
PREFERRED = {
    "GET": ("search", "client_id", "ticket_id", "user_id", "agent_id", "pageinate", "page_size", "page_no", "count"),
    "POST": ("id", "ticket_id", "client_id", "name", "summary", "note", "outcome", "details", "user_id"),
    "DELETE": ("reason", "ticket_id"),
}
# Curated tools that do an operation better (names resolved, fields validated): named in results, never enforced.
CURATED = {
    "GET /Tickets": ("list_tickets",), "GET /Tickets/{id}": ("get_ticket",),
    "POST /Tickets": ("create_ticket", "update_ticket"), "POST /Actions": ("add_action", "add_note", "log_time"),
    "GET /KBArticle": ("search_kb",), "GET /KBArticle/{id}": ("get_kb_article",), "GET /Asset": ("list_assets",),
    "GET /Asset/{id}": ("get_asset",), "GET /Users": ("find_users",), "GET /Users/{id}": ("get_user",),
    "GET /Client": ("find_clients",), "GET /Attachment": ("list_attachments",),
    "GET /Attachment/{id}": ("get_attachment",), "POST /Attachment": ("add_attachment",),
    "GET /Report": ("list_reports",), "GET /Service": ("search_services",),
    "GET /TimesheetEvent": ("time_logged",), "GET /ClientContract": ("client_contracts",),
    "GET /ClientPrepay": ("client_contracts",),
}  # fmt: skip
# The Halo body fields each curated write sends (tickets.py `_ticket_body`, `_post_action`): the tip names those
# tools only when the call sent nothing else, so it is never wrong about a field they cannot set.
CURATED_FIELDS = {
    "POST /Tickets": frozenset({
        "id", "summary", "details", "client_id", "site_id", "user_id", "tickettype_id", "priority_id", "agent_id",
        "team", "categoryid_1", "category_1", "impact", "urgency", "customfields", "startdate", "targetdate",
        "parent_id"}),
    "POST /Actions": frozenset({
        "ticket_id", "outcome_id", "outcome", "note", "hiddenfromuser", "sendemail", "timetaken", "new_status",
        "new_agent", "new_team", "new_priority"}),
}  # fmt: skip
# Fields search_operations lists first for any operation: ids, names and texts, then dates of a window.
IMPORTANT = ("id", "ticket_id", "client_id", "site_id", "user_id", "agent_id", "team", "team_id", "status_id",
             "priority_id", "tickettype_id", "name", "summary", "details", "note", "outcome", "startdate",
             "targetdate", "start_date", "end_date", "parent_id")  # fmt: skip
# Operations whose POST only reads (query_sql runs SQL with `_loadreportonly`, halo-api-facts §2): the request
# layer lets them through where writes are not allowed; call_operation still treats every POST as a write.
READS_BY_POST = frozenset({"POST /Report"})
METHOD_KINDS: tuple[tuple[str, Kind], ...] = (("GET", "read"), ("POST", "write"), ("DELETE", "delete"))
_BAD_SEGMENT = re.compile(r"[/\\\x00-\x1f\x7f]")  # never inside one path segment
_NAMED = re.compile(r"^\s*(GET|POST|DELETE|PUT|PATCH)\s*(/\S*)\s*(.*)$", re.IGNORECASE)


class SearchOperationsArgs(Args):
    query: str = Field(description="task in words, or an operation name")
    limit: Annotated[int, clamp_to(25)] = 10


class CallOperationArgs(Args):
    operation: str = Field(description="e.g. 'GET /Tickets/{id}'")
    arguments: dict[str, Any] = Field(default_factory=dict, description="flat: path, query and body fields")
    body: dict[str, Any] | list[dict[str, Any]] | None = Field(None, description="explicit POST body")


@tool("api", title="Search Halo API operations", idempotent=True)
async def search_operations(ctx: ToolContext, args: SearchOperationsArgs) -> ToolOutput:
    """Find any of Halo's ~1300 API operations by task; an exact name ("POST /Actions") lists its parameters and
    fields."""
    cat = catalogue()
    named = _NAMED.match(args.query)
    if named:
        method, path, rest = named.groups()
        if method.upper() in ("PUT", "PATCH"):
            raise ToolError(f"Halo has no {method.upper()}: use 'POST {path}' (an upsert: include id to update)")
        resolved = cat.resolve(f"{method} {path}")
        if resolved:
            return _detail(ctx.selection, cat, resolved[0], rest)
    ops, total, words = cat.search(args.query, args.limit)
    if not ops:
        raise ToolError(f"no operation matches {args.query!r}; try other words, e.g. a resource name like 'tickets'")
    lines = [f"{len(ops)} of {total} matches; query an exact name for all its parameters"]
    lines += [f"{op.name} · {op.summary}{_key_params(cat, op, words)}" for op in ops]
    curated = [f"{op.name} -> {', '.join(names)}" for op in ops if (names := _curated(ctx.selection, op))]
    if curated:
        lines.append("curated tools: " + "; ".join(curated))
    return ToolOutput(text="\n".join(lines))


def _describe_call(selection: Selection) -> str | None:
    """call_operation's description where some methods are refused (read-only mode, collection kinds)."""
    allowed = [m for m, k in METHOD_KINDS if selection.allows_kind(k)]
    if len(allowed) == len(METHOD_KINDS):
        return None
    refused = " and ".join(m for m, _ in METHOD_KINDS if m not in allowed)
    head = "This server is read-only: only GET operations run" if selection.read_only else (
        f"Only {' and '.join(allowed) or 'no'} operations run here")  # fmt: skip
    return (
        "Call a Halo API operation found with search_operations. Arguments are flat: path and query parameters by "
        f"name. {head}; {refused} are refused."
    )


@tool("api", kind="write", dynamic_kind=True, title="Call a Halo API operation", describe=_describe_call)
async def call_operation(ctx: ToolContext, args: CallOperationArgs) -> ToolOutput:
    """Call a Halo API operation (see search_operations). Flat arguments: path and query parameters by name, the
    rest is the POST body (upsert: id updates); client_id, agent_id etc. take names. GET reads, POST writes, DELETE
    deletes."""
    cat = catalogue()
    op, path_values = _operation(cat, args.operation)
    _check_kind(ctx.selection, op)
    arguments = await _names_to_ids(ctx, dict(args.arguments))
    explicit = args.body
    if isinstance(explicit, dict):
        explicit = await _names_to_ids(ctx, explicit)
    elif isinstance(explicit, list):
        explicit = [await _names_to_ids(ctx, dict(item)) for item in explicit]
    path, query, body = _split(cat, op, arguments, path_values, explicit)
    query, body = check_request(op.name, query, body)  # SQL fields (`POST /Report` sql...): one read-only SELECT
    if op.kind == "delete":
        await ctx.confirm(f"Delete in Halo: {op.method} {path}{_query_text(query)}. This cannot be undone.")
    data = await ctx.halo.request(op.method, path.lstrip("/"), params=query or None, json=body)
    hint = _hint(ctx.selection, op, body)
    if op.method == "GET":
        out = _render_read(data)
        if hint:
            out.text += f"\n{hint}"
        return out
    return _render_write(op, path_values | _path_args(op, args.arguments), body, data, hint)


def _query_text(query: Mapping[str, Any] | None) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""


# -- resolution and policy -------------------------------------------------------------------------------------


def _operation(cat: Catalogue, name: str) -> tuple[Operation, dict[str, str]]:
    resolved = cat.resolve(name)
    if resolved:
        return resolved
    named = _NAMED.match(name)
    if named and named.group(1).upper() in ("PUT", "PATCH"):
        raise ToolError(f"Halo has no {named.group(1).upper()}: use 'POST {named.group(2)}' (include id to update)")
    candidates = ", ".join(f"'{o.name}'" for o in cat.suggest(name))
    raise ToolError(
        f"unknown operation {name!r} (names are 'METHOD /Path'); did you mean {candidates}? "
        "search_operations finds others"
    )


def denied_by(method: str, path: str, template: str | None, deny: Iterable[str]) -> str | None:
    """The deny entry (`op:<pattern>`) that blocks `method path`, matched against its template when it has one;
    `op:/Path` patterns match every method."""
    for entry in deny:
        if not entry.lower().startswith("op:"):
            continue
        pattern = re.sub(r"^([a-z*?]+):/", r"\1/", key(entry[3:]))
        for target in dict.fromkeys((template or path, path)):
            candidate = key(target) if pattern.startswith("/") else key(f"{method} {target}")
            if fnmatch.fnmatchcase(candidate, pattern):
                return entry
    return None


def request_policy(selection: Selection) -> Callable[[str, str], None]:
    """The check every Halo request of a surface passes before it is sent, whichever tool sends it: one path
    segment per path part, a method the selection allows (read-only: GET, and the reads Halo takes as a POST),
    and no operation the selection denies (`op:` entries)."""
    denies = tuple(e for e in selection.deny if e.lower().startswith("op:"))
    methods = {m for m, k in METHOD_KINDS if selection.allows_kind(k)}

    def check(method: str, path: str) -> None:
        path = "/" + path.split("?", 1)[0].strip("/")
        for segment in path[1:].split("/"):
            if segment in ("", ".", "..") or unquote(segment) in (".", "..") or _BAD_SEGMENT.search(segment):
                raise ToolError(f"refused to send {method} {path}: {segment!r} is not a valid path segment")
        if method in methods and not denies:
            return
        resolved = catalogue().resolve(f"{method} {path}")
        template = resolved[0].name.split(" ", 1)[1] if resolved else None
        if method not in methods and f"{method} {template}" not in READS_BY_POST:
            mode = "this server is read-only" if selection.read_only else "this endpoint does not allow it"
            raise ToolError(f"refused to send {method} {template or path}: {mode}")
        entry = denied_by(method, path, template, denies)
        if entry:
            raise ToolError(f"{method} {template or path} is denied by this server's configuration ({entry})")

    return check


def _check_kind(selection: Selection, op: Operation) -> None:
    kind = op.kind
    if not selection.allows_kind(kind):  # type: ignore[arg-type]
        if selection.read_only:
            raise ToolError(f"this server is read-only; only GET operations are allowed ({op.name} is a {kind})")
        allowed = "/".join(m for m, k in METHOD_KINDS if selection.allows_kind(k))
        raise ToolError(f"{kind} operations are not allowed on this endpoint; allowed methods: {allowed or 'none'}")


def _curated(selection: Selection, op: Operation) -> tuple[str, ...]:
    names = CURATED.get(op.name, ())
    return tuple(n for n in names if (t := registry.get(n)) is not None and selection.allows(t))


def _hint(selection: Selection, op: Operation, body: Any = None) -> str:
    names = _curated(selection, op)
    if not names:
        return ""
    covered = CURATED_FIELDS.get(op.name)
    items = body if isinstance(body, list) else [body] if isinstance(body, Mapping) else []
    sent = {k.lower() for item in items if isinstance(item, Mapping) for k in item if not k.startswith("_")}
    if covered is not None and sent - covered:
        return ""  # the call set fields no curated tool takes: call_operation was the right tool
    return f"tip: {', '.join(names)} does this with names resolved and fields checked"


# -- splitting arguments -----------------------------------------------------------------------------------------


# Well-known reference arguments that also take a name (or 'me' for an agent), resolved like the curated tools do.
REFERENCE_ARGS = {
    "client_id": "client", "site_id": "site", "user_id": "user", "agent_id": "agent", "team_id": "team",
    "tickettype_id": "tickettype", "requesttype_id": "tickettype", "priority_id": "priority", "status_id": "status",
    # write fields (POST /Actions, /Tickets, /Asset): the new state an action sets, an outcome, a category, an SLA
    "new_status": "status", "new_agent": "agent", "new_priority": "priority", "outcome_id": "outcome",
    "categoryid_1": "category", "sla_id": "sla", "assettype_id": "assettype",
}  # fmt: skip


async def _names_to_ids(ctx: ToolContext, arguments: dict[str, Any]) -> dict[str, Any]:
    """Names given for well-known id arguments become ids; a site or user is looked up within the client given."""
    named = {k: v for k, v in arguments.items() if k.lower() in REFERENCE_ARGS and isinstance(v, str)}
    named = {k: v for k, v in named.items() if v.strip() and not is_id_text(v.strip().lstrip("-"))}
    if not named:
        return arguments
    out = dict(arguments)
    client_key = next((k for k in named if k.lower() == "client_id"), None)
    client = await ctx.resolver.resolve("client", named.pop(client_key)) if client_key else None
    if client_key and client:
        out[client_key] = client.id
    given = str(next((v for k, v in out.items() if k.lower() == "client_id"), ""))
    within = client or (Entity("client", int(given), given, {}) if is_id_text(given) else None)
    for k, v in named.items():
        out[k] = (await ctx.resolver.resolve(REFERENCE_ARGS[k.lower()], v, within)).id
    return out


def _path_args(op: Operation, arguments: Mapping[str, Any]) -> dict[str, str]:
    wanted = {p.lower(): p for p, _ in op.path_params}
    return {wanted[k.lower()]: str(v) for k, v in arguments.items() if k.lower() in wanted}


def _split(
    cat: Catalogue,
    op: Operation,
    arguments: dict[str, Any],
    path_values: dict[str, str],
    explicit: dict[str, Any] | list[dict[str, Any]] | None,
) -> tuple[str, dict[str, Any], Any]:
    """(path, query, body) for `op` from flat arguments; every mistake is a ToolError naming the valid names."""
    path = op.path
    missing = []
    for name, _ in op.path_params:
        given = next((k for k in arguments if k.lower() == name.lower()), None)
        value: Any = arguments.pop(given) if given is not None else path_values.get(name)
        if value is None or value == "":
            missing.append(name)
            continue
        path = path.replace("{" + name + "}", _segment(op, name, value))
    if missing:
        example = ", ".join(f'"{m}": …' for m in missing)
        raise ToolError(f"{op.name} needs path parameter(s) {', '.join(missing)}: pass arguments={{{example}}}")
    query_names = {q.lower(): q for q in op.query_names}
    query: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for name, value in arguments.items():
        if name.lower() in query_names:
            query[query_names[name.lower()]] = value
        else:
            rest[name] = value
    if op.method != "POST":
        if explicit is not None:
            raise ToolError(f"body is only for POST; {op.name} takes query parameters in arguments")
        if rest and op.method == "GET":
            raise ToolError(_unknown(op, rest, list(op.query_names), "query parameters"))
        # The spec omits some DELETE parameters Halo honours (`DELETE /Actions/{id}?ticket_id=`): pass them on.
        return path, {**query, **rest}, None
    if op.body == "multipart":
        raise ToolError(f"{op.name} takes a multipart file upload, which call_operation cannot send; "
                        "use add_attachment for files")  # fmt: skip
    if explicit is not None:
        if rest:
            raise ToolError(_unknown(op, rest, list(op.query_names), "query parameters (the body was given)"))
        body: Any = [explicit] if op.body == "array" and isinstance(explicit, dict) else explicit
        return path, query, body
    if not op.body:
        if rest:
            raise ToolError(_unknown(op, rest, list(op.query_names), "query parameters (it takes no body)"))
        return path, query, None
    fields = [f for f, _ in cat.fields(op)]
    if fields:
        known = {f.lower(): f for f in fields}
        unknown = {k: v for k, v in rest.items() if k.lower() not in known and not k.startswith("_")}
        if unknown:
            raise ToolError(_unknown(op, unknown, fields + list(op.query_names), "body fields or query parameters"))
        rest = {known.get(k.lower(), k): v for k, v in rest.items()}
    if not rest:
        raise ToolError(f"{op.name} needs body fields in arguments (or body=...); search_operations('{op.name}') "
                        "lists them")  # fmt: skip
    return path, query, [rest] if op.body == "array" else rest


def _segment(op: Operation, name: str, value: Any) -> str:
    """One path parameter as one percent-encoded segment; values a URL would turn into another path are refused."""
    text = str(value)
    if text in (".", "..") or _BAD_SEGMENT.search(text):
        raise ToolError(
            f"path parameter {name}={text!r} is not valid for {op.name}: pass the record's id or name "
            "(no '/', '\\', control characters, and not '.' or '..')"
        )
    return quote(text, safe="")


def _unknown(op: Operation, given: Mapping[str, Any], valid: Sequence[str], what: str) -> str:
    names = ", ".join(given)
    if not valid:
        return f"unknown argument(s) {names}: {op.name} takes no {what.split(' (')[0]}"
    close = sorted({m for g in given for m in difflib.get_close_matches(g.lower(), valid, n=3, cutoff=0.6)})
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    cap = 400 if close else 1500
    listing = truncate(", ".join(valid), cap, more=f"search_operations('{op.name} <word>') filters them")
    return f"unknown argument(s) {names} for {op.name}{hint} Valid {what}: {listing}"


# -- results --------------------------------------------------------------------------------------------------


def _deep(value: Any) -> Any:
    """compact() all the way down: nested records and row lists lose their empty fields too."""
    if isinstance(value, Mapping):
        return {k: _deep(v) for k, v in compact(value).items() if not _hollow(_deep(v))}
    if isinstance(value, list):
        return [_deep(v) for v in value if not _hollow(_deep(v))]
    return value


def _hollow(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _is_envelope(data: Any) -> bool:
    if not isinstance(data, Mapping):
        return False
    if any(k in data for k in ("record_count", "page_no", "page_size")):
        return True
    lists = [v for v in data.values() if isinstance(v, list)]
    return len(data) <= 4 and len(lists) == 1 and all(isinstance(r, Mapping) for r in lists[0])


def _render_read(data: Any) -> ToolOutput:
    if data is None or data == "":
        return ToolOutput(text="empty response")
    if isinstance(data, str):
        return ToolOutput(text=cut(untrusted(data), READ_CAP, more="narrow the request"))
    if isinstance(data, list) and not all(isinstance(r, Mapping) for r in data):
        return ToolOutput(text=cut(untrusted(", ".join(map(str, data))), READ_CAP), structured={"result": data})
    if isinstance(data, list) or _is_envelope(data):
        total = data.get("record_count") if isinstance(data, Mapping) else None
        return _rows_output(rows_of(data), int(total) if isinstance(total, int | float) else None)
    record = _deep(data) if isinstance(data, Mapping) else {"result": data}
    out = record_output(record)  # any endpoint, any field: every string is delimited
    if len(out.text) > READ_CAP:
        out = ToolOutput(text=cut(out.text, READ_CAP, more="ask for fewer details, e.g. without includedetails"))
    return out


def _rows_output(rows: list[dict[str, Any]], total: int | None) -> ToolOutput:
    compacted = [{k: truncate(v, CELL_CAP) if isinstance(v, str) else v for k, v in _deep(r).items()} for r in rows]
    seen: dict[str, None] = {}
    for row in compacted:
        seen.update(dict.fromkeys(row))
    columns = [c for c in seen if any(not is_empty(c, r.get(c)) for r in compacted)]
    notes = []
    if len(columns) > MAX_COLUMNS:
        notes.append(f"{len(columns) - MAX_COLUMNS} more columns hidden; get one by id for every field")
        columns = columns[:MAX_COLUMNS]
    shown = len(compacted)
    out = list_output("rows", compacted, columns=columns, total=total)
    while len(out.text) > READ_CAP and shown > 1:
        shown = max(1, int(shown * READ_CAP / len(out.text) * 0.95))
        out = list_output("rows", compacted[:shown], columns=columns, total=total)
    if shown < len(compacted):
        notes.append(f"truncated to {shown} of {len(compacted)} rows: page with pageinate=true, page_size, page_no")
    if notes:
        head, _, body = out.text.partition("\n")
        out.text = f"{head}. {'; '.join(notes)}\n{body}"
    return out


def _label(op: Operation) -> str:
    res = op.resource.lower()
    return PLURAL_RESOURCES.get(res, res)


def _render_write(op: Operation, path_values: Mapping[str, str], body: Any, data: Any, hint: str) -> ToolOutput:
    label = _label(op)
    records = [r for r in (data if isinstance(data, list) else [data]) if isinstance(r, Mapping)]
    ids = [r["id"] for r in records if isinstance(r.get("id"), int | str) and str(r.get("id")) not in ("", "0")]
    if not ids and op.method == "POST" and isinstance(body, list | dict):
        items = body if isinstance(body, list) else [body]
        ids = [i["id"] for i in items if isinstance(i, Mapping) and i.get("id")]
    if not ids and op.method == "DELETE" and path_values:
        ids = [next(iter(path_values.values()))]
    affected = [f"{label}:{i}" for i in ids] or [label]
    lines = [f"{op.name} ok: {', '.join(affected)}"]
    structured: dict[str, Any] = {"affected": affected}
    if records and op.method == "POST":
        # What changed, as Halo saved it: the fields sent, read back from Halo's answer (not the whole record,
        # ~1,000 tokens for a ticket); GET the record for the rest.
        changed = _changed(body, records[0])
        if changed:
            structured["changed"] = changed
            lines.append(cut(record_output(changed).text, WRITE_CAP, more="read it back with GET"))
    elif isinstance(data, str) and data:
        lines.append(cut(untrusted(data), WRITE_CAP))
    if hint:
        lines.append(hint)
    return ToolOutput(text="\n".join(lines), structured=structured, affected=affected)


def _changed(body: Any, saved: Mapping[str, Any]) -> dict[str, Any]:
    """The sent fields with the values Halo answered (its casing of a name wins; a field it did not echo keeps the
    sent value)."""
    first = body[0] if isinstance(body, list) and body else body
    if not isinstance(first, Mapping):
        return {}
    answered = {k.lower(): v for k, v in saved.items()}
    out = {k: answered.get(k.lower(), v) for k, v in first.items() if not k.startswith("_") and k.lower() != "id"}
    return _deep(out)


def _key_params(cat: Catalogue, op: Operation, words: set[str]) -> str:
    """The few parameters worth showing in a search row: those the query mentions, then the usual ones."""
    names = list(op.query_names) if op.method != "POST" or not op.schema else [f for f, _ in cat.fields(op)]
    if op.method == "POST" and not op.schema:
        names = list(op.query_names)
    if not names:
        return ""
    picked = matching(names, words)[:3]
    for name in PREFERRED.get(op.method, ()):
        if len(picked) >= 4:
            break
        if name in names and name not in picked:
            picked.append(name)
    if not picked:
        picked = names[:3]
    more = len(names) - len(picked)
    return " · " + ", ".join(picked) + (f" +{more}" if more > 0 else "")


def _detail(selection: Selection, cat: Catalogue, op: Operation, filter_text: str) -> ToolOutput:
    """Everything about one operation: path, query and body names with types; words in `filter_text` narrow it."""
    words = {w.lower() for w in re.findall(r"[A-Za-z0-9_]+", filter_text)}
    lines = [f"{op.name} · {op.summary} · {op.kind} · schema {op.schema or op.tag}"]
    if op.path_params:
        lines.append("path: " + ", ".join(f"{n}:{t}" for n, t in op.path_params))
    query = [q for q in op.query if not words or _hit(q[0], words) or any(w in q[2].lower() for w in words)]
    if query:
        parts, size = [], 0
        for name, typ, desc in query:
            part = f"{name}:{typ}" + (f" ({desc})" if desc and size < DETAIL_CAP // 2 else "")
            size += len(part)
            parts.append(part)
        lines.append(f"query ({len(query)}{' matching' if words else ''}): " + "; ".join(parts))
    fields = _important_first(op, cat.fields(op))
    if fields:
        chosen = [f for f in fields if not words or _hit(f[0], words)]
        text = ", ".join(f"{n}:{t}" for n, t in chosen)
        shape = "one object, sent as a one-item array" if op.body == "array" else "one object"
        lines.append(
            f"body fields ({len(chosen)}{' matching' if words else ''}; flat arguments form {shape}; "
            f"body= for several): " + truncate(text, DETAIL_CAP, more=f"add words to filter: '{op.name} status'")
        )
    elif op.body:
        free = op.body != "multipart"
        lines.append(f"body: {op.body} (free form; pass body=...)" if free else "body: multipart file upload")
    hint = _hint(selection, op)
    if hint:
        lines.append(hint)
    return ToolOutput(text="\n".join(lines))


def _important_first(op: Operation, fields: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Body fields with the ones that matter first: those a curated tool sends, then ids, names and dates."""
    curated = CURATED_FIELDS.get(op.name, frozenset())
    order = {name: i for i, name in enumerate(IMPORTANT)}

    def weight(field: tuple[str, str]) -> tuple[int, int]:
        name = field[0].lower()
        return (0 if name in curated else 1 if name in order else 2, order.get(name, len(order)))

    return sorted(fields, key=weight)


def _hit(name: str, words: set[str]) -> bool:
    low = name.lower()
    return any(w in low for w in words)
