"""Names to ids, server-side, from cached lookup tables.

Small reference tables (teams, statuses, priorities...) are fetched whole and cached with a TTL. Large ones
(clients, sites, users) are searched by name and each answer cached. Exact (case-insensitive) matches win; a unique
prefix or word match is accepted; a near miss is never guessed: the error lists the candidates.

Where replicas share a Redis (`HaloClient.cache`), a table or search one replica fetched serves the others until it
expires (a signed-in person's customer searches stay their own); a kind Halo proved stale is read from Halo, and
written through, for one TTL.
"""

from __future__ import annotations

import asyncio
import copy
import difflib
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from pydantic import BeforeValidator

from halo_mcp.halo.client import HaloClient, rows_of
from halo_mcp.tools.errors import Ambiguous, ToolError
from halo_mcp.tools.spans import escape, untrusted


def _ref(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# A Halo entity by name or id, for tool arguments. Ids arrive as ints or digit strings; the schema says "string"
# because that is cheaper in tools/list than a type union, and the resolver reads digit strings as ids.
Ref = Annotated[str, BeforeValidator(_ref)]


@dataclass(frozen=True)
class Source:
    """Where a kind of entity lives in Halo and which fields name it."""

    kind: str
    path: str
    names: tuple[str, ...]
    list_key: str | None = None
    searched: bool = False  # large tables: query Halo's `search` instead of loading everything
    plural: str = ""
    params: tuple[tuple[str, Any], ...] = ()
    # Names typed by end users or made from e-mails (not admin configuration): delimited wherever they are echoed.
    user_written: bool = False


SOURCES: dict[str, Source] = {
    s.kind: s
    for s in (
        Source("team", "Team", ("name",), plural="teams"),
        Source("agent", "Agent", ("name", "email"), plural="agents"),
        Source("status", "Status", ("name", "shortname"), plural="statuses"),
        Source("priority", "Priority", ("name",), plural="priorities"),
        Source("tickettype", "TicketType", ("name",), plural="ticket types"),
        Source("category", "Category", ("value", "category_name"), plural="categories"),
        Source("outcome", "Outcome", ("outcome", "buttonname"), plural="outcomes"),
        Source("sla", "SLA", ("name",), plural="SLAs"),
        Source("assettype", "AssetType", ("name",), plural="asset types"),
        Source("client", "Client", ("name",), "clients", searched=True, plural="clients", user_written=True),
        Source("site", "Site", ("name",), "sites", searched=True, plural="sites", user_written=True),
        Source("user", "Users", ("name", "emailaddress"), "users", searched=True, plural="users", user_written=True),
    )
}
SCOPED_BY_CLIENT = ("site", "user")  # kinds whose names are resolved within a client given in the same call
ALIASES = {
    "teams": "team", "agents": "agent", "statuses": "status", "priorities": "priority", "ticket_type": "tickettype",
    "ticket type": "tickettype", "tickettypes": "tickettype", "type": "tickettype", "categories": "category",
    "outcomes": "outcome", "action": "outcome", "slas": "sla", "asset_type": "assettype", "assettypes": "assettype",
    "asset type": "assettype", "clients": "client", "customer": "client", "sites": "site", "users": "user",
    "requester": "user",
}  # fmt: skip
# What tells two same-named entities apart when the person is asked to pick one (Halo's list-row fields).
BESIDE: dict[str, tuple[str, ...]] = {
    "site": ("client_name",), "user": ("client_name", "site_name"), "agent": ("team",), "client": ("toplevel_name",),
}  # fmt: skip


@dataclass(frozen=True)
class Entity:
    kind: str
    id: int
    name: str
    record: dict[str, Any]


def is_id_text(text: str) -> bool:
    """Digits that int() reads ('42'; not '²', which str.isdigit also accepts)."""
    return text.strip().isascii() and text.strip().isdigit()


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def canonical_kind(kind: str) -> str:
    key = kind.strip().lower()
    key = ALIASES.get(key, key)
    if key not in SOURCES:
        raise ToolError(f"unknown kind {kind!r}; use one of: {', '.join(SOURCES)}")
    return key


class Resolver:
    """Per-server cache of Halo reference data. Safe for concurrent use; one load per table at a time."""

    def __init__(self, halo: HaloClient, ttl: float = 300.0) -> None:
        self.halo = halo
        self.ttl = ttl
        self._tables: dict[str, tuple[float, list[Entity]]] = {}
        # Customer tables (clients, sites, users: what Halo shows depends on who asks), kept per person.
        self._customers: dict[str, tuple[float, list[Entity]]] = {}
        self._searches: dict[tuple[str, str], tuple[float, list[Entity]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._me: Entity | None = None
        self._derived: dict[str, tuple[float, Any]] = {}
        self._shared = halo.cache
        self._shares_customers = True
        self._bypass: dict[str, float] = {}  # kind -> until when the shared copies are not trusted

    def as_person(self, halo: HaloClient) -> Resolver:
        """A resolver for one signed-in person: reference data (teams, statuses...) shared with this one; "me" and
        customer data (which Halo may restrict per agent) their own."""
        person = copy.copy(self)
        person.halo = halo
        person._me = None
        person._customers = {}
        person._searches = {}
        person._shares_customers = False
        return person

    async def derived(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """A value computed from Halo data (e.g. what each team handles), cached like the tables it comes from."""
        cached = self._derived.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        value = await load()
        self._derived[key] = (time.monotonic() + self.ttl, value)
        return value

    def invalidate(self, kind: str | None = None) -> None:
        """Forget cached data (all, or one kind): called when Halo says an id we resolved is wrong."""
        if kind is None:
            self._tables.clear()
            self._customers.clear()
            self._derived.clear()
            self._searches.clear()
            self._me = None
            self._bypass = {k: time.monotonic() + self.ttl for k in SOURCES}
            return
        self._tables.pop(kind, None)
        self._customers.pop(kind, None)
        self._searches = {k: v for k, v in self._searches.items() if k[0] != kind}
        self._bypass[kind] = time.monotonic() + self.ttl

    # -- the copy replicas share ---------------------------------------------------------------------------

    def _shares(self, kind: str) -> bool:
        customer = SOURCES[kind].searched
        if self._shared is None or (customer and not self._shares_customers):
            return False
        return self._bypass.get(kind, 0.0) <= time.monotonic()

    async def _shared_get(self, kind: str, key: str) -> tuple[float, list[Entity]] | None:
        """A live shared copy as (local monotonic expiry, entities), or None."""
        if not self._shares(kind):
            return None
        assert self._shared is not None
        blob = await self._shared.get(key)
        if blob is None:
            return None
        data = orjson.loads(blob)
        left = float(data["expires"]) - time.time()
        if left <= 0:
            return None
        return time.monotonic() + left, [Entity(kind, int(i), str(n), r) for i, n, r in data["rows"]]

    async def _shared_put(self, kind: str, key: str, entities: list[Entity]) -> None:
        if self._shared is None or (SOURCES[kind].searched and not self._shares_customers):
            return
        rows = [[e.id, e.name, e.record] for e in entities]
        await self._shared.put(key, orjson.dumps({"expires": time.time() + self.ttl, "rows": rows}), self.ttl)

    async def table(self, kind: str) -> list[Entity]:
        """The whole reference table of a small kind, cached."""
        kind = canonical_kind(kind)
        source = SOURCES[kind]
        tables = self._customers if source.searched else self._tables
        cached = tables.get(kind)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        async with self._locks.setdefault(kind, asyncio.Lock()):
            cached = tables.get(kind)
            if cached and cached[0] > time.monotonic():
                return cached[1]
            shared_key = f"lookup:table:{kind}"
            if shared := await self._shared_get(kind, shared_key):
                tables[kind] = shared
                return shared[1]
            params: dict[str, Any] = dict(source.params)
            if source.searched:
                params.update({"pageinate": True, "page_size": 100, "page_no": 1})
            data = await self.halo.get(source.path, params)
            entities = [e for e in (self._entity(kind, r) for r in rows_of(data, source.list_key)) if e]
            tables[kind] = (time.monotonic() + self.ttl, entities)
            await self._shared_put(kind, shared_key, entities)
            return entities

    async def candidates(self, kind: str, query: str, limit: int = 10, within: Entity | None = None) -> list[Entity]:
        """Entities whose names match `query`, best first (for `lookup` and error messages)."""
        kind = canonical_kind(kind)
        pool = await self._pool(kind, query, within)
        return rank(pool, query)[:limit]

    async def resolve(self, kind: str, value: int | str, within: Entity | None = None) -> Entity:
        """One entity for a name or id; ambiguity and near misses raise ToolError with candidates.

        `within` (a client) scopes a site or user name to that client: "London Office" given with "Acme" never
        matches another client's London site.
        """
        kind = canonical_kind(kind)
        source = SOURCES[kind]
        if isinstance(value, int) or (isinstance(value, str) and is_id_text(value)):
            ident = int(value)
            if source.searched:
                return Entity(kind, ident, str(ident), {"id": ident})
            table = await self.table(kind)
            for entity in table:
                if entity.id == ident:
                    return entity
            raise ToolError(f"no {kind} with id {ident}; {valid_values(kind, table)}")
        text = value.strip()
        if kind == "agent" and text.lower() in ("me", "myself", "self"):
            return await self.me()
        pool = await self._pool(kind, text, within)
        try:
            return pick(kind, text, pool)
        except ToolError as exc:
            if within is None or kind not in SCOPED_BY_CLIENT:
                raise
            scoped = f"{exc} (searched within client {untrusted(within.name)})"
            if isinstance(exc, Ambiguous):
                raise Ambiguous(scoped, exc.kind, exc.name, exc.candidates) from None
            raise ToolError(scoped) from None

    async def resolve_optional(self, kind: str, value: int | str | None, within: Entity | None = None) -> Entity | None:
        return None if value is None or value == "" else await self.resolve(kind, value, within)

    async def me(self) -> Entity:
        if self._me is None:
            record = await self.halo.get("Agent/me")
            entity = self._entity("agent", record) if isinstance(record, dict) else None
            if entity is None:
                raise ToolError("Halo did not say which agent this connection acts as (GET /Agent/me)")
            self._me = entity
        return self._me

    async def _pool(self, kind: str, query: str, within: Entity | None = None) -> list[Entity]:
        source = SOURCES[kind]
        if not source.searched:
            return await self.table(kind)
        scoped = within is not None and kind in SCOPED_BY_CLIENT
        key = (kind, normalise(query) + (f"@{within.id}" if scoped and within else ""))
        cached = self._searches.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        shared_key = f"lookup:search:{kind}:{hashlib.sha256(key[1].encode()).hexdigest()[:32]}"
        if shared := await self._shared_get(kind, shared_key):
            self._searches[key] = shared
            return shared[1]
        params: dict[str, Any] = {**dict(source.params), "pageinate": True, "page_size": 25}
        if query:
            params["search"] = query
        if scoped and within:
            params["client_id"] = within.id  # GET /Site and GET /Users declare client_id

        def keep(data: Any) -> list[Entity]:
            found = [e for e in (self._entity(kind, r) for r in rows_of(data, source.list_key)) if e]
            return [e for e in found if not scoped or within is None or _client_of(e) in (None, within.id)]

        entities = keep(await self.halo.get(source.path, params))
        for fallback in _fallback_searches(query) if not entities and query else ():
            # Halo's search is a substring match, so a typo finds nothing: retry on single words (longest first),
            # then on a short prefix, so the miss still yields candidates. Only misses pay for these requests.
            entities = keep(await self.halo.get(source.path, {**params, "search": fallback}))
            if entities:
                break
        self._searches[key] = (time.monotonic() + self.ttl, entities)
        await self._shared_put(kind, shared_key, entities)
        return entities

    @staticmethod
    def entity(kind: str, record: dict[str, Any]) -> Entity | None:
        return Resolver._entity(kind, record)

    @staticmethod
    def _entity(kind: str, record: dict[str, Any]) -> Entity | None:
        source = SOURCES[kind]
        raw_id = record.get("id")
        if raw_id is None or (isinstance(raw_id, str) and not raw_id.isdigit()):
            raw_id = record.get("priorityid", raw_id)
        try:
            ident = int(raw_id)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        name = next((str(record[f]) for f in source.names if record.get(f)), str(ident))
        return Entity(kind, ident, name, record)


def _fallback_searches(query: str) -> list[str]:
    words = sorted({w for w in re.findall(r"[\w@.+-]+", query) if len(w) >= 3}, key=len, reverse=True)[:3]
    tries = [w for w in words if w != query.strip()]
    if words and len(words[0]) > 4:
        tries.append(words[0][:4])
    return tries


def _names(entity: Entity) -> list[str]:
    source = SOURCES[entity.kind]
    names = [str(entity.record[f]) for f in source.names if entity.record.get(f)]
    return names or [entity.name]


def _closeness(entity: Entity, q: str) -> float:
    """1 exact, .9 prefix, .8 substring, else fuzzy (at most .75), over every name of the entity."""
    best = 0.0
    for name in _names(entity):
        n = normalise(name)
        if n == q:
            score = 1.0
        elif n.startswith(q) or any(w.startswith(q) for w in n.split()):
            score = 0.9
        elif q in n:
            score = 0.8
        else:
            score = difflib.SequenceMatcher(None, q, n).ratio() * 0.75
        best = max(best, score)
    return best


def rank(pool: Sequence[Entity], query: str, floor: float = 0.45) -> list[Entity]:
    """Exact, then prefix, then word/substring, then fuzzy matches (those at least `floor` close)."""
    q = normalise(query)
    scored = [(-score, i, e) for i, e in enumerate(pool) if (score := _closeness(e, q)) >= floor]
    return [e for _, _, e in sorted(scored, key=lambda t: (t[0], t[1]))]


VALUES_CAP = 12  # valid values listed in an error; the rest are one lookup away


def valid_values(kind: str, pool: Sequence[Entity], query: str = "", skip: Sequence[Entity] = ()) -> str:
    """A small table's valid values for an error, nearest to `query` first and capped: the next call can pick one."""
    rest = [e for e in (rank(pool, query, floor=0.0) if query else pool) if e not in skip]
    if not rest:
        return f"lookup(kind='{kind}') lists them"
    more = len(rest) - VALUES_CAP
    label = "other valid" if skip else "valid"
    text = f"{label} {SOURCES[kind].plural}{' (nearest first)' if query else ''}: {describe(rest[:VALUES_CAP])}"
    return text + (f" and {more} more (lookup(kind='{kind}', query=...))" if more > 0 else "")


def _client_of(entity: Entity) -> int | None:
    """The client a site or user belongs to (Halo may send the id as a double: 21.0)."""
    value = entity.record.get("client_id")
    try:
        return int(float(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def describe(entities: Sequence[Entity]) -> str:
    """Candidates for a message; names users wrote are delimited like any Halo text (render.py), and sites and users
    name their client, so same-named ones can be told apart."""

    def one(e: Entity) -> str:
        name = untrusted(e.name) if SOURCES[e.kind].user_written else repr(escape(e.name))
        client = e.record.get("client_name") if e.kind in SCOPED_BY_CLIENT else None
        return f"{name} (id {e.id}{', ' + untrusted(str(client)) if client else ''})"

    return ", ".join(one(e) for e in entities)


def pick(kind: str, query: str, pool: Sequence[Entity]) -> Entity:
    q = normalise(query)
    exact = [e for e in pool if any(normalise(n) == q for n in _names(e))]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise ambiguous(
            f"{len(exact)} {SOURCES[kind].plural} are named {query!r}: {describe(exact[:8])}; pass the id instead",
            kind, query, exact[:8],
        )  # fmt: skip
    ranked = rank(pool, query)
    strong = [e for e in ranked if any(normalise(n).startswith(q) or f" {q}" in f" {normalise(n)}" for n in _names(e))]
    if len(strong) == 1 and len(q) >= 2:
        return strong[0]
    if len(strong) > 1:
        raise ambiguous(
            f"{query!r} matches several {SOURCES[kind].plural}: {describe(strong[:8])}; pass one of these names or ids",
            kind, query, strong[:8],
        )  # fmt: skip
    if ranked:
        return _miss(kind, query, ranked, pool)
    if not SOURCES[kind].searched:
        raise ToolError(f"no {kind} named {query!r}; {valid_values(kind, pool, query)}")
    how = "find_users(query=...)" if kind == "user" else f"lookup(kind='{kind}', query=...)"
    raise ToolError(f"no {kind} named {query!r}; use {how} to search")


def ambiguous(message: str, kind: str, query: str, entities: Sequence[Entity]) -> Ambiguous:
    """The ambiguity error, with each candidate's distinguishing fields for a person choosing among them."""
    candidates = [
        (e.id, e.name, ", ".join(str(e.record[f]) for f in BESIDE.get(kind, ()) if e.record.get(f))) for e in entities
    ]
    return Ambiguous(message, kind, query, candidates)


def _miss(kind: str, query: str, ranked: Sequence[Entity], pool: Sequence[Entity]) -> Entity:
    best = ranked[:3]
    guess = f"did you mean {describe(best)}?" if len(best) == 1 else f"did you mean one of {describe(best)}?"
    # A small table is listed whole (nearest first, capped), so a wrong guess still leaves the model the answer.
    others = "" if SOURCES[kind].searched else " " + valid_values(kind, pool, query, skip=best)
    raise ToolError(f"no {kind} named {query!r}; {guess}{others}")
