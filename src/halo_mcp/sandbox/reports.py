"""SQL reports: views with Halo's table and column names over the sandbox tables, T-SQL run read-only.

Column mapping follows Halo's SQL schema (`FAULTS.Faultid`, `Symptom`, `Assignedtoint`, `sectio_`, ...). Report
SQL is T-SQL, as on Halo's SQL Server (halo-api-facts.md section 12): `tsql.py` parses it with sqlglot and
transpiles it to SQLite with SQL Server's date, string and function semantics. Dates are exposed by the views as
`YYYY-MM-DDTHH:MM:SS` whatever form a record holds, so they compare, sort and calculate correctly.

Read-only is enforced twice: the query must parse as one SELECT naming only the views (the sandbox's own tables
are "Invalid object name"), and an SQLite authorizer allows only reading, so INSERT/UPDATE/DELETE/DDL/PRAGMA/ATTACH
fail with `load_error`. A progress handler stops queries that run too long.

Saved-report parameters: `GET /Report/{id}?loadreport=true` binds `reportingperiodstartdate`,
`reportingperiodenddate` and `client_id` as the SQL parameters `@startdate`, `@enddate` and `@client_id`
(NULL when not given), so a saved query filters itself, e.g.
`WHERE (@startdate IS NULL OR FAULTS.dateoccured >= @startdate) AND (@client_id IS NULL OR
FAULTS.Areaint = @client_id)`. Queries that do not mention them are unaffected. [UNVERIFIED: Halo's report
designer exposes a reporting period and client filter; the parameter spelling is the sandbox's.]

Project and quote health: FAULTS carries the project/opportunity columns (`FProjectTimeBudget`,
`FTargetDate`, `fdeadlinedate`, `FOppValue`, ...), and QUOTATIONHEADER / QUOTATIONDETAIL hold quotes
and their lines, as in Halo's schema (the quote's client is its ticket's: `QHfaultID` -> `FAULTS.Areaint`).
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

from halo_mcp.sandbox import tsql
from halo_mcp.sandbox.store import Store
from halo_mcp.sandbox.tickets import slastate_sql, status_info

MAX_ROWS = 10_000
MAX_SECONDS = 3.0


def _j(field: str) -> str:
    return f"json_extract(t.data, '$.{field}')"


DATE_FORMAT = "'%Y-%m-%dT%H:%M:%S'"


def _d(field: str) -> str:
    """A date field as the views expose it: YYYY-MM-DDTHH:MM:SS (stored values may end in Z or be dates only)."""
    return f"strftime({DATE_FORMAT}, {_j(field)})"


def _name(table: str, id_expr: str, field: str = "name") -> str:
    return f"(SELECT json_extract(x.data, '$.{field}') FROM r_{table} x WHERE x.id = {id_expr} LIMIT 1)"


# view -> (source table, [(column, expression)])
def _views(store: Store) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    st = status_info(store)
    sla = slastate_sql(st, alias="t")
    return {
        "FAULTS": (
            "Tickets",
            [
                ("Faultid", "t.id"),
                ("Symptom", _j("summary")),
                ("symptom2", _j("details")),
                ("Status", _j("status_id")),
                ("seriousness", _j("priority_id")),
                ("Requesttype", _j("tickettype_id")),
                ("Areaint", _j("client_id")),
                ("sitenumber", _j("site_id")),
                ("userid", _j("user_id")),
                ("username", _name("Users", _j("user_id"))),
                ("Assignedtoint", _j("agent_id")),
                ("sectio_", _j("team")),
                ("Slaid", _j("sla_id")),
                ("category2", _j("category_1")),
                ("category3", _j("category_2")),
                ("category4", _j("category_3")),
                ("category5", _j("category_4")),
                ("dateoccured", _d("dateoccurred")),
                ("datereported", _d("datecreated")),
                ("datecleared", _d("dateclosed")),
                ("fixbydate", _d("fixbydate")),
                ("FRespondByDate", _d("respondbydate")),
                ("FResponseDate", _d("responsedate")),
                ("Flastactiondate", _d("lastactiondate")),
                ("FLastUpdate", _d("last_update")),
                ("FDeleted", f"coalesce({_j('deleted')}, 0)"),
                ("FSLAonhold", f"coalesce({_j('onhold')}, 0)"),
                ("FSLAholdtime", _j("slaholdtime")),
                ("Slastate", f"CASE ({sla}) WHEN 'breached' THEN 'O' ELSE 'I' END"),
                ("sandbox_slastate", sla),
                ("estimate", _j("estimate")),
                ("impact", _j("impact")),
                ("urgency", _j("urgency")),
                ("reportedby", _j("reportedby")),
                ("RequestTypeNew", _j("tickettype_id")),
                ("FProjectStartDate", _d("startdate")),
                ("FTargetDate", _d("targetdate")),
                ("fdeadlinedate", _d("deadlinedate")),
                ("FProjectTimeBudget", _j("projecttimebudget")),
                ("FProjectMoneyBudget", _j("projectmoneybudget")),
                ("FProjectTimeActual", _j("projecttimeactual")),
                ("FProjectMoneyActual", _j("projectmoneyactual")),
                ("FOppValue", _j("oppvalue")),
                ("FOppConversionProbability", _j("oppconversionprobability")),
                ("FOppType", _j("opptype")),
                ("FOppTargetDate", f"CASE WHEN {_j('oppvalue')} IS NOT NULL THEN {_d('targetdate')} END"),
                # The ticket's tag texts, comma-separated [UNVERIFIED: Halo's schema has the column, not its format]
                (
                    "Ftickettags",
                    f"(SELECT group_concat(json_extract(g.value, '$.text'), ', ') FROM json_each({_j('tags')}) g)",
                ),
            ],
        ),
        "QUOTATIONHEADER": (
            "Quotation",
            [
                ("QHid", "t.id"),
                ("QHfaultID", _j("ticket_id")),
                ("QHstatus", _j("status")),
                ("QHDate", _d("date")),
                ("QHExpiryDate", _d("expiry_date")),
                ("QHNote", _j("note")),
                ("QHUserID", _j("user_id")),
                ("QHUnum", _j("agent_id")),
                ("QHtitle", _j("title")),
                ("QHApprovalState", f"coalesce({_j('approvalstate')}, 0)"),
                ("qhtaxtotalestimate", _j("tax_total")),
                ("qhlastupdatetime", f"coalesce({_d('last_update')}, {_d('date')})"),
            ],
        ),
        "ACTIONS": (
            "Actions",
            [
                ("Faultid", "t.parent"),
                ("actionnumber", "t.id"),
                ("Actoutcome", _j("outcome")),
                ("actoutcomeid", _j("outcome_id")),
                ("who", _name("Agent", _j("who_agentid"))),
                ("whoagentid", _j("who_agentid")),
                ("Whe_", _d("datetime")),
                ("ActionDateCreated", _d("actiondatecreated")),
                ("note", _j("note")),
                ("timetaken", f"coalesce({_j('timetaken')}, 0)"),
                ("nonbilltime", f"coalesce({_j('nonbilltime')}, 0)"),
                ("ActionHide", f"coalesce({_j('hiddenfromuser')}, 0)"),
                ("ActionStatusBefore", _j("old_status")),
                ("ActionStatusAfter", _j("new_status")),
                ("emailto", _j("emailto")),
            ],
        ),
        "AREA": (
            "Client",
            [
                ("Aarea", "t.id"),
                ("aareadesc", _j("name")),
                ("AIsInactive", f"coalesce({_j('inactive')}, 0)"),
                ("aaccountsid", _j("accountsid")),
                ("AisVIP", f"coalesce({_j('is_vip')}, 0)"),
                ("Atreeid", _j("toplevel_id")),
            ],
        ),
        "SITE": (
            "Site",
            [
                ("Ssitenum", "t.id"),
                ("sdesc", _j("name")),
                ("Sarea", _j("client_id")),
                ("SIsInactive", f"coalesce({_j('inactive')}, 0)"),
                ("Sslaid", _j("sla_id")),
                ("SPhoneNumber", _j("phonenumber")),
            ],
        ),
        "USERS": (
            "Users",
            [
                ("Uid", "t.id"),
                ("uusername", _j("name")),
                ("Usite", _j("site_id")),
                ("uemail", _j("emailaddress")),
                ("uFirstName", _j("firstname")),
                ("uLastName", _j("surname")),
                ("uinactive", f"coalesce({_j('inactive')}, 0)"),
                ("Ulogin", _j("login")),
                ("uextn", _j("phonenumber")),
                ("umobile", _j("mobilenumber")),
            ],
        ),
        "UNAME": (
            "Agent",
            [
                ("Unum", "t.id"),
                ("uname", _j("name")),
                ("ufirstname", _j("firstname")),
                ("ulastname", _j("surname")),
                ("usmtp", _j("email")),
                ("usection", _j("team")),
                ("Uisdisabled", f"coalesce({_j('isdisabled')}, 0)"),
                ("uisapiagent", f"coalesce({_j('isapiagent')}, 0)"),
            ],
        ),
        "KBENTRY": (
            "KBArticle",
            [
                ("id", "t.id"),
                ("abstract", _j("name")),
                ("description", _j("description")),
                ("resolution", _j("resolution")),
                ("datecreated", _d("date_created")),
                ("dateedited", _d("date_edited")),
                ("ViewedCount", _j("view_count")),
                ("KBuseful", _j("useful_count")),
                ("KBnotuseful", _j("notuseful_count")),
                ("KBinactive", f"coalesce({_j('inactive')}, 0)"),
                ("kbtags", _j("tag_string")),
                ("KBtype", _j("type")),
            ],
        ),
        "DEVICE": (
            "Asset",
            [
                ("Did", "t.id"),
                ("Dsite", _j("site_id")),
                ("Dtype", _j("assettype_id")),
                ("dinvno", _j("inventory_number")),
                ("DStatus", _j("status_id")),
                ("dinactive", f"coalesce({_j('inactive')}, 0)"),
                ("DWarrantyStartDate", _d("warranty_start")),
                ("DWarrantyEndDate", _d("warranty_end")),
                ("Dmemo", _j("notes")),
                ("DParentDid", _j("parent_id")),
            ],
        ),
        "TSTATUS": (
            "Status",
            [
                ("Tstatus", "t.id"),
                ("tstatusdesc", _j("name")),
                ("TstatusType", _j("type")),
                ("TstatusSeq", _j("sequence")),
                ("tshortname", _j("shortname")),
                ("Tcolour", _j("colour")),
            ],
        ),
        "POLICY": (
            "Priority",
            [
                ("Pslaid", _j("slaid")),
                ("Ppolicy", _j("priorityid")),
                ("Pdesc", _j("name")),
                ("Ptime", _j("fixtime")),
                ("Presponsetime", _j("responsetime")),
            ],
        ),
        "REQUESTTYPE": (
            "TicketType",
            [
                ("RTid", "t.id"),
                ("rtdesc", _j("name")),
                ("RTIsProject", f"CASE {_j('use')} WHEN 'project' THEN 1 ELSE 0 END"),
                ("RTIsOpportunity", f"CASE {_j('use')} WHEN 'opportunity' THEN 1 ELSE 0 END"),
            ],
        ),
        "SECTIONDETAIL": (
            "Team",
            [("SDid", "t.id"), ("SDSectionName", _j("name")), ("sdinactive", f"coalesce({_j('inactive')}, 0)")],
        ),
    }


# Views over a JSON array inside each record: view -> (source table, array path, [(column, expression)]);
# `t` is the parent record, `l.value` the array element.
def _line_views() -> dict[str, tuple[str, str, list[tuple[str, str]]]]:
    def lv(field: str) -> str:
        return f"json_extract(l.value, '$.{field}')"

    return {
        "QUOTATIONDETAIL": (
            "Quotation",
            "$.lines",
            [
                ("QDid", "t.id * 1000 + " + lv("id")),
                ("QDQHid", "t.id"),
                ("QDItemid", lv("item_id")),
                ("QDProductCode", lv("name")),
                ("QDDesc", lv("description")),
                ("QDPrice", lv("baseprice")),
                ("QDCostPrice", lv("costprice")),
                ("QDQuantity", lv("current_quantity")),
                ("QDTax", "0.0"),
            ],
        ),
    }


def date_columns(store: Store) -> frozenset[str]:
    """The view columns (lower case) that hold dates: T-SQL date arithmetic and comparisons apply to them."""
    cols = [c for _, c in _views(store).values()] + [c for _, _, c in _line_views().values()]
    return frozenset(name.lower() for view in cols for name, expr in view if DATE_FORMAT in expr)


def create_views(store: Store) -> None:
    """(Re)create the Halo-named views; status ids are baked into the SLA expression, so call after seeding."""
    tsql.register_functions(store.db)
    for view, (table, cols) in _views(store).items():
        store.db.execute(f"DROP VIEW IF EXISTS {view}")
        select = ", ".join(f"{expr} AS {name}" for name, expr in cols)
        store.db.execute(f"CREATE VIEW {view} AS SELECT {select} FROM r_{table} AS t")
    for view, (table, path, cols) in _line_views().items():
        store.db.execute(f"DROP VIEW IF EXISTS {view}")
        select = ", ".join(f"{expr} AS {name}" for name, expr in cols)
        store.db.execute(f"CREATE VIEW {view} AS SELECT {select} FROM r_{table} AS t, json_each(t.data, '{path}') AS l")


_READ_OK = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


def _authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None, inner: str | None) -> int:
    """Reading only. A view's own reads of the sandbox tables are allowed, and so is the column-less read SQLite
    reports for `COUNT(*)` over a flattened view (no column, no view name: nothing but a row count)."""
    if action in _READ_OK:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        table = (arg1 or "").lower()
        internal = table.startswith(tsql.INTERNAL_PREFIXES)
        return sqlite3.SQLITE_DENY if internal and inner is None and arg2 else sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


_PARAM_RE = re.compile(r"[@:$](startdate|enddate|client_id)\b", re.I)
REPORT_PARAMS = ("startdate", "enddate", "client_id")


def translate(store: Store, sql: str) -> str:
    """SQLite for a T-SQL report query over this store's views (tsql.ReportSqlError when it cannot run)."""
    return _PARAM_RE.sub(lambda m: "@" + m.group(1).lower(), tsql.translate(sql, date_columns(store)))


