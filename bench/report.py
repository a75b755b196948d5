"""Results out: `bench/results/<date>.json`, `latest.md`, the README's table between its bench markers, and the
ratio new/old for every figure against the previous run on this machine (compare runs, not machines)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Figure:
    path: str  # dotted path under results["families"]
    label: str
    unit: str
    what: str
    target: str = ""
    ok: Callable[[float], bool] | None = None


HEADLINE: tuple[Figure, ...] = (
    Figure("context.default.tokens", "`tools/list`, default toolsets", "tokens", "o200k_base, compact JSON as sent",
           "<= 2,500", lambda v: v <= 2500),
    Figure("context.all.tokens", "`tools/list`, all toolsets", "tokens", "o200k_base, compact JSON as sent"),
    Figure("responses.cases.list_tickets.ratio", "`list_tickets` 50 rows vs raw JSON", "ratio",
           "every copy the default settings send (text; structuredContent only with an output schema) / Halo's page",
           "<= 0.10", lambda v: v <= 0.10),
    Figure("responses.cases.list_assets.ratio", "`list_assets` 50 rows vs raw JSON", "ratio",
           "every copy the default settings send / Halo's raw page tokens", "<= 0.25", lambda v: v <= 0.25),
    Figure("responses.cases.list_tickets.lean_ratio", "`list_tickets` 50 rows vs lean raw JSON", "ratio",
           "same, against rows without Halo's unset markers (the conservative shape)", "<= 0.10",
           lambda v: v <= 0.10),
    Figure("responses.cases.list_tickets.lean_both_copies_ratio", "`list_tickets` 50 rows, both copies, lean",
           "ratio", "text + structuredContent (structured_output=always) / lean raw page"),
    Figure("responses.cases.list_assets.lean_ratio", "`list_assets` 50 rows vs lean raw JSON", "ratio",
           "same, against rows without Halo's unset markers (the conservative shape)", "<= 0.35",
           lambda v: v <= 0.35),
    Figure("workflows.calls.before", "tool calls, issue-11 workflows, before", "calls",
           "the calls each job took on the previous surface, summed over the scenario workflows"),
    Figure("workflows.calls.after", "tool calls, issue-11 workflows, after", "calls",
           "the same jobs with the round-2 parameters", "<= half of before", None),
    Figure("responses.cases.get_ticket.ratio", "`get_ticket` vs raw JSON", "ratio", "tokens ours / Halo's record"),
    Figure("responses.cases.search_kb.ratio", "`search_kb` vs raw JSON", "ratio", "tokens ours / Halo's page"),
    Figure("responses.cases.find_similar.ratio", "`find_similar` vs raw JSON", "ratio",
           "tokens ours / raw records of the rows returned"),
    Figure("overhead.transports.stdio.get_ticket.overhead_ms.p50", "overhead p50, stdio", "ms",
           "`get_ticket` latency minus a direct Halo GET, per pair", "<= 2", lambda v: v <= 2),
    Figure("overhead.transports.stdio.get_ticket.overhead_ms.p99", "overhead p99, stdio", "ms",
           "as above, 99th percentile", "<= 20", lambda v: v <= 20),
    Figure("overhead.transports.http.get_ticket.overhead_ms.p50", "overhead p50, HTTP", "ms",
           "same, streamable HTTP (2026-07-28, stateless)", "<= 5", lambda v: v <= 5),
    Figure("overhead.transports.http.get_ticket.overhead_ms.p99", "overhead p99, HTTP", "ms",
           "as above, 99th percentile", "<= 20", lambda v: v <= 20),
    Figure("overhead.transports.http_legacy.get_ticket.overhead_ms.p50", "overhead p50, HTTP legacy session",
           "ms", "same, 2025-11-25 session", "<= 5", lambda v: v <= 5),
    Figure("overhead.transports.stdio.get_ticket.server_cpu_ms_per_call", "server CPU per call, stdio", "ms",
           "`get_ticket`: CPU time of the server process / calls (robust to other load)", "<= 1.0",
           lambda v: v <= 1.0),
    Figure("overhead.transports.stdio.lookup_status.server_cpu_ms_per_call", "server CPU per call, stdio, `lookup`",
           "ms", "cached `lookup`, no Halo call: the server's own cost", "<= 0.6", lambda v: v <= 0.6),
    Figure("overhead.transports.http.get_ticket.server_cpu_ms_per_call", "server CPU per call, HTTP, one client",
           "ms", "`get_ticket`, one client calling in turn (2026-07-28)"),
    Figure("overhead.transports.http_legacy.get_ticket.server_cpu_ms_per_call",
           "server CPU per call, HTTP legacy, one client", "ms", "`get_ticket`, one 2025-11-25 session in turn"),
    Figure("overhead.transports.http_legacy_asking.get_ticket.server_cpu_ms_per_call",
           "server CPU per call, HTTP legacy streamed, one client", "ms",
           "as above, the client declared elicitation: every reply an SSE stream"),
    Figure("overhead.halo_get.cpu_ms_per_get", "Halo GET alone, CPU", "ms",
           "the same GET by the server's HaloClient in a process of its own: the HTTP client's share"),
    Figure("overhead.transports.stdio.get_ticket.server_own_cpu_ms_per_call", "server's own CPU, stdio `get_ticket`",
           "ms", "server CPU per call minus the Halo GET alone"),
    Figure("throughput.runs.2.server_cpu_ms_per_call", "server CPU per call, HTTP, 50 clients", "ms",
           "`get_ticket`, 2026-07-28 (stateless)", "<= 1.2", lambda v: v <= 1.2),
    Figure("throughput.runs.5.server_cpu_ms_per_call", "server CPU per call, HTTP legacy, 50 clients", "ms",
           "`get_ticket`, 50 2025-11-25 sessions", "<= 1.2", lambda v: v <= 1.2),
    Figure("throughput.runs.3.server_cpu_ms_per_call", "server CPU per call, HTTP, 50 clients, `lookup`", "ms",
           "cached `lookup` (no Halo call), 2026-07-28", "<= 0.6", lambda v: v <= 0.6),
    Figure("throughput.runs.6.server_cpu_ms_per_call", "server CPU per call, HTTP legacy, 50 clients, `lookup`",
           "ms", "cached `lookup`, 50 2025-11-25 sessions", "<= 0.6", lambda v: v <= 0.6),
    Figure("throughput.runs.5.calls_per_s", "throughput, 50 legacy sessions", "calls/s",
           "`get_ticket` over HTTP, 2025-11-25 sessions"),
    Figure("throughput.runs.2.calls_per_s", "throughput, 50 clients", "calls/s",
           "`get_ticket` over HTTP, sandbox on the same machine", ">= 500", lambda v: v >= 500),
    Figure("throughput.runs.2.errors", "errors, 50 clients", "count", "failed calls in that run", "0",
           lambda v: v == 0),
    Figure("throughput.runs.2.server_single_core_ceiling_calls_per_s", "server ceiling, 50 clients", "calls/s",
           "calls / server CPU seconds: the most one server process can do"),
    Figure("throughput.runs.3.calls_per_s", "throughput, 50 clients, no Halo call", "calls/s",
           "`lookup` (cached): the server's own ceiling"),
    Figure("throughput.runs.4.calls_per_s", "throughput, 50 clients, 2 workers", "calls/s",
           "`get_ticket`, `--workers 2` (stateless sessions)", ">= 500", lambda v: v >= 500),
    Figure("startup.cold_start_ms.median", "cold start to `tools/list`", "ms",
           "stdio spawn -> initialize -> tools/list, median", "<= 600", lambda v: v <= 600),
    Figure("startup.import_ms.serve_path", "import time, serve path", "ms", "fresh interpreter, wall"),
    Figure("startup.import_ms.sdk_only", "import time, SDK alone", "ms",
           "the SDK modules a stdio server loads (its package initialisers deferred): the floor with the official SDK"),
    Figure("startup.import_ms.sdk_types_only", "import time, SDK protocol types", "ms",
           "`mcp_types` (pydantic models of both protocol eras): the largest part of that floor"),
    Figure("startup.sdk_share_of_cold_start", "SDK imports' share of cold start", "ratio", "SDK imports / cold start"),
    Figure("startup.rss_after_tools_list_mib", "RSS, stdio after `tools/list`", "MiB", "VmRSS", "<= 75 MiB",
           lambda v: v <= 75),
    Figure("memory.rss_idle_mib", "RSS idle, HTTP server", "MiB", "VmRSS after start and a first call",
           "<= 75 MiB", lambda v: v <= 75),
    Figure("memory.rss_after_calls_mib", "RSS after 10,000 calls", "MiB", "VmRSS", "<= 75 MiB", lambda v: v <= 75),
    Figure("memory.legacy_sessions.per_session_kib", "RSS per legacy session", "KiB",
           "RSS delta / 200 open 2025-11-25 sessions", "<= 100 KB", lambda v: v * 1.024 <= 100),
)  # fmt: skip


def lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            try:
                data = data[int(part)]
            except (ValueError, IndexError):
                return None
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def flatten(data: Any, prefix: str = "") -> dict[str, float]:
    """Every numeric leaf, by dotted path (lists by index): the figures a comparison can ratio."""
    out: dict[str, float] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            key = value.get("tool") if isinstance(value, dict) and "tool" in value and "tokens" in value else i
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, int | float) and not isinstance(data, bool) and math.isfinite(data):
        out[prefix.rstrip(".")] = float(data)
    return out


def kind_of(results: dict[str, Any]) -> str:
    """ "quick" (smoke counts), "partial" (--only) or "" (a full run: the only kind shown in the README)."""
    return "quick" if results.get("quick") else ("partial" if results.get("partial") else "")


def previous_run(out_dir: Path, kind: str) -> tuple[Path | None, dict[str, Any] | None]:
    """The most recent earlier result to compare with: quick runs with quick runs, anything else with full runs."""
    pattern = re.compile(r"^\d{4}-\d{2}-\d{2}(-quick|-partial)?\.json$")
    candidates = sorted(p for p in out_dir.glob("*.json") if pattern.match(p.name))
    for path in reversed(candidates):
        if path.name.endswith("-quick.json") != (kind == "quick") or path.name.endswith("-partial.json"):
            continue
        try:
            return path, json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    return None, None


def compare(new: dict[str, Any], old: dict[str, Any] | None) -> dict[str, float]:
    if not old:
        return {}
    a, b = flatten(new.get("families", {})), flatten(old.get("families", {}))
    return {k: round(a[k] / b[k], 3) for k in a if k in b and b[k] not in (0.0,)}


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 100:
            return f"{int(value):,}"
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine_line(results: dict[str, Any]) -> str:
    m = results.get("machine", {})
    return (
        f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('ram_gib', '?')} GiB RAM, "
        f"Python {m.get('python', '?')}, {m.get('os', '?')}; commit {m.get('commit') or '?'}"
    )


def headline_table(results: dict[str, Any], ratios: dict[str, float]) -> str:
    lines = ["| Figure | Value | What it measures | Target | Met | New/old |", "|---|---|---|---|---|---|"]
    families = results.get("families", {})
    for f in HEADLINE:
        value = lookup(families, f.path)
        if value is None:
            continue
        met = "" if f.ok is None else ("yes" if f.ok(float(value)) else "**no**")
        ratio = ratios.get(f.path)
        lines.append(
            f"| {f.label} | {fmt(value)} {f.unit} | {f.what} | {f.target} | {met} | "
            f"{fmt(ratio) if ratio is not None else '–'} |"
        )
    return "\n".join(lines)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def details(results: dict[str, Any]) -> str:
    """Every family's full table, for latest.md."""
    fam = results.get("families", {})
    parts: list[str] = []
    if c := fam.get("context"):
        parts.append(f"### 1. Context cost\n\n{c['what']}. Server instructions: {c['instructions_tokens']} tokens.\n")
        rows = [["default", c["default"]["tools"], c["default"]["tokens"]]]
        rows.append(["default, read-only", c["default_read_only"]["tools"], c["default_read_only"]["tokens"]])
        rows.append(["all", c["all"]["tools"], c["all"]["tokens"]])
        rows += [[f"toolset `{n}`" + (" (default)" if t["default"] else ""), t["tools"], t["tokens"]]
                 for n, t in c["toolsets"].items()]  # fmt: skip
        parts.append(_table(["Selection", "Tools", "Tokens"], rows))
        parts.append("\nTokens per tool, largest first:\n")
        per_tool = [[r["tool"], r["toolset"], r["tokens"]] for r in c["per_tool"]]
        parts.append(_table(["Tool", "Toolset", "Tokens"], per_tool))
    if r := fam.get("responses"):
        parts.append(f"\n### 2. Response cost\n\n{r['what']}. Lists target: <= {r['target_list_ratio']}.\n")
        rows = [
            [f"`{n}`", x["rows"], x["raw_tokens"], x["text_tokens"], x["ours_tokens"], x["ratio"], x["text_ratio"],
             x["raw_is"]]
            for n, x in r["cases"].items()
        ]  # fmt: skip
        parts.append(
            _table(["Tool", "Rows", "Raw JSON", "Our text", "Text + structured", "Ratio", "Text ratio", "Raw is"], rows)
        )
    if o := fam.get("overhead"):
        parts.append(f"\n### 3. Server overhead per tool call\n\n{o['what']}; {o['calls_per_series']} calls per row.\n")
        rows = []
        for transport, ops in o["transports"].items():
            for x in ops.values():
                d = x.get("direct_ms") or {}
                o_ms = x["overhead_ms"]
                rows.append([
                    f"{transport} ({o['eras'][transport]})", f"`{x['tool']}`", x["halo_calls_per_call"],
                    x["tool_ms"]["p50"], d.get("p50"), o_ms["p50"], o_ms["p95"], o_ms["p99"],
                    x.get("server_cpu_ms_per_call"), x["tool_ms"]["n"],
                ])  # fmt: skip
        header = ["Transport (era)", "Tool", "Halo calls", "Call p50", "Direct p50", "Overhead p50", "p95", "p99"]
        parts.append(_table([*header, "Server CPU ms/call", "n"], rows))
        if g := o.get("halo_get"):
            parts.append(
                "\nThe Halo GET alone, by the server's `HaloClient` in a process of its own: "
                f"{fmt(g['cpu_ms_per_get'])} ms CPU per GET ({g['calls']} GETs); the rest of a `get_ticket`'s "
                "server CPU is the server's own.\n"
            )
    if t := fam.get("throughput"):
        parts.append(f"\n### 4. Throughput\n\n{t['what']}; {t['seconds_per_level']} s per row; {t['processes']}.\n")
        rows = [
            [f"{x['concurrency']}" + (f" ({x['workers']} workers)" if x.get("workers") else "")
             + (f" ({x['era']})" if x.get("era") else ""), f"`{x['tool']}`",
             x["calls_per_s"], x["errors"], x["latency_ms"].get("p50"),
             x["latency_ms"].get("p99"), x.get("server_cpu_ms_per_call"), x.get("sandbox_cpu_ms_per_call"),
             x.get("server_single_core_ceiling_calls_per_s"), x["cpu_seconds"].get("load_generator"),
             x.get("cpu_share_of_machine")]
            for x in t["runs"]
        ]  # fmt: skip
        header = ["Clients", "Tool", "Calls/s", "Errors", "p50 ms", "p99 ms", "Server CPU ms/call"]
        header += ["Sandbox CPU ms/call", "Server ceiling calls/s", "Load gen CPU s", "Machine busy"]
        parts.append(_table(header, rows))
    if s := fam.get("startup"):
        i = s["import_ms"]
        parts.append(f"\n### 5. Start-up\n\n{s['what']}; {s['runs']} cold starts.\n")
        parts.append(
            _table(
                ["Figure", "Value"],
                [
                    ["cold start to tools/list, median ms", s["cold_start_ms"]["median"]],
                    ["min / max ms", f"{fmt(s['cold_start_ms']['min'])} / {fmt(s['cold_start_ms']['max'])}"],
                    ["RSS after tools/list, MiB", s["rss_after_tools_list_mib"]],
                    [f"imports `{i['serve_path_is']}`, ms", i["serve_path"]],
                    ["imports of the SDK modules a stdio server loads, ms", i["sdk_only"]],
                    [
                        "imports `mcp.server.lowlevel, mcp_types` as published (`mcp/__init__` run), ms",
                        i.get("sdk_as_published"),
                    ],
                    ["imports `mcp_types.methods` alone (protocol types), ms", i.get("sdk_types_only")],
                    ["bare interpreter start (`python -c pass`), ms", i["interpreter_start"]],
                    *[[f"step: {k.replace('_', ' ')}, ms", v] for k, v in (s.get("steps_ms") or {}).items()],
                    ["SDK imports' share of cold start", s.get("sdk_share_of_cold_start")],
                    ["peers on this machine", "best Python 926 ms / 77 MiB; Node 182-283 ms / 65-86 MiB"],
                ],
            )
        )
        parts.append("\nWhere import time goes (`-X importtime`, self time per top-level package):\n")
        parts.append(_table(["Package", "ms"], [[x["package"], x["ms"]] for x in s["importtime_top"]]))
    if m := fam.get("memory"):
        ls = m["legacy_sessions"]
        parts.append(f"\n### 6. Memory\n\n{m['what']}.\n")
        parts.append(
            _table(
                ["Figure", "Value"],
                [
                    ["RSS just started, MiB", m["rss_started_mib"]],
                    ["RSS idle (after a first call), MiB", m["rss_idle_mib"]],
                    [f"RSS after {m['calls']:,} calls ({m['call_errors']} errors), MiB", m["rss_after_calls_mib"]],
                    [f"RSS with {ls['opened']} legacy sessions open, MiB", ls["rss_with_sessions_mib"]],
                    ["per legacy session, KiB", ls["per_session_kib"]],
                    ["RSS after closing them, MiB", ls["rss_after_close_mib"]],
                ],
            )
        )
    if w := fam.get("workflows"):
        parts.append(f"\n### 7. Halo calls per workflow\n\n{w['what']}.\n")
        rows = [
            [f"`{n}`", x["doc"], " → ".join(x["tools"]), x["cold"]["api"], x["cold"]["auth"], x["warm"]["api"],
             x["warm"]["auth"], "; ".join(x["errors"])[:120]]
            for n, x in w["workflows"].items()
        ]  # fmt: skip
        parts.append(_table(["Workflow", "Task", "Tools", "Cold API", "Cold token", "Warm API", "Warm token",
                             "Errors"], rows))  # fmt: skip
    if w and (pairs := w.get("calls_per_workflow")):
        parts.append(f"\n### 7b. Tool calls per workflow (issue 11)\n\n{w['calls_what']}.\n")
        rows = [
            [f"`{n}`", x["doc"], x["before"]["calls"], x["after"]["calls"], x["before"]["api"], x["after"]["api"],
             " → ".join(x["after"]["tools"]), "; ".join(x["after"]["errors"])[:120]]
            for n, x in pairs.items()
        ]  # fmt: skip
        parts.append(_table(["Workflow", "Job", "Calls before", "Calls after", "Halo before", "Halo after",
                             "Tools after", "Errors after"], rows))  # fmt: skip
    if (sc := fam.get("sandbox")) and "phases" in sc:
        parts.append(
            f"\n### Sandbox capacity (`bench/sandbox_bench.py`)\n\n{sc['what']}, {sc['seconds_per_phase']} s each.\n"
        )
        rows = [[n, x["requests_per_s"], x["p50_ms"], x["p95_ms"], x["errors"]] for n, x in sc["phases"].items()]
        parts.append(_table(["Request", "Requests/s", "p50 ms", "p95 ms", "Errors"], rows))
    return "\n".join(parts) + "\n"


