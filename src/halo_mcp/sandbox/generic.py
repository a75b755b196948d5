"""The generic handler: every path of Halo's spec that has no hand-written behaviour answers here.

Policy (issue 9): `GET /X` lists, `GET /X/{id}` reads, `POST /X` upserts (an `id` updates, none creates),
`DELETE /X/{id}` deletes, with records stored in SQLite and POST bodies checked against the spec schema (wrong
JSON types are a 400; fields the schema does not declare are ignored, as Halo ignores unknown fields). The list
shape of each resource comes from `routes` (evidence or convention, see scripts/gen_sandbox_routes.py). Only the
declared query parameters reach this handler; a declared parameter that names a schema field filters on it.

What Halo's spec does not describe is a sandbox convention, marked so here and in the route table:
- a fixed GET path with nothing to emulate (`/IntegrationData/Get/Xero`, ...) answers an empty array: the
  sandbox has no third-party integrations, so there is no data [convention];
- a fixed POST path (`/Tickets/vote`, `/Report/print`, ...) validates its body and answers 200 with the
  validated object, storing nothing [convention];
- a deeper parameterised path (`/Invoice/{id}/void`) answers the resource's record, or 404 [convention];
- `GET /Asset/NextTag`, `/Team/Tree`, `/TimesheetEvent/mine` and `/Timesheet/mine` answer from the data
  (next tag as a string, teams as an array, the token agent's rows) [convention: shapes not in the spec].
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from halo_mcp.sandbox.auth import IssuedToken, allowed
from halo_mcp.sandbox.errors import bad_request, forbidden, not_found
from halo_mcp.sandbox.query import Query, as_bool, as_int, first, multi
from halo_mcp.sandbox.resources import BY_LOWER
from halo_mcp.sandbox.routes import Generic, Route, note_ignored, table
from halo_mcp.sandbox.shape import apply, item_shape, list_shape
from halo_mcp.sandbox.store import Record, Store, col

DEFAULT_PAGE = 50
MAX_PAGE = 100
PAGING = frozenset({"pageinate", "page_size", "page_no", "count", "search", "idonly"})
SEARCH_FIELDS = ("name", "text", "title", "subject", "ref", "description", "summary", "note")
ORDER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Scope areas of generic resources (facts §2); a resource not named needs no scope.
SCOPES = {
    "Timesheet": "timesheets",
    "ClientPrepay": "contracts",
    "RecurringInvoice": "invoices",
    "SalesOrder": "sales",
    "PurchaseOrder": "pos",
    "Contract": "contracts",
    "SoftwareLicence": "softwarelicensing",
    "CRMNote": "crm",
}
Coerce = Callable[[str, Any, str], Any]


class GenericApi:
    def __init__(self, store: Store, coerce: Coerce, shape_defaults: bool = True) -> None:
        self.store = store
        self.coerce = coerce
        self.shape_defaults = shape_defaults
        self.ignored: dict[str, set[str]] = {}  # "METHOD /spec/path" -> undeclared body fields seen

    def handle(self, route: Route, args: tuple[str, ...], query: Query, body: bytes, token: IssuedToken) -> Any:
        """The JSON answer for one spec route (status 200/201 decided by the caller: POST to a list is 201)."""
        g = table().resource(route.resource)
        assert g is not None
        write = route.method in ("POST", "DELETE")
        hand = BY_LOWER.get(g.name.lower())  # a fixed path of a hand-written resource keeps its scope area
        scope = hand.scope if hand is not None else SCOPES.get(g.name)
        if not allowed(token, scope, write):
            raise forbidden(f"The access token does not allow this operation (requires scope "
                            f"{'edit' if write else 'read'}:{scope})")  # fmt: skip
        kind = route.kind
        if route.method == "GET":
            if kind == "list":
                return self.list_(g, route, query)
            if kind == "fixed":
                return self.fixed(g, route, query, token)
            return self.render(g, self._get(g, args[0]))
        if route.method == "DELETE":
            key = self._key(g, args[0])
            if not self.store.delete(g.name, key):
                raise not_found(f"{g.name} {key} not found")
            return None
        items = self._items(g, route, body)
        if kind == "list":
            return self._upsert(g, items)
        if kind == "param" and args:
            return self.render(g, self._get(g, args[0]))
        return items[0] if len(items) == 1 else items

    # -- reads ------------------------------------------------------------------------------------------
    def render(self, g: Generic, rec: Record, list_row: bool = False) -> Record:
        """Through the shared shape rule (shape.py), so recorded shapes apply to generic resources too."""
        schema = g.schema or ""
        out = {k: v for k, v in rec.items() if not k.startswith("_")}
        return apply(
            out, list_shape(schema, self.shape_defaults) if list_row else item_shape(schema, self.shape_defaults)
        )

    def _key(self, g: Generic, raw: str) -> int:
        try:
            key = int(raw)
        except ValueError:
            raise not_found(f"{g.name} {raw} not found") from None
        if not -(2**31) <= key < 2**31:
            raise not_found(f"{g.name} {raw} not found")
        return key

    def _get(self, g: Generic, raw: str) -> Record:
        key = self._key(g, raw)
        self.store.ensure(g.name)
        rec = self.store.get(g.name, key)
        if rec is None:
            raise not_found(f"{g.name} {key} not found")
        return rec

    def list_(self, g: Generic, route: Route, q: Query) -> Any:
        store = self.store
        store.ensure(g.name)
        fields = table().fields(g.schema)
        where: list[str] = []
        params: list[Any] = []
        for p in sorted(route.params - PAGING):
            if p not in q or p not in fields:
                continue
            code = fields[p]
            expr = "id" if p == "id" else col(g.name, p)
            if code == "b":
                where.append(f"coalesce({expr}, 0) = ?")
                params.append(1 if as_bool(q, p) else 0)
                continue
            vals = multi(q, p)
            if not vals:
                continue
            if code in ("i", "n"):
                try:
                    nums = [float(v) for v in vals]
                except ValueError:
                    raise bad_request(f"The value '{','.join(vals)}' is not valid for {p}.") from None
                where.append(f"{expr} IN ({','.join('?' * len(nums))})")
                params.extend(nums)
            else:
                where.append(f"lower({expr}) IN ({','.join('?' * len(vals))})")
                params.extend(v.lower() for v in vals)
        if "inactive" in fields and "includeinactive" in route.params and not as_bool(q, "includeinactive"):
            where.append(f"coalesce({col(g.name, 'inactive')}, 0) = 0")
        search = (first(q, "search") or "").strip() if "search" in route.params else ""
        if search:
            cols = [f for f in SEARCH_FIELDS if f in fields] or ["name"]
            where.append(" OR ".join(f"{col(g.name, f)} LIKE ?" for f in cols))
            params.extend(f"%{search}%" for _ in cols)
        order = []
        name = first(q, "order") if "order" in route.params else None
        if name and ORDER_RE.match(name) and name in fields:
            order.append(("id" if name == "id" else col(g.name, name), as_bool(q, "orderdesc")))
        paginate = "pageinate" in route.params and as_bool(q, "pageinate")
        page_size = min(MAX_PAGE, max(1, as_int(q, "page_size") or DEFAULT_PAGE))
        page_no = max(1, as_int(q, "page_no") or 1)
        count = as_int(q, "count") if "count" in route.params else None
        if paginate:
            rows, total = store.query(g.name, where, params, order, limit=page_size, offset=(page_no - 1) * page_size)
        elif count:
            rows, total = store.query(g.name, where, params, order, limit=min(count, MAX_PAGE))
        else:
            rows, total = store.query(g.name, where, params, order)
        out = [self.render(g, r, list_row=True) for r in rows]
        if g.list_key is None:
            return out
        envelope: dict[str, Any] = {}
        if paginate:
            envelope.update(page_no=page_no, page_size=page_size)
        envelope["record_count"] = total
        envelope[g.list_key] = out
        return envelope

    def fixed(self, g: Generic, route: Route, q: Query, token: IssuedToken) -> Any:
        path = route.path.lower()
        store = self.store
        if path == "/asset/nexttag":
            tags = [str(a.get("inventory_number") or "") for a in store.query("Asset")[0]]
            nums = [int(m.group(1)) for t in tags if (m := re.search(r"(\d+)$", t))]
            return f"A{(max(nums) + 1 if nums else 1):05d}"
        if path == "/team/tree":
            return [{k: v for k, v in t.items() if not k.startswith("_")} for t in store.all("Team")]
        if path in ("/timesheetevent/mine", "/timesheet/mine"):
            name = "TimesheetEvent" if path.startswith("/timesheetevent") else "Timesheet"
            store.ensure(name)
            rows, _ = store.query(name, [f"{col(name, 'agent_id')} = ?"], [token.agent_id])
            mine = table().resource(name)
            assert mine is not None
            return [self.render(mine, r, list_row=True) for r in rows]
        return []

    # -- writes -----------------------------------------------------------------------------------------
    def _items(self, g: Generic, route: Route, body: bytes) -> list[Record]:
        try:
            payload = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as e:
            raise bad_request(
                f"Unexpected character encountered while parsing value: {e}", "JsonReaderException"
            ) from None
        if route.body is None:
            return [payload] if isinstance(payload, dict) else [{"value": payload}]
        if isinstance(payload, dict):
            items = [payload]
        elif isinstance(payload, list) and payload and all(isinstance(x, dict) for x in payload):
            items = payload
        else:
            raise bad_request("The request body must be a JSON array of objects (or one object)")
        fields = table().fields(route.body)
        out = []
        for item in items:
            clean: Record = {}
            for k, v in item.items():
                code = fields.get(k)
                if code is None or k.startswith("_"):
                    if not k.startswith("_"):
                        note_ignored(self.ignored, f"{route.method} {route.path}", [k])
                    continue
                clean[k] = None if v is None else self.coerce(k, v, code)
            out.append(clean)
        return out

    def _upsert(self, g: Generic, items: list[Record]) -> Any:
        store = self.store
        store.ensure(g.name)
        results = []
        store.db.execute("BEGIN")
        try:
            for item in items:
                raw_id = item.get("id")
                if isinstance(raw_id, int) and raw_id > 0:
                    existing = store.get(g.name, raw_id)
                    if existing is None:
                        raise not_found(f"{g.name} {raw_id} not found")
                    existing.update(item)
                    store.update(g.name, existing)
                    rec = existing
                else:
                    item.pop("id", None)
                    rec = store.insert(g.name, item)
                results.append(self.render(g, rec))
            store.db.execute("COMMIT")
        except BaseException:
            store.db.execute("ROLLBACK")
            store._invalidate(None)
            raise
        return results[0] if len(results) == 1 else results


__all__ = ["GenericApi"]
