"""The one rule for which fields a record shows on the wire, driven by the spec schemas in `specfields`.

Halo serialises .NET classes: list rows are `X_List` objects, single reads `X` objects. The rule:

- **List rows** (`GET /X`): the properties of `X_List`. Every integer, number, boolean and date-time
  property appears, with Halo's default when the record has no value (`0`, `0.0`, `false`,
  `"1900-01-01T00:00:00"`); strings, arrays and objects appear only when the record (or a derived
  name) has a non-null value. Resources whose schema has no `_List` variant (Actions, Status,
  Priority, Outcome, Quotation, ...) show the record's fields of `X` without defaults: spec B gives no
  list class for them, so which properties their list serialiser fills is unknown.
- **Single reads** (`GET /X/{id}`, POST replies): the same defaults as the list row (the `X_List`
  template) plus every field of `X` the record has. The full `X` class is not defaulted: emitting all
  890 `Faults` or 473 `Actions` properties of zeros would be implausible and drown the real data.
- Nulls are never emitted; sandbox-internal keys (`_`-prefixed) never leave. Fields come out in the spec's
  property order, which is the .NET class order Newtonsoft serialises in (`id`, `dateoccurred`,
  `summary`, ... for tickets).

[UNVERIFIED: inferred from the sentinel-date and zero-id evidence in halo-api-facts.md] Note for the
reader: the facts document itself does not quote a Halo payload with `1900-01-01T00:00:00` or
`agent_id: 0`; the convention comes from client code (this project's `tools/render.py` treats those
values as empty) and from Halo's SQL schema, whose FAULTS columns are mostly NOT NULL with defaults.
Counter-evidence: the spec marks almost every property `nullable: true`, which would let Halo omit
unset values instead. The defaults are therefore a deliberate worst case for clients (bigger rows,
sentinels to filter), switchable with `Sandbox(..., shape_defaults=False)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from halo_mcp.sandbox.specfields import FIELDS

NEVER = "1900-01-01T00:00:00"  # Halo's "no date" sentinel (.NET/SQL Server minimum used by Halo)
DEFAULTS: dict[str, Any] = {"i": 0, "n": 0.0, "b": False, "d": NEVER}


def parse(schema: str) -> dict[str, str]:
    """Field name -> type code of one spec schema as frozen in `specfields` ({} when absent)."""
    out: dict[str, str] = {}
    for item in FIELDS.get(schema, "").split():
        name, _, code = item.rpartition(":")
        out[name] = code
    return out


_UNSET = object()  # marks a field that appears only when the record has a value


@dataclass(frozen=True)
class Shape:
    """Precomputed once per schema: every wire field in class (= serialisation) order with its default."""

    order: tuple[tuple[str, Any], ...]  # (name, default or _UNSET)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(k for k, _ in self.order)

    @property
    def template(self) -> dict[str, Any]:
        return {k: d for k, d in self.order if d is not _UNSET}


def _order(names: dict[str, str], defaulted: dict[str, str], defaults: bool) -> tuple[tuple[str, Any], ...]:
    out = []
    for k in names:
        if k.startswith("_"):  # spec control flags (`_isimport`, ...) are request-only
            continue
        code = defaulted.get(k)
        out.append((k, DEFAULTS[code] if defaults and code in DEFAULTS else _UNSET))
    return tuple(out)


@cache
def list_shape(schema: str, defaults: bool = True) -> Shape:
    """Shape of a list row of `schema`: `X_List` when the spec has it, else `X` without defaults."""
    lst = parse(schema + "_List")
    if not lst:
        return Shape(_order(parse(schema), {}, False))
    return Shape(_order(lst, lst, defaults))


@cache
def item_shape(schema: str, defaults: bool = True) -> Shape:
    """Shape of a single read: fields of `X` (then `X_List`-only ones); defaults of the `X_List` row only."""
    full = parse(schema)
    lst = parse(schema + "_List")
    return Shape(_order({**full, **lst}, lst, defaults))


def apply(values: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """The wire object: spec fields in class order, record values where non-null, else the default."""
    if not shape.order:  # a resource without a spec schema (runbooks): pass through
        return {k: v for k, v in values.items() if v is not None and not k.startswith("_")}
    out: dict[str, Any] = {}
    get, unset = values.get, _UNSET
    for k, d in shape.order:
        v = get(k, d)
        if v is None:
            v = d
        if v is not unset:
            out[k] = v
    return out


__all__ = ["DEFAULTS", "NEVER", "Shape", "apply", "item_shape", "list_shape", "parse"]
