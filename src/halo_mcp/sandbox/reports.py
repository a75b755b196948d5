"""SQL reports: views with Halo's table and column names over the sandbox tables, run read-only.

Column mapping follows Halo's SQL schema (`FAULTS.Faultid`, `Symptom`, `Assignedtoint`, `sectio_`, ...).
Read-only is enforced with an SQLite authorizer: only SELECT, reads through the views and functions are
allowed, so INSERT/UPDATE/DELETE/DDL/PRAGMA/ATTACH fail with `load_error`. A progress handler stops
queries that run too long. Common T-SQL spellings (`TOP n`, `GETDATE()`, `ISNULL`, `LEN`, `dbo.`) are
translated to SQLite.

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

from halo_mcp.sandbox.store import Store
from halo_mcp.sandbox.tickets import slastate_sql, status_info

MAX_ROWS = 10_000
MAX_SECONDS = 3.0


def _j(field: str) -> str:
    return f"json_extract(t.data, '$.{field}')"


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
                ("dateoccured", _j("dateoccurred")),
                ("datereported", _j("datecreated")),
                ("datecleared", _j("dateclosed")),
                ("fixbydate", _j("fixbydate")),
                ("FRespondByDate", _j("respondbydate")),
                ("FResponseDate", _j("responsedate")),
                ("Flastactiondate", _j("lastactiondate")),
                ("FLastUpdate", _j("last_update")),
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
                ("FProjectStartDate", _j("startdate")),
                ("FTargetDate", _j("targetdate")),
                ("fdeadlinedate", _j("deadlinedate")),
                ("FProjectTimeBudget", _j("projecttimebudget")),
                ("FProjectMoneyBudget", _j("projectmoneybudget")),
                ("FProjectTimeActual", _j("projecttimeactual")),
                ("FProjectMoneyActual", _j("projectmoneyactual")),
                ("FOppValue", _j("oppvalue")),
                ("FOppConversionProbability", _j("oppconversionprobability")),
                ("FOppType", _j("opptype")),
                ("FOppTargetDate", f"CASE WHEN {_j('oppvalue')} IS NOT NULL THEN {_j('targetdate')} END"),
            ],
        ),
        "QUOTATIONHEADER": (
            "Quotation",
            [
                ("QHid", "t.id"),
                ("QHfaultID", _j("ticket_id")),
                ("QHstatus", _j("status")),
                ("QHDate", _j("date")),
                ("QHExpiryDate", _j("expiry_date")),
                ("QHNote", _j("note")),
                ("QHUserID", _j("user_id")),
                ("QHUnum", _j("agent_id")),
                ("QHtitle", _j("title")),
                ("QHApprovalState", f"coalesce({_j('approvalstate')}, 0)"),
                ("qhtaxtotalestimate", _j("tax_total")),
                ("qhlastupdatetime", f"coalesce({_j('last_update')}, {_j('date')})"),
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
                ("Whe_", _j("datetime")),
                ("ActionDateCreated", _j("actiondatecreated")),
                ("note", _j("note")),
                ("timetaken", f"coalesce({_j('timetaken')}, 0)"),
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
                ("datecreated", _j("date_created")),
                ("dateedited", _j("date_edited")),
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
                ("DWarrantyStartDate", _j("warranty_start")),
                ("DWarrantyEndDate", _j("warranty_end")),
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


def create_views(store: Store) -> None:
    """(Re)create the Halo-named views; status ids are baked into the SLA expression, so call after seeding."""
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
    if action in _READ_OK:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        table = (arg1 or "").lower()
        internal = table.startswith(("r_", "sandbox_", "sqlite_"))
        return sqlite3.SQLITE_DENY if internal and inner is None else sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


_TSQL = [
    (re.compile(r"\[dbo\]\.|\bdbo\.", re.I), ""),
    (re.compile(r"\bGETDATE\s*\(\s*\)", re.I), "datetime('now')"),
    (re.compile(r"\bGETUTCDATE\s*\(\s*\)", re.I), "datetime('now')"),
    (re.compile(r"\bISNULL\s*\(", re.I), "IFNULL("),
    (re.compile(r"\bLEN\s*\(", re.I), "LENGTH("),
]
_PARAM_RE = re.compile(r"[@:$](startdate|enddate|client_id)\b", re.I)
_TOP = re.compile(r"^\s*SELECT\s+(DISTINCT\s+)?TOP\s*\(?\s*(\d+)\s*\)?\s", re.I)


def translate(sql: str) -> str:
    """Translate the common T-SQL spellings to SQLite."""
    sql = sql.strip().rstrip(";").strip()
    for pattern, repl in _TSQL:
        sql = pattern.sub(repl, sql)
    m = _TOP.match(sql)
    if m:
        sql = f"SELECT {m.group(1) or ''}" + sql[m.end() :] + f" LIMIT {m.group(2)}"
    return sql


REPORT_PARAMS = ("startdate", "enddate", "client_id")


def run(store: Store, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a report query read-only; errors go to `load_error` as in Halo's ReportContent.

    `params` fills the named parameters `@startdate`, `@enddate`, `@client_id` (missing ones are NULL).
    """
    out: dict[str, Any] = {"loaded": False, "load_error": None, "rows": [], "chart_labels": None}
    if not sql.strip():
        out["load_error"] = "The report has no query"
        return out
    query = translate(sql)
    db = store.db
    deadline = time.monotonic() + MAX_SECONDS

    def progress() -> int:
        return 1 if time.monotonic() > deadline else 0

    db.set_authorizer(_authorizer)
    db.set_progress_handler(progress, 10_000)
    try:
        bound = {k: (params or {}).get(k) for k in REPORT_PARAMS}
        if _PARAM_RE.search(query):
            cur = db.execute(_PARAM_RE.sub(lambda m: "@" + m.group(1).lower(), query), bound)
        else:
            cur = db.execute(query)
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
