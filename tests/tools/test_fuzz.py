"""Every tool's input schema drives generated arguments through the in-memory MCP client against the sandbox, in
read-only and write modes: no result is an internal error and nothing crashes. Bounded (a fixed number of examples
per tool, deterministic), and salted with the values that once caused internal errors (overlong strings, NUL bytes,
dot segments) so each run covers them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError

from halo_mcp.config import ServerSettings
from halo_mcp.sandbox import Sandbox
from halo_mcp.server.surface import Surface
from halo_mcp.tools import load_all
from halo_mcp.tools.framework import Tool, registry
from tests.helpers import call, failed, halo_settings_for, ok, text

pytestmark = pytest.mark.timeout(300)

EXAMPLES = 30  # per tool and mode: about two seconds each against the sandbox
SALT = ("x" * 100_000, "a\x00b", "..", ".", "../OutlookContacts", "%2e%2e", "1/2", "\\", "\n", "", " ", "-1",
        "9" * 40, "«»", "op:GET /Users", "SELECT 1; DROP TABLE FAULTS", "0000-13-45", "next:999999")  # fmt: skip
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

load_all()
TOOLS = [t.name for t in registry]


@pytest.fixture(scope="module", params=["read-only", "writes"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A private sandbox and surface per mode, driven from a blocking portal so hypothesis can stay synchronous."""
    uploads = tmp_path_factory.mktemp("uploads")
    (uploads / "notes.txt").write_text("fuzz")
    server_settings = ServerSettings(
        toolsets="all", read_only=request.param == "read-only", attachment_dirs=str(uploads),
        read_only_edit_scopes="edit:reporting",
    )  # fmt: skip
    with Sandbox(seed=1) as sb, start_blocking_portal() as portal:
        surface = Surface(halo_settings_for(sb, max_retry_wait=1.0), server_settings)
        with portal.wrap_async_context_manager(Client(surface.server)) as client:
            yield surface, client, portal
        portal.call(surface.aclose)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid by one of our compact input schemas (the JSON Schema subset pydantic emits for tool args)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of(*[from_schema(s) for s in schema["anyOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*[from_schema({**schema, "type": k}) for k in kind])
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=max(schema.get("minLength", 0), 40))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40)) + 1)
        high = schema.get("maximum", schema.get("exclusiveMaximum", 2**40) - 1)
        if kind == "integer":
            return st.integers(min_value=int(low), max_value=int(high))
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(from_schema(schema.get("items", {})), min_size=low, max_size=max(low, 4))
    if kind == "object" and schema.get("properties"):
        required = set(schema.get("required", []))
        props = schema["properties"]
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in props.items() if k in required},
            optional={k: from_schema(v) for k, v in props.items() if k not in required},
        )
    if kind == "object":
        return st.dictionaries(st.text(max_size=12), JSON, max_size=4)
    return JSON


def arguments_for(t: Tool) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments valid by the schema, or such arguments with one string-bearing value replaced by a salt value."""
    schema = t.input_schema()
    valid = from_schema(schema)
    salted_keys = [
        name for name, prop in schema.get("properties", {}).items()
        if {"string", "object"} & set(prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")])
    ]  # fmt: skip
    if not salted_keys:
        return valid

    def salt(args: dict[str, Any], key: str, value: str) -> dict[str, Any]:
        kind = schema["properties"][key].get("type")
        return {**args, key: {"id": value, "search": value} if kind == "object" else value}

    return st.one_of(valid, st.builds(salt, valid, st.sampled_from(salted_keys), st.sampled_from(SALT)))


@pytest.mark.parametrize("name", TOOLS)
def test_generated_arguments_never_give_an_internal_error(
    served: tuple[Surface, Client, BlockingPortal], name: str
) -> None:
    surface, client, portal = served
    t = next((t for t in surface.tools if t.name == name), None)
    if t is None:  # a write tool in read-only mode: hidden, and answering exactly as an unknown tool does
        with pytest.raises(MCPError, match=f"Unknown tool: {name}"):
            portal.call(client.call_tool, name, {})
        return
    seen: list[str] = []

    @FUZZ
    @given(arguments_for(t))
    def one_call(arguments: dict[str, Any]) -> None:
        result = portal.call(client.call_tool, name, arguments)
        body = text(result)
        assert "internal error" not in body, (arguments, body)
        if result.is_error:
            assert body.strip(), arguments  # every error says something
        seen.append(body)

    one_call()
    assert len(seen) >= EXAMPLES // 2


@pytest.mark.anyio
async def test_each_former_internal_error_is_a_clear_error_saying_what_to_change(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = ServerSettings(toolsets="all", attachment_dirs=str(tmp_path))
    s = Surface(halo_settings_for(sandbox), settings)
    try:
        async with Client(s.server) as c:
            long_query = failed(await call(c, "search_kb", query="x" * 100_000))
            assert "'query': " in long_query and "over the 1,000-character limit; shorten it" in long_query
            nul = failed(await call(c, "add_attachment", ticket_id=1, path="a\x00b"))
            assert "contains control characters" in nul
            free_form = await call(c, "call_operation", operation="GET /Tickets", arguments={"search": "x" * 9_000})
            assert "over the 8,000 a URL to Halo may carry; shorten the search text" in failed(free_form)
            note = ok(await call(c, "search_kb", query="printer " * 100))  # long but within the limit
            assert "internal error" not in note
    finally:
        await s.aclose()
