"""The `halo-mcp` command, run in-process through `main()` (and once as a real console script)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from halo_mcp.audit import AuditLog
from halo_mcp.cli import main
from halo_mcp.cli.call import parse_call_arguments
from halo_mcp.cli.demo import demo_banner
from halo_mcp.config import ConfigError
from halo_mcp.sandbox import Sandbox
from tests.helpers import Raw, halo_mcp_cli, subprocess_env

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
    with pytest.raises(ConfigError, match=r"^--arg 'novalue': use KEY=VALUE$"):
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
    me = next(line for line in out.splitlines() if line[6:18].strip() == "me")
    assert me.startswith("PASS") and "'me' in the tools is " in me


def test_doctor_says_me_is_the_api_applications_agent_under_client_credentials(
    sandbox_env: pytest.MonkeyPatch, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = Raw(sandbox)
    api_agent = next(a for a in raw.get("Agent", includeapiagents=True) if a.get("isapiagent"))
    raw.close()
    client_id, secret = sandbox.create_app(scopes="all", agent_id=api_agent["id"])
    sandbox_env.setenv("HALO_CLIENT_ID", client_id)
    sandbox_env.setenv("HALO_CLIENT_SECRET", secret)
    assert main(["doctor"]) == 0
    me = next(line for line in capsys.readouterr().out.splitlines() if line[6:18].strip() == "me")
    assert me.startswith("INFO") and "API application" in me and "halo-mcp login" in me


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


def test_a_sandbox_run_audits_in_memory_unless_the_audit_file_is_set(clean_env: pytest.MonkeyPatch) -> None:
    import argparse

    from halo_mcp.cli.common import server_settings

    assert server_settings(argparse.Namespace(sandbox=True)).audit_db == ":memory:"
    assert server_settings(argparse.Namespace(sandbox=False)).audit_db == ""
    clean_env.setenv("HALO_MCP_AUDIT_DB", "sandbox-audit.db")
    assert server_settings(argparse.Namespace(sandbox=True)).audit_db == "sandbox-audit.db"


def test_demo_banner_has_client_configs() -> None:
    banner = demo_banner("http://127.0.0.1:8000/mcp", None)
    for needle in ("Claude Desktop", "claude mcp add --transport http halo http://127.0.0.1:8000/mcp", "Cursor",
                   "VS Code", "inspector", '"url": "http://127.0.0.1:8000/mcp"'):  # fmt: skip
        assert needle in banner


def test_console_script_version_and_help() -> None:
    env = subprocess_env()
    out = halo_mcp_cli(env, "--help", timeout=30)
    assert out.returncode == 0
    for command in ("serve", "sandbox", "demo", "tools", "call", "doctor", "audit"):
        assert command in out.stdout
    sandbox_help = halo_mcp_cli(env, "sandbox", "--help", timeout=30)
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
    assert proc.stderr is not None
    assert proc.stderr.read() == ""  # the banner is the output: no log lines, no traceback


# -- a newcomer never sees a traceback ---------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_a_busy_port_is_one_line_naming_the_setting_that_chose_it(tmp_path: object) -> None:
    """`demo` follows HALO_MCP_PORT like `serve`; whichever chose the port is the one the hint names."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        serve = ["serve", "--transport", "http", "--sandbox", "--port", str(port)]
        for argv, named in ((["demo"], "HALO_MCP_PORT"), (serve, "--port")):
            out = subprocess.run(
                [sys.executable, "-m", "halo_mcp", *argv],
                env=subprocess_env(HALO_MCP_PORT=str(port)),
                cwd=str(tmp_path),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert out.returncode == 2, out.stderr
            assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
            assert f"port {port} is already in use" in out.stderr and f"another port with {named}" in out.stderr


def test_make_demo_passes_port_through() -> None:
    import shutil
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("no make")
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in subprocess_env().items() if k != "PORT"}
    planned = subprocess.run(["make", "-n", "demo", "PORT=8123"], cwd=root, env=env, capture_output=True, text=True)
    assert "halo-mcp demo --port 8123" in planned.stdout, planned.stdout + planned.stderr
    plain = subprocess.run(["make", "-n", "demo"], cwd=root, env=env, capture_output=True, text=True)
    assert "halo-mcp demo" in plain.stdout and "--port" not in plain.stdout


