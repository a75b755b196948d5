"""`make bench` stays runnable: a quick context-only run writes results with the expected shape.

No timing is asserted here (timings belong to `make bench`, not to the test suite); the token budget is
deterministic, so it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_context_run_writes_results(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "context", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    [result_file] = tmp_path.glob("*-quick.json")
    results = json.loads(result_file.read_text())
    assert {"date", "machine", "families", "comparison", "quick"} <= set(results)
    assert {"cpu", "cores", "ram_gib", "python", "os"} <= set(results["machine"])
    context = results["families"]["context"]
    assert {"default", "all", "toolsets", "per_tool", "instructions_tokens"} <= set(context)
    assert context["default"]["tools"] > 0
    assert context["default"]["tokens"] <= 4_000
    tokens = [row["tokens"] for row in context["per_tool"]]
    assert tokens == sorted(tokens, reverse=True)
    latest = (tmp_path / "latest-quick.md").read_text()
    assert "`tools/list`, default toolsets" in latest


def test_second_run_compares_with_the_first(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "context", "--out", str(tmp_path)]
    for _ in range(2):
        subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    results = json.loads(next(tmp_path.glob("*-quick.json")).read_text())
    assert results["comparison"]["previous"] is not None
    assert results["comparison"]["ratio_new_over_old"]["context.default.tokens"] == 1.0


def test_quick_responses_run_measures_every_case(tmp_path: Path) -> None:
    """The response family replays what the server's own Halo client fetched: it breaks if that seam moves."""
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--only", "responses", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    [result_file] = tmp_path.glob("*-quick.json")
    cases = json.loads(result_file.read_text())["families"]["responses"]["cases"]
    assert {"list_tickets", "get_ticket", "search_kb", "list_assets", "find_similar"} <= set(cases)
    assert all(case["raw_tokens"] > 0 and case["ratio"] for case in cases.values())
