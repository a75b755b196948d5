"""Halo-like error responses.

Halo emits several error shapes (see the facts document §14); the sandbox uses:
- 400 validation: `{"ClassName": "HaloValidationException", "Message": "..."}`
- 400 malformed body: `{"ClassName": "Newtonsoft.Json.JsonReaderException", "Message": "..."}`
- 404: a JSON string, e.g. `"Ticket 99 not found"`
- 401: empty body; 403: `{"ClassName": "HaloForbiddenException", "Message": "..."}`
- token endpoint: `{"error": "invalid_client", "error_description": "..."}`
"""

from __future__ import annotations

from typing import Any


class ErrorResponse(Exception):
    """An error the emulator answers with, in one of Halo's shapes (not our client's HaloError)."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(message: str, class_name: str = "HaloValidationException") -> ErrorResponse:
    return ErrorResponse(400, {"ClassName": class_name, "Message": message})


def not_found(message: str) -> ErrorResponse:
    return ErrorResponse(404, message)


def forbidden(message: str) -> ErrorResponse:
    return ErrorResponse(403, {"ClassName": "HaloForbiddenException", "Message": message})
