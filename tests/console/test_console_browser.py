"""The admin console in headless Chromium (Playwright): the issue's whole flow as an admin clicks it, with the
SDK client using what the admin issued; sign-in and CSRF enforced in the browser. With CONSOLE_SCREENSHOTS=1
(`make screenshots`) each page is also saved to docs/screenshots/ for the README."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from tests.helpers import ADMIN_TOKEN, CollectionsServer, mcp_at, ok

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.timeout(150)]

SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


class Shots:
    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder = page, folder
        self.saved: list[str] = []

    async def __call__(self, name: str) -> None:
        await self.page.screenshot(path=self.folder / f"{name}.png", full_page=True)
        self.saved.append(name)
        if os.environ.get("CONSOLE_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.folder / f"{name}.png", SCREENSHOTS / f"{name}.png")


async def test_an_admin_creates_a_collection_issues_a_token_watches_it_used_revokes_it_and_tries_a_tool(
    console: CollectionsServer, page: Page, tmp_path: Path
) -> None:
    shot = Shots(page, tmp_path)
    page.on("dialog", lambda dialog: dialog.accept())  # the revoke button's confirmation

    # Sign-in is enforced: any page leads to the sign-in form, and a wrong token does not pass.
    await page.goto(f"{console.url}/admin/tokens")
    assert page.url == f"{console.url}/admin/signin?next=%2Fadmin%2Ftokens"
    await page.fill("input[name=token]", "wrong")
    await page.click("text=Sign in >> nth=-1")
    assert "not the admin token" in await page.inner_text("main")
    await shot("signin")
    await page.fill("input[name=token]", ADMIN_TOKEN)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(f"{console.url}/admin/tokens")

    # Create a collection; a filter that matches no tool is refused with the reason first.
    await page.goto(f"{console.url}/admin/collections/new")
    await page.fill("input[name=name]", "helpdesk")
    await page.check("input[name=toolsets][value=knowledge]")
    await page.uncheck("input[name=methods][value=read]")
    await page.check("input[name=auth][value=bearer]")
    await page.click("button:has-text('Create collection')")
    assert "exposes no tool" in await page.inner_text(".error")
    await page.uncheck("input[name=toolsets][value=knowledge]")
    await page.check("input[name=toolsets][value=tickets]")
    await page.check("input[name=methods][value=read]")
    await page.fill("input[name=description]", "Service desk assistant")
    await page.click("button:has-text('Create collection')")
    await page.wait_for_url(f"{console.url}/admin/collections/helpdesk?notice=created")
    assert "get_ticket" in await page.inner_text("table")
    assert re.search(r"[\d,]+ tokens in tools/list", await page.inner_text(".summary"))
    await shot("collection")
    await page.goto(f"{console.url}/admin/collections")
    await shot("collections")

    # Issue a token: shown once, with a working copy button and the client configurations.
    await page.goto(f"{console.url}/admin/tokens?collection=helpdesk")
    await page.fill("input[name=label]", "Claude Desktop on Jo's laptop")
    await page.fill("input[name=expires]", "30d")
    await page.click("button:has-text('Issue token')")
    secret = await page.inner_text("#secret")
    assert secret.startswith("hmcp_")
    await page.click("button[data-copy=secret]")
    await page.wait_for_selector("button[data-copy=secret]:has-text('Copied')")
    assert await page.evaluate("navigator.clipboard.readText()") == secret
    for client in ("Claude Desktop", "VS Code", "Cursor"):
        assert client in await page.inner_text("main")
    await shot("token-issued")

    # Use it from the SDK client; the call shows in the audit, with a link to the ticket in Halo.
    async with mcp_at(f"{console.url}/mcp/helpdesk", token=secret, mode="legacy") as mcp:
        created = ok(await mcp.call_tool("create_ticket", {"summary": "VPN drops hourly", "details": "Since Monday"}))
        ticket = re.search(r"\d+", created).group()  # type: ignore[union-attr]
        await page.goto(f"{console.url}/admin/audit")
        await page.fill("input[name=collection]", "helpdesk")
        await page.click("button:has-text('Filter')")
        row = page.locator("table.audit tbody tr", has_text="create_ticket")
        assert await row.count() == 1
        link = row.locator(f"a:has-text('ticket:{ticket}')")
        assert await link.get_attribute("href") == f"{console.host.tenant_settings['acme'].url}/ticket?id={ticket}"
        assert "Jo's laptop" in await row.inner_text()
        await shot("audit")

        # Revoke it in the console: the same session's next call is refused.
        await page.goto(f"{console.url}/admin/tokens")
        await page.locator("tr", has_text="Jo's laptop").locator("button:has-text('Revoke')").click()
        await page.wait_for_selector(".notice:has-text('revoked')")
        assert secret not in await page.content()
        await shot("tokens")
        with pytest.raises(MCPError):
            await mcp.call_tool("get_ticket", {"id": int(ticket)})

    # Health shows the tenant's budget chart and the collection's calls.
    await page.goto(f"{console.url}/admin/health")
    assert await page.locator("svg.chart polyline").count() == 1
    helpdesk = page.locator("tr", has_text="helpdesk")
    assert "helpdesk" in await helpdesk.first.inner_text()
    await shot("health")

    # Try a tool: a form from its schema, and exactly what the model receives.
    await page.goto(f"{console.url}/admin/try")
    await page.select_option("select[name=collection]", "helpdesk")
    await page.click("button:has-text('Choose')")
    await page.select_option("select[name=tool]", "get_ticket")
    await page.click("button:has-text('Choose')")
    await page.fill("input[name='arg.id']", ticket)
    await page.click("button:has-text('Run get_ticket')")
    result = page.locator("#result")
    assert "VPN drops hourly" in await result.locator("pre.text").inner_text()
    assert re.search(r"[\d,]+ tokens", await result.inner_text())
    await shot("try")

    # CSRF: a form whose token was tampered with is refused, and so is a form posted from another site (its
    # SameSite=Strict cookie is not sent, and its Origin is not the console's).
    await page.goto(f"{console.url}/admin/tokens")
    await page.evaluate("document.querySelector('form[action=\"/admin/tokens\"] input[name=csrf]').value = 'x'")
    await page.click("button:has-text('Issue token')")
    assert "CSRF check failed" in await page.inner_text("main")
    evil = f"""<form method="post" action="{console.url}/admin/tokens"><input name="collection" value="helpdesk">
      <button>Win a prize</button></form>"""
    await page.route("http://evil.test/", lambda route: route.fulfill(body=evil, content_type="text/html"))
    await page.goto("http://evil.test/")
    async with page.expect_navigation():
        await page.click("text=Win a prize")
    assert "Invalid Origin header" in await page.content()  # refused by the Host/Origin guard, before the console
    tokens = await console.service.state.tokens.list("helpdesk")
    assert len(tokens) == 1  # only the token the admin issued, now revoked
    async with httpx2.AsyncClient(timeout=10) as http:
        refused = await http.post(f"{console.url}/mcp/helpdesk", json={}, headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401
    assert shot.saved == ["signin", "collection", "collections", "token-issued", "audit", "tokens", "health", "try"]
