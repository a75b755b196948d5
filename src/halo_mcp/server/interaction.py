"""Talking to the person behind the client during one tool call: progress, a choice, a confirmation, a form.

Policy:
- Progress goes out only when the client sent a progress token, and only forwards (a notification never repeats
  or lowers the count, even when pages arrive out of order).
- A question is asked only of a client that declared form elicitation. 2025-11-25: an `elicitation/create` request
  on the call's own stream, which needs a back channel (a stateful session; not `--workers`, not JSON-only
  replies). 2026-07-28: the call answers `InputRequiredResult`; the client retries it with the answer, and the
  answers so far travel in `requestState`, sealed by the SDK (`RequestStateBoundary`: AES-GCM, bound to the
  method, tool, arguments and expiry), so a client cannot forge an earlier answer.
- A retried call runs the tool again from the start. A name is only ever re-resolved before any write was sent,
  and a confirmation comes before the writes it guards, so a retry never repeats a change.
- A form asks for the required fields a custom ticket tool was called without, typed as the tool's schema types
  them (text, a number, or one of the field's choices); it comes before anything is sent.
- Without the capability, nothing changes: an ambiguous name stays an `isError` result listing the candidates,
  a missing field stays an `isError` naming it, and a confirmation is not asked (the host's own confirmation of
  tools marked destructive applies).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.methods import INPUT_REQUIRED_METHODS, is_input_required
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from halo_mcp.config import ServerSettings
from halo_mcp.state.keyring import REQUEST_STATE, STATE_TTL, LiveRing, open_rings
from halo_mcp.tools.errors import Ambiguous, ToolError
from halo_mcp.tools.framework import Interaction
from halo_mcp.tools.resolve import SOURCES, canonical_kind, normalise

if TYPE_CHECKING:
    from mcp.server.request_state import AESGCMRequestStateCodec, RequestStateBoundary

ASK_TIMEOUT = 600.0  # seconds a 2025-11-25 question waits for its answer
DECLINED = (
    "the person declined when asked to confirm this change, so nothing was changed in Halo; do not retry it unless "
    "they ask again"
)


class RingCodec:
    """The SDK's AES-GCM request-state codec over the request-state key ring (state/keyring.py), rebuilt when the
    ring changes: the newest active key seals, every key the ring holds opens, so replicas sharing the ring accept
    each other's state, also across a rotation."""

    def __init__(self, ring: LiveRing) -> None:
        self.ring = ring
        self._secrets: list[bytes] = []
        self._codec: AESGCMRequestStateCodec | None = None

    def _current(self) -> AESGCMRequestStateCodec:
        from mcp.server.request_state import AESGCMRequestStateCodec

        secrets = self.ring.secrets()
        if self._codec is None or secrets is not self._secrets:
            self._secrets, self._codec = secrets, AESGCMRequestStateCodec(secrets)
        return self._codec

    def seal(self, payload: bytes) -> str:
        return self._current().seal(payload)

    def unseal(self, token: str) -> bytes:
        return self._current().unseal(token)


class StateBoundary:
    """The SDK's `RequestStateBoundary` (seals a 2026-07-28 call's answers between its rounds; `STATE_TTL` is how long
    a person has to answer), made the first time a call brings or returns `requestState`. Until then a call passes
    straight through, as it would through the SDK's, and the SDK's module with `cryptography` (about 6 MiB resident)
    stays unloaded: most servers never ask a question."""

    def __init__(self, settings: ServerSettings, audience: str) -> None:
        self.ring = open_rings(settings)[REQUEST_STATE]  # here: a shared store is reached at start, not mid-call
        self.audience = audience
        self._boundary: RequestStateBoundary | None = None

    def _made(self) -> RequestStateBoundary:
        if self._boundary is None:
            from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity

            security = RequestStateSecurity(codec=RingCodec(self.ring), ttl=STATE_TTL)
            self._boundary = RequestStateBoundary(security, default_audience=self.audience)
        return self._boundary

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if self._boundary is not None:
            return await self._boundary(ctx, call_next)
        if ctx.method not in INPUT_REQUIRED_METHODS:
            return await call_next(ctx)
        if ctx.params is not None and ctx.params.get("requestState") is not None:
            return await self._made()(ctx, call_next)
        result = await call_next(ctx)
        if not is_input_required(result):
            return result

        async def answered(_: ServerRequestContext[Any, Any]) -> HandlerResult:
            return result

        return await self._made()(ctx, answered)  # seals the state this first round returns