BASE_HALO = {"HALO_URL": "https://acme.halopsa.com", "HALO_CLIENT_ID": "id", "HALO_CLIENT_SECRET": "secret-value"}


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["serve", "--transport", "http", "--port", "70000"], {}, "--port 70000: Input should be less than or equal"),
        (["serve", "--transport", "http", "--workers", "0"], {}, "--workers 0: Input should be greater than"),
        (["sandbox", "--port", "70000"], {}, "--port 70000: use 0 to 65535"),
        (["serve", "--transport", "http"], {"HALO_MCP_PORT": "-1"}, "HALO_MCP_PORT=-1: Input should be greater"),
        (["serve"], {"HALO_MCP_LOG_LEVEL": "loud"}, "HALO_MCP_LOG_LEVEL=loud: unknown log level"),
        (["serve", "--transport", "http"], {"HALO_MCP_LOG_LEVEL": "verbose"}, "HALO_MCP_LOG_LEVEL=verbose: unknown"),
        (["serve"], {"HALO_RATE_LIMIT": "0/0"}, "HALO_RATE_LIMIT=0/0: not valid"),
        (["serve"], {"HALO_RATE_LIMIT": "300/0"}, "HALO_RATE_LIMIT=300/0: not valid"),
        (["serve"], {"HALO_CONNECT_TIMEOUT": "0"}, "HALO_CONNECT_TIMEOUT=0: Input should be greater than 0"),
        (["serve"], {"HALO_READ_TIMEOUT": "-5"}, "HALO_READ_TIMEOUT=-5: Input should be greater than 0"),
        (["serve"], {"HALO_MAX_RETRIES": "-1"}, "HALO_MAX_RETRIES=-1: Input should be greater than or equal to 0"),
        (["serve"], {"HALO_URL": "acme.halopsa.com"}, "HALO_URL=acme.halopsa.com: not an http(s) URL: write it with"),
        (["doctor"], {"HALO_URL": "https://acme.halopsa.com/api"}, "ends in /api: give the instance's base URL"),
    ],
)
def test_a_wrong_setting_is_refused_in_one_line_naming_it(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    expected: str,
) -> None:
    """Each of these was accepted and failed later: with a traceback, an internal error, or silently."""
    for key, value in {**BASE_HALO, **env}.items():
        clean_env.setenv(key, value)
    code = main(argv)
    captured = capsys.readouterr()
    if argv[0] == "doctor":
        assert code == 1 and expected in captured.out, captured.out
        return
    assert code == 2, captured
    assert captured.err.count("\n") == 1 and expected in captured.err, captured.err
    if expected.startswith("--"):
        assert "HALO_MCP_" not in captured.err  # the flag is named, not the variable it overrode


