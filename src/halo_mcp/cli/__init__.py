"""The `halo-mcp` command: serve, try (sandbox, demo), inspect (tools, call, doctor, audit), sign in (login).

One module per command (`commands.py` holds the table). This entry point imports nothing heavy, so a Ctrl-C and a
reader that closes the pipe early (`halo-mcp tools --json | head`) are handled from the first instant: one line
and exit 130 for the first, a quiet exit 0 for the second. Commands defer their own imports too: a desktop client
spawns `halo-mcp serve` for every session, and `halo-mcp tools` must work offline without the SDK's server stack.
"""

from __future__ import annotations

import os
import sys

PROG = "halo-mcp"


def main(argv: list[str] | None = None) -> int:
    try:
        from halo_mcp.cli.commands import run

        code = run(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except KeyboardInterrupt:
        # CPython 3.11 remembers a KeyboardInterrupt that escaped any exec() of source text (dataclasses build
        # their methods that way) and, handled or not, ends the process by SIGINT instead of our exit code. A
        # completed exec() clears that memory (Python/pythonrun.c, run_eval_code_obj).
        exec("pass")
        print(f"{PROG}: interrupted", file=sys.stderr, flush=True)
        return 130
    except BrokenPipeError:
        # The reader has all it wanted; point stdout at /dev/null so the exit flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
