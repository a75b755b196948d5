"""Load only the SDK modules a server uses.

`import mcp.server.lowlevel` first runs the initialisers of the packages `mcp` and `mcp.server`, and they import the
SDK's whole client (`mcp.Client`, the session group, the stdio client) and `MCPServer` (resources, prompts, httpx2):
nothing this server calls, yet about 70 ms and 5 MiB of every cold start (issue 13). `defer_package_imports`
registers those two packages without running their initialisers; the first use of a name one of them exports
(`from mcp import Client`, `mcp.server.MCPServer`) runs it then (PEP 562 module `__getattr__`), so any code
importing them still gets the SDK as published.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import Any

DEFERRED_PACKAGES = ("mcp", "mcp.server")


def defer_package_imports() -> None:
    """Register the deferred packages, unless something already imported them (then there is nothing to save)."""
    for name in DEFERRED_PACKAGES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return  # not installed: the real import will say so
        module = importlib.util.module_from_spec(spec)
        module.__getattr__ = _completing(module)  # type: ignore[method-assign]
        sys.modules[name] = module
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)


def _completing(module: ModuleType) -> Any:
    """A module `__getattr__` that runs the package's own initialiser once, then answers from it."""

    def complete(attr: str) -> Any:
        vars(module).pop("__getattr__", None)  # before running it: the initialiser looks names up on the package
        spec = module.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(module)
        return getattr(module, attr)

    return complete
