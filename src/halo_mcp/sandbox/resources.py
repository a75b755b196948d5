"""Declarative description of every resource the sandbox serves.

One generic list/get/post/delete path is driven by this table; only tickets, actions, attachments,
reports, automation and `/Agent/me` have code of their own. Names, list keys and parameter names come
from Halo's OpenAPI description (schemas in `specfields`) and the Halo API facts document.
"""

from __future__ import annotations

from dataclasses import dataclass

from halo_mcp.sandbox.shape import parse as _fields


@dataclass(frozen=True)
class Filter:
    """A list query parameter mapped to a stored field.

    kind: int (equality, multi-value by repeated key or comma list), str (case-insensitive equality, multi),
    bool (equals the flag), flag / unflag (when true: the field is set / unset; when false: no filter),
    not (ids to leave out), from/to (date window on an ISO field).
    """

    param: str
    field: str
    kind: str = "int"


@dataclass(frozen=True)
class Join:
    """A name derived at read time from an id: `out` = target[id_field].name_field."""

    out: str
    id_field: str
    target: str
    name_field: str = "name"


@dataclass(frozen=True)
class Resource:
    name: str  # canonical spelling (the spec's), used in counters and errors
    schema: str  # spec schema name
    table: str = ""  # storage table; defaults to name
    list_key: str | None = None  # None: plain JSON array
    scope: str | None = None  # Halo scope area; None means no scope needed (lookups)
    filters: tuple[Filter, ...] = ()
    search: tuple[str, ...] = ("name",)
    # "phrase": the whole search string is a case-insensitive substring of one searchable field (Halo's
    # search box); "words": any word matches and rows are ranked (KB search, where ranking is required).
    search_mode: str = "phrase"
    joins: tuple[Join, ...] = ()
    # Fields of `X_List` that list rows still leave out because clients observed them missing there.
    list_omit: tuple[str, ...] = ()
    inactive_field: str | None = None  # hidden from lists unless includeinactive=true
    key: str = "id"  # the field used as {id}
    type_use: str | None = None  # Projects / Opportunities: tickets whose type has this `use`
    indexes: tuple[str, ...] = ()  # fields with an SQLite expression index
    writable: bool = True
    label: str = ""  # human name in messages

    @property
    def store_table(self) -> str:
        return self.table or self.name

    @property
    def title(self) -> str:
        return self.label or self.name


_SCHEMA_CACHE: dict[str, dict[str, str]] = {}


def schema_fields(schema: str) -> dict[str, str]:
    """Field name -> type code (i, n, s, d, b, a, o) of a spec schema, merged with its `_List` variant."""
    if schema not in _SCHEMA_CACHE:
        merged = _fields(schema + "_List")
        merged.update(_fields(schema))
        _SCHEMA_CACHE[schema] = merged
    return _SCHEMA_CACHE[schema]


TICKET_JOINS = (
    Join("client_name", "client_id", "Client"),
    Join("site_name", "site_id", "Site"),
    Join("user_name", "user_id", "Users"),
    Join("user_email", "user_id", "Users", "emailaddress"),
    Join("agent_name", "agent_id", "Agent"),
    Join("status_name", "status_id", "Status"),
    Join("priority_name", "priority_id", "Priority"),
    Join("tickettype_name", "tickettype_id", "TicketType"),
    Join("sla_name", "sla_id", "SLA"),
)

# Materialised as real columns (c_<field>) so filters, counts and the SLA expression avoid JSON parsing.
TICKET_INDEXES = (
    *("deleted", "tickettype_id", "status_id", "client_id", "site_id", "user_id", "agent_id", "team"),
    *("priority_id", "sla_id", "dateoccurred", "dateclosed", "fixbydate", "last_update", "lastactiondate"),
    *("excludefromsla", "categoryid_1", "category_1"),
)


