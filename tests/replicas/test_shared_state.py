"""Three `halo-mcp serve` processes share one PostgreSQL (named by `[server] database_url` in halo-mcp.toml): a
token issued through one replica's admin API works on the others, a token revoked through one is refused by the
others at their next request, a collection created through one is served by the others within a second (each
replica polls the store's change counter), and `halo-mcp state migrate` moves a populated embedded store there
once, however often it runs."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest

from halo_mcp.audit import AuditLog
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.auth.keys import KeyRing
from halo_mcp.server.collections.host import CHANGES_POLL_SECONDS
from halo_mcp.state.base import ApiToken
from halo_mcp.state.embedded import EmbeddedState
from halo_mcp.state.postgres import CONNECT_TIMEOUT_SECONDS, MIGRATIONS, PostgresAudit, PostgresState
from tests.helpers import (
    LEGACY_INITIALIZE,
    MCP_HEADERS,
    CliServer,
    PostgresServer,
    RedisServer,
    halo_mcp_cli,
    mcp_at,
    ok,
    replicas,
    subprocess_env,
)

pytestmark = [pytest.mark.replicas, pytest.mark.anyio, pytest.mark.timeout(120)]

ADMIN = "admin-Rk3v8PqZ2wLm"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
OPS = {"name": "ops", "tenant": "acme", "toolsets": ["directory"], "auth": ["bearer"]}
Cluster = tuple[list[CliServer], str, dict[str, str]]  # three replicas, their database, their environment
SERVED_WITHIN_SECONDS = 5.0  # the poll is every second; the bound leaves room for three replicas on two cores


def config_file(directory: Path, sandbox: Sandbox, database_url: str, redis_url: str | None = None) -> Path:
    path = directory / "halo-mcp.toml"
    redis = f'redis_url = "{redis_url}"\n' if redis_url else ""
    path.write_text(
        f'[server]\ndatabase_url = "{database_url}"\n{redis}'
        f'[tenants.acme]\nurl = "{sandbox.url}"\nclient_id_env = "T_ID"\nclient_secret_env = "T_SECRET"\n'
        'rate_limit = "off"\n'
        '[[collections]]\nname = "kb"\ntenant = "acme"\ntoolsets = ["knowledge"]\nmethods = ["read"]\n'
    )
    return path


def env_for(sandbox: Sandbox, config: Path, directory: Path, **extra: str) -> dict[str, str]:
    env = subprocess_env(
        T_ID=sandbox.client_id,
        T_SECRET=sandbox.client_secret,
        HALO_MCP_CONFIG=str(config),
        HALO_MCP_STATE_DB=str(directory / "unused-state.db"),  # must stay unused: the store is PostgreSQL
    )
    return {**env, **extra}


@pytest.fixture(scope="module")
def cluster(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    directory = tmp_path_factory.mktemp("shared-state")
    database = postgres_server.database()
    with Sandbox(seed=1) as sb:
        env = env_for(sb, config_file(directory, sb, database), directory, HALO_MCP_ADMIN_TOKEN=ADMIN)
        with replicas(env) as servers:
            yield servers, database, env
    assert not (directory / "unused-state.db").exists()


async def status(url: str, token: str) -> int:
    """The HTTP status of an initialize with this bearer token (401 for an unknown or revoked one)."""
    async with httpx2.AsyncClient(timeout=10) as http:
        response = await http.post(
            url, json=LEGACY_INITIALIZE, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}
        )
    return response.status_code


async def listed(url: str, token: str) -> list[str]:
    async with mcp_at(url, token=token) as client:
        return [t.name for t in (await client.list_tools()).tools]


async def until_served(url: str, token: str) -> float:
    """Seconds until the collection at `url` answers this token with its tools (bounded)."""
    started = time.monotonic()
    while time.monotonic() - started < SERVED_WITHIN_SECONDS:
        if await status(url, token) != 404:
            return time.monotonic() - started
        await anyio.sleep(0.1)
    raise AssertionError(f"{url} not served after {SERVED_WITHIN_SECONDS} s")


async def test_a_collection_and_token_made_through_one_replica_are_served_by_the_others(
    cluster: Cluster,
) -> None:
    servers, _, _ = cluster
    async with httpx2.AsyncClient(timeout=10, headers=AUTH) as http:
        created = await http.post(f"{servers[0].url}/admin/api/collections", json=OPS)
        assert created.status_code == 201, created.text
        issued = await http.post(f"{servers[1].url}/admin/api/collections/ops/tokens", json={"label": "bot"})
        assert issued.status_code == 201, issued.text
    secret = issued.json()["token"]
    waited = [await until_served(f"{s.url}/mcp/ops", secret) for s in servers]
    assert max(waited) < SERVED_WITHIN_SECONDS
    for server in servers:
        tools = await listed(f"{server.url}/mcp/ops", secret)
        assert "lookup" in tools and "create_ticket" not in tools
    async with mcp_at(f"{servers[2].url}/mcp/ops", token=secret) as client:
        ok(await client.call_tool("lookup", {"kind": "team"}))


async def test_a_token_revoked_through_one_replica_is_refused_by_the_others_at_their_next_request(
    cluster: Cluster,
) -> None:
    servers, _, _ = cluster
    async with httpx2.AsyncClient(timeout=10, headers=AUTH) as http:
        made = await http.post(f"{servers[0].url}/admin/api/collections", json={**OPS, "name": "desk"})
        assert made.status_code == 201, made.text
        issued = await http.post(f"{servers[0].url}/admin/api/collections/desk/tokens", json={"label": "soon gone"})
        secret, token_id = issued.json()["token"], issued.json()["id"]
        for server in servers:
            await until_served(f"{server.url}/mcp/desk", secret)
        assert [await status(f"{s.url}/mcp/desk", secret) for s in servers] == [200, 200, 200]
        revoked = await http.delete(f"{servers[2].url}/admin/api/tokens/{token_id}")
        assert revoked.status_code == 200, revoked.text
    # no wait: each replica looks the digest up in PostgreSQL on every request
    assert [await status(f"{s.url}/mcp/desk", secret) for s in servers] == [401, 401, 401]


async def test_a_deleted_collection_stops_being_served_everywhere(cluster: Cluster) -> None:
    servers, database, _ = cluster
    async with httpx2.AsyncClient(timeout=10, headers=AUTH) as http:
        made = await http.post(f"{servers[1].url}/admin/api/collections", json={**OPS, "name": "brief"})
        assert made.status_code == 201, made.text
        secret = (await http.post(f"{servers[1].url}/admin/api/collections/brief/tokens", json={})).json()["token"]
        for server in servers:
            await until_served(f"{server.url}/mcp/brief", secret)
        assert (await http.delete(f"{servers[0].url}/admin/api/collections/brief")).status_code == 200
    # gone at once where it was deleted, its tokens revoked at once everywhere (401, or 404 once a replica's poll
    # has dropped the collection too); the others drop it within a poll
    first, *others = [await status(f"{s.url}/mcp/brief", secret) for s in servers]
    assert first == 404 and set(others) <= {401, 404}
    await anyio.sleep(2 * CHANGES_POLL_SECONDS)
    assert [await status(f"{s.url}/mcp/brief", secret) for s in servers] == [404, 404, 404]
    state = PostgresState(database)
    try:
        assert await state.collections.get("brief") is None
    finally:
        await state.release()


async def test_a_token_issued_by_the_cli_against_postgresql_works_on_every_replica(
    cluster: Cluster, tmp_path: Path
) -> None:
    servers, _, env = cluster
    env = {**env, "HALO_MCP_STATE_DB": str(tmp_path / "never.db")}
    async with httpx2.AsyncClient(timeout=10, headers=AUTH) as http:
        made = await http.post(f"{servers[0].url}/admin/api/collections", json={**OPS, "name": "cli"})
        assert made.status_code == 201, made.text
    done = halo_mcp_cli(env, "collections", "--json", "token", "cli", "--label", "from the shell")
    assert done.returncode == 0, done.stderr
    secret = json.loads(done.stdout)["token"]
    for server in servers:
        await until_served(f"{server.url}/mcp/cli", secret)
        assert await status(f"{server.url}/mcp/cli", secret) == 200
    assert not (tmp_path / "never.db").exists()


# -- moving from the embedded store ----------------------------------------------------------------------------


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def migrate(env: dict[str, str]) -> dict[str, int]:
    done = halo_mcp_cli(env, "state", "migrate", "--json")
    assert done.returncode == 0, done.stderr
    counts: dict[str, int] = json.loads(done.stdout)
    return counts


async def test_state_migrate_copies_a_populated_embedded_store_once_and_its_token_works_on_a_replica(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    now = time.time()
    embedded = EmbeddedState(str(tmp_path / "state.db"))
    await embedded.collections.put("ops", OPS)
    await embedded.tokens.add(ApiToken("tok_live", "ops", "bot", now - 60, None, None), digest("hmcp_live-secret"))
    await embedded.tokens.add(ApiToken("tok_gone", "ops", "old", now - 90, None, None), digest("hmcp_gone-secret"))
    await embedded.tokens.revoke("tok_gone", now - 30)
    await embedded.signin.put("client", "c1", b'{"client_id": "c1"}', None)
    await embedded.signin.put("refresh", "r1", b"grant", now + 3600)
    await embedded.signin.put("code", "spent", b"old", now - 1)  # expired: stays behind
    embedded.close()
    audit = AuditLog(str(tmp_path / "audit.db"))
    for i in range(3):
        audit.record(collection="ops", tool="add_note", arguments={"note": f"n{i}", "password": "pw"},
                     affected=[f"action:1/{i}"], outcome="ok", message=f"note {i}")  # fmt: skip
    audit.close()

    database = postgres_server.database()
    with Sandbox(seed=1) as sb:
        config = config_file(tmp_path, sb, database)
        env = env_for(sb, config, tmp_path)
        env.update(HALO_MCP_STATE_DB=str(tmp_path / "state.db"), HALO_MCP_AUDIT_DB=str(tmp_path / "audit.db"))
        assert migrate(env) == {"collections": 1, "api_tokens": 2, "signin": 2, "audit": 3}
        assert migrate(env) == {"collections": 0, "api_tokens": 0, "signin": 0, "audit": 0}

        shared = PostgresState(database)
        try:
            found = await shared.tokens.find(digest("hmcp_live-secret"), now)
            assert found is not None and (found.id, found.collection, found.label) == ("tok_live", "ops", "bot")
            assert await shared.tokens.find(digest("hmcp_gone-secret"), now) is None  # still revoked
            assert await shared.collections.get("ops") == OPS
            assert await shared.signin.get("refresh", "r1", now) == b"grant"
            assert await shared.signin.get("code", "spent", now - 10) is None
        finally:
            await shared.release()
        entries = PostgresAudit(database, max_connections=1)
        try:
            copied = entries.entries()
        finally:
            entries.close()
        assert [e.message for e in copied] == ["note 2", "note 1", "note 0"]  # newest first, as in SQLite
        assert copied[0].arguments == {"note": "n2", "password": "***"}

        server = CliServer({**env, "HALO_MCP_AUDIT_DB": ":memory:"})
        try:
            assert "lookup" in await listed(f"{server.url}/mcp/ops", "hmcp_live-secret")
            assert await status(f"{server.url}/mcp/ops", "hmcp_gone-secret") == 401
        finally:
            server.stop()


# -- doctor ----------------------------------------------------------------------------------------------------


def doctor(env: dict[str, str]) -> tuple[int, str]:
    done = halo_mcp_cli(env, "doctor", timeout=90)
    return done.returncode, done.stdout + done.stderr


def test_doctor_reaches_the_configured_redis_and_postgresql_and_names_them_without_a_password(
    postgres_server: PostgresServer, redis_server: RedisServer, tmp_path: Path
) -> None:
    database = postgres_server.database()
    with Sandbox(seed=1) as sb:
        config = config_file(tmp_path, sb, database, redis_server.url)
        _, output = doctor(env_for(sb, config, tmp_path))
        assert f"PASS  redis        {redis_server.url} answered" in output
        assert f"PASS  postgresql   {database} answered" in output
        assert f"schema version {len(MIGRATIONS)} (current)" in output  # doctor --config opened the store
        broken = env_for(
            sb,
            config,
            tmp_path,
            HALO_MCP_REDIS_URL="redis://:redis-pw@127.0.0.1:1/0",
            HALO_MCP_DATABASE_URL="postgresql://halo:pg-pw@127.0.0.1:1/halo",
        )
        code, output = doctor(broken)
    assert code == 1
    assert "FAIL  redis        redis://:***@127.0.0.1:1/0 cannot be reached" in output
    assert "FAIL  postgresql   postgresql://halo:***@127.0.0.1:1/halo cannot be used" in output
    assert "redis-pw" not in output and "pg-pw" not in output


# -- PostgreSQL away -------------------------------------------------------------------------------------------


async def test_postgresql_stopped_under_a_replica_answers_503_and_the_replica_recovers_when_it_returns(
    tmp_path: Path,
) -> None:
    own = PostgresServer(str(tmp_path)).start()  # its own server: stopping it must not disturb the other tests
    try:
        with Sandbox(seed=1) as sb:
            config = config_file(tmp_path, sb, own.database())
            config.write_text(config.read_text().replace("[server]\n", '[server]\npublic_url = "http://127.0.0.1"\n'))
            signin = KeyRing.new_secret()  # sign-in on: its records are in PostgreSQL too
            env = env_for(sb, config, tmp_path, HALO_MCP_ADMIN_TOKEN=ADMIN, HALO_MCP_SIGNIN_KEYS=signin)
            server = CliServer(env)
            client = {"redirect_uris": ["http://127.0.0.1:9/cb"], "token_endpoint_auth_method": "none"}
            try:
                async with httpx2.AsyncClient(timeout=30, headers=AUTH) as http:
                    await http.post(f"{server.url}/admin/api/collections", json=OPS)
                    issued = await http.post(f"{server.url}/admin/api/collections/ops/tokens", json={})
                    secret = issued.json()["token"]
                    assert await status(f"{server.url}/mcp/ops", secret) == 200
                    own.stop()
                    started = time.monotonic()
                    assert await status(f"{server.url}/mcp/ops", secret) == 503  # not 401: the token may be good
                    assert time.monotonic() - started < CONNECT_TIMEOUT_SECONDS  # refused promptly, not hung
                    refused = await http.get(f"{server.url}/admin/api/collections/ops/tokens")
                    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
                    assert (await http.get(f"{server.url}/admin/api/audit")).status_code == 503  # its audit too
                    page = await http.get(f"{server.url}/admin/audit", headers={"Cookie": "halo_mcp_admin=a-session"})
                    assert page.status_code == 503  # the console cannot look its session up: not a 500
                    registered = await http.post(f"{server.url}/register", json=client)
                    assert registered.status_code == 503, registered.text
                    assert (await http.get(f"{server.url}/healthz")).status_code == 200
                    own.start()
                    with anyio.fail_after(15):  # the pool reconnects on its own
                        while await status(f"{server.url}/mcp/ops", secret) != 200:
                            await anyio.sleep(0.2)
                    assert (await http.post(f"{server.url}/register", json=client)).status_code == 201
                assert server.proc.poll() is None
            finally:
                output = server.stop()
    finally:
        own.stop()
    assert "the state store is unreachable" in output
    assert "Traceback" not in output


async def test_a_large_audit_is_copied_page_by_page_in_order_and_once(database_url: str, tmp_path: Path) -> None:
    audit = AuditLog(str(tmp_path / "audit.db"))
    for i in range(7):
        audit.record(collection="ops", tool="add_note", arguments={}, affected=[f"action:{40 + i}/1"], outcome="ok",
                     message=f"note {i}")  # fmt: skip
    source = EmbeddedState(":memory:")
    target = PostgresState(database_url)
    try:
        assert (await target.copy_from(source, audit, time.time(), audit_page=3))["audit"] == 7
        assert (await target.copy_from(source, audit, time.time(), audit_page=3))["audit"] == 0
    finally:
        await target.release()
        source.close()
        audit.close()
    copied = PostgresAudit(database_url, max_connections=1)
    try:
        assert [e.message for e in copied.entries()] == [f"note {i}" for i in reversed(range(7))]
        assert [e.message for e in copied.entries(ticket=45)] == ["note 5"]  # the ticket filter covers copied rows
    finally:
        copied.close()
