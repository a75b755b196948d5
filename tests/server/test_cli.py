"""The `halo-mcp` command, run in-process through `main()` (and once as a real console script)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from halo_mcp.audit import AuditLog
from halo_mcp.cli import demo_banner, main, parse_call_arguments
from halo_mcp.config import ConfigError
from halo_mcp.sandbox import Sandbox
from tests.helpers import subprocess_env

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> pytest.MonkeyPatch:
    """No HALO_* from the developer's shell, and no `.env` file picked up from the working directory."""
    import os

    for key in list(os.environ):
        if key.startswith("HALO_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", f"{tmp_path}/state")  # a default audit file lands here, not in $HOME
    return monkeypatch


@pytest.fixture
def sandbox_env(clean_env: pytest.MonkeyPatch, sandbox: Sandbox) -> pytest.MonkeyPatch:
    clean_env.setenv("HALO_URL", sandbox.url)
    clean_env.setenv("HALO_CLIENT_ID", sandbox.client_id)
    clean_env.setenv("HALO_CLIENT_SECRET", sandbox.client_secret)
    clean_env.setenv("HALO_RATE_LIMIT", "off")
    return clean_env


def test_tools_lists_default_selection(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert "lookup" in names


def test_tools_tokens(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Works offline with no Halo configuration; largest first; per-toolset and overall totals."""
    assert main(["tools", "--tokens"]) == 0
    out = capsys.readouterr().out
    assert "o200k_base" in out
    rows = [line.split() for line in out.split("\n\n")[0].splitlines()[1:]]
    costs = [int(r[-1]) for r in rows]
    assert costs == sorted(costs, reverse=True)
    assert "lookup" in [r[0] for r in rows]
    total = int(out.split("total:")[1].split("tools,")[1].split("tokens")[0])
    assert total == sum(costs)
    assert "directory (" in out  # a per-toolset line


def test_tools_tokens_json_respects_selection(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tools", "--tokens", "--json", "--toolsets", "directory", "--exclude-tools", "find_users"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [t["name"] for t in report["tools"]]
    assert "lookup" in names and "find_users" not in names
    assert {t["toolset"] for t in report["tools"]} == {"directory"}
    assert report["total"] == sum(t["tokens"] for t in report["tools"]) == report["toolsets"]["directory"]
    assert report["catalogue"] >= report["total"]


def test_tools_json_is_the_listing(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--json", "--tools", "lookup"]) == 0
    definitions = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in definitions] == ["lookup"]
    assert definitions[0]["inputSchema"]["type"] == "object"


def test_unknown_toolset_is_config_error(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--toolsets", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "HALO_MCP_TOOLSETS" in err


def test_call_lookup(sandbox_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "lookup", "--arg", "kind=team"]) == 0
    assert "Service Desk" in capsys.readouterr().out


def test_call_json_args_and_error_exit(sandbox_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "lookup", "--json-args", '{"kind": "team", "query": "netw"}']) == 0
    assert "Network" in capsys.readouterr().out
    assert main(["call", "lookup", "--arg", "kind=planet"]) == 1
    assert "kind" in capsys.readouterr().err


def test_call_hidden_and_unknown_tools(sandbox_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "lookup", "--arg", "kind=team", "--exclude-tools", "lookup"]) == 1
    assert "not exposed" in capsys.readouterr().err
    assert main(["call", "no_such_tool"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_call_with_in_process_sandbox(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "lookup", "--arg", "kind=priority", "--sandbox"]) == 0
    assert capsys.readouterr().out.strip()


def test_parse_call_arguments() -> None:
    args = parse_call_arguments(["kind=team", "limit=5", "flag=true", "query=a=b"], '{"x": [1]}')
    assert args == {"x": [1], "kind": "team", "limit": 5, "flag": True, "query": "a=b"}
    with pytest.raises(ConfigError):
        parse_call_arguments(["novalue"], None)
    with pytest.raises(ConfigError):
        parse_call_arguments([], "[1]")


def test_doctor_passes_against_sandbox(sandbox_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert lines and all(line.startswith("PASS") for line in lines), out
    for check in ("config", "reach", "token", "instance", "latency", "toolset directory"):
        assert any(check in line for line in lines), check
    assert "granted" in out


def test_doctor_bad_secret(
    sandbox_env: pytest.MonkeyPatch, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "definitely-wrong-secret-4711"
    sandbox_env.setenv("HALO_CLIENT_SECRET", bad)
    assert main(["doctor"]) == 1
    captured = capsys.readouterr()
    fails = [line for line in captured.out.splitlines() if line.startswith("FAIL")]
    assert fails and "token" in fails[0] and "HALO_CLIENT_SECRET" in fails[0]
    assert bad not in captured.out + captured.err
    assert sandbox.client_secret not in captured.out + captured.err


def test_doctor_reports_missing_scopes(
    sandbox_env: pytest.MonkeyPatch, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    client_id, secret = sandbox.create_app(scopes="read:customers read:tickets")  # get_user lists open tickets
    sandbox_env.setenv("HALO_CLIENT_ID", client_id)
    sandbox_env.setenv("HALO_CLIENT_SECRET", secret)
    assert main(["doctor", "--toolsets", "directory,knowledge"]) == 1
    out = capsys.readouterr().out
    assert any(line.startswith("PASS") and "toolset directory" in line for line in out.splitlines()), out
    assert any(line.startswith("FAIL") and "toolset knowledge" in line for line in out.splitlines()), out
    assert secret not in out


def test_doctor_unreachable(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    clean_env.setenv("HALO_URL", "http://127.0.0.1:9")
    clean_env.setenv("HALO_CLIENT_ID", "x")
    clean_env.setenv("HALO_CLIENT_SECRET", "y" * 12)
    clean_env.setenv("HALO_MAX_RETRY_WAIT", "0")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert any(line.startswith("FAIL  reach") for line in out.splitlines()), out


def test_doctor_without_config(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 1
    assert "FAIL  config" in capsys.readouterr().out


def test_config_error_is_one_line_exit_2(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "lookup", "--arg", "kind=team"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("halo-mcp: HALO_URL") and err.count("\n") == 1


def test_serve_public_bind_needs_allowed_hosts(
    sandbox_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--transport", "http", "--host", "0.0.0.0"]) == 2
    assert "HALO_MCP_ALLOWED_HOSTS" in capsys.readouterr().err


def test_audit(clean_env: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"{tmp_path}/audit.db"
    clean_env.setenv("XDG_STATE_HOME", f"{tmp_path}/state")
    assert main(["audit"]) == 2
    assert "no audit at" in capsys.readouterr().err
    clean_env.setenv("HALO_MCP_AUDIT_DB", ":memory:")
    assert main(["audit"]) == 2
    log = AuditLog(db)
    log.record(collection="default", tool="add_note", arguments={"ticket": 7, "password": "hunter22"},
               affected=["action:7/1"], outcome="ok", message="note added")  # fmt: skip
    log.record(collection="default", tool="log_time", arguments={"ticket": 7}, affected=[], outcome="error",
               message="no such ticket")  # fmt: skip
    log.close()
    clean_env.setenv("HALO_MCP_AUDIT_DB", db)
    assert main(["audit", "--tool", "add_note"]) == 0
    out = capsys.readouterr().out
    assert "add_note" in out and "action:7/1" in out and "log_time" not in out
    assert "hunter22" not in out
    assert main(["audit", "--json", "--limit", "1"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["tool"] for e in entries] == ["log_time"]


def test_demo_banner_has_client_configs() -> None:
    banner = demo_banner("http://127.0.0.1:8000/mcp", None)
    for needle in ("Claude Desktop", "Cursor", "VS Code", "inspector", '"url": "http://127.0.0.1:8000/mcp"'):
        assert needle in banner


def test_console_script_version_and_help() -> None:
    env = subprocess_env()
    out = subprocess.run(
        [sys.executable, "-m", "halo_mcp", "--help"], env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0
    for command in ("serve", "sandbox", "demo", "tools", "call", "doctor", "audit"):
        assert command in out.stdout
    sandbox_help = subprocess.run(
        [sys.executable, "-m", "halo_mcp", "sandbox", "--help"], env=env, capture_output=True, text=True, timeout=30
    )
    assert sandbox_help.returncode == 0 and "--faults" in sandbox_help.stdout


@pytest.mark.anyio
async def test_demo_serves_until_interrupted() -> None:
    """`halo-mcp demo` starts the sandbox and the HTTP server, prints the URL and configs, stops cleanly on SIGINT."""
    import re
    import signal

    import anyio
    from mcp import Client

    proc = subprocess.Popen(
        [sys.executable, "-m", "halo_mcp", "demo", "--port", "0"],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = ""
        with anyio.fail_after(30):
            while "Ctrl-C" not in banner:
                line = await anyio.to_thread.run_sync(proc.stdout.readline)
                assert line, "demo exited early: " + (proc.stderr.read() if proc.stderr else "")
                banner += line
        found = re.search(r"MCP endpoint \(streamable HTTP\): (http://\S+/mcp)", banner)
        assert found, banner
        assert "Claude Desktop" in banner and "Cursor" in banner and "VS Code" in banner and "inspector" in banner
        with anyio.fail_after(20):
            async with Client(found.group(1)) as client:
                result = await client.call_tool("lookup", {"kind": "team"})
        assert not result.is_error
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code in (0, 130)
