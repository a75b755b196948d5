"""halo-mcp.toml: every problem is one line naming the TOML key, with candidates for unknown names."""

from __future__ import annotations

import asyncio
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from halo_mcp.config import (
    ConfigError,
    HaloMcpFile,
    ServerSettings,
    load_file,
    parse_file,
    tenant_halo_settings,
    with_file_engines,
)
from halo_mcp.server.collections.service import CollectionService
from halo_mcp.server.collections.spec import CollectionSpec
from halo_mcp.server.http import build_collections_app
from halo_mcp.state.embedded import EmbeddedState
from halo_mcp.tools import load_all
from halo_mcp.tools.framework import registry

TENANT = {"url": "https://acme.halopsa.com", "client_id_env": "ACME_ID", "client_secret_env": "ACME_SECRET"}
EXAMPLE = """
[server]
public_url = "https://mcp.example.com"

[tenants.acme]
url = "https://acme.halopsa.com"
halo_tenant = "acme"
client_id_env = "ACME_HALO_CLIENT_ID"
client_secret_env = "ACME_HALO_CLIENT_SECRET"
rate_limit = "300/300"

[[collections]]
name = "servicedesk"
tenant = "acme"
audience = "agent"
description = "Service desk assistant"
toolsets = ["default"]
tools = []
exclude_tools = ["op:DELETE /Tickets/{id}"]
methods = ["read", "write", "custom"]
tags = []
read_only = false
auth = ["bearer"]
expires_at = "2099-12-31T23:59:59Z"
rate_limit_mode = "retry"
"""


def specs(*collections: dict[str, Any], loopback: bool = True) -> list[CollectionSpec]:
    file = parse_file({"tenants": {"acme": TENANT}, "collections": list(collections)})
    return asyncio.run(CollectionService(file, EmbeddedState(), loopback=loopback).specs())


def error(*collections: dict[str, Any], loopback: bool = True) -> str:
    with pytest.raises(ConfigError) as caught:
        specs(*collections, loopback=loopback)
    message = str(caught.value)
    assert "\n" not in message
    return message


def desk(**fields: Any) -> dict[str, Any]:
    return {"name": "desk", "tenant": "acme", **fields}


def test_the_issues_example_file_loads_with_its_exact_keys(tmp_path: Path) -> None:
    path = tmp_path / "halo-mcp.toml"
    path.write_text(EXAMPLE)
    file = load_file(path)
    assert isinstance(file, HaloMcpFile)
    (spec,) = asyncio.run(CollectionService(file, EmbeddedState(), loopback=False).specs())
    assert spec.name == "servicedesk"
    assert spec.selection.kinds == frozenset({"read", "write"})
    assert "op:DELETE /Tickets/{id}" in spec.selection.deny
    assert file.server.public_url == "https://mcp.example.com"


def test_an_unknown_toolset_names_the_key_and_the_nearest_toolset() -> None:
    message = error(desk(), desk(name="kb", toolsets=["tickts"]))
    assert message == "collections[1].toolsets: unknown toolset 'tickts'; did you mean 'tickets'?"


def test_an_unknown_tool_tag_and_operation_each_name_candidates() -> None:
    assert "collections[0].tools: unknown tool 'list_tickts'; did you mean 'list_tickets'" in error(
        desk(tools=["list_tickts"])
    )
    assert "collections[0].exclude_tools: unknown tool 'add_nte'; did you mean 'add_note'" in error(
        desk(exclude_tools=["add_nte"])
    )
    assert error(desk(tags=["knowlege"])) == "collections[0].tags: unknown tag 'knowlege'; did you mean 'knowledge'?"
    message = error(desk(exclude_tools=["op:DELETE /Tickts/{id}"]))
    assert message.startswith("collections[0].exclude_tools: no Halo operation matches 'op:DELETE /Tickts/{id}'")
    assert "'op:DELETE /Tickets/{id}'" in message


