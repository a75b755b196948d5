"""`halo-mcp collections ...`, `audit --collection`, `doctor --config` and `serve --config --collection` over stdio,
run in-process through `main()` (stdio as a real process)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from halo_mcp.audit import AuditLog
from halo_mcp.cli import main
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.auth.keys import KeyRing
from tests.helpers import subprocess_env

pytestmark = [pytest.mark.timeout(60)]

TOML = """
[tenants.acme]
url = "{url}"
client_id_env = "ACME_ID"
client_secret_env = "ACME_SECRET"
rate_limit = "300/300"

[[collections]]
name = "desk"
tenant = "acme"
description = "Service desk assistant"
auth = ["bearer"]

[[collections]]
name = "kb"
tenant = "acme"
toolsets = ["knowledge"]
methods = ["read"]

[[collections]]
name = "old"
tenant = "acme"
toolsets = ["knowledge"]
expires_at = "2020-01-01T00:00:00Z"
"""


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: Sandbox) -> Path:
    for key in list(os.environ):
        if key.startswith("HALO_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "halo-mcp.toml"
    path.write_text(TOML.format(url=sandbox.url))
    monkeypatch.setenv("HALO_MCP_CONFIG", str(path))
    monkeypatch.setenv("HALO_MCP_STATE_DB", str(tmp_path / "state.db"))
    monkeypatch.setenv("ACME_ID", sandbox.client_id)
    monkeypatch.setenv("ACME_SECRET", sandbox.client_secret)
    return path


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main(["collections", "--json", *argv]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_collections_list_and_show(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = cli_json(capsys, "list")
    assert isinstance(listed, list)
    assert [(c["name"], c["source"], c["expired"]) for c in listed] == [
        ("desk", "file", False), ("kb", "file", False), ("old", "file", True)
    ]  # fmt: skip
    assert listed[1]["tools"] == 2
    assert main(["collections", "show", "kb"]) == 0
    out = capsys.readouterr().out
    assert "search_kb" in out and "get_kb_article" in out
    assert "2 tools" in out and "tokens (o200k_base)" in out


def test_tokens_are_issued_once_listed_without_secrets_revoked_and_pruned(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["collections", "token", "desk", "--label", "triage", "--expires", "30d"]) == 0
    captured = capsys.readouterr()
    secret = captured.out.strip()
    assert secret.startswith("hmcp_")
    assert "shown once" in captured.err
    (token,) = cli_json(capsys, "tokens", "desk")  # type: ignore[misc]
    assert token["label"] == "triage" and token["revoked"] is None
    assert secret not in json.dumps(token)
    assert secret.encode() not in (config.parent / "state.db").read_bytes()  # only its digest is stored
    assert cli_json(capsys, "revoke", token["id"])["revoked"]["id"] == token["id"]  # type: ignore[index]
    assert cli_json(capsys, "prune") == {"pruned": 1}
    assert cli_json(capsys, "tokens", "desk") == []


def test_store_managed_collections_are_created_validated_and_file_ones_are_read_only(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created = cli_json(capsys, "create", "ops", "--set", "tenant=acme", "--set", 'toolsets=["directory"]')
    assert "lookup" in created["tools"]  # type: ignore[index]
    assert main(["collections", "update", "ops", "--set", 'toolsets=["tickts"]']) == 2
    assert capsys.readouterr().err.strip() == (
        "halo-mcp: collection.toolsets: unknown toolset 'tickts'; did you mean 'tickets'?"
    )
    assert main(["collections", "update", "ops", "--set", "read_only"]) == 2
    assert capsys.readouterr().err.strip() == (
        "halo-mcp: --set 'read_only': use KEY=VALUE, e.g. --set 'toolsets=[\"tickets\"]'"
    )
    assert main(["collections", "update", "kb", "--set", "read_only=true"]) == 2
    assert "declared in halo-mcp.toml" in capsys.readouterr().err
    assert [c["name"] for c in cli_json(capsys, "list")] == ["desk", "kb", "old", "ops"]  # type: ignore[union-attr]
    assert cli_json(capsys, "delete", "ops") == {"deleted": "ops", "tokens_revoked": 0}


def test_a_broken_file_is_one_line_naming_the_key(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text(
        config.read_text().replace('toolsets = ["knowledge"]\nmethods', 'toolsets = ["knowlege"]\nmethods')
    )
    assert main(["collections", "list"]) == 2
    err = capsys.readouterr().err
    assert err == "halo-mcp: collections[1].toolsets: unknown toolset 'knowlege'; did you mean 'knowledge'?\n"


def test_audit_filters_by_collection_person_ticket_and_time_and_shows_the_principal(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "audit.db")
    log = AuditLog(db)
    log.record(collection="desk", principal="tok_1 (triage)", tool="add_note", arguments={}, affected=["action:1/2"],
               outcome="ok", message="note added")  # fmt: skip
    log.record(collection="kb", tool="add_note", arguments={}, affected=[], outcome="ok", message="other")
    log.close()
    monkeypatch.setenv("HALO_MCP_AUDIT_DB", db)
    assert main(["audit", "--collection", "desk"]) == 0
    out = capsys.readouterr().out
    assert "desk  tok_1 (triage)  add_note" in out
    assert "other" not in out
    for flags in (["--person", "TRIAGE"], ["--ticket", "1"], ["--until", "2999-01-01", "--person", "tok_"]):
        assert main(["audit", *flags]) == 0
        out = capsys.readouterr().out
        assert "note added" in out and "other" not in out, flags
    assert main(["audit", "--since", "2999-01-01"]) == 0 and capsys.readouterr().out == ""
    assert main(["audit", "--since", "soon"]) == 2
    assert "--since: 'soon' is not a date" in capsys.readouterr().err


def test_doctor_checks_every_tenant_and_collection(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "PASS  tenant acme" in out and "rate budget 300/300s" in out
    assert "PASS  collection kb" in out
    assert "FAIL  collection desk" in out and "halo-mcp collections token" in out  # bearer, but no token yet
    assert "FAIL  collection old" in out and "expired" in out


def test_doctor_checks_a_sign_in_tenant_without_a_shared_identity(
    config: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    native = f'[tenants.acme]\nurl = "{sandbox.url}"\nclient_id_env = "ACME_ID"\n'
    config.write_text(native + '[[collections]]\nname = "desk"\ntenant = "acme"\nauth = ["oauth"]\n')
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  tenant acme" in out and "needs server.public_url, HALO_MCP_SIGNIN_KEYS" in out
    config.write_text('[server]\npublic_url = "https://mcp.example.com"\n' + config.read_text())
    monkeypatch.setenv("HALO_MCP_SIGNIN_KEYS", KeyRing.new_secret())
    assert main(["doctor", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "PASS  tenant acme" in out and "https://mcp.example.com/oauth/callback" in out
    assert "PASS  collection desk" in out and "per-user sign-in" in out


@pytest.mark.anyio
async def test_stdio_serves_the_one_collection_named(config: Path) -> None:
    env = subprocess_env(
        HALO_MCP_CONFIG=str(config),
        HALO_MCP_STATE_DB=os.environ["HALO_MCP_STATE_DB"],
        ACME_ID=os.environ["ACME_ID"],
        ACME_SECRET=os.environ["ACME_SECRET"],
    )
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "halo_mcp", "serve", "--collection", "kb"], env=env
    )
    async with Client(stdio_client(params)) as client:
        names = [t.name for t in (await client.list_tools()).tools]
    assert names == ["search_kb", "get_kb_article"]


def test_reload_rereads_the_file_and_keeps_serving_when_it_is_broken(
    config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx2

    from tests.helpers import CliServer

    admin = "admin-Zp4k8Qw2Lm7R"
    env = subprocess_env(
        HALO_MCP_CONFIG=str(config),
        HALO_MCP_STATE_DB=os.environ["HALO_MCP_STATE_DB"],
        HALO_MCP_ADMIN_TOKEN=admin,
        ACME_ID=os.environ["ACME_ID"],
        ACME_SECRET=os.environ["ACME_SECRET"],
    )
    server = CliServer(env)
    monkeypatch.setenv("HALO_MCP_ADMIN_TOKEN", admin)
    try:
        with httpx2.Client(timeout=10) as http:
            assert http.post(f"{server.url}/mcp/extra", json={}).status_code == 404
            config.write_text(config.read_text() + '\n[[collections]]\nname = "extra"\ntenant = "acme"\n')
            assert main(["reload", "--url", server.url]) == 0
            assert "serving desk, kb, old, extra" in capsys.readouterr().err
            assert http.get(f"{server.url}/healthz").json()["collections"]["extra"] > 0
            config.write_text(config.read_text().replace('name = "extra"', 'name = "Extra!"'))
            assert main(["reload", "--url", server.url]) == 0
            assert "extra" in http.get(f"{server.url}/healthz").json()["collections"]  # still the previous one
            config.write_text(config.read_text().replace('name = "Extra!"', 'name = "again"'))
            os.kill(server.proc.pid, signal.SIGHUP)  # `halo-mcp reload --pid`
            deadline = time.monotonic() + 10
            while "again" not in http.get(f"{server.url}/healthz").json()["collections"]:
                assert time.monotonic() < deadline, "SIGHUP did not reload"
                time.sleep(0.05)
    finally:
        output = server.stop()
    assert "reload refused, still serving the previous configuration: collections[3].name" in output
    assert admin not in output


def test_doctor_names_a_collection_whose_tools_lack_a_granted_scope(
    config: Path, fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client_id, secret = fresh_sandbox.create_app(scopes="read:tickets read:kb")
    config.write_text(
        TOML.format(url=fresh_sandbox.url).replace(
            'toolsets = ["knowledge"]\nmethods', 'toolsets = ["knowledge", "directory"]\nmethods'
        )
    )
    monkeypatch.setenv("ACME_ID", client_id)
    monkeypatch.setenv("ACME_SECRET", secret)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  collection kb toolset directory: missing scope read:customers" in out


def test_serving_the_file_refuses_settings_that_belong_to_the_single_endpoint(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HALO_MCP_TOKEN", "tok-for-the-old-endpoint")
    assert main(["serve", "--transport", "http", "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("halo-mcp: HALO_MCP_TOKEN: with halo-mcp.toml each collection has")
    monkeypatch.delenv("HALO_MCP_TOKEN")
    assert main(["serve", "--transport", "http", "--port", "0", "--workers", "2"]) == 2
    assert "HALO_MCP_WORKERS: halo-mcp.toml is served by one process" in capsys.readouterr().err
    assert main(["serve", "--collection", "nope"]) == 2
    assert capsys.readouterr().err == "halo-mcp: no collection named 'nope'; see `halo-mcp collections list`\n"
    monkeypatch.delenv("HALO_MCP_CONFIG")
    assert main(["serve", "--collection", "kb"]) == 2
    assert "--collection needs halo-mcp.toml" in capsys.readouterr().err
