"""Errors a tool raises for the model to fix.

    Exception
    └── ToolError    a failure the model can fix; the message names the next step

A leaf module: anything may raise ToolError without importing the tool framework. `Surface.call` is the one
boundary that turns it (and HaloError, and bugs) into an `isError` result.
"""

from __future__ import annotations


class ToolError(Exception):
    """A failure the model can fix: the message says what to do next. Returned as an `isError` result."""