def _tickets(name: str, type_use: str | None, scope: str) -> Resource:
    return Resource(
        name=name,
        schema="Faults",
        table="Tickets",
        list_key="tickets",
        scope=scope,
        filters=(
            Filter("client_id", "client_id"),
            Filter("client_ids", "client_id"),
            Filter("site_id", "site_id"),
            Filter("user_id", "user_id"),
            Filter("agent_id", "agent_id"),
            Filter("agent", "agent_id"),
            Filter("status_id", "status_id"),
            Filter("status", "status_id"),
            Filter("priority", "priority_id"),
            Filter("requesttype_id", "tickettype_id"),
            Filter("requesttype", "tickettype_id"),
            Filter("sla", "sla_id"),
            Filter("parent_id", "parent_id"),
            Filter("supplier_id", "supplier_id"),
            Filter("contract_id", "contract_id"),
            Filter("release_id", "release_id"),
            Filter("service_id", "service_id"),
            Filter("flagged", "flagged", "flag"),
            Filter("ticketids", "id"),
            Filter("lastupdatefromdate", "last_update", "from"),
            Filter("lastupdatetodate", "last_update", "to"),
        ),
        search=("summary", "details"),
        joins=TICKET_JOINS,
        # Faults_List declares priority_name, but it is "only reliable from the single-ticket fetch"
        # (facts §5, LIB alex-thorne): observed evidence wins over the class listing.
        list_omit=("priority_name",),
        type_use=type_use,
        indexes=tuple(TICKET_INDEXES),
        label="Ticket",
    )


