"""`halo-mcp login` as a real process: it prints the sign-in URL, the person signs in, the sign-in is stored."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import httpx2

from halo_mcp.sandbox import Sandbox
from tests.helpers import subprocess_env


def test_login_prints_the_url_and_stores_the_sign_in(sandbox: Sandbox, tmp_path: Path) -> None:
    env = subprocess_env(sandbox, XDG_STATE_HOME=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "halo_mcp", "login", "--no-browser", "--timeout", "20"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        url = ""
        for line in proc.stderr:
            if line.strip().startswith("http"):
                url = line.strip()
                break
        assert "/auth/authorize?" in url and "code_challenge_method=S256" in url
        credentials = urlencode({"username": sandbox.agent_username, "password": sandbox.agent_password})
        httpx2.get(f"{url}&{credentials}", follow_redirects=True, timeout=10)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "signed in" in out
    stored = list((tmp_path / "halo-mcp" / "logins").glob("*.json"))
    assert len(stored) == 1 and sandbox.client_secret not in stored[0].read_text()
