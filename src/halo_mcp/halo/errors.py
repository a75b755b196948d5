"""Halo failures as exceptions whose messages tell a model (or a person) what to do next."""

from __future__ import annotations

import json
from typing import Any


class HaloError(Exception):
    """Base class: `str(exc)` is a complete, actionable sentence."""

    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.status = status if status is not None else self.status
        self.method = method
        self.path = path


class HaloAuthError(HaloError):
    status = 401


class HaloPermissionError(HaloError):
    status = 403


class HaloNotFound(HaloError):
    status = 404


class HaloValidationError(HaloError):
    status = 400


class HaloRateLimited(HaloError):
    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class HaloUnavailable(HaloError):
    """Halo could not be reached, timed out, or kept failing with 5xx after bounded retries."""


class HaloTooLarge(HaloError):
    """Halo's answer is bigger than the caller accepts (`size` from Content-Length, None when cut off mid-read)."""

    def __init__(self, size: int | None, limit: int, **kw: Any) -> None:
        what = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
        super().__init__(f"Halo's answer is {what}, over the {limit:,}-byte limit", **kw)
        self.size = size
        self.limit = limit


class HaloWriteUncertain(HaloError):
    """A write was sent but no answer came back: it may or may not have been applied, so it is not retried."""


def error_text(body: bytes | str, limit: int = 500) -> str:
    """Extract the human message from the several error-body shapes Halo emits."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        return ""
    try:
        data: Any = json.loads(text)
    except ValueError:
        return text[:limit]
    return _message_from(data)[:limit]


def _message_from(data: Any) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        return "; ".join(_message_from(item) for item in data if item)
    if isinstance(data, dict):
        for key in ("errorMessage", "Message", "message", "error_description", "title", "detail", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
        errors = data.get("errors")
        if isinstance(errors, dict):
            return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in errors.items())
    return json.dumps(data, separators=(",", ":"))[:500]