class InputNeeded(Exception):
    """The call cannot finish without the person's answer (2026-07-28): becomes an `InputRequiredResult`."""

    def __init__(self, key: str, request: types.ElicitRequest, answers: dict[str, Any]) -> None:
        super().__init__(key)
        self.key = key
        self.request = request
        self.answers = answers

    def result(self) -> types.InputRequiredResult:
        return types.InputRequiredResult(
            input_requests={self.key: self.request}, request_state=json.dumps({"answers": self.answers})
        )


# Writes (non-GET Halo requests) sent during the current call, for cancellation reports and the re-run guard.
SENT_WRITES: ContextVar[list[str] | None] = ContextVar("halo_mcp_sent_writes", default=None)


def recording_writes(policy: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """Wrap a surface's request policy so each call learns which writes it has sent."""

    def check(method: str, path: str) -> None:
        policy(method, path)
        sent = SENT_WRITES.get()
        if sent is not None and method != "GET":
            line = f"{method} /{path.split('?', 1)[0].strip('/')}"
            if line not in sent:
                sent.append(line)

    return check


def can_elicit(capabilities: types.ClientCapabilities | None) -> bool:
    """Form elicitation declared; a bare `elicitation: {}` (before modes existed) means form."""
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


class ClientInteraction(Interaction):
    """The interaction of one MCP tool call, over the SDK's request context."""

    def __init__(self, request: ServerRequestContext[Any], params: types.InputResponseRequestParams) -> None:
        self.request = request
        self.modern = request.protocol_version in MODERN_PROTOCOL_VERSIONS
        session = request.session
        self.can_ask = can_elicit(session.client_capabilities) and (self.modern or session.can_send_request)
        self.answers: dict[str, Any] = _answers(params.request_state)
        self.responses = params.input_responses or {}
        self._done = -1.0
        self._lock = anyio.Lock()

    async def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        async with self._lock:
            if done <= self._done:
                return
            self._done = done
            await self.request.session.report_progress(done, total, message)

    async def confirm(self, message: str) -> None:
        if not self.can_ask:
            return
        schema = {
            "type": "object",
            "properties": {"confirm": {"type": "boolean", "title": "Make this change", "default": True}},
            "required": ["confirm"],
        }
        key = "confirm-" + hashlib.sha256(message.encode()).hexdigest()[:12]
        answer = await self._ask(key, message, schema)
        if answer is None or answer.get("confirm") is False:
            raise ToolError(DECLINED)

    async def choose(self, exc: Ambiguous) -> int:
        """The id the person picked among the candidates of an ambiguous name."""
        source = SOURCES.get(exc.kind)
        plural = source.plural if source else exc.kind
        options = [
            {"const": str(ident), "title": f"{name} ({beside}, id {ident})" if beside else f"{name} (id {ident})"}
            for ident, name, beside in exc.candidates
        ]
        schema = {
            "type": "object",
            "properties": {exc.kind: {"type": "string", "title": exc.kind.capitalize(), "oneOf": options}},
            "required": [exc.kind],
        }
        key = f"pick-{exc.kind}-{normalise(exc.name).replace(' ', '-')}"[:64]
        answer = await self._ask(key, f"'{exc.name}' matches several {plural}. Which one is meant?", schema)
        picked = str((answer or {}).get(exc.kind) or "")
        if not picked or picked not in {o["const"] for o in options}:
            raise ToolError(f"{exc}; the person was asked to pick one and did not")
        return int(picked)

    async def fill(self, title: str, fields: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        properties = {name: form_field(name, schema) for name, schema in fields.items()}
        wanted = ", ".join(p["title"] for p in properties.values())
        schema = {"type": "object", "properties": properties, "required": list(properties)}
        key = "fill-" + hashlib.sha256(" ".join(sorted(fields)).encode()).hexdigest()[:12]
        answer = await self._ask(key, f"{title}: Halo needs {wanted} to go on.", schema)
        if answer is None:
            return None
        return {name: answer[name] for name in fields if name in answer}

    async def _ask(self, key: str, message: str, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The accepted form content, or None when declined or cancelled."""
        if key in self.answers:
            return self.answers[key]
        if self.modern:
            response = self.responses.get(key)
            if response is None:
                if SENT_WRITES.get():  # the retry would run the tool again and repeat what was sent
                    raise ToolError(f"could not ask the person after a change was sent ({message}); ask them yourself")
                request = types.ElicitRequest(
                    params=types.ElicitRequestFormParams(message=message, requested_schema=schema)
                )
                raise InputNeeded(key, request, self.answers)
            answer = _content(response)
        else:
            try:
                with anyio.fail_after(ASK_TIMEOUT):
                    result = await self.request.session.elicit_form(
                        message, schema, related_request_id=self.request.request_id
                    )
            except (MCPError, TimeoutError) as exc:
                raise ToolError(f"could not ask the person ({exc}); pass the value explicitly instead") from None
            answer = _content(result)
        self.answers[key] = answer
        return answer


FORM_KEYWORDS = ("enum", "minLength", "maxLength", "minimum", "maximum")  # what a form field may say beyond its type


def form_field(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One argument as a form field, within what elicitation allows: text (a choice when it has an enum), a number
    or an integer; titled by its description (the form's label) or its name."""
    kind = schema.get("type")
    title = schema.get("description") or name.replace("_", " ").capitalize()
    field = {"type": kind if kind in ("string", "number", "integer", "boolean") else "string", "title": title}
    if "const" in schema:  # a choice of one: pydantic says `const`
        field["enum"] = [schema["const"]]
    return field | {k: schema[k] for k in FORM_KEYWORDS if k in schema}


def _content(response: Any) -> dict[str, Any] | None:
    data = response.model_dump() if hasattr(response, "model_dump") else dict(response)
    if data.get("action") != "accept":
        return None
    return dict(data.get("content") or {})


def _answers(state: str | None) -> dict[str, Any]:
    """Answers given in earlier rounds. The state was sealed by us and verified by the SDK before we see it."""
    if not state:
        return {}
    try:
        answers = json.loads(state).get("answers")
    except (ValueError, AttributeError):
        return {}
    return answers if isinstance(answers, dict) else {}


def carries(arguments: dict[str, Any], kind: str, name: str) -> bool:
    """Whether an argument for that kind of entity (e.g. `site`, `new_team`) is the ambiguous name, so the pick can
    replace it."""
    return substitute(arguments, kind, name, 0) != arguments


def substitute(arguments: dict[str, Any], kind: str, name: str, ident: int) -> dict[str, Any]:
    """The arguments with the ambiguous name replaced by the chosen id, in the arguments naming that kind of entity
    only (a summary that happens to read the same is left alone), at the top level or inside a list."""
    wanted = name.strip().casefold()

    def swap(value: Any) -> Any:
        if isinstance(value, str) and value.strip().casefold() == wanted:
            return str(ident)
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    return {k: swap(v) if _kind_of(k) == kind else v for k, v in arguments.items()}


def _kind_of(argument: str) -> str | None:
    try:
        return canonical_kind(argument.removeprefix("new_"))
    except ToolError:
        return None
