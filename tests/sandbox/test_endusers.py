"""End users sign in to the sandbox (authorization code, as `halo-mcp login` does) and the API then acts as them:
their own tickets, user-visible actions, the KB and the catalogue; agent areas answer 403."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx2

from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, api_client

USER_PASSWORD = "sandbox"  # the sandbox's shared sign-in password, for its end users as for its agents


def user_token(sb: Sandbox, email: str) -> str:
    params = {"response_type": "code", "client_id": sb.client_id, "redirect_uri": "http://localhost:9/cb",
              "scope": "all", "username": email, "password": USER_PASSWORD}  # fmt: skip
    r = httpx2.get(sb.url + "/auth/authorize", params=params, follow_redirects=False)
    assert r.status_code == 302, r.text
    code = parse_qs(urlparse(r.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "client_id": sb.client_id, "client_secret": sb.client_secret,
            "code": code, "redirect_uri": "http://localhost:9/cb"}  # fmt: skip
    token = httpx2.post(sb.url + "/auth/token", data=form)
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


def test_an_end_user_signs_in_and_the_api_acts_as_them(sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    tickets = raw.all("/Tickets", "tickets")
    user = raw.get(f"/Users/{tickets[0]['user_id']}")
    others = next(t for t in tickets if t.get("user_id") not in (None, user["id"]))
    with api_client(sandbox, user_token(sandbox, user["emailaddress"])) as http:
        assert http.get("/Users/me").json()["id"] == user["id"]
        listed = http.get("/Tickets", params={"pageinate": "true", "page_size": 100}).json()["tickets"]
        assert listed and {t["user_id"] for t in listed} == {user["id"]}
        assert http.get(f"/Tickets/{others['id']}").status_code == 404  # answers as missing: not revealed
        assert http.get("/Agent").status_code == 403 and http.get("/Users").status_code == 403
        assert http.get("/KBArticle").status_code == 200
        hidden = http.post("/Actions", json=[{"ticket_id": tickets[0]["id"], "note": "x", "hiddenfromuser": True}])
        assert hidden.status_code == 403
        theirs = http.post("/Actions", json=[{"ticket_id": others["id"], "note": "x"}])
        assert theirs.status_code == 404
        for_someone = http.post("/Tickets", json=[{"summary": "x", "details": "y", "user_id": others["user_id"]}])
        assert for_someone.status_code == 403
    raw.close()


def test_a_wrong_end_user_password_is_refused(sandbox: Sandbox) -> None:
    raw = Raw(sandbox)
    email = raw.all("/Users", "users")[0]["emailaddress"]
    raw.close()
    form = {"grant_type": "password", "client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
            "username": email, "password": "wrong"}  # fmt: skip
    assert httpx2.post(sandbox.url + "/auth/token", data=form).status_code == 400