_R = [
    _tickets("Tickets", None, "tickets"),
    _tickets("Projects", "project", "projects"),
    _tickets("Opportunities", "opportunity", "crm"),
    Resource(
        name="Actions",
        schema="Actions",
        list_key="actions",
        scope="tickets",
        search=("note",),
        label="Action",
    ),
    Resource(
        name="Users",
        schema="Users",
        list_key="users",
        scope="customers",
        filters=(
            Filter("client_id", "client_id"),
            Filter("site_id", "site_id"),
            Filter("lastupdatefromdate", "last_update", "from"),
        ),
        search=("name", "emailaddress", "firstname", "surname", "phonenumber"),
        joins=(Join("site_name", "site_id", "Site"), Join("client_name", "client_id", "Client")),
        inactive_field="inactive",
        indexes=("client_id", "site_id"),
        label="User",
    ),
    Resource(
        name="Client",
        schema="Area",
        list_key="clients",
        scope="customers",
        filters=(Filter("toplevel_id", "toplevel_id"),),
        search=("name", "ref"),
        joins=(Join("main_site_name", "main_site_id", "Site"),),
        inactive_field="inactive",
    ),
    Resource(
        name="Site",
        schema="Site",
        list_key="sites",
        scope="customers",
        filters=(Filter("client_id", "client_id"),),
        search=("name",),
        joins=(Join("client_name", "client_id", "Client"), Join("sla_name", "sla_id", "SLA")),
        inactive_field="inactive",
        indexes=("client_id",),
    ),
    Resource(
        name="Agent",
        schema="Uname",
        scope=None,
        filters=(Filter("team", "team", "str"),),
        search=("name", "email", "firstname", "surname"),
        label="Agent",
    ),
    Resource(name="Team", schema="SectionDetail", scope=None, label="Team"),
    Resource(name="Status", schema="TStatus", scope=None),
    Resource(name="Priority", schema="Policy", scope=None, key="priorityid", filters=(Filter("slaid", "slaid"),)),
    Resource(name="TicketType", schema="RequestType", scope=None, label="Ticket type"),
    Resource(
        name="Category",
        schema="CategoryDetail",
        scope=None,
        filters=(Filter("type_id", "type_id"),),
        search=("value", "category_name"),
    ),
    Resource(name="SLA", schema="SlaHead", scope=None),
    Resource(name="Outcome", schema="TOutcome", scope=None, search=("outcome",)),
    Resource(
        name="Asset",
        schema="Device",
        list_key="assets",
        scope="assets",
        filters=(
            Filter("client_id", "client_id"),
            Filter("site_id", "site_id"),
            Filter("user_id", "user_id"),
            Filter("assettype_id", "assettype_id"),
            Filter("assettypes", "assettype_id"),
            Filter("assetstatuses", "status_id"),
            Filter("supplier_id", "supplier_id"),
            Filter("inventory_number", "inventory_number", "str"),
            Filter("excludethese", "id", "not"),
        ),
        search=("inventory_number", "key_field", "key_field2", "notes"),
        joins=(
            Join("client_name", "client_id", "Client"),
            Join("site_name", "site_id", "Site"),
            Join("assettype_name", "assettype_id", "AssetType"),
            Join("status_name", "status_id", "AssetStatus"),
            Join("username", "first_user_id", "Users"),
            Join("supplier_name", "supplier_id", "Supplier"),
        ),
        inactive_field="inactive",
        indexes=("client_id", "site_id", "assettype_id"),
        label="Asset",
    ),
    Resource(name="AssetType", schema="Xtype", scope="assets", label="Asset type"),
    Resource(
        name="KBArticle",
        schema="KBEntry",
        list_key="articles",
        scope="kb",
        filters=(Filter("type", "type"), Filter("articletype", "type")),
        search=("name", "description", "resolution"),
        search_mode="words",
        inactive_field="inactive",
        label="Article",
    ),
    Resource(
        name="Appointment",
        schema="Appointment",
        list_key="appointments",
        scope="calendar",
        filters=(
            Filter("agents", "agent_id"),
            Filter("ticket_id", "ticket_id"),
            Filter("client_id", "client_id"),
            Filter("start_date", "end_date", "from"),
            Filter("end_date", "start_date", "to"),
        ),
        search=("subject", "note"),
        joins=(Join("agent_name", "agent_id", "Agent"), Join("client_name", "client_id", "Client")),
        label="Appointment",
    ),
    Resource(
        name="Attachment",
        schema="Attachment",
        list_key="attachments",
        scope="tickets",
        filters=(Filter("ticket_id", "ticket_id"), Filter("action_id", "action_id")),
        search=("filename",),
        indexes=("ticket_id",),
        label="Attachment",
    ),
    Resource(
        name="Item",
        schema="Item",
        list_key="items",
        scope="items",
        filters=(Filter("supplier_id", "supplier_id"), Filter("assettypes", "assettype_id")),
        search=("name", "description"),
        joins=(Join("supplier_name", "supplier_id", "Supplier"),),
        inactive_field="inactive",
        label="Item",
    ),
    Resource(
        name="Invoice",
        schema="InvoiceHeader",
        list_key="invoices",
        scope="invoices",
        filters=(
            Filter("client_id", "client_id"),
            Filter("client_ids", "client_id"),
            Filter("ticket_id", "ticket_id"),
            Filter("contract_id", "contract_id"),
            Filter("site_id", "site_id"),
            Filter("user_id", "user_id"),
            Filter("invoicedatestart", "invoice_date", "from"),
            Filter("invoicedateend", "invoice_date", "to"),
            Filter("postedonly", "posted", "flag"),
            Filter("notpostedonly", "posted", "unflag"),
        ),
        search=("invoicenumber", "reference"),
        joins=(Join("client_name", "client_id", "Client"),),
        label="Invoice",
    ),
    Resource(
        name="Supplier",
        schema="Company",
        list_key="suppliers",
        scope="suppliers",
        search=("name", "email_address"),
        inactive_field="inactive",
        label="Supplier",
    ),
    Resource(
        name="Quotation",
        schema="QuotationHeader",
        list_key="quotes",
        scope="quotes",
        filters=(
            Filter("client_id", "client_id"),
            Filter("ticket_id", "ticket_id"),
            Filter("site_id", "site_id"),
            Filter("user_id", "user_id"),
            Filter("quote_status", "status"),
        ),
        search=("title",),
        joins=(Join("client_name", "client_id", "Client"),),
        label="Quotation",
    ),
    Resource(
        name="ClientContract",
        schema="ContractHeader",
        list_key="contracts",
        scope="contracts",
        filters=(Filter("client_id", "client_id"), Filter("site_id", "site_id")),
        search=("ref",),
        joins=(Join("client_name", "client_id", "Client"),),
        label="Contract",
    ),
    Resource(
        name="TimesheetEvent",
        schema="TimesheetEvent",
        scope="timesheets",
        filters=(
            Filter("agent_id", "agent_id"),
            Filter("agents", "agent_id"),
            Filter("start_date", "end_date", "from"),
            Filter("end_date", "start_date", "to"),
        ),
        search=("subject", "note"),
        label="Timesheet event",
    ),
    Resource(
        name="Report",
        schema="AnalyzerProfile",
        list_key="reports",
        scope="reporting",
        filters=(Filter("reportgroup_id", "reportgroup_id"), Filter("type", "type")),
        search=("name",),
        label="Report",
    ),
    Resource(
        name="Service",
        schema="ServSite",
        list_key="services",
        scope="tickets",
        filters=(Filter("service_category_id", "service_category_id"),),
        search=("name", "summary"),
        joins=(Join("service_category_name", "service_category_id", "ServiceCategory"),),
        inactive_field="inactive",
        label="Service",
    ),
    # List shape (plain array) [UNVERIFIED]: /ServiceCategory takes no paging parameters, like the lookups.
    Resource(name="ServiceCategory", schema="ServiceCategory", scope="tickets", label="Service category"),
    Resource(name="Automation", schema="", table="Runbook", scope="tickets", writable=False, label="Runbook"),
]

