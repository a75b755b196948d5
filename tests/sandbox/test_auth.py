"""Auth flows and errors: client credentials, password, refresh, authorization code + PKCE, scopes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlparse

import httpx2

from halo_mcp.sandbox import Sandbox
from tests.helpers import api_client, get_token


def _post_token(sb: Sandbox, **form: str) -> httpx2.Response:
    return httpx2.post(sb.url + "/auth/token", data=form)


def test_client_credentials_token_shape_and_tenant(sb: Sandbox) -> None:
    r = httpx2.post(
        sb.url + "/auth/token?tenant=sandbox",
        data={
            "grant_type": "client_credentials",
            "client_id": sb.client_id,
            "client_secret": sb.client_secret,
            "scope": "all",
        },
    )
    body = r.json()
    assert r.status_code == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "all"
    assert "refresh_token" not in body
    with api_client(sb, body["access_token"]) as api:
        me = api.get("/Agent/me").json()
    assert me["id"] == 1


def test_basic_auth_header_is_accepted(sb: Sandbox) -> None:
    r = httpx2.post(
        sb.url + "/auth/token", data={"grant_type": "client_credentials"}, auth=(sb.client_id, sb.client_secret)
    )
    assert r.status_code == 200 and r.json()["access_token"]


def test_token_errors_are_oauth_shaped(sb: Sandbox) -> None:
    cases = [
        ({"grant_type": "client_credentials", "client_id": sb.client_id, "client_secret": "wrong"}, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}, "invalid_client"),
        (
            {
                "grant_type": "client_credentials",
                "client_id": sb.client_id,
                "client_secret": sb.client_secret,
                "scope": "read:users",
            },
            "invalid_scope",
        ),
        ({"grant_type": "magic", "client_id": sb.client_id}, "unsupported_grant_type"),
        ({"client_id": sb.client_id}, "invalid_request"),
        (
            {"grant_type": "password", "client_id": sb.client_id, "username": sb.agent_username, "password": "nope"},
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "client_id": sb.client_id, "refresh_token": "bogus"}, "invalid_grant"),
        ({"grant_type": "authorization_code", "client_id": sb.client_id, "code": "bogus"}, "invalid_grant"),
    ]
    for form, error in cases:
        r = _post_token(sb, **form)
        assert r.status_code == 400, form
        assert r.json()["error"] == error, (form, r.text)
        assert r.json()["error_description"]


def test_json_token_request_is_rejected(sb: Sandbox) -> None:
    r = httpx2.post(sb.url + "/auth/token", json={"grant_type": "client_credentials"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_password_grant_acts_as_the_agent_and_refresh_rotates(sb: Sandbox) -> None:
    body = get_token(sb, grant_type="password", username=sb.agent_username, password=sb.agent_password)
    assert body["refresh_token"]
    with api_client(sb, body["access_token"]) as api:
        me = api.get("/Agent/me").json()
    assert me["email"].lower() == sb.agent_username.lower() or me["name"] == sb.agent_username
    new = get_token(sb, grant_type="refresh_token", refresh_token=body["refresh_token"])
    assert new["access_token"] != body["access_token"] and new["refresh_token"] != body["refresh_token"]
    with api_client(sb, new["access_token"]) as api:
        assert api.get("/Agent/me").json()["id"] == me["id"]
    reused = _post_token(sb, grant_type="refresh_token", client_id=sb.client_id, refresh_token=body["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def test_authorization_code_with_pkce(sb: Sandbox) -> None:
    verifier, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": sb.client_id,
        "redirect_uri": "http://localhost:9999/callback",
        "scope": "all offline_access",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "tenant": "sandbox",
    }
    page = httpx2.get(sb.url + "/auth/authorize", params=params)
    assert page.status_code == 200 and "<form" in page.text and 'name="password"' in page.text
    r = httpx2.get(
        sb.url + "/auth/authorize",
        params={**params, "username": sb.agent_username, "password": sb.agent_password},
        follow_redirects=False,
    )
    assert r.status_code == 302
    loc = urlparse(r.headers["location"])
    q = parse_qs(loc.query)
    assert loc.path == "/callback" and q["state"] == ["xyz"]
    code = q["code"][0]
    bad = _post_token(
        sb, grant_type="authorization_code", client_id=sb.client_id, code=code,
        redirect_uri=params["redirect_uri"], code_verifier="wrong-verifier",
    )  # fmt: skip
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    # The code was consumed by the failed attempt (single use), so start again and do it right.
    r = httpx2.post(
        sb.url + "/auth/authorize",
        data={**params, "username": sb.agent_username, "password": sb.agent_password},
        follow_redirects=False,
    )
    code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
    ok = _post_token(
        sb, grant_type="authorization_code", client_id=sb.client_id, code=code,
        redirect_uri=params["redirect_uri"], code_verifier=verifier,
    )  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert ok.json()["refresh_token"]
    with api_client(sb, ok.json()["access_token"]) as api:
        assert api.get("/Agent/me").json()["email"].lower() == sb.agent_username.lower()


def test_an_end_user_signs_in_and_is_the_user_at_users_me_and_no_agent(sb: Sandbox) -> None:
    assert sb.app is not None
    user = next(u for u in sb.app.store.all("Users") if u.get("emailaddress") and not u.get("inactive"))
    verifier, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": sb.client_id,
        "redirect_uri": "http://localhost:9999/callback",
        "scope": "all offline_access",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "username": user["emailaddress"],
        "password": "sandbox",
    }
    r = httpx2.get(sb.url + "/auth/authorize", params=params, follow_redirects=False)
    code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
    token = _post_token(
        sb, grant_type="authorization_code", client_id=sb.client_id, code=code,
        redirect_uri=params["redirect_uri"], code_verifier=verifier,
    )  # fmt: skip
    assert token.status_code == 200, token.text
    refreshed = _post_token(
        sb, grant_type="refresh_token", client_id=sb.client_id, refresh_token=token.json()["refresh_token"]
    )
    with api_client(sb, refreshed.json()["access_token"]) as api:
        assert api.get("/Users/me").json()["id"] == user["id"]
        assert api.get("/Agent/me").status_code == 404


def test_authorize_wrong_password_shows_error(sb: Sandbox) -> None:
    r = httpx2.get(
        sb.url + "/auth/authorize",
        params={"client_id": sb.client_id, "redirect_uri": "http://x/cb", "username": "a", "password": "b"},
    )
    assert r.status_code == 200 and "Invalid username or password" in r.text


def test_missing_bad_expired_and_revoked_tokens_get_401(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    assert httpx2.get(sb.api_url + "/Tickets").status_code == 401
    r = httpx2.get(sb.api_url + "/Tickets", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.content == b""
    tok = get_token(sb)["access_token"]
    with api_client(sb, tok) as api:
        assert api.get("/Status").status_code == 200
        assert sb.expire_tokens() >= 1
        assert api.get("/Status").status_code == 401
    tok = get_token(sb)["access_token"]
    httpx2.post(sb.url + "/auth/revoke", data={"token": tok})
    assert httpx2.get(sb.api_url + "/Status", headers={"Authorization": f"Bearer {tok}"}).status_code == 401


def test_token_lifetime_is_configurable() -> None:
    with Sandbox(seed=1, token_lifetime=1) as sb:
        body = get_token(sb)
        assert body["expires_in"] == 1
        import time

        time.sleep(1.1)
        assert (
            httpx2.get(sb.api_url + "/Status", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code
            == 401
        )


def test_scopes_limit_operations(sb: Sandbox) -> None:
    cid, secret = sb.create_app(scopes="read:tickets")
    tok = get_token(sb, client_id=cid, client_secret=secret, scope="all")
    assert tok["scope"] == "read:tickets"
    with api_client(sb, tok["access_token"]) as api:
        assert api.get("/Tickets").status_code == 200
        assert api.get("/Status").status_code == 200  # lookups need no scope
        denied = api.post("/Tickets", json=[{"summary": "x", "details": "y"}])
        assert denied.status_code == 403 and "edit:tickets" in denied.json()["Message"]
        assert api.get("/Client").status_code == 403
        assert api.post("/Report", json=[{"_loadreportonly": True, "sql": "SELECT 1"}]).status_code == 403
    r = _post_token(sb, grant_type="client_credentials", client_id=cid, client_secret=secret, scope="edit:kb")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    cid2, secret2 = sb.create_app(scopes="edit:reporting", agent_id=2)
    tok2 = get_token(sb, client_id=cid2, client_secret=secret2)
    with api_client(sb, tok2["access_token"]) as api:
        assert api.get("/Agent/me").json()["id"] == 2
        rep = api.post("/Report", json=[{"_loadreportonly": True, "sql": "SELECT 1 AS one"}])
        assert rep.status_code == 201 and rep.json()["report"]["rows"] == [{"one": 1}]


def test_authinfo_and_instanceinfo(sb: Sandbox) -> None:
    info = httpx2.get(sb.api_url + "/authinfo").json()
    assert info["auth_url"] == sb.url + "/auth" and info["tenant_id"]
    assert httpx2.get(sb.api_url + "/InstanceInfo").status_code == 401
    with api_client(sb) as api:
        inst = api.get("/InstanceInfo").json()
    assert inst["auth_url"] == sb.url + "/auth" and inst["agent_count"] > 0