def run(store: Store, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a report query read-only; errors go to `load_error` as in Halo's ReportContent.

    `params` fills the named parameters `@startdate`, `@enddate`, `@client_id` (missing ones are NULL); dates are
    bound in the views' form, so `dateoccured >= @startdate` compares dates.
    """
    out: dict[str, Any] = {"loaded": False, "load_error": None, "rows": [], "chart_labels": None}
    if not sql.strip():
        out["load_error"] = "The report has no query"
        return out
    try:
        query = translate(store, sql)
    except tsql.ReportSqlError as e:
        out["load_error"] = f"Error running report: {e}"
        return out
    db = store.db
    deadline = time.monotonic() + MAX_SECONDS

    def progress() -> int:
        return 1 if time.monotonic() > deadline else 0

    bound = {k: (params or {}).get(k) for k in REPORT_PARAMS}
    for key in ("startdate", "enddate"):
        bound[key] = tsql.to_date(bound[key]) if bound[key] else None
    db.set_authorizer(_authorizer)
    db.set_progress_handler(progress, 10_000)
    try:
        cur = db.execute(query, bound) if _PARAM_RE.search(query) else db.execute(query)
        cols = [d[0] for d in cur.description or []]
        rows = cur.fetchmany(MAX_ROWS)
        out["rows"] = [dict(zip(cols, r, strict=False)) for r in rows]
        out["loaded"] = True
    except sqlite3.DatabaseError as e:
        msg = str(e)
        if "not authorized" in msg or "prohibited" in msg:
            msg = f"Only SELECT queries are allowed in reports ({msg})"
        elif "interrupted" in msg:
            msg = f"The query took longer than {MAX_SECONDS:g} seconds and was cancelled"
        out["load_error"] = f"Error running report: {msg}"
    except (sqlite3.Warning, sqlite3.ProgrammingError) as e:
        out["load_error"] = f"Error running report: {e}"
    finally:
        db.set_authorizer(None)
        db.set_progress_handler(None, 0)
    return out
