"""The `/api` resource handlers: one generic list/get/post/delete path driven by `resources.RESOURCES`,
plus the behaviour that really differs (tickets, actions, attachments, reports, automation, `/Agent/me`)."""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import time
from dataclasses import dataclass, field
from typing import Any

from halo_mcp.sandbox import endusers, reports, tickets
from halo_mcp.sandbox.auth import IssuedToken, allowed
from halo_mcp.sandbox.errors import ErrorResponse, bad_request, forbidden, not_found
from halo_mcp.sandbox.query import Query, as_bool, as_date, as_int, first, ints, multi
from halo_mcp.sandbox.resources import RESOURCES, Resource, schema_fields
from halo_mcp.sandbox.routes import note_ignored, table
from halo_mcp.sandbox.shape import Recorded, apply, decorate, form_config, item_shape, list_shape, write_reply
from halo_mcp.sandbox.store import Record, Store, col, now_iso

INT32 = (-(2**31), 2**31 - 1)  # Halo ids are int32
ORDER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_PAGE = 50
MAX_PAGE = 100
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".svg"}


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    method: str
    res: Resource
    item_id: str | None
    sub: str | None
    query: Query
    body: bytes
    token: IssuedToken


@dataclass
class Runs:
    """Runbook executions (in memory): id -> run record."""

    runs: dict[int, Record] = field(default_factory=dict)
    next_id: int = 1


