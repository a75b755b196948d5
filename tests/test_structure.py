"""The code's shape as a contract: imports without circles, one meaning per class name, test modules apart."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "halo_mcp"
TESTS = Path(__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Every `halo_mcp` import, including those made only at type-checking time."""
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("halo_mcp"):
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
                graph[name].add(next(t for t in targets if t in modules))
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in modules)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_tool_modules_import_each_other_without_a_circle() -> None:
    graph = _import_graph()
    tools = {
        k: {v for v in vs if v.startswith("halo_mcp.tools.")}
        for k, vs in graph.items()
        if k.startswith("halo_mcp.tools.")
    }
    assert _cycle(tools) is None, " -> ".join(_cycle(tools) or [])
    assert graph["halo_mcp.tools.errors"] == set(), "tools/errors.py is a leaf: anything may import it"


def test_each_class_name_means_one_thing() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for path in SRC.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                where[node.name].append(_module_name(path))
    twins = {name: mods for name, mods in where.items() if len(mods) > 1}
    assert not twins, twins
    assert "Token" not in where, "say which token: HaloToken, IssuedToken, SqlToken, ApiToken, AccessToken"


def test_test_modules_import_shared_helpers_not_each_other() -> None:
    offenders = []
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            imported = node.module if isinstance(node, ast.ImportFrom) else None
            if imported and imported.startswith("tests.") and imported != "tests.helpers":
                offenders.append(f"{path.relative_to(TESTS)}: from {node.module}")
    assert not offenders, offenders


def test_only_config_reads_the_environment() -> None:
    readers = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
                readers.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert all(r.startswith("config.py:") for r in readers), [r for r in readers if not r.startswith("config.py:")]
    assert readers, "config.py reads HALO_* from the environment; this check would no longer see it"


def test_conftest_modules_hold_fixtures_and_hooks_only() -> None:
    strays = []
    for path in TESTS.rglob("conftest.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("pytest_"):
                fixture = any("fixture" in ast.unparse(d) for d in node.decorator_list)
                if not fixture:
                    strays.append(f"{path.relative_to(TESTS)}: {node.name}")
    assert not strays, f"shared test helpers live in tests/helpers.py: {strays}"
