"""Errors a tool raises for the model to fix.

    Exception
    └── ToolError    a failure the model can fix; the message names the next step
        └── Ambiguous    a name matches several entities; a client that can ask lets the person pick one

A leaf module: anything may raise ToolError without importing the tool framework. `Surface.call` is the one
boundary that turns it (and HaloError, and bugs) into an `isError` result.
"""

from __future__ import annotations


class ToolError(Exception):
    """A failure the model can fix: the message says what to do next. Returned as an `isError` result."""


class Ambiguous(ToolError):
    """A name that matches several entities. The message lists them for the model; `candidates` (id, name, what
    tells them apart, e.g. the client of a site) let the surface ask the person instead, when the client can."""

    def __init__(self, message: str, kind: str, name: str, candidates: list[tuple[int, str, str]]) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name
        self.candidates = candidates