def test_a_collection_that_exposes_no_tool_is_refused() -> None:
    message = error(desk(methods=["custom"]))
    assert message.startswith("collections[0]: exposes no tool")
    assert "widen the filters" in message


def test_methods_filter_built_in_tools_by_kind() -> None:
    (reads,) = specs(desk(methods=["read"]))
    kinds = {t.kind for t in reads.selection.tools() if not t.dynamic_kind}
    assert kinds == {"read"}
    (writes,) = specs(desk(methods=["read", "write"]))
    assert "add_note" in {t.name for t in writes.selection.tools()}
    assert all(t.kind != "delete" for t in writes.selection.tools())


def test_a_raw_token_or_secret_in_the_file_is_an_error() -> None:
    message = error(desk(token="s3cret-value"))
    assert message.startswith("collections[0].token: secrets are never written in halo-mcp.toml")
    with pytest.raises(ConfigError, match=r"^tenants\.acme\.client_secret: secrets are never written"):
        parse_file({"tenants": {"acme": {**TENANT, "client_secret": "x"}}})
    message = error(desk(description="use hmcp_abcdefghijklmnopqrstuvwxyz0123"))
    assert message.startswith("collections[0].description: looks like a collection token")


def test_server_engine_urls_come_from_the_file_unless_the_environment_sets_them_and_never_with_a_password() -> None:
    file = parse_file({"server": {"redis_url": "redis://cache:6379/0", "database_url": "postgresql://halo@db/halo"}})
    filled = with_file_engines(ServerSettings(_env_file=None), file)  # type: ignore[call-arg]
    assert filled.redis_url is not None and filled.redis_url.get_secret_value() == "redis://cache:6379/0"
    assert filled.database_url is not None and filled.database_url.get_secret_value() == "postgresql://halo@db/halo"
    env = ServerSettings(_env_file=None, database_url=SecretStr("postgresql://ops@other/halo"))  # type: ignore[call-arg]
    assert with_file_engines(env, file).database_url == SecretStr("postgresql://ops@other/halo")
    with pytest.raises(ConfigError) as caught:
        parse_file({"server": {"database_url": "postgresql://halo:hunter2@db/halo"}})
    assert str(caught.value) == (
        "server.database_url: a password is never written in halo-mcp.toml; leave it out of the URL and use "
        "PGPASSWORD or ~/.pgpass"
    )
    with pytest.raises(ConfigError, match=r"^server\.redis_url: scheme 'http' is not one of redis") as caught:
        parse_file({"server": {"redis_url": "http://:hunter2@cache"}})
    assert "hunter2" not in str(caught.value)


def test_auth_is_required_off_loopback() -> None:
    message = error(desk(), loopback=False)
    assert message.startswith("collections[0].auth: required when the server listens beyond loopback")
    assert specs(desk(auth=["url_token"]), loopback=False)[0].config.auth == ["url_token"]


def test_oauth_stands_alone_and_needs_a_public_url_and_the_signin_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    assert specs(desk(auth=["oauth"]), loopback=False)[0].config.auth == ["oauth"]
    assert error(desk(auth=["oauth", "bearer"])) == (
        'collections[0].auth: "oauth" signs each person in; use it alone (auth = ["oauth"])'
    )
    monkeypatch.setenv("ACME_ID", "id")
    monkeypatch.setenv("ACME_SECRET", "secret")
    file = parse_file({"tenants": {"acme": TENANT}, "collections": [desk(auth=["oauth"])]})
    service = CollectionService(file, EmbeddedState(), loopback=True)
    tenants = {n: tenant_halo_settings(n, t) for n, t in file.tenants.items()}
    with pytest.raises(ConfigError, match=r"^server\.public_url: required for per-user sign-in"):
        build_collections_app(service, tenants, ServerSettings())
    service.file = parse_file({**file.model_dump(mode="json"), "server": {"public_url": "https://mcp.example.com"}})
    with pytest.raises(ConfigError, match=r"^HALO_MCP_SIGNIN_KEYS: required"):
        build_collections_app(service, tenants, ServerSettings())
    with pytest.raises(ConfigError, match=r"^HALO_MCP_SIGNIN_KEYS: not base64"):
        build_collections_app(service, tenants, ServerSettings(signin_keys=SecretStr("not a key!")))