def test_doctor_lists_every_missing_variable(clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 1
    fails = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL  config")]
    assert [line.split()[2] for line in fails] == ["HALO_URL", "HALO_CLIENT_ID", "HALO_CLIENT_SECRET"], fails


def test_calling_an_unknown_tool_answers_before_halo_the_sandbox_or_the_sdk(
    clean_env: pytest.MonkeyPatch, fresh_sandbox: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    assert main(["call", "nosuchtool"]) == 1  # no Halo configured at all: the tool is the first problem
    assert "'nosuchtool' does not exist" in capsys.readouterr().err
    clean_env.setenv("HALO_URL", fresh_sandbox.url)
    clean_env.setenv("HALO_CLIENT_ID", fresh_sandbox.client_id)
    clean_env.setenv("HALO_CLIENT_SECRET", fresh_sandbox.client_secret)
    fresh_sandbox.reset_counters()
    assert main(["call", "nosuchtool"]) == 1
    assert fresh_sandbox.counters()["total"] == 0  # not even a token request
    probe = (
        "import sys; from halo_mcp.cli import main; code = main(['call', 'nosuchtool', '--sandbox']); "
        "print(code, [m for m in ('halo_mcp.sandbox', 'halo_mcp.server.surface', 'mcp.server') if m in sys.modules])"
    )
    env = subprocess_env()
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=str(tmp_path), capture_output=True, text=True)
    assert out.stdout.split("\n")[0] == "1 []", out.stdout + out.stderr
    assert "does not exist" in out.stderr


def test_the_audit_file_is_made_by_the_first_write_not_by_a_read(
    clean_env: pytest.MonkeyPatch, fresh_sandbox: Sandbox, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    db = Path(f"{tmp_path}/audit.db")
    for key, value in {
        "HALO_URL": fresh_sandbox.url,
        "HALO_CLIENT_ID": fresh_sandbox.client_id,
        "HALO_CLIENT_SECRET": fresh_sandbox.client_secret,
        "HALO_RATE_LIMIT": "off",
        "HALO_MCP_AUDIT_DB": str(db),
    }.items():
        clean_env.setenv(key, value)
    assert main(["call", "lookup", "--arg", "kind=team"]) == 0
    assert not db.exists()
    assert main(["call", "add_note", "--arg", "ticket_id=1", "--arg", "note=first write"]) == 0, capsys.readouterr()
    assert db.exists()
    assert [e.tool for e in AuditLog(str(db)).entries()] == ["add_note"]


def test_a_custom_audit_path_in_a_missing_directory_is_refused(
    clean_env: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    missing = Path(f"{tmp_path}/no/such/dir")
    clean_env.setenv("HALO_MCP_AUDIT_DB", str(missing / "audit.db"))
    assert main(["tools"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("halo-mcp: HALO_MCP_AUDIT_DB=") and "does not exist" in err
    assert not missing.parent.exists()


def test_a_reader_closing_the_pipe_early_ends_quietly(tmp_path: object) -> None:
    """`halo-mcp tools --json | head -1`: the reader is gone before the listing is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "halo_mcp", "tools", "--json", "--toolsets", "all"],
        env=subprocess_env(),
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == "", err


def test_ctrl_c_while_demo_starts_stops_it_with_one_line_and_exit_130(tmp_path: object) -> None:
    """The demo binds its port first, then starts the sandbox and the server: interrupt it in between."""
    import signal
    import socket
    import time

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "halo_mcp", "demo", "--port", str(port)],
        env=subprocess_env(),
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Ctrl-C" not in out, "the demo finished starting before the interrupt; the test proves nothing"
    assert proc.returncode == 130 and err.splitlines() == ["halo-mcp: interrupted"], (proc.returncode, err)


def test_each_command_is_its_own_module() -> None:
    """`halo-mcp X` lives in `halo_mcp/cli/X.py` (and only there), so a newcomer finds a command where they look."""
    from pathlib import Path

    from halo_mcp.cli.commands import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices or ())
    folder = Path(__file__).resolve().parents[2] / "src" / "halo_mcp" / "cli"
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__", "commands", "common"}
    assert commands == modules
    assert len(commands) == 12


def test_an_audit_file_that_is_not_one_stops_the_start_in_one_line(
    clean_env: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found at start, not by the first write (which Halo would already have applied)."""
    from pathlib import Path

    notes = Path(f"{tmp_path}/notes.txt")
    notes.write_text("not a database\n")
    clean_env.setenv("HALO_MCP_AUDIT_DB", str(notes))
    for argv in (["audit"], ["call", "lookup", "--arg", "kind=team", "--sandbox"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cannot be used (file is not a database)" in err, err
        assert "set HALO_MCP_AUDIT_DB to another file" in err
    assert notes.read_text() == "not a database\n"


def test_doctor_states_the_ai_created_tag(sandbox_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    assert "tickets created here are tagged 'AI: default'" in capsys.readouterr().out
    sandbox_env.setenv("HALO_MCP_CREATED_TAG", "")
    assert main(["doctor"]) == 0
    assert "AI-created marking" in (out := capsys.readouterr().out) and "off (HALO_MCP_CREATED_TAG)" in out
