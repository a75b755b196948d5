"""The stdio wire: read and written by the event loop when the standard streams are pipes, with fds 0 and 1
diverted while serving so that stray output never reaches the client; the SDK's threaded streams otherwise."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import Any

from tests.helpers import subprocess_env

SCRIPT = """
import asyncio, os
from halo_mcp.server.run import run_loop
from halo_mcp.server.stdio import wire

async def main():
    async with wire() as (stdin, stdout):
        if stdin is None:
            print("threaded")
            return
        os.write(1, b"stray output\\n")  # a print or a child process while serving
        async for line in stdin:
            await stdout.write("echo " + line)
            await stdout.flush()
    os.write(1, b"restored\\n")

run_loop(main())
"""


def run(**how: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, timeout=30, env=subprocess_env(None), **how
    )


def test_the_wire_carries_only_messages_while_stray_output_goes_to_stderr() -> None:
    done = run(input='{"a": 1}\n{"b": "é"}\n'.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == ['echo {"a": 1}', 'echo {"b": "é"}', "restored"]
    assert b"stray output" in done.stderr


def test_a_file_as_stdin_falls_back_to_the_sdks_threaded_streams() -> None:
    with tempfile.TemporaryFile() as file:
        done = run(stdin=file)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == ["threaded"]