def test_a_user_collection_needs_a_tenant_that_signs_in_as_a_person() -> None:
    message = error(desk(audience="user"))
    assert message.startswith("collections[0].audience: a user collection acts as the signed-in end user")
    assert "username_env and password_env" in message


def test_only_the_persona_and_what_users_may_read_serve_the_user_audience() -> None:
    load_all()
    users = {t.name for t in registry if "user" in t.audiences}
    assert {t.toolset for t in registry if t.name in users} == {"selfservice", "knowledge", "services"}
    assert all("agent" in t.audiences for t in registry if t.toolset != "selfservice")


def test_structural_errors_name_the_key() -> None:
    assert error(desk(name="Desk!")).startswith("collections[0].name: String should match pattern")
    assert error(desk(), desk()) == "collections[1].name: 'desk' is declared twice"
    assert error(desk(tenant="acm")) == "collections[0].tenant: unknown tenant 'acm'; did you mean 'acme'?"
    assert error(desk(method=["read"])).startswith("collections[0].method: unknown key")
    assert error(desk(methods=["admin"])).startswith("collections[0].methods[0]: Input should be")
    assert error(desk(rate_limit_mode="queue")).startswith("collections[0].rate_limit_mode: Input should be")
    assert error(desk(name="t")).startswith("collections[0].name: 't' is reserved")
    with pytest.raises(ConfigError, match=r"^tenants\.acme\.rate_limit: 'lots' is not valid"):
        parse_file({"tenants": {"acme": {**TENANT, "rate_limit": "lots"}}})


def test_an_expired_collection_is_valid_but_flagged() -> None:
    (spec,) = specs(desk(expires_at="2020-01-01T00:00:00Z"))
    assert spec.expired()


def test_tenant_secrets_come_from_the_environment_variables_named(monkeypatch: pytest.MonkeyPatch) -> None:
    file = parse_file({"tenants": {"acme": TENANT}})
    monkeypatch.delenv("ACME_ID", raising=False)
    with pytest.raises(ConfigError, match=r"^tenants\.acme\.client_id_env: environment variable ACME_ID is not set$"):
        tenant_halo_settings("acme", file.tenants["acme"])
    monkeypatch.setenv("ACME_ID", "cid")
    monkeypatch.setenv("ACME_SECRET", "shh")
    settings = tenant_halo_settings("acme", file.tenants["acme"])
    assert settings.client_id == "cid"
    assert settings.client_secret is not None and settings.client_secret.get_secret_value() == "shh"
    assert settings.rate_limit_window() == (300, 300.0)
    native = {k: v for k, v in TENANT.items() if k != "client_secret_env"}  # an authorisation-code application
    assert tenant_halo_settings("acme", parse_file({"tenants": {"acme": native}}).tenants["acme"]).grant() == (
        "authorization_code"
    )


SNAPSHOT = Path(__file__).parent / "snapshots" / "collections.json"


def test_the_readme_example_collections_serve_the_committed_tool_lists() -> None:
    """A public contract: what the self-service, service-desk and admin examples expose, tool by tool."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("\n## Collections") : readme.index("\n## The tools")]
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    file = parse_file(tomllib.loads(block))
    specs = asyncio.run(CollectionService(file, EmbeddedState(), loopback=False).specs())
    current = {s.name: [t.name for t in s.selection.tools()] + [c.name for c in s.config.custom_tools] for s in specs}
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(current, indent=1) + "\n")
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail("snapshot was missing and has been written; review and commit tests/snapshots/collections.json")
    committed = json.loads(SNAPSHOT.read_text())
    assert current == committed, "an example collection's tools changed: run UPDATE_SNAPSHOTS=1 and commit the snapshot"
