"""Query-string helpers: Halo accepts repeated keys and comma lists; booleans are true/false."""

from __future__ import annotations

from halo_mcp.sandbox.errors import bad_request
from halo_mcp.sandbox.store import parse_dt

Query = dict[str, list[str]]
TRUE = {"true", "1", "yes", "on"}


def multi(q: Query, name: str) -> list[str]:
    out: list[str] = []
    for raw in q.get(name, ()):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


def first(q: Query, name: str) -> str | None:
    vals = q.get(name)
    return vals[0] if vals else None


def as_bool(q: Query, name: str) -> bool:
    v = first(q, name)
    return v is not None and v.strip().lower() in TRUE


def as_int(q: Query, name: str) -> int | None:
    v = first(q, name)
    if v is None or v.strip() == "":
        return None
    try:
        n = int(v)
    except ValueError:
        n = None
    if n is None or not -(2**31) <= n < 2**31:
        raise bad_request(f"The value '{v}' is not valid for {name}.")
    return n


def ints(q: Query, name: str) -> list[int]:
    vals = multi(q, name)
    try:
        out = [int(v) for v in vals]
    except ValueError:
        out = None
    if out is None or any(not -(2**31) <= n < 2**31 for n in out):
        raise bad_request(f"The value '{','.join(vals)}' is not valid for {name}.")
    return out


def as_date(q: Query, name: str) -> str | None:
    v = first(q, name)
    if v is None or not v.strip():
        return None
    if parse_dt(v.strip()) is None and not v.strip().startswith(("1899-12-30", "0001-01-01", "1900-01-01")):
        raise bad_request(f"The value '{v}' is not a valid date for {name}.")
    return v.strip().replace("Z", "")