RESOURCES: dict[str, Resource] = {r.name: r for r in _R}

ORDER_PARAMS = frozenset(f"{p}{n}" for p in ("order", "orderdesc") for n in ("", "2", "3", "4", "5"))
LIST_PARAMS = frozenset({"pageinate", "page_size", "page_no", "count", "search"}) | ORDER_PARAMS
_TICKET_PARAMS = frozenset(
    {"deleted", "open_only", "closed_only", "includeclosed", "mine", "team", "asset_id", "excludethese", "datesearch"}
    | {"startdate"}
    | {"enddate", "category_1", "category_2", "category_3", "category_4"}
)
# Declared list parameters read by hand-written code (api.Api.list_, tickets.ticket_filters) beyond `filters`.
HANDLED: dict[str, frozenset[str]] = {
    "Tickets": _TICKET_PARAMS,
    "Projects": _TICKET_PARAMS,
    "Opportunities": _TICKET_PARAMS,
    "Actions": frozenset(
        {"ticket_id", "excludeprivate", "timeentriesonly", "agentonly", "actoutcome", "importantonly", "excludesys"}
        | {"conversationonly", "startdate", "enddate"}
    ),
    "Agent": frozenset({"includedisabled", "includeapiagents"}),
    "Asset": frozenset({"ticket_id"}),
    "Quotation": frozenset({"open", "closed"}),
    "Outcome": frozenset({"tickettype_id"}),
}


def honoured(res: Resource) -> frozenset[str]:
    """Every list query parameter the sandbox acts on for a hand-written resource (the rest is ignored)."""
    inactive = {"includeinactive", "activeinactive"} if res.inactive_field else set()
    return frozenset({f.param for f in res.filters} | LIST_PARAMS | inactive | HANDLED.get(res.name, frozenset()))


BY_LOWER: dict[str, Resource] = {r.name.lower(): r for r in _R}

# Storage tables (a table per resource; Projects/Opportunities share Tickets).
TABLES: tuple[str, ...] = tuple(dict.fromkeys(r.store_table for r in _R))

# Halo scope areas (homotechsual HaloAuth): read:X / edit:X for each.
SCOPE_AREAS = [
    "tickets",
    "calendar",
    "customers",
    "crm",
    "timesheets",
    "contracts",
    "suppliers",
    "items",
    "projects",
    "sales",
    "quotes",
    "sos",
    "pos",
    "invoices",
    "reporting",
    "software",
    "softwarelicensing",
    "kb",
    "assets",
]
GENERAL_SCOPES = {
    "all",
    "all:standard",
    "admin",
    "offline_access",
    "openid",
    "editMine:timesheets",
    "access:chat",
    "access:adpasswordreset",
}
KNOWN_SCOPES = GENERAL_SCOPES | {f"{lvl}:{a}" for a in SCOPE_AREAS for lvl in ("read", "edit")}

__all__ = [
    "BY_LOWER",
    "HANDLED",
    "KNOWN_SCOPES",
    "RESOURCES",
    "SCOPE_AREAS",
    "TABLES",
    "Filter",
    "Join",
    "Resource",
    "honoured",
    "schema_fields",
]