def markdown(results: dict[str, Any], ratios: dict[str, float], previous: str | None) -> str:
    head = (
        f"Measured {results['date']} on {machine_line(results)}. `make bench` regenerates this; full tables in "
        f"`bench/results/latest.md`, raw figures in `bench/results/{results['date']}.json`. Load generator, server "
        "and sandbox run as three processes on the same machine."
    )
    if previous:
        head += f" New/old compares with `{previous}` (same machine; compare runs, not machines)."
    loads = [v[0] for k, v in results.get("load_average", {}).items() if v and k != "before"]
    pressure = [v for v in results.get("cpu_pressure_avg60", {}).values() if v is not None]
    if loads:
        head += f" Machine load during the run (1-min load average): {min(loads)}-{max(loads)}"
        head += f"; CPU pressure (PSI avg60) up to {max(pressure)}%." if pressure else "."
    if results.get("quick"):
        head += " **Quick run: tiny counts, not figures.**"
    elif results.get("partial"):
        head += " Partial run (`--only`)."
    if results.get("errors"):
        head += " Failed families: " + ", ".join(f"{k} ({v})" for k, v in results["errors"].items()) + "."
    return f"{head}\n\n{headline_table(results, ratios)}\n"


def write(results: dict[str, Any], out_dir: Path, readme: Path | None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = kind_of(results)
    prev_path, prev = previous_run(out_dir, kind)
    ratios = compare(results, prev)
    results["comparison"] = {"previous": prev_path.name if prev_path else None, "ratio_new_over_old": ratios}
    suffix = f"-{kind}" if kind else ""
    json_path = out_dir / f"{results['date']}{suffix}.json"
    json_path.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    summary = markdown(results, ratios, prev_path.name if prev_path else None)
    md_path = out_dir / f"latest{suffix}.md"
    md_path.write_text(f"# Benchmark results\n\n{summary}\n## Details\n\n{details(results)}")
    paths = [json_path, md_path]
    if readme is not None and not kind and readme.exists():
        text = readme.read_text()
        if START in text and END in text:
            before, rest = text.split(START, 1)
            _, after = rest.split(END, 1)
            readme.write_text(f"{before}{START}\n{summary}{END}{after}")
            paths.append(readme)
    return paths


def console(results: dict[str, Any]) -> str:
    ratios = results.get("comparison", {}).get("ratio_new_over_old", {})
    lines = [f"halo-mcp bench {results['date']} ({results.get('total_s', '?')} s) on {machine_line(results)}"]
    lines.append(headline_table(results, ratios))
    moved = {k: v for k, v in ratios.items() if not 0.8 <= v <= 1.25 and not k.endswith((".n", ".max"))}
    if moved:
        lines.append(f"\nFigures that moved more than 20% vs {results['comparison']['previous']}:")
        lines += [f"  {k}: x{v}" for k, v in sorted(moved.items())[:40]]
    if results.get("errors"):
        lines.append("\nErrors: " + json.dumps(results["errors"]))
    return "\n".join(lines)
