"""The admin console over real HTTP: sign-in and CSRF enforced, the same validation as the config file, secrets
shown once, every admin action audited, the audit's filters and CSV, health figures and try-a-tool."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from halo_mcp.audit import AuditEntry
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.collections.admin import audit_csv
from halo_mcp.server.console.session import CSP
from tests.helpers import ADMIN_TOKEN, CollectionsServer, ConsoleClient, mcp_at, ok

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

SECRET = re.compile(r"hmcp_[A-Za-z0-9_-]{20,}")


async def test_a_signed_out_browser_is_sent_to_sign_in_and_its_posts_are_refused(console: CollectionsServer) -> None:
    before = await console.service.state.tokens.list()
    async with ConsoleClient(console.url) as browser:
        for page in ("/admin/collections", "/admin/tokens", "/admin/audit", "/admin/health", "/admin/try"):
            answer = await browser.http.get(page)
            assert answer.status_code == 303, page
            assert answer.headers["location"] == f"/admin/signin?next={page.replace('/', '%2F')}"
        refused = await browser.http.post("/admin/tokens", data={"collection": "desk", "csrf": "x"})
        assert refused.status_code == 403
        assert "Sign in first" in refused.text
        assert (await browser.http.get("/admin/audit.csv")).status_code == 303
    assert await console.service.state.tokens.list() == before  # the refused POST issued nothing


async def test_a_wrong_admin_token_is_refused_and_the_attempt_audited(console: CollectionsServer) -> None:
    async with ConsoleClient(console.url) as browser:
        answer = await browser.sign_in("not-the-admin-token")
        assert answer.status_code == 401
        assert "not the admin token" in answer.text
        assert "halo_mcp_admin=" not in answer.headers.get("set-cookie", "")
        assert (await browser.http.get("/admin/collections")).status_code == 303
    attempts = [e for e in console.audit.entries(tool="admin.sign_in") if e.message.startswith("refused")]
    assert attempts and attempts[0].principal == "admin (console)"


async def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_the_session(
    console: CollectionsServer,
) -> None:
    async with ConsoleClient(console.url) as browser:
        answer = await browser.sign_in()
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin/collections"
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("halo_mcp_admin="))
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict", "path=/admin"} <= attributes
        assert "secure" not in attributes  # plain http on loopback; https adds Secure
        stolen = browser.http.cookies["halo_mcp_admin"]
        page = await browser.http.get("/admin/collections")
        assert page.status_code == 200 and "desk" in page.text
        assert (await browser.submit("/admin/signout", {})).status_code == 303
    async with ConsoleClient(console.url) as replay:
        replay.http.cookies.set("halo_mcp_admin", stolen, domain="127.0.0.1", path="/admin")
        assert (await replay.http.get("/admin/collections")).status_code == 303  # the ended session is gone


async def test_a_form_without_its_csrf_token_or_from_another_origin_is_refused(console: CollectionsServer) -> None:
    before = len(await console.service.state.tokens.list())
    async with ConsoleClient(console.url) as browser:
        await browser.sign_in()
        forged = await browser.http.post("/admin/tokens", data={"collection": "desk", "csrf": "guessed"})
        assert forged.status_code == 403 and "CSRF" in forged.text
        missing = await browser.http.post("/admin/tokens", data={"collection": "desk"})
        assert missing.status_code == 403
        token = await browser.token_on("/admin/tokens")
        elsewhere = await browser.http.post(
            "/admin/tokens", data={"collection": "desk", "csrf": token}, headers={"Origin": "http://evil.example"}
        )
        assert elsewhere.status_code == 403
        other_port = await browser.http.post(
            "/admin/tokens", data={"collection": "desk", "csrf": token}, headers={"Origin": "http://127.0.0.1:1"}
        )
        assert other_port.status_code == 403 and "Origin" in other_port.text
        assert (await browser.submit("/admin/tokens", {"collection": "desk"}, page="/admin/tokens")).status_code == 200
    assert len(await console.service.state.tokens.list()) == before + 1  # only the genuine form issued one


async def test_every_page_carries_a_csp_without_inline_script_and_refuses_framing(console: CollectionsServer) -> None:
    async with ConsoleClient(console.url) as browser:
        await browser.sign_in()
        for page in ("/admin/signin", "/admin/collections", "/admin/health", "/admin/static/console.css"):
            answer = await browser.http.get(page)
            assert answer.headers["content-security-policy"] == CSP, page
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["x-content-type-options"] == "nosniff"
        html = (await browser.http.get("/admin/collections")).text
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


async def test_a_collection_whose_filters_match_no_tool_is_refused_with_the_reason(
    console: CollectionsServer,
) -> None:
    form = {"name": "nothing", "tenant": "acme", "toolsets": "knowledge", "methods": "delete"}
    async with ConsoleClient(console.url) as browser:
        await browser.sign_in()
        answer = await browser.submit("/admin/collections/new", form, page="/admin/collections/new")
        assert answer.status_code == 400
        assert "collection: exposes no tool (toolsets [&#39;knowledge&#39;], methods [&#39;delete&#39;])" in answer.text
        assert 'value="nothing"' in answer.text  # the form keeps what was typed
        typo_form = {**form, "name": "typo", "methods": "read", "tools": "get_tiket"}
        typo = await browser.submit("/admin/collections/new", typo_form, page="/admin/collections/new")
        assert typo.status_code == 400 and "did you mean &#39;get_ticket&#39;" in typo.text
    assert not {"nothing", "typo"} & {s.name for s in await console.service.specs()}
    refusals = [e for e in console.audit.entries(tool="admin.create_collection") if e.outcome == "error"]
    assert any("exposes no tool" in e.message for e in refusals)


async def test_a_created_collection_shows_its_tools_and_their_tools_list_cost(console: CollectionsServer) -> None:
    form = {"name": "kbread", "tenant": "acme", "toolsets": "knowledge", "methods": "read"}
    async with ConsoleClient(console.url) as browser:
        await browser.sign_in()
        created = await browser.submit("/admin/collections/new", form, page="/admin/collections/new")
        assert created.status_code == 303 and created.headers["location"] == "/admin/collections/kbread?notice=created"
        page = (await browser.http.get("/admin/collections/kbread")).text
        spec = await console.service.get("kbread")
        for t in spec.selection.tools():
            assert f"<code>{t.name}</code>" in page
        costs = await browser.http.get("/admin/api/collections/kbread/tools",
                                       headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})  # fmt: skip
        total = costs.json()["tools_list_tokens"]
        assert total > 0 and f"<b>{total:,}</b> tokens in tools/list" in page
        edited = await browser.submit("/admin/collections/kbread", {**form, "description": "KB for the bot"},
                                      page="/admin/collections/kbread")  # fmt: skip
        assert edited.status_code == 303
    assert (await console.service.get("kbread")).config.description == "KB for the bot"
    actions = [e.tool for e in console.audit.entries(collection="kbread")]
    assert actions[:2] == ["admin.update_collection", "admin.create_collection"]


async def test_an_issued_token_is_shown_once_with_client_configs_then_never_again(console: CollectionsServer) -> None:
    async with ConsoleClient(console.url) as browser:
        await browser.sign_in()
        issued = await browser.submit("/admin/tokens", {"collection": "desk", "label": "laptop", "expires": "30d"},
                                      page="/admin/tokens")  # fmt: skip
        assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
        secrets = set(SECRET.findall(issued.text))
        assert len(secrets) == 1
        secret = secrets.pop()
        for client in ("Claude Desktop", "VS Code", "Cursor"):
            assert client in issued.text
        assert f"&#34;Authorization&#34;: &#34;Bearer {secret}&#34;" in issued.text
        async with mcp_at(f"{console.url}/mcp/desk", token=secret) as mcp:
            assert (await mcp.list_tools()).tools
        for page in ("/admin/tokens", "/admin/collections/desk", "/admin/audit"):
            assert secret not in (await browser.http.get(page)).text
    record = console.audit.entries(tool="admin.issue_token")[0]
    assert secret not in str(record) and record.arguments == {"label": "laptop", "expires": "30d"}


async def test_the_audit_filters_link_each_ticket_to_halo_and_export_csv_without_formulas(
    console: CollectionsServer,
) -> None:
    async with ConsoleClient(console.url) as browser:
        await browser.sign_in()
        issued = await browser.submit("/admin/tokens", {"collection": "desk", "label": "=cmd|' /C calc'!A0"},
                                      page="/admin/tokens")  # fmt: skip
        secret = SECRET.findall(issued.text)[0]
        async with mcp_at(f"{console.url}/mcp/desk", token=secret) as mcp:
            created = ok(
                await mcp.call_tool("create_ticket", {"summary": "Printer on fire", "details": "Smoke from tray 2"})
            )
        ticket = int(re.search(r"\d+", created).group())  # type: ignore[union-attr]
        page = await browser.http.get("/admin/audit", params={"ticket": str(ticket), "collection": "desk"})
        assert page.status_code == 200
        assert f'href="{console.host.tenant_settings["acme"].url}/ticket?id={ticket}"' in page.text
        assert page.text.count("<code>create_ticket</code>") == 1
        assert "No entries match" in (await browser.http.get("/admin/audit", params={"ticket": "999999"})).text
        issues = (await browser.http.get("/admin/audit", params={"tool": "admin.issue_token"})).text
        assert "<code>admin.issue_token</code>" in issues and "<code>create_ticket</code>" not in issues
        assert "No entries match" in (await browser.http.get("/admin/audit", params={"until": "2000-01-01"})).text
        bad = await browser.http.get("/admin/audit", params={"since": "yesterday"})
        assert bad.status_code == 400 and "since: &#39;yesterday&#39; is not a date" in bad.text
        exported = await browser.http.get("/admin/audit.csv", params={"person": "=cmd"})
        assert exported.headers["content-type"].startswith("text/csv")
        assert exported.headers["content-disposition"] == 'attachment; filename="halo-mcp-audit.csv"'
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["tool"] for r in rows] == ["create_ticket"]
    assert rows[0]["affected"] == f"ticket:{ticket}" and rows[0]["collection"] == "desk"
    assert rows[0]["person"].endswith("(=cmd|' /C calc'!A0)")
    assert console.audit.entries(tool="admin.export_audit")[0].message == "1 rows"


async def test_health_counts_a_collections_calls_and_shows_the_tenant_budget(console: CollectionsServer) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with ConsoleClient(console.url) as browser:
        before = (await browser.http.get("/admin/api/health", headers=admin)).json()
        issued = await browser.http.post("/admin/api/collections/desk/tokens", json={}, headers=admin)
        async with mcp_at(f"{console.url}/mcp/desk", token=issued.json()["token"]) as mcp:
            ok(await mcp.call_tool("get_ticket", {"id": 1}))
            assert (await mcp.call_tool("get_ticket", {"id": 99999999})).is_error
        after = (await browser.http.get("/admin/api/health", headers=admin)).json()
        await browser.sign_in()
        page = await browser.http.get("/admin/health")
    desk = {c["collection"]: c for c in after["collections"]}["desk"]
    was = {c["collection"]: c for c in before["collections"]}["desk"]
    assert (desk["calls"] - was["calls"], desk["errors"] - was["errors"]) == (2, 1)
    acme = after["tenants"][0]
    assert acme["tenant"] == "acme" and acme["limit"] == 700 and acme["remaining"] < 700
    assert acme["requests_last_hour"] >= 2
    assert page.status_code == 200 and "<polyline points=" in page.text and "700 per 60 s" in page.text


async def test_try_a_tool_shows_exactly_what_the_model_receives_and_is_audited(console: CollectionsServer) -> None:
    async with ConsoleClient(console.url) as browser:
        await browser.sign_in()
        form = await browser.http.get("/admin/try", params={"collection": "desk", "tool": "get_ticket"})
        assert 'name="arg.id"' in form.text and 'name="arg.full"' in form.text
        ran = await browser.submit("/admin/try", {"collection": "desk", "tool": "get_ticket", "arg.id": "1"},
                                   page="/admin/try?collection=desk&tool=get_ticket")  # fmt: skip
        wrong = await browser.submit("/admin/try", {"collection": "desk", "tool": "get_ticket", "arg.id": "x"},
                                     page="/admin/try?collection=desk&tool=get_ticket")  # fmt: skip
    assert ran.status_code == 200 and "What the model receives" in ran.text
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with ConsoleClient(console.url) as api:
        issued = await api.http.post("/admin/api/collections/desk/tokens", json={}, headers=admin)
    async with mcp_at(f"{console.url}/mcp/desk", token=issued.json()["token"]) as mcp:
        text = ok(await mcp.call_tool("get_ticket", {"id": 1}))
    assert f'<pre class="text">{html.escape(text, quote=True).replace("&#x27;", "&#39;")}</pre>' in ran.text
    assert re.search(r"<b>\d[\d,]*</b> tokens", ran.text)
    assert wrong.status_code == 400 and "id: &#39;x&#39; is not a number" in wrong.text
    trial = console.audit.entries(tool="admin.try_tool")[0]
    assert trial.arguments == {"tool": "get_ticket", "arguments": {"id": 1}} and trial.collection == "desk"


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_exported_as_text() -> None:
    entry = AuditEntry(7, 0.0, "desk", "create_ticket", {}, ["ticket:3"], "ok", '=HYPERLINK("http://x")', "+tok")
    row = next(csv.DictReader(io.StringIO(audit_csv([entry]))))
    assert (row["message"], row["person"], row["collection"]) == ('\'=HYPERLINK("http://x")', "'+tok", "desk")


async def test_sign_in_returns_only_to_a_console_page_never_to_another_site(console: CollectionsServer) -> None:
    async with ConsoleClient(console.url) as browser:
        for target, landing in (("/admin/health", "/admin/health"), ("https://evil.example/", "/admin/collections"),
                                ("//evil.example/admin/", "/admin/collections")):  # fmt: skip
            nonce = await browser.token_on(f"/admin/signin?next={target}")
            answer = await browser.http.post("/admin/signin", data={"nonce": nonce, "token": ADMIN_TOKEN,
                                                                    "next": target})  # fmt: skip
            assert answer.headers["location"] == landing, target


async def test_health_counts_the_429s_halo_answered_and_the_page_shows_them(
    console: CollectionsServer, module_sandbox: Sandbox
) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with ConsoleClient(console.url) as browser:
        issued = await browser.http.post("/admin/api/collections/desk/tokens", json={}, headers=admin)
        async with mcp_at(f"{console.url}/mcp/desk", token=issued.json()["token"]) as mcp:
            ok(await mcp.call_tool("get_ticket", {"id": 1}))  # a Halo token first: the limit counts API calls
            before = module_sandbox.counters()["rate_limited"]
            module_sandbox.set_faults(rate_limit={"limit": 1, "window_seconds": 0.3, "retry_after": True})
            try:
                for _ in range(3):
                    ok(await mcp.call_tool("get_ticket", {"id": 1}))  # waited out and retried by the client
            finally:
                module_sandbox.clear_faults()
        refused = module_sandbox.counters()["rate_limited"] - before
        acme = (await browser.http.get("/admin/api/health", headers=admin)).json()["tenants"][0]
        await browser.sign_in()
        page = await browser.http.get("/admin/health")
    assert refused >= 1
    assert acme["rate_limited_recent"] == acme["rate_limited_last_hour"] == refused
    assert f'<td class="num">{refused} / {refused}</td>' in page.text
