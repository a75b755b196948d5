"""Every path of Halo's OpenAPI description, as routed by the sandbox (data from scripts/gen_sandbox_routes.py).

Routing follows the spec: paths are matched case-insensitively segment by segment, and a fixed segment wins over
a path parameter (`/Asset/NextTag` before `/Asset/{id}`), earlier segments first. A matched route carries the
query parameters the spec declares for it: the sandbox honours those and ignores every other one, as Halo
ignores unknown input (issue 9).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources as pkg

DATA = "sandbox_routes.json.gz"
IGNORED_NAMES_CAP = 200  # undeclared names remembered per route (a fuzzing client must not grow memory)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the spec's spelling, e.g. "/Asset/{id}"
    resource: str  # top-level segment in the spec's spelling
    params: frozenset[str]  # declared query parameters, lower case
    body: str | None  # request body schema
    segments: tuple[str | None, ...]  # lower-case literal, or None for a path parameter

    @property
    def kind(self) -> str:
        """`list` (/X), `item` (/X/{id}), `fixed` (no parameter below /X) or `param` (any other)."""
        rest = self.segments[1:]
        if not rest:
            return "list"
        if None not in rest:
            return "fixed"
        return "item" if len(rest) == 1 else "param"


@dataclass(frozen=True)
class Generic:
    """A top-level resource: its body schema and list shape (`list_key` None = plain array)."""

    name: str
    schema: str | None
    hand: bool
    paging: bool
    list_key: str | None
    evidence: str  # where the list shape comes from, or "convention"


@dataclass(frozen=True)
class Table:
    routes: tuple[Route, ...]
    resources: dict[str, Generic]
    schemas: dict[str, str]
    index: dict[tuple[str, int, str], tuple[Route, ...]]  # (method, segment count, first segment) -> routes

    def fields(self, schema: str | None) -> dict[str, str]:
        """Field name -> type code of a spec schema ({} when unknown)."""
        return _parse(self.schemas.get(schema or "", ""))

    def resource(self, name: str) -> Generic | None:
        return self.resources.get(name.lower())


def _parse(spec: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in spec.split():
        name, _, code = item.rpartition(":")
        out[name] = code
    return out


def _segments(path: str) -> tuple[str | None, ...]:
    return tuple(None if "{" in s else s.lower() for s in path.strip("/").split("/"))


@cache
def table() -> Table:
    raw = json.loads(gzip.decompress(pkg.files("halo_mcp.data").joinpath(DATA).read_bytes()))
    routes = tuple(
        Route(
            r["method"],
            r["path"],
            r["path"].split("/")[1],
            frozenset(r["params"]),
            r["body"],
            _segments(r["path"]),
        )
        for r in raw["routes"]
    )
    index: dict[tuple[str, int, str], list[Route]] = {}
    for r in routes:
        index.setdefault((r.method, len(r.segments), r.segments[0] or ""), []).append(r)
    resources = {
        name.lower(): Generic(name, v["schema"], v["hand"], v["paging"], v["list_key"], v["evidence"])
        for name, v in raw["resources"].items()
    }
    return Table(
        routes,
        resources,
        raw["schemas"],
        {k: tuple(v) for k, v in index.items()},
    )


def match(method: str, path: str) -> tuple[Route, tuple[str, ...]] | None:
    """The spec route for `METHOD /api-relative/path` and its path arguments, fixed segments first."""
    parts = path.strip("/").split("/")
    lower = [p.lower() for p in parts]
    best: tuple[tuple[int, ...], Route] | None = None
    for r in table().index.get((method, len(parts), lower[0]), ()):
        if all(s is None or s == p for s, p in zip(r.segments, lower, strict=True)):
            score = tuple(0 if s is None else 1 for s in r.segments)
            if best is None or score > best[0]:
                best = (score, r)
    if best is None:
        return None
    route = best[1]
    return route, tuple(p for s, p in zip(route.segments, parts, strict=True) if s is None)


def path_methods(path: str) -> set[str]:
    """Methods the spec declares for any path of this shape (to tell 404 from 405)."""
    parts = [p.lower() for p in path.strip("/").split("/")]
    out: set[str] = set()
    for (method, n, first), routes in table().index.items():
        if n != len(parts) or first != parts[0]:
            continue
        for r in routes:
            if all(s is None or s == p for s, p in zip(r.segments, parts, strict=True)):
                out.add(method)
    return out


def note_ignored(ignored: dict[str, set[str]], route: str, names: list[str]) -> None:
    """Remember undeclared inputs a client sent (for `/_sandbox/ignored`), bounded per route."""
    seen = ignored.setdefault(route, set())
    for name in names:
        if len(seen) >= IGNORED_NAMES_CAP:
            return
        seen.add(name)


__all__ = ["Generic", "Route", "Table", "match", "note_ignored", "path_methods", "table"]
