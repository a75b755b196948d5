"""Token counts (o200k_base) computed offline with bpe-openai: context cost is measured, not guessed."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import mcp_types as types


@lru_cache(maxsize=1)
def _encoding() -> Any:
    import bpe_openai  # imported lazily: only `tools --tokens`, tests and benchmarks pay for it

    return bpe_openai.get_encoding("o200k_base")


def count(text: str) -> int:
    return len(_encoding().encode(text))


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def tool_tokens(tool: types.Tool) -> int:
    """What a tool costs in a host's context: its serialised definition as sent in tools/list."""
    return count(compact_json(tool.model_dump(by_alias=True, exclude_none=True, mode="json")))


def result_tokens(result: types.CallToolResult) -> int:
    """Text blocks plus structuredContent: a host may put both in the model's context, so both count."""
    total = sum(count(b.text) for b in result.content if isinstance(b, types.TextContent))
    if result.structured_content is not None:
        total += count(compact_json(result.structured_content))
    return total
