"""Three `halo-mcp serve` processes behind one loopback balancer (tests/helpers.py `Balancer`) whose URL is their
`public_url`, sharing one PostgreSQL (sign-in records and key rings) and one Redis, with per-user sign-in against the
sandbox. The 2026-07-28 era needs no stickiness: an access token any replica issued is accepted by all, across a
rotation of the access-token ring. The 2025-11-25 era needs sticky sessions: with them a session works end to end;
without them the next replica answers 404 (the spec's "initialize again")."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
import pytest
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata, OAuthToken

from halo_mcp.sandbox import Sandbox
from halo_mcp.server.auth.keys import KeyRing
from halo_mcp.state.keyring import REFRESH_SECONDS
from tests.helpers import (
    LEGACY_INITIALIZE,
    MCP_HEADERS,
    Balancer,
    CliServer,
    MemoryStorage,
    PostgresServer,
    RedisServer,
    halo_mcp_cli,
    mcp_at,
    ok,
    replicas,
    subprocess_env,
)

pytestmark = [pytest.mark.replicas, pytest.mark.anyio, pytest.mark.timeout(180)]

DESK = "/mcp/desk"
ACTIVATE_IN = REFRESH_SECONDS + 3  # every replica reloads its rings within REFRESH_SECONDS while it serves


@dataclass
class Cluster:
    balancer: Balancer
    servers: list[CliServer]
    env: dict[str, str]
    username: str
    password: str


@pytest.fixture(scope="module")
def cluster(
    postgres_server: PostgresServer, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("balancer")
    balancer = Balancer().start()
    with Sandbox(seed=1) as sb:
        assert sb.app is not None
        username, password = sb.app.agent_credentials()
        config = directory / "halo-mcp.toml"
        config.write_text(
            f'[server]\npublic_url = "{balancer.url}"\ndatabase_url = "{postgres_server.database()}"\n'
            f'redis_url = "{redis_server.url}"\n'
            f'[tenants.acme]\nurl = "{sb.url}"\nclient_id_env = "T_ID"\nrate_limit = "off"\n'
            '[[collections]]\nname = "desk"\ntenant = "acme"\nauth = ["oauth"]\ntoolsets = ["directory"]\n'
        )
        env = subprocess_env(
            T_ID=sb.client_id,
            HALO_MCP_CONFIG=str(config),
            HALO_MCP_STATE_DB=str(directory / "unused-state.db"),
            HALO_MCP_SIGNIN_KEYS=KeyRing.new_secret(),  # the same configured key: it wraps the shared rings
        )
        with replicas(env) as servers:
            balancer.backends = [int(urlsplit(s.url).port or 0) for s in servers]
            try:
                yield Cluster(balancer, servers, env, username, password)
            finally:
                balancer.stop()
    assert not any("Traceback" in line for server in servers for line in server.stderr_lines)


async def sign_in(cluster: Cluster) -> MemoryStorage:
    """The SDK's OAuth client signs the agent in through the balancer: discovery, registration, /authorize, Halo's
    sign-in page (its non-interactive path), the callback, the consent form and /token, each on whichever replica
    the balancer picks."""
    code: list[AuthorizationCodeResult] = []

    async def browse(url: str) -> None:
        async with httpx2.AsyncClient(timeout=10) as http:
            to_halo = await http.get(url)
            assert to_halo.status_code == 302, to_halo.text
            login = urlencode({"username": cluster.username, "password": cluster.password})
            back = await http.get(f"{to_halo.headers['location']}&{login}")
            consent = await http.get(back.headers["location"])
            found = re.search(r'name="consent" value="([^"]+)"', consent.text)
            assert consent.status_code == 200 and found, consent.text
            answer = await http.post(
                f"{cluster.balancer.url}/oauth/consent", data={"consent": found.group(1), "decision": "allow"}
            )
            assert answer.status_code == 302, answer.text
            query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
            code.append(AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss")))

    async def callback() -> AuthorizationCodeResult:
        return code[0]

    url = cluster.balancer.url + DESK
    storage = MemoryStorage()
    metadata = OAuthClientMetadata.model_validate(
        {"client_name": "balanced", "redirect_uris": ["http://127.0.0.1:9/cb"], "token_endpoint_auth_method": "none"}
    )
    auth = OAuthClientProvider(url, metadata, storage, browse, callback)
    async with httpx2.AsyncClient(auth=auth, timeout=10) as http:
        challenged = await http.post(url, json=LEGACY_INITIALIZE, headers=MCP_HEADERS)  # 401, then the flow
        assert challenged.status_code == 200, challenged.text
    assert storage.tokens is not None and storage.client is not None
    return storage


def kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


async def calls_on_every_replica(cluster: Cluster, token: str, calls: int = 6) -> set[int]:
    """`calls` tool calls (2026-07-28 era: one POST each) through the round-robin balancer with this token; the
    replicas that answered them."""
    before = len(cluster.balancer.served)
    async with mcp_at(cluster.balancer.url + DESK, token=token) as client:
        for _ in range(calls):
            ok(await client.call_tool("lookup", {"kind": "agent", "query": "me"}))
    answered = [s for s in cluster.balancer.served[before:] if s[1] == DESK and s[0] == "POST"]
    assert all(status == 200 for *_, status in answered), answered
    return {index for _, _, index, _ in answered}


async def refreshed(cluster: Cluster, storage: MemoryStorage) -> str:
    """A new access token from the refresh grant at /token, through the balancer."""
    assert storage.tokens is not None and storage.tokens.refresh_token and storage.client is not None
    form = {
        "grant_type": "refresh_token",
        "refresh_token": storage.tokens.refresh_token,
        "client_id": storage.client.client_id or "",
    }
    async with httpx2.AsyncClient(timeout=10) as http:
        answer = await http.post(f"{cluster.balancer.url}/token", data=form)
    assert answer.status_code == 200, answer.text
    storage.tokens = OAuthToken.model_validate(answer.json())
    return storage.tokens.access_token


async def test_a_token_issued_through_the_balancer_is_accepted_on_every_replica_also_after_a_key_rotation(
    cluster: Cluster,
) -> None:
    cluster.balancer.sticky = False
    storage = await sign_in(cluster)
    assert storage.tokens is not None
    token = storage.tokens.access_token
    steps = {path: cluster.balancer.on(path) for path in ("/authorize", "/oauth/callback", "/oauth/consent", "/token")}
    assert all(steps.values()), steps
    assert len({index for indexes in steps.values() for index in indexes}) > 1  # the flow itself crossed replicas
    assert await calls_on_every_replica(cluster, token) == {0, 1, 2}

    rotate = ["keys", "rotate", "--ring", "access-token", "--activate-in", str(ACTIVATE_IN)]
    rotated = halo_mcp_cli(cluster.env, *rotate)  # the store is named in halo-mcp.toml only, as the replicas read it
    assert rotated.returncode == 0, rotated.stderr
    found = re.search(r"access-token: new key ([0-9a-f]+)", rotated.stderr)
    assert found, rotated.stderr
    new_kid = found.group(1)
    assert kid(token) != new_kid
    active = time.monotonic() + ACTIVATE_IN
    while time.monotonic() < active:  # the old token keeps working while the new key waits to sign
        assert await calls_on_every_replica(cluster, token, calls=3) == {0, 1, 2}
        await anyio.sleep(0.5)

    renewed = await refreshed(cluster, storage)
    assert kid(renewed) == new_kid
    assert await calls_on_every_replica(cluster, renewed) == {0, 1, 2}
    assert await calls_on_every_replica(cluster, token) == {0, 1, 2}  # the old key still verifies


async def test_a_legacy_session_through_the_sticky_balancer_works_end_to_end_on_the_replica_that_opened_it(
    cluster: Cluster,
) -> None:
    cluster.balancer.sticky = True
    storage = await sign_in(cluster)
    assert storage.tokens is not None
    try:
        for _ in range(2):  # two sessions: round-robin opens them on different replicas
            before = len(cluster.balancer.served)
            async with mcp_at(cluster.balancer.url + DESK, mode="legacy", token=storage.tokens.access_token) as c:
                assert "lookup" in [t.name for t in (await c.list_tools()).tools]
                for query in ("me", "a"):
                    ok(await c.call_tool("lookup", {"kind": "agent", "query": query}))
            session = [s for s in cluster.balancer.served[before:] if s[1] == DESK]
            assert len(session) >= 5  # initialize, initialized, list and two calls (and the SDK's stream, close)
            assert len({index for _, _, index, _ in session}) == 1, session  # all on the replica that opened it
            assert all(status in (200, 202) for *_, status in session), session
    finally:
        cluster.balancer.sticky = False


async def test_without_stickiness_a_legacy_session_gets_404_on_the_next_replica_and_works_again_once_sticky(
    cluster: Cluster,
) -> None:
    cluster.balancer.sticky = False
    storage = await sign_in(cluster)
    assert storage.tokens is not None
    auth = {**MCP_HEADERS, "Authorization": f"Bearer {storage.tokens.access_token}"}
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    url = cluster.balancer.url + DESK
    async with httpx2.AsyncClient(timeout=10) as http:
        opened = await http.post(url, json=LEGACY_INITIALIZE, headers=auth)
        assert opened.status_code == 200
        session = {**auth, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"}
        lost = await http.post(url, json=listing, headers=session)
        assert lost.status_code == 404 and "session" in lost.text.lower()  # the spec's "initialize again"
        opener, other = cluster.balancer.served[-2][2], cluster.balancer.served[-1][2]
        assert opener != other
    cluster.balancer.sticky = True  # what the README asks of a balancer in front of legacy clients
    try:
        async with mcp_at(url, mode="legacy", token=storage.tokens.access_token) as client:
            ok(await client.call_tool("lookup", {"kind": "agent", "query": "me"}))
    finally:
        cluster.balancer.sticky = False