class Api:
    def __init__(self, store: Store, runbook_seconds: float | None = None, shape_defaults: bool = True) -> None:
        self.store = store
        self.runbook_seconds = runbook_seconds
        self.shape_defaults = shape_defaults  # shape.py: Halo's recorded unset markers, or none (lean)
        self.recorded = Recorded()  # live Halo replies replayed verbatim (shape.Recorded)
        self.runs = Runs()
        self.ignored: dict[str, set[str]] = {}  # "METHOD /spec/path" -> undeclared body fields seen

    # -- dispatch ---------------------------------------------------------------------------------------
    def handle(self, ctx: Ctx) -> Reply:
        res = ctx.res
        write = ctx.method in ("POST", "DELETE")
        if res.name == "Report" and ctx.method == "POST":
            area_ok = allowed(ctx.token, "reporting", True)
        else:
            area_ok = allowed(ctx.token, res.scope, write)
        if not area_ok:
            need = f"{'edit' if write else 'read'}:{res.scope}"
            raise forbidden(f"The access token does not allow this operation (requires scope {need})")
        replayed = self.recorded.reply(ctx.method, res.name, ctx.item_id)
        if replayed is not None:
            return Reply(body=replayed)
        if ctx.token.user_id is not None:  # an end user's own sign-in: their view only (endusers.py)
            return endusers.serve(self, ctx)
        if ctx.sub == "me":
            return self.me(ctx)
        if res.name == "Automation":
            return self.automation(ctx)
        if ctx.method == "GET":
            if ctx.item_id is None:
                return self.list_(ctx)
            return self.get_one(ctx)
        if ctx.method == "POST":
            if ctx.item_id is not None:
                raise ErrorResponse(405, "The requested resource does not support http method 'POST'.")
            return self.post(ctx)
        if ctx.item_id is None:
            raise ErrorResponse(405, "The requested resource does not support http method 'DELETE'.")
        return self.delete(ctx)

    def _key(self, ctx: Ctx) -> int:
        assert ctx.item_id is not None
        try:
            key = int(ctx.item_id)
        except ValueError:
            key = None
        if key is None or not INT32[0] <= key <= INT32[1]:
            raise not_found(f"{ctx.res.title} {ctx.item_id} not found")
        return key

    # -- rendering --------------------------------------------------------------------------------------
    def render(
        self, res: Resource, rec: Record, list_row: bool = False, st: tickets.StatusInfo | None = None
    ) -> Record:
        """The record as Halo would serialise it: derived names added, then the `shape` rule applied."""
        out = {k: v for k, v in rec.items() if not k.startswith("_")}
        store = self.store
        for j in res.joins:
            ref = rec.get(j.id_field)
            if ref not in (None, 0):
                out[j.out] = store.name_of(j.target, ref, j.name_field)
        if res.store_table == "Tickets":
            out.update(tickets.sla_view(rec, st or tickets.status_info(store), tickets.now_utc()))
            out["attachment_count"] = store.count(
                "Attachment", [f"{col('Attachment', 'ticket_id')} = ?"], [rec.get("id")]
            )
            out["use"] = (store.lookup("TicketType", rec.get("tickettype_id")) or {}).get("use") or "ticket"
        elif res.name == "Users" and rec.get("site_id") and "client_id" not in rec:
            site = store.lookup("Site", int(rec["site_id"]))
            if site is not None:
                out["client_id"] = site.get("client_id")
                out["client_name"] = store.name_of("Client", site.get("client_id"))
        elif res.name == "Attachment":
            out.pop("data", None)
            out.pop("data_base64", None)
        decorate(res.name, rec, out, list_row, self._nested)
        if list_row:
            for k in res.list_omit:
                out.pop(k, None)
            shaped = apply(out, list_shape(res.schema, self.shape_defaults))
        else:
            shaped = apply(out, item_shape(res.schema, self.shape_defaults))
        if res.store_table == "Tickets" and rec.get("team"):
            # [UNVERIFIED] not in spec B's Faults: recorded beside `team` on a live single ticket (facts §17) and
            # declared on spec C's Faults_List (facts §7). Sent on reads only; a write of it is ignored.
            shaped["team_id"] = tickets.team_id(store, rec.get("team"))
        return shaped

    def _nested(self, name: str, key: Any) -> Record | None:
        """A related record rendered as its own single read (a ticket's `user`, `priority`, ...), or its name."""
        if name == "Agent":
            return {"name": self.store.name_of("Agent", key)}
        if name == "Colour":  # a site's colour: its client's
            client = self.store.lookup("Client", (self.store.lookup("Site", key) or {}).get("client_id"))
            return {"colour": (client or {}).get("colour")}
        if name == "Priority":
            rec = tickets.find_priority(self.store, *key)
        elif name == "Team" and isinstance(key, str):  # tickets store the team by name
            rec = next((t for t in self.store.all("Team") if t.get("name") == key), None)
        else:
            table = _res(name).store_table
            rec = self.store.lookup(table, key) if table in _small() else self.store.get(table, key)
        if rec is None:
            return None
        out = self.render(_res(name), rec)
        if name == "TicketType":  # a ticket's nested type carries its form (facts §17)
            out.update(form_config(tickets.type_field_config(rec)))
        return out

    # -- GET list ---------------------------------------------------------------------------------------
    def list_(self, ctx: Ctx) -> Reply:
        res, q, store = ctx.res, ctx.query, self.store
        where: list[str] = []
        params: list[Any] = []
        table = res.store_table

        def j(f: str) -> str:
            return col(table, f)

        for f in res.filters:
            if f.param not in q:
                continue
            if f.kind == "int":
                vals = ints(q, f.param)
                if vals:
                    expr = "id" if f.field == res.key else j(f.field)
                    where.append(f"{expr} IN ({','.join('?' * len(vals))})")
                    params.extend(vals)
            elif f.kind == "str":
                svals = [v.lower() for v in multi(q, f.param)]
                if svals:
                    where.append(f"lower({j(f.field)}) IN ({','.join('?' * len(svals))})")
                    params.extend(svals)
            elif f.kind == "bool":
                where.append(f"coalesce({j(f.field)}, 0) = ?")
                params.append(1 if as_bool(q, f.param) else 0)
            elif f.kind in ("flag", "unflag"):
                if as_bool(q, f.param):
                    where.append(f"coalesce({j(f.field)}, 0) = {1 if f.kind == 'flag' else 0}")
            elif f.kind == "not":
                vals = ints(q, f.param)
                if vals:
                    expr = "id" if f.field == res.key else j(f.field)
                    where.append(f"{expr} NOT IN ({','.join('?' * len(vals))})")
                    params.extend(vals)
            elif f.kind in ("from", "to"):
                d = as_date(q, f.param)
                if d:
                    op = ">=" if f.kind == "from" else "<="
                    where.append(f"julianday({j(f.field)}) {op} julianday(?)")
                    params.append(d)
        if res.store_table == "Tickets":
            w, p = tickets.ticket_filters(store, q, ctx.token.agent_id, res.type_use)
            where += w
            params += p
        if res.name == "Actions":
            tid = as_int(q, "ticket_id")
            if tid is not None:
                if store.get("Tickets", tid) is None:
                    raise not_found(f"Ticket {tid} not found")
                where.append("parent = ?")
                params.append(tid)
            if as_bool(q, "excludeprivate"):
                where.append(f"coalesce({j('hiddenfromuser')}, 0) = 0")
            if as_bool(q, "timeentriesonly"):
                where.append(f"coalesce({j('timetaken')}, 0) > 0")
            if as_bool(q, "agentonly"):
                where.append(f"coalesce({j('who_agentid')}, 0) > 0")
            outcome = first(q, "actoutcome")
            if outcome:
                where.append(f"lower({j('outcome')}) = ?")
                params.append(outcome.lower())
            if as_bool(q, "importantonly"):
                where.append(f"coalesce({j('important')}, 0) = 1")
            system = f"coalesce({j('who')}, '') = 'System'"  # Halo's system actions are by "System" (facts §17)
            if as_bool(q, "excludesys"):
                where.append(f"NOT ({system})")
            if as_bool(q, "conversationonly"):
                where.append(f"coalesce({j('hiddenfromuser')}, 0) = 0 AND NOT ({system})")
            # startdate/enddate: "actions will have occured after/before this date" (spec) -> the action's datetime.
            for param, op in (("startdate", ">="), ("enddate", "<=")):
                d = as_date(q, param)
                if d:
                    where.append(f"julianday({j('datetime')}) {op} julianday(?)")
                    params.append(d)
        if res.name == "Asset" and as_int(q, "ticket_id") is not None:
            # The ticket's linked assets (`Faults.assets`).
            where.append(
                "id IN (SELECT json_extract(a.value, '$.id') FROM r_Tickets t, json_each(t.data, '$.assets') a "
                "WHERE t.id = ?)"
            )
            params.append(as_int(q, "ticket_id"))
        if res.name == "Quotation" and (as_bool(q, "open") or as_bool(q, "closed")):
            # Sandbox quote states (seed.QUOTE_STATUS): 0 draft and 1 awaiting approval are open, the rest closed.
            where.append(f"coalesce({j('status')}, 0) {'' if as_bool(q, 'open') else 'NOT '}IN (0, 1)")
        if res.inactive_field and not (as_bool(q, "includeinactive") or as_bool(q, "activeinactive")):
            where.append(f"coalesce({j(res.inactive_field)}, 0) = 0")
        if res.name == "Agent":
            if not as_bool(q, "includedisabled"):
                where.append(f"coalesce({j('isdisabled')}, 0) = 0")
            if not as_bool(q, "includeapiagents"):
                where.append(f"coalesce({j('isapiagent')}, 0) = 0")
        tt = as_int(q, "tickettype_id") if res.name == "Outcome" else None
        if tt:
            # An outcome with no `tickettypes` restriction applies to every ticket type.
            where.append(
                f"coalesce(json_array_length({j('tickettypes')}), 0) = 0 OR EXISTS (SELECT 1 FROM "
                f"json_each({j('tickettypes')}) e WHERE CAST(json_extract(e.value, '$.value') AS INTEGER) = ?)"
            )
            params.append(tt)
        search = (first(q, "search") or "").strip()
        terms = _search_terms(res, search)
        if terms:
            ors = []
            for term in terms:
                for sf in res.search:
                    ors.append(f"{j(sf)} LIKE ? ESCAPE '\\'")
                    params.append(f"%{_like_escape(term)}%")
                if res.store_table == "Tickets" and term.isdigit():
                    ors.append("id = ?")
                    params.append(int(term))
            where.append(" OR ".join(ors))
        order = self._order(q, res)
        paginate = as_bool(q, "pageinate")
        page_size = min(MAX_PAGE, max(1, as_int(q, "page_size") or DEFAULT_PAGE))
        page_no = max(1, as_int(q, "page_no") or 1)
        count = as_int(q, "count")
        plain = res.list_key is None
        ranked = bool(terms) and res.search_mode == "words"
        if ranked:
            rows, total = store.query(res.store_table, where, params, order)
            rows = _rank(rows, terms)
            if paginate:
                rows = rows[(page_no - 1) * page_size : page_no * page_size]
            else:
                rows = rows[: min(count or MAX_PAGE, MAX_PAGE)]
        elif paginate:
            rows, total = store.query(
                res.store_table, where, params, order, limit=page_size, offset=(page_no - 1) * page_size
            )
        elif plain and count is None:
            rows, total = store.query(res.store_table, where, params, order)
        else:
            limit = min(count, MAX_PAGE) if count is not None and count > 0 else MAX_PAGE
            rows, total = store.query(res.store_table, where, params, order, limit=limit)
        st = tickets.status_info(store) if res.store_table == "Tickets" else None
        out_rows = [self.render(res, r, list_row=True, st=st) for r in rows]
        if plain:
            return Reply(body=out_rows)
        body: dict[str, Any] = {}
        if paginate:
            body["page_no"] = page_no
            body["page_size"] = page_size
        body["record_count"] = total
        body[res.list_key or ""] = out_rows
        if res.name in ("Actions", "Attachment") and first(q, "ticket_id"):
            body["ticket_id"] = as_int(q, "ticket_id")
        return Reply(body=body)

    def _order(self, q: Query, res: Resource) -> list[tuple[str, bool]]:
        order: list[tuple[str, bool]] = []
        for n in ("", "2", "3", "4", "5"):
            name = first(q, f"order{n}")
            if not name:
                continue
            if not ORDER_RE.match(name):
                raise bad_request(f"Invalid order field: {name}")
            order.append((self._order_expr(res, name), as_bool(q, f"orderdesc{n}")))
        return order

    def _order_expr(self, res: Resource, name: str) -> str:
        """SQL for an order field: the key, a derived name (via its join), or a stored spec field.

        Derived names (`client_name`, `agent_name`, ...) sort by the joined record's value. Fields that are
        not properties of the resource's schema are rejected with 400 rather than silently ignored.
        Read-time SLA fields (`slatimeleft`, ...) are not stored and sort as null.
        """
        table = res.store_table
        if name == res.key:
            return "id"
        for jn in res.joins:
            if jn.out == name:
                ref = "id" if jn.id_field == res.key else col(table, jn.id_field)
                return (
                    f"(SELECT json_extract(x.data, '$.{jn.name_field}') FROM r_{jn.target} x "
                    f"WHERE x.id = {ref} LIMIT 1)"
                )
        spec = schema_fields(res.schema)
        if spec and name not in spec:
            raise bad_request(f"Invalid order field '{name}': not a field of {res.title}")
        return col(table, name)

    # -- GET one ----------------------------------------------------------------------------------------
    def get_one(self, ctx: Ctx) -> Reply:
        res, store = ctx.res, self.store
        key = self._key(ctx)
        if res.name == "Actions":
            tid = as_int(ctx.query, "ticket_id")
            if tid is None:
                raise bad_request("ticket_id is required")
            rec = store.get("Actions", key, parent=tid)
        else:
            rec = store.get(res.store_table, key)
        if rec is None or not self._type_ok(res, rec):
            raise not_found(f"{res.title} {key} not found")
        if res.name == "Attachment":
            return self._download(rec)
        out = self.render(res, rec)
        if res.name == "Report" and as_bool(ctx.query, "loadreport"):
            out["report"] = reports.run(store, str(rec.get("_sql") or rec.get("sql") or ""), _report_params(ctx.query))
        if res.name == "TicketType" and as_bool(ctx.query, "includedetails"):
            out.update(form_config(tickets.type_field_config(rec)))
        if res.store_table == "Tickets" and as_bool(ctx.query, "includelastaction"):
            acts, _ = store.query("Actions", ["parent = ?"], [key], [("id", True)], limit=1)
            if acts:
                out["lastaction"] = self.render(_res("Actions"), acts[0])
        return Reply(body=out)

    def _type_ok(self, res: Resource, rec: Record) -> bool:
        if res.type_use is None:
            return True
        ttype = self.store.lookup("TicketType", rec.get("tickettype_id")) or {}
        return (ttype.get("use") or "ticket") == res.type_use

    def _download(self, rec: Record) -> Reply:
        data = base64.b64decode(rec.get("_data_b64") or "")
        name = str(rec.get("filename") or f"attachment-{rec.get('id')}")
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        safe = name.replace('"', "")
        return Reply(
            raw=data,
            headers={"content-type": ctype, "content-disposition": f'attachment; filename="{safe}"'},
        )

    # -- POST -------------------------------------------------------------------------------------------
    def post(self, ctx: Ctx) -> Reply:
        res = ctx.res
        try:
            payload = json.loads(ctx.body or b"null")
        except (ValueError, UnicodeDecodeError) as e:
            raise bad_request(
                f"Unexpected character encountered while parsing value: {e}", "JsonReaderException"
            ) from None
        if isinstance(payload, dict):
            items = [payload]
        elif isinstance(payload, list) and all(isinstance(x, dict) for x in payload):
            items = payload
        else:
            raise bad_request("The request body must be a JSON array of objects (or one object)")
        if not items:
            raise bad_request("The request body is empty")
        if not res.writable:
            raise ErrorResponse(405, "The requested resource does not support http method 'POST'.")
        items = [self._validate(res, dict(x)) for x in items]
        validate_only = any(x.get("_validate_only") for x in items)
        if res.name == "Report" and any(x.get("_loadreportonly") or x.get("_testonly") for x in items):
            results = [self._report_adhoc(x) for x in items]
            return _one_or_many(results)
        results = []
        self.store.db.execute("BEGIN")
        try:
            with write_reply(ctx.token.agent_id):
                results.extend(self._write_one(ctx, item) for item in items)
            if validate_only:
                self.store.db.execute("ROLLBACK")
                self.store._invalidate(None)
            else:
                self.store.db.execute("COMMIT")
        except BaseException:
            self.store.db.execute("ROLLBACK")
            self.store._invalidate(None)
            raise
        return _one_or_many(results)

    def _validate(self, res: Resource, item: Record) -> Record:
        """Drop fields the body schema does not declare (Halo ignores unknown fields; noted for tests) and reject
        wrong JSON types (Halo's deserializer is lenient with numeric strings)."""
        fields = table().fields(res.schema)
        for k in list(item):
            v = item[k]
            if k.startswith("_"):
                continue
            code = fields.get(k)
            if code is None:
                note_ignored(self.ignored, f"POST /{res.name}", [k])
                del item[k]
                continue
            if v is None:
                continue
            item[k] = coerce(k, v, code)
        return item

    def _write_one(self, ctx: Ctx, item: Record) -> Record:
        res, store = ctx.res, self.store
        key_field = res.key
        raw_id = item.get(key_field)
        if raw_id is not None and not isinstance(raw_id, int):
            raise bad_request(f"Invalid {key_field}: {raw_id}")
        agent_id = ctx.token.agent_id
        if res.name == "Actions":
            if raw_id:
                return self._update_action(item)
            action, ticket = tickets.add_action(store, item, agent_id)
            out = self.render(res, action)
            if action.get("_ticket"):
                out["ticket"] = self.render(_res("Tickets"), ticket)
            return out
        if res.store_table == "Tickets":
            return self._write_ticket(ctx, item, raw_id)
        if res.name == "Attachment":
            return self._upload(item, raw_id)
        self._check_refs(res, item)
        flags = {k for k in item if k.startswith("_")}
        clean = {k: v for k, v in item.items() if k not in flags}
        if raw_id:
            existing = store.get(res.store_table, raw_id)
            if existing is None:
                raise not_found(f"{res.title} {raw_id} not found")
            existing.update(clean)
            if res.name == "Report" and "sql" in clean:
                existing["_sql"] = existing.pop("sql")
            store.update(res.store_table, existing, key=key_field)
            rec = existing
        else:
            clean.pop(key_field, None)
            if res.name == "Report" and "sql" in clean:
                clean["_sql"] = clean.pop("sql")
            if res.name == "KBArticle":
                clean.setdefault("date_created", now_iso())
            rec = store.insert(res.store_table, clean, key=key_field)
        return self.render(res, rec)

    def _check_refs(self, res: Resource, item: Record) -> None:
        for j in res.joins:
            ref = item.get(j.id_field)
            if ref in (None, 0):
                continue
            table = j.target
            exists = self.store.lookup(table, ref) if table in _small() else self.store.get(table, ref)
            if exists is None:
                raise bad_request(f"Invalid {j.id_field}: {ref}")

    def _write_ticket(self, ctx: Ctx, item: Record, raw_id: int | None) -> Record:
        store, res = self.store, ctx.res
        recover = bool(item.get("_recover"))
        existing = None
        if raw_id:
            existing = store.get("Tickets", raw_id)
            if existing is None:
                raise not_found(f"Ticket {raw_id} not found")
            if existing.get("deleted") and not recover:
                raise not_found(f"Ticket {raw_id} not found")
        refs: Record = {
            k: item[k] for k in ("client_id", "site_id", "user_id", "agent_id", "status_id", "sla_id") if k in item
        }
        self._check_refs(_res("Tickets"), refs)
        if item.get("priority_id") and tickets.find_priority(store, item["priority_id"], None) is None:
            raise bad_request(f"Invalid priority_id: {item['priority_id']}")
        t = tickets.prepare_ticket(store, item, existing, res.type_use, ctx.token.agent_id)
        if recover:
            t["deleted"] = False
        if existing is None:
            t.pop("id", None)
            store.insert("Tickets", t)
        else:
            store.update("Tickets", t)
        return self.render(res, t)

    def _update_action(self, item: Record) -> Record:
        store = self.store
        tid = item.get("ticket_id")
        if not tid:
            raise bad_request("ticket_id is required to update an action")
        existing = store.get("Actions", item["id"], parent=tid)
        if existing is None:
            raise not_found(f"Action {item['id']} not found on ticket {tid}")
        clean = {k: v for k, v in item.items() if not k.startswith("_")}
        delta = float(clean.get("timetaken", existing.get("timetaken") or 0) or 0) - float(
            existing.get("timetaken") or 0
        )
        existing.update(clean)
        store.update("Actions", existing, parent=tid)
        if delta:
            ticket = store.get("Tickets", tid)
            if ticket is not None:
                ticket["timetaken"] = round(float(ticket.get("timetaken") or 0) + delta, 4)
                store.update("Tickets", ticket)
        return self.render(_res("Actions"), existing)

    def _upload(self, item: Record, raw_id: int | None) -> Record:
        store = self.store
        if raw_id:
            existing = store.get("Attachment", raw_id)
            if existing is None:
                raise not_found(f"Attachment {raw_id} not found")
            existing.update(
                {k: v for k, v in item.items() if not k.startswith("_") and k not in ("data", "data_base64")}
            )
            store.update("Attachment", existing)
            return self.render(_res("Attachment"), existing)
        encoded = item.pop("data_base64", None) or item.pop("data", None)
        item.pop("data", None)
        if not isinstance(encoded, str) or not encoded:
            raise bad_request("Attachment data is required (base64 in 'data' or 'data_base64')")
        if "," in encoded[:100] and encoded.startswith("data:"):
            encoded = encoded.split(",", 1)[1]
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request("Attachment data is not valid base64") from None
        tid = item.get("ticket_id")
        if tid and store.get("Tickets", tid) is None:
            raise not_found(f"Ticket {tid} not found")
        if not tid:
            raise bad_request("ticket_id is required")
        name = str(item.get("filename") or "attachment.bin")
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        rec = {k: v for k, v in item.items() if not k.startswith("_")}
        rec.update(
            filename=name,
            filesize=len(blob),
            isimage=ext in IMAGE_EXT,
            datecreated=now_iso(),
            type=0,
            _data_b64=base64.b64encode(blob).decode(),
        )
        rec.pop("id", None)
        store.insert("Attachment", rec)
        rec["download_url"] = f"/api/Attachment/{rec['id']}"
        store.update("Attachment", rec)
        return self.render(_res("Attachment"), rec)

    def _report_adhoc(self, item: Record) -> Record:
        sql = item.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise bad_request("sql is required")
        return {"id": 0, "name": item.get("name") or "", "sql": sql, "report": reports.run(self.store, sql)}

    # -- DELETE -----------------------------------------------------------------------------------------
    def delete(self, ctx: Ctx) -> Reply:
        res, store = ctx.res, self.store
        key = self._key(ctx)
        if res.store_table == "Tickets":
            t = store.get("Tickets", key)
            if t is None or t.get("deleted") or not self._type_ok(res, t):
                raise not_found(f"Ticket {key} not found")
            t["deleted"] = True
            t["last_update"] = now_iso()
            if first(ctx.query, "reason"):
                t["_deleted_reason"] = first(ctx.query, "reason")
            store.update("Tickets", t)
            return Reply(body=None)
        if res.name == "Actions":
            tid = as_int(ctx.query, "ticket_id")
            if tid is None:
                raise bad_request("ticket_id is required")
            act = store.get("Actions", key, parent=tid)
            if act is None:
                raise not_found(f"Action {key} not found on ticket {tid}")
            store.delete("Actions", key, parent=tid)
            ticket = store.get("Tickets", tid)
            if ticket is not None and act.get("timetaken"):
                ticket["timetaken"] = round(float(ticket.get("timetaken") or 0) - float(act["timetaken"]), 4)
                store.update("Tickets", ticket)
            return Reply(body=None)
        if not store.delete(res.store_table, key):
            raise not_found(f"{res.title} {key} not found")
        return Reply(body=None)

    # -- special routes ---------------------------------------------------------------------------------
    def me(self, ctx: Ctx) -> Reply:
        """`/Agent/me`, `/Users/me`, `/Client/me` for the token's login.

        Sandbox tokens always log in as an agent (client credentials impersonate the app's agent; the
        password grant takes agent credentials). `/Users/me` and `/Client/me` describe the end user of a
        portal login, so for an agent they answer the end-user record linked to that agent
        (`Users.linked_agent_id`) and its client, or 404 with a message naming `/Agent/me`
        [UNVERIFIED: Halo's exact reply for an agent token is not documented].
        """
        res, aid = ctx.res, ctx.token.agent_id
        if ctx.method != "GET" or res.name not in ("Agent", "Users", "Client"):
            raise not_found("Not found")
        if ctx.token.user_id is not None:  # an end user's login: they are no agent
            user = self.store.lookup("Users", ctx.token.user_id)
            if user is None or res.name == "Agent":
                raise not_found("Agent not found" if res.name == "Agent" else "User not found")
            if res.name == "Users":
                return Reply(body=self.render(res, user))
            client = self.store.lookup("Client", user.get("client_id"))
            if client is None:
                raise not_found(f"User {user.get('id')} has no client")
            return Reply(body=self.render(res, client))
        if res.name == "Agent":
            agent = self.store.lookup("Agent", aid)
            if agent is None:
                raise not_found("Agent not found")
            return Reply(body=self.render(res, agent))
        users, _ = self.store.query("Users", [f"{col('Users', 'linked_agent_id')} = ?"], [aid], limit=1)
        if not users:
            raise not_found(
                f"The logged-in agent (id {aid}) has no linked end-user record; /{res.name}/me is for end-user "
                "logins. Use /Agent/me for the agent."
            )
        user = users[0]
        if res.name == "Users":
            return Reply(body=self.render(res, user))
        client = self.store.lookup("Client", user.get("client_id"))
        if client is None:
            raise not_found(f"The linked user {user.get('id')} has no client")
        return Reply(body=self.render(res, client))

    def automation(self, ctx: Ctx) -> Reply:
        """Runbooks: POST /Automation/{runbookId} starts a run that completes after its duration.

        The spec declares no body, response or status route for a run, and types `runbookId` as a uuid: a run is
        started by the runbook's `guid` or, for older clients, its int id. Beyond the spec, all [convention]: the
        run record answered with 201, `GET /Automation` and `GET /Automation/{id}` listing runbooks with their
        recent runs (`status` running/completed after the configured duration), `POST /Automation` (body: an
        array of ints) echoing its body, and `DELETE /Automation/{id}` removing a runbook.
        """
        store = self.store
        if ctx.method == "GET" and ctx.item_id is None:
            return Reply(body=[self._runbook(r) for r in store.all("Runbook")])
        by_guid = {str(r.get("guid", "")).lower(): r["id"] for r in store.all("Runbook") if r.get("guid")}
        if ctx.method == "POST" and ctx.item_id is not None and ctx.item_id.lower() in by_guid:
            ctx.item_id = str(by_guid[ctx.item_id.lower()])
        key = self._key(ctx) if ctx.item_id is not None else None
        if ctx.method == "GET":
            rb = store.lookup("Runbook", key)
            if rb is None:
                raise not_found(f"Runbook {key} not found")
            return Reply(body=self._runbook(rb))
        if ctx.method == "DELETE" and key is not None:
            if not store.delete("Runbook", key):
                raise not_found(f"Runbook {key} not found")
            return Reply(body=None)
        if key is None:
            try:
                ids = json.loads(ctx.body or b"[]")
            except ValueError:
                raise bad_request("Malformed JSON body", "JsonReaderException") from None
            if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise bad_request("The request body must be a JSON array of integers")
            return Reply(body=ids)
        rb = store.lookup("Runbook", key)
        if rb is None:
            raise not_found(f"Runbook {key} not found")
        try:
            inputs = json.loads(ctx.body) if ctx.body.strip() else {}
        except ValueError:
            raise bad_request("Malformed JSON body", "JsonReaderException") from None
        if isinstance(inputs, list):
            inputs = inputs[0] if inputs and isinstance(inputs[0], dict) else {}
        if not isinstance(inputs, dict):
            raise bad_request("The request body must be a JSON object")
        duration = self.runbook_seconds if self.runbook_seconds is not None else float(rb.get("_duration_seconds") or 2)
        run_id = self.runs.next_id
        self.runs.next_id += 1
        started = time.time()
        run = {
            "id": run_id,
            "runbook_id": key,
            "name": rb.get("name"),
            "inputs": inputs,
            "started": now_iso(),
            "_started": started,
            "_duration": duration,
        }
        self.runs.runs[run_id] = run
        return Reply(status=201, body=self._run_view(run))

    def _run_view(self, run: Record) -> Record:
        done = time.time() >= run["_started"] + run["_duration"]
        out = {k: v for k, v in run.items() if not k.startswith("_")}
        out["status"] = "completed" if done else "running"
        out["duration_seconds"] = run["_duration"]
        return out

    def _runbook(self, rb: Record) -> Record:
        out = {k: v for k, v in rb.items() if not k.startswith("_")}
        runs = [self._run_view(r) for r in self.runs.runs.values() if r["runbook_id"] == rb.get("id")]
        out["runs"] = runs[-20:]
        return out


