"""Per-user sign-in end to end: the SDK's own OAuth client (`mcp.client.auth`) against a collections server whose
collections have auth = ["oauth"], and the sandbox as Halo. The browser is driven over real HTTP: /authorize,
Halo's sign-in page (its non-interactive path), our callback, the consent form, and back to the client."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from halo_mcp.config import ServerSettings, parse_file, tenant_halo_settings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.auth.keys import KeyRing
from halo_mcp.server.auth.people import People
from tests.helpers import AppServer, CollectionsServer, MemoryStorage, halo_settings_for, ok, rows

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(90)]

DESK = {"name": "desk", "tenant": "acme", "auth": ["oauth"], "toolsets": ["directory", "tickets"]}
KB = {"name": "kb", "tenant": "acme", "auth": ["oauth"], "toolsets": ["directory"], "methods": ["read"]}


class Browser:
    """A person at a browser: signs in to Halo as `username` and answers the consent page."""

    def __init__(self, base: str, username: str, password: str = "sandbox", *, allow: bool = True) -> None:
        self.base, self.username, self.password, self.allow = base, username, password, allow
        self.result: AuthorizationCodeResult | None = None
        self.answer: dict[str, str] = {}
        self.page = ""
        self.consent_pages = 0

    async def open(self, url: str) -> None:
        async with httpx2.AsyncClient(timeout=10, follow_redirects=False) as http:
            to_halo = await http.get(url)
            assert to_halo.status_code == 302, to_halo.text
            login = {"username": self.username, "password": self.password}
            back = await http.get(f"{to_halo.headers['location']}&{urlencode(login)}")
            assert back.status_code == 302, back.text
            answer = await http.get(back.headers["location"])
            if answer.status_code == 200:  # the consent page
                self.consent_pages += 1
                self.page = answer.text
                found = re.search(r'name="consent" value="([^"]+)"', answer.text)
                assert found, answer.text
                decision = "allow" if self.allow else "deny"
                answer = await http.post(
                    f"{self.base}/oauth/consent", data={"consent": found.group(1), "decision": decision}
                )
            assert answer.status_code == 302, answer.text
            self.answer = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
            if "code" in self.answer:
                q = self.answer
                self.result = AuthorizationCodeResult(code=q["code"], state=q.get("state"), iss=q.get("iss"))

    async def callback(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


def oauth(url: str, browser: Browser, storage: MemoryStorage | None = None) -> OAuthClientProvider:
    metadata = OAuthClientMetadata.model_validate(
        {"client_name": "test client", "redirect_uris": ["http://127.0.0.1:1/cb"], "token_endpoint_auth_method": "none"}
    )
    return OAuthClientProvider(url, metadata, storage or MemoryStorage(), browser.open, browser.callback)


def signed_in(url: str, auth: OAuthClientProvider, mode: str = "auto") -> Client:
    http = httpx2.AsyncClient(auth=auth, timeout=httpx2.Timeout(10, read=30), follow_redirects=True)
    return Client(streamable_http_client(url, http_client=http), mode=mode)


def start_signin_server(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, halo: dict[str, Any] | None = None, **settings: Any
) -> CollectionsServer:
    """`halo`: HALO_* overrides every tenant inherits; `settings`: ServerSettings."""
    monkeypatch.setenv("T_ACME_ID", sandbox.client_id)
    # Only a client id, like Halo's "Authorisation Code (Native Application)": the server has no identity of its own.
    tenant = {"url": sandbox.url, "client_id_env": "T_ACME_ID"}
    file = parse_file({"tenants": {"acme": {**tenant, "rate_limit": "off"}}, "collections": [DESK, KB]})
    base = halo_settings_for(sandbox, **(halo or {}))
    tenants = {n: tenant_halo_settings(n, t, base=base) for n, t in file.tenants.items()}
    server_settings = ServerSettings(transport="http", signin_keys=SecretStr(KeyRing.new_secret()), **settings)
    server = CollectionsServer(file, tenants, server_settings)
    server.service.file = file.model_copy(update={"server": file.server.model_copy(update={"public_url": server.url})})
    return server.start()


@pytest.fixture
def signin_server(fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[CollectionsServer]:
    server = start_signin_server(fresh_sandbox, monkeypatch)
    yield server
    server.stop()


async def sign_in(server: CollectionsServer, url: str, email: str) -> tuple[OAuthToken, OAuthClientInformationFull]:
    """Sign `email` in to the collection at `url` with the SDK client; what its storage kept (tokens, registration)."""
    storage = MemoryStorage()
    async with signed_in(url, oauth(url, Browser(server.url, email), storage)):
        pass
    assert storage.tokens is not None and storage.client is not None
    return storage.tokens, storage.client


def agents(sandbox: Sandbox) -> list[dict[str, Any]]:
    assert sandbox.app is not None
    found = [
        a
        for a in sandbox.app.store.all("Agent")
        if a.get("_password") and a.get("email") and not a.get("isdisabled") and not a.get("isapiagent")
    ]
    assert len(found) >= 2
    return found


async def whoami(client: Client) -> str:
    result = await client.call_tool("lookup", {"kind": "agent", "query": "me"})
    ok(result)
    return str(rows(result)[0]["name"])


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_two_agents_sign_in_with_the_sdk_client_and_each_acts_in_halo_as_themselves(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox, mode: str
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    first, second = agents(fresh_sandbox)[:2]
    seen: list[str] = []
    for agent in (first, second):
        browser = Browser(signin_server.url, agent["email"])
        async with signed_in(url, oauth(url, browser), mode) as client:
            seen.append(await whoami(client))
        assert browser.consent_pages == 1 and agent["name"] in browser.page and "test client" in browser.page
        assert browser.result is not None and browser.result.iss == signin_server.url  # RFC 9207
    assert seen == [first["name"], second["name"]]


async def test_an_unauthenticated_request_is_challenged_with_the_collections_metadata(
    signin_server: CollectionsServer,
) -> None:
    async with httpx2.AsyncClient(timeout=10) as http:
        refused = await http.post(f"{signin_server.url}/mcp/kb", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        challenge = refused.headers["www-authenticate"]
        prm = (await http.get(f"{signin_server.url}/.well-known/oauth-protected-resource/mcp/kb")).json()
        asm = (await http.get(f"{signin_server.url}/.well-known/oauth-authorization-server")).json()
    assert refused.status_code == 401
    assert f'resource_metadata="{signin_server.url}/.well-known/oauth-protected-resource/mcp/kb"' in challenge
    assert 'scope="halo:read"' in challenge  # kb is read-only: no write scope offered
    assert prm["resource"] == f"{signin_server.url}/mcp/kb"
    assert prm["authorization_servers"] == [signin_server.url]
    assert asm["issuer"] == signin_server.url
    assert asm["authorization_response_iss_parameter_supported"] is True
    assert asm["code_challenge_methods_supported"] == ["S256"]


async def test_a_token_for_one_collection_is_refused_at_another(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    tokens, _ = await sign_in(signin_server, f"{signin_server.url}/mcp/desk", agents(fresh_sandbox)[0]["email"])
    async with httpx2.AsyncClient(timeout=10) as http:
        bearer = {"Authorization": f"Bearer {tokens.access_token}"}
        confused = await http.post(
            f"{signin_server.url}/mcp/kb", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=bearer
        )
    assert confused.status_code == 401
    assert 'error="invalid_token"' in confused.headers["www-authenticate"]


async def test_refresh_rotates_and_revocation_takes_effect_at_once_and_no_mcp_token_reaches_halo(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    storage = MemoryStorage()
    agent = agents(fresh_sandbox)[0]
    async with signed_in(url, oauth(url, Browser(signin_server.url, agent["email"]), storage)) as client:
        assert await whoami(client) == agent["name"]
    assert storage.tokens is not None and storage.client is not None
    first = storage.tokens
    async with httpx2.AsyncClient(timeout=10) as http:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": first.refresh_token,
            "client_id": storage.client.client_id,
        }
        rotated = await http.post(f"{signin_server.url}/token", data=form)
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()
        assert second["refresh_token"] != first.refresh_token
        again = await http.post(f"{signin_server.url}/token", data=form)  # the spent one, replayed
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        # Reuse of a rotated refresh token ends the whole grant: the newest tokens stop working too.
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        after_reuse = await http.post(url, json=ping, headers={"Authorization": f"Bearer {second['access_token']}"})
        assert after_reuse.status_code == 401
    received = fresh_sandbox.app.received_bearers if fresh_sandbox.app else set()
    assert received and first.access_token not in received and second["access_token"] not in received
    async with httpx2.AsyncClient(timeout=10) as http:
        logged = (await http.get(f"{fresh_sandbox.url}/_sandbox/bearers")).json()
    assert len(logged) == len(received) and hashlib.sha256(first.access_token.encode()).hexdigest() not in logged


async def test_revoking_an_access_token_refuses_it_on_the_next_request(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    tokens, registered = await sign_in(signin_server, url, agents(fresh_sandbox)[1]["email"])
    bearer = {"Authorization": f"Bearer {tokens.access_token}"}
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    async with httpx2.AsyncClient(timeout=10) as http:
        before = await http.post(url, json=ping, headers={**bearer, "Accept": "application/json, text/event-stream"})
        form = {"token": tokens.access_token, "client_id": registered.client_id}  # RFC 7009, public client
        revoked = await http.post(f"{signin_server.url}/revoke", data=form)
        after = await http.post(url, json=ping, headers=bearer)
    assert before.status_code != 401 and revoked.status_code == 200
    assert after.status_code == 401


async def test_declining_consent_gives_the_client_access_denied_and_no_code(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/kb"
    browser = Browser(signin_server.url, agents(fresh_sandbox)[0]["email"], allow=False)
    with pytest.raises(Exception):  # noqa: B017 - the SDK client gives up without a code
        async with signed_in(url, oauth(url, browser)):
            pass
    assert browser.result is None and browser.consent_pages == 1
    assert browser.answer["error"] == "access_denied" and browser.answer["iss"] == signin_server.url


async def test_a_forged_callback_or_consent_is_refused_with_a_page_that_says_start_again(
    signin_server: CollectionsServer,
) -> None:
    async with httpx2.AsyncClient(timeout=10, follow_redirects=False) as http:
        callback = await http.get(f"{signin_server.url}/oauth/callback", params={"state": "forged", "code": "x"})
        consent = await http.post(f"{signin_server.url}/oauth/consent", data={"consent": "forged", "decision": "allow"})
    assert callback.status_code == 400 and "this sign-in is unknown or expired; start again" in callback.text
    assert consent.status_code == 400 and "this consent request is unknown or expired; start again" in consent.text


async def test_halo_tokens_are_sealed_in_the_store_and_unreadable_without_the_key(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/kb"
    agent = agents(fresh_sandbox)[0]
    async with signed_in(url, oauth(url, Browser(signin_server.url, agent["email"]))) as client:
        assert await whoami(client) == agent["name"]
    subject = f"acme/agent/{agent['id']}"
    store = signin_server.service.state.signin
    blob = await signin_server.on_loop(store.get("halo", subject, 0.0))
    assert blob is not None
    assert fresh_sandbox.app is not None
    halo_tokens = fresh_sandbox.app.auth.tokens
    assert halo_tokens and not any(t.encode() in blob for t in halo_tokens)
    assert KeyRing.parse(KeyRing.new_secret()).open(blob, f"halo:{subject}") is None
    provider = signin_server.host.signin.provider
    grant = await signin_server.on_loop(provider.load_halo_grant(subject))
    assert grant is not None and grant.access_token in halo_tokens
    # Least privilege towards Halo: what kb's tools need, plus a refresh token; kb only reads.
    needed = set(signin_server.host.contexts["kb"].spec.scope().split())
    assert set(grant.scope.split()) == needed | {"offline_access"}
    assert "all" not in needed and not any(s.startswith("edit:") for s in needed)
    assert provider.keys.open(blob, "halo:acme/agent/999999") is None  # bound to its record


async def test_a_read_only_sign_in_gets_an_insufficient_scope_challenge_for_a_write_tool_only(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    tokens, registered = await sign_in(signin_server, url, agents(fresh_sandbox)[0]["email"])
    async with httpx2.AsyncClient(timeout=10) as http:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": registered.client_id,
            "scope": "halo:read",
        }
        narrowed = (await http.post(f"{signin_server.url}/token", data=form)).json()
        assert narrowed["scope"] == "halo:read"
        headers = {
            "Authorization": f"Bearer {narrowed['access_token']}",
            "Accept": "application/json, text/event-stream",
        }
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "add_note", "arguments": {}}}
        write = await http.post(url, json=call, headers=headers)
        read = {**call, "params": {"name": "lookup", "arguments": {"kind": "team"}}}
        reading = await http.post(url, json=read, headers=headers)
        # The 2026 era names the tool in a header: refused before the body is read.
        modern = {**headers, "Mcp-Method": "tools/call", "Mcp-Name": "add_note", "Mcp-Protocol-Version": "2026-07-28"}
        named = await http.post(url, json=call, headers=modern)
    assert write.status_code == 403 and named.status_code == 403
    assert 'error="insufficient_scope"' in named.headers["www-authenticate"]
    challenge = write.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="halo:read halo:write"' in challenge
    assert reading.status_code not in (401, 403)


async def test_halo_tokens_are_refreshed_on_demand_once_for_concurrent_calls_of_one_person(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    agent = agents(fresh_sandbox)[0]
    assert fresh_sandbox.app is not None
    async with signed_in(url, oauth(url, Browser(signin_server.url, agent["email"]))) as client:
        assert await whoami(client) == agent["name"]
        fresh_sandbox.app.auth.expire_all()  # Halo forgets every access token; refresh tokens still work
        before = fresh_sandbox.app.counters.routes.get("POST /auth/token", 0)
        results: list[Any] = []

        async def lookup(kind: str) -> None:
            results.append(await client.call_tool("lookup", {"kind": kind}))

        async with anyio.create_task_group() as tg:
            for kind in ("team", "status", "priority"):
                tg.start_soon(lookup, kind)
        assert [r.is_error for r in results] == [False] * 3, [r.content for r in results]
        refreshes = fresh_sandbox.app.counters.routes.get("POST /auth/token", 0) - before
    assert refreshes == 1


async def test_a_persons_halo_token_is_renewed_within_the_refresh_margin_the_settings_give(
    fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_signin_server(fresh_sandbox, monkeypatch, halo={"token_refresh_margin": 10**7})
    try:
        url = f"{server.url}/mcp/desk"
        assert fresh_sandbox.app is not None
        async with signed_in(url, oauth(url, Browser(server.url, agents(fresh_sandbox)[0]["email"]))) as client:
            before = fresh_sandbox.app.counters.routes.get("POST /auth/token", 0)
            for kind in ("team", "status"):
                ok(await client.call_tool("lookup", {"kind": kind}))
            renewals = fresh_sandbox.app.counters.routes.get("POST /auth/token", 0) - before
    finally:
        server.stop()
    assert renewals >= 2  # every grant is already inside the margin: each Halo request renews (the default: none)


async def test_a_collection_admits_only_its_audience_an_end_user_collection_refuses_an_agent(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    host = signin_server.host
    desk = host.contexts["desk"].spec
    portal = replace(desk, config=desk.config.model_copy(update={"name": "portal", "audience": "user"}))
    await signin_server.on_loop(host.apply([desk, host.contexts["kb"].spec, portal]))
    assert fresh_sandbox.app is not None
    user = next(u for u in fresh_sandbox.app.store.all("Users") if u.get("emailaddress") and not u.get("inactive"))
    agent = agents(fresh_sandbox)[0]

    async def sign_in(collection: str, username: str) -> Browser:
        url = f"{signin_server.url}/mcp/{collection}"
        browser = Browser(signin_server.url, username)
        try:
            async with signed_in(url, oauth(url, browser)):
                pass
        except Exception:  # a refused sign-in ends the SDK client's flow
            pass
        return browser

    refused = await sign_in("portal", agent["email"])
    assert refused.answer["error"] == "access_denied" and "for end users" in refused.answer["error_description"]
    assert refused.consent_pages == 0
    admitted = await sign_in("portal", user["emailaddress"])
    assert admitted.result is not None and admitted.consent_pages == 1
    wrong_way = await sign_in("desk", user["emailaddress"])
    assert wrong_way.answer["error"] == "access_denied" and "for agents" in wrong_way.answer["error_description"]


def self_signed_certificate(directory: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 made here (cert file, key file): the CA the server is told to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


async def test_a_client_id_metadata_document_over_tls_signs_in_without_registration_and_others_are_not_fetched(
    fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    fetched: list[str] = []
    redirect = "http://127.0.0.1:1/cb"

    def document_app() -> Starlette:
        async def document(request: Request) -> JSONResponse:
            fetched.append(request.url.path)
            doc = {"client_id": str(request.url), "client_name": "CIMD client", "redirect_uris": [redirect]}
            return JSONResponse({**doc, "token_endpoint_auth_method": "none"})

        return Starlette(routes=[Route("/client.json", document)])

    documents = AppServer(document_app, ssl_certfile=cert, ssl_keyfile=key).start()
    host = f"127.0.0.1:{documents.port}"
    server = start_signin_server(fresh_sandbox, monkeypatch, cimd_hosts=host, cimd_ca_file=cert)
    try:
        url = f"{server.url}/mcp/kb"
        storage = MemoryStorage()
        doc_url = f"{documents.url}/client.json"
        metadata = OAuthClientMetadata.model_validate(
            {"redirect_uris": [redirect], "token_endpoint_auth_method": "none"}
        )
        browser = Browser(server.url, agents(fresh_sandbox)[0]["email"])
        auth = OAuthClientProvider(url, metadata, storage, browser.open, browser.callback, client_metadata_url=doc_url)
        async with signed_in(url, auth) as client:
            assert await whoami(client) == agents(fresh_sandbox)[0]["name"]
        assert storage.client is not None and storage.client.client_id == doc_url
        assert fetched == ["/client.json"]  # fetched once, then cached
        async with httpx2.AsyncClient(timeout=10) as http:
            for elsewhere in ("https://169.254.169.254/latest/meta-data", f"http://{host}/client.json"):
                query = {"client_id": elsewhere, "response_type": "code", "code_challenge": "x" * 43}
                query |= {"redirect_uri": redirect, "resource": url}
                refused = await http.get(f"{server.url}/authorize", params=query)
                assert refused.status_code == 400 and "not found" in refused.json()["error_description"]
        assert fetched == ["/client.json"]
    finally:
        server.stop()
        documents.stop()


async def test_dynamic_registration_beyond_loopback_needs_the_initial_access_token(
    fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_signin_server(fresh_sandbox, monkeypatch, registration_token="initial-secret")
    try:
        app = server.host.signin.app
        body = {"redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "none"}
        remote = httpx2.ASGITransport(app=app, client=("203.0.113.9", 40000))
        async with httpx2.AsyncClient(transport=remote, base_url=server.url) as http:
            anonymous = await http.post("/register", json=body)
            wrong = await http.post("/register", json=body, headers={"Authorization": "Bearer nope"})
            granted = await http.post("/register", json=body, headers={"Authorization": "Bearer initial-secret"})
        async with httpx2.AsyncClient(base_url=server.url, timeout=10) as http:
            local = await http.post("/register", json=body)  # loopback: a developer's own client
    finally:
        server.stop()
    assert anonymous.status_code == 401 and wrong.status_code == 401
    assert granted.status_code == 201 and granted.json()["client_id"]
    assert local.status_code == 201


async def test_when_halo_ends_a_sign_in_the_tool_says_so_and_the_client_signs_in_again_without_consent(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    agent = agents(fresh_sandbox)[0]
    assert fresh_sandbox.app is not None
    browser = Browser(signin_server.url, agent["email"])
    opened: list[str] = []
    original = browser.open

    async def counting(target: str) -> None:
        opened.append(target)
        await original(target)

    auth = OAuthClientProvider(
        url, oauth(url, browser).context.client_metadata, MemoryStorage(), counting, browser.callback
    )
    async with signed_in(url, auth) as client:
        assert await whoami(client) == agent["name"]
        fresh_sandbox.app.auth.refresh.clear()  # Halo revokes the refresh tokens...
        fresh_sandbox.app.auth.expire_all()  # ...and the access tokens expire
        ended = await client.call_tool("lookup", {"kind": "team"})
        assert ended.is_error and "sign in again" in ended.content[0].text  # type: ignore[union-attr]
        assert await whoami(client) == agent["name"]  # the 401 started a new sign-in
    assert len(opened) == 2 and browser.consent_pages == 1  # consent is remembered per client


async def test_a_signed_in_write_is_made_in_halo_as_that_agent_and_audited_and_only_reference_data_is_shared(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    first, second = agents(fresh_sandbox)[:2]
    assert fresh_sandbox.app is not None
    counters = fresh_sandbox.app.counters.routes
    for agent in (first, second):
        storage = MemoryStorage()
        async with signed_in(url, oauth(url, Browser(signin_server.url, agent["email"]), storage)) as client:
            ok(await client.call_tool("lookup", {"kind": "team"}))
            ok(await client.call_tool("lookup", {"kind": "client"}))
            ok(await client.call_tool("add_note", {"ticket_id": 1, "note": f"checked by {agent['name']}"}))
        assert storage.client is not None
        (entry, *_) = signin_server.audit.entries(collection="desk", tool="add_note")
        assert entry.principal == f"{storage.client.client_id} (acme/agent/{agent['id']})"
    notes = [a for a in fresh_sandbox.app.store.all("Actions") if str(a.get("note", "")).startswith("checked by")]
    assert {(a["note"], a["who_agentid"]) for a in notes} == {
        (f"checked by {first['name']}", first["id"]),
        (f"checked by {second['name']}", second["id"]),
    }
    assert counters.get("GET /api/Team", 0) == 1  # one load of the teams, shared by both people
    assert counters.get("GET /api/Client", 0) == 2  # customers as each may see them (Halo can restrict an agent)


async def test_authorize_needs_a_served_collection_and_asks_halo_for_read_scopes_only_for_a_read_only_grant(
    signin_server: CollectionsServer,
) -> None:
    redirect = "http://127.0.0.1:1/cb"
    async with httpx2.AsyncClient(base_url=signin_server.url, timeout=10) as http:
        client = await http.post("/register", json={"redirect_uris": [redirect], "token_endpoint_auth_method": "none"})
        query = {"client_id": client.json()["client_id"], "response_type": "code", "redirect_uri": redirect}
        query |= {"code_challenge": "x" * 43, "code_challenge_method": "S256", "state": "s"}
        halo_urls = {}
        for scope in ("halo:read", "halo:read halo:write"):
            answer = await http.get(
                "/authorize", params={**query, "scope": scope, "resource": f"{signin_server.url}/mcp/desk"}
            )
            assert answer.status_code == 302
            halo_urls[scope] = parse_qs(urlsplit(answer.headers["location"]).query)["scope"][0].split()
        unknown = await http.get("/authorize", params={**query, "resource": f"{signin_server.url}/mcp/nope"})
        plain = await http.get("/authorize", params={**query, "code_challenge_method": "plain"})
    assert "offline_access" in halo_urls["halo:read"]
    assert not any(s.startswith("edit:") for s in halo_urls["halo:read"])
    assert any(s.startswith("edit:") for s in halo_urls["halo:read halo:write"])
    assert parse_qs(urlsplit(unknown.headers["location"]).query)["error"] == ["invalid_target"]
    assert plain.status_code == 302 and "error=invalid_request" in plain.headers["location"]  # PKCE S256 only


async def test_two_replicas_refresh_one_persons_halo_token_once_between_them(
    signin_server: CollectionsServer, fresh_sandbox: Sandbox
) -> None:
    url = f"{signin_server.url}/mcp/desk"
    agent = agents(fresh_sandbox)[0]
    assert fresh_sandbox.app is not None
    async with signed_in(url, oauth(url, Browser(signin_server.url, agent["email"]))) as client:
        assert await whoami(client) == agent["name"]
    signin = signin_server.host.signin
    subject = f"acme/agent/{agent['id']}"
    fresh_sandbox.app.auth.expire_all()
    before = fresh_sandbox.app.counters.routes.get("POST /auth/token", 0)

    async def on_two_replicas() -> list[Any]:
        """Two replicas: each its own People (own clients, own in-process locks) over the one shared store."""
        shared = signin_server.host.halo
        replicas = [People(signin.provider, signin.tenants, shared.__getitem__, signin.halo) for _ in "ab"]
        mes: list[Any] = []

        async def me(halo: Any) -> None:
            mes.append(await halo.get("Agent/me"))

        try:
            async with anyio.create_task_group() as tg:
                for halo in [r.client(subject) for r in replicas] * 2:
                    tg.start_soon(me, halo)
        finally:
            for r in replicas:
                await r.aclose()
        return mes

    mes = await signin_server.on_loop(on_two_replicas())  # where the sign-in's HTTP client lives
    assert [m["id"] for m in mes] == [agent["id"]] * 4
    assert fresh_sandbox.app.counters.routes.get("POST /auth/token", 0) - before == 1