def coerce(name: str, v: Any, code: str) -> Any:
    bad = bad_request(f"Error converting value {json.dumps(v)[:60]} for field '{name}'", "JsonSerializationException")
    if code == "i":
        if isinstance(v, bool):
            raise bad
        numeric_str = isinstance(v, str) and re.fullmatch(r"-?\d{1,10}", v.strip())
        if (isinstance(v, float) and v.is_integer()) or numeric_str:
            v = int(v)
        if isinstance(v, int) and INT32[0] <= v <= INT32[1]:
            return v
        raise bad
    if code == "n":
        if isinstance(v, bool):
            raise bad
        if isinstance(v, int | float):
            return v
        if isinstance(v, str):
            try:
                return float(v)
            except ValueError:
                raise bad from None
        raise bad
    if code in ("s", "d"):
        if isinstance(v, str):
            return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
        raise bad
    if code == "b":
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        if isinstance(v, int) and v in (0, 1):
            return bool(v)
        raise bad
    if code == "a" and not isinstance(v, list):
        raise bad
    if code == "o" and not isinstance(v, dict | list | str):
        raise bad
    return v


def _rank(rows: list[Record], terms: list[str]) -> list[Record]:
    """KB search ranking: title hits weigh most, then description, then resolution."""
    weights = (("name", 5.0), ("description", 2.0), ("resolution", 1.0), ("tag_string", 2.0))
    scored = []
    for r in rows:
        score = 0.0
        for term in (t.lower() for t in terms):
            for f, w in weights:
                text = str(r.get(f) or "").lower()
                if term in text:
                    score += w * (1 + min(text.count(term), 5) * 0.1)
        r = dict(r, search_score=round(score, 2))
        scored.append((score, r))
    scored.sort(key=lambda x: -x[0])
    return [r for _, r in scored]


def _search_terms(res: Resource, search: str) -> list[str]:
    """What `search` matches: the whole string (phrase mode) or each word (KB's ranked mode)."""
    if not search or not res.search:
        return []
    if res.search_mode == "words":
        return [t for t in re.split(r"\s+", search) if t]
    return [search]


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _report_params(q: Query) -> dict[str, Any]:
    """Run-time parameters of a saved report, bound as `@startdate`, `@enddate` and `@client_id`."""
    client_id = as_int(q, "client_id")
    return {
        "startdate": as_date(q, "reportingperiodstartdate"),
        "enddate": as_date(q, "reportingperiodenddate"),
        "client_id": client_id if client_id else None,
    }


def _one_or_many(results: list[Record]) -> Reply:
    return Reply(status=201, body=results[0] if len(results) == 1 else results)


def _res(name: str) -> Resource:
    return RESOURCES[name]


def _small() -> frozenset[str]:
    from halo_mcp.sandbox.store import SMALL_TABLES

    return SMALL_TABLES
