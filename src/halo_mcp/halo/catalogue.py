"""Halo's API operations, from the committed catalogue (`data/operations.json.gz`, made by `scripts/gen_catalogue.py`).

Operation names are `METHOD /Path` as the spec spells them (`GET /Tickets/{id}`); lookups ignore case and spaces,
and a concrete path (`GET /Tickets/42`) resolves to its template with the path values filled in. Search is
lexical and stdlib-only: path words, schema names and a small synonym table (a note is an action, a customer is a
client) weighted by inverse document frequency, with the method inferred from verbs ("add", "list", "delete").
"""

from __future__ import annotations

import difflib
import gzip
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

NOISE_RESOURCES = frozenset({"integrationdata", "notify"})  # inbound webhooks and integration plumbing

# query word -> resource words it stands for (stemmed), so natural language finds Halo's names.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ticket": ("ticket", "fault"), "incident": ("ticket",), "request": ("ticket",), "issue": ("ticket",),
    "call": ("ticket",), "problem": ("ticket",), "change": ("ticket",),
    "note": ("action",), "comment": ("action",), "reply": ("action",), "email": ("action",),
    "message": ("action",), "time": ("action", "timesheet"), "history": ("action",),
    "kb": ("kb", "article"), "knowledge": ("kb", "article"), "article": ("kb", "article"), "faq": ("faq", "kb"),
    "solution": ("kb",), "asset": ("asset", "device"), "device": ("asset",), "computer": ("asset",),
    "laptop": ("asset",), "hardware": ("asset",), "ci": ("asset",), "configuration": ("asset",),
    "client": ("client", "area"), "customer": ("client",), "company": ("client",), "organisation": ("client",),
    "organization": ("client",), "account": ("client",), "user": ("user",), "contact": ("user",),
    "requester": ("user",), "enduser": ("user",), "person": ("user",), "people": ("user",),
    "agent": ("agent", "uname"), "technician": ("agent",), "tech": ("agent",), "engineer": ("agent",),
    "staff": ("agent",), "team": ("team",), "queue": ("team",), "group": ("team", "group"),
    "invoice": ("invoice",), "bill": ("invoice",), "billing": ("invoice",), "contract": ("contract",),
    "quote": ("quotation",), "quotation": ("quotation",), "appointment": ("appointment",),
    "meeting": ("appointment",), "calendar": ("appointment",), "schedule": ("appointment",),
    "project": ("project",), "opportunity": ("opportunity",), "deal": ("opportunity",), "lead": ("opportunity",),
    "report": ("report",), "attachment": ("attachment",), "file": ("attachment",), "document": ("attachment",),
    "upload": ("attachment",), "supplier": ("supplier",), "vendor": ("supplier",), "site": ("site",),
    "location": ("site",), "timesheet": ("timesheet",), "service": ("service",), "runbook": ("automation",),
    "workflow": ("workflow",), "sla": ("sla",), "priority": ("priority",), "status": ("status",),
    "category": ("category",), "type": ("type",), "software": ("software",), "licence": ("licence",),
    "license": ("licence",), "product": ("item",), "stock": ("item",), "current": ("me",), "myself": ("me",),
}  # fmt: skip
VERBS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("list", "search", "find", "all", "browse", "query", "which", "lookup"), ("GET", "list")),
    **dict.fromkeys(("get", "show", "read", "view", "fetch", "detail", "details", "open", "see"), ("GET", "one")),
    **dict.fromkeys(
        ("create", "add", "new", "post", "log", "raise", "make", "submit", "insert", "upload", "attach"), ("POST", "")
    ),
    **dict.fromkeys(("update", "edit", "modify", "set", "save", "upsert", "assign", "close", "mark"), ("POST", "")),
    **dict.fromkeys(("delete", "remove", "destroy", "erase", "purge"), ("DELETE", "")),
}
STOPWORDS = frozenset({
    "a", "an", "the", "to", "for", "of", "in", "on", "at", "by", "from", "with", "about", "under", "per", "and",
    "or", "my", "i", "we", "our", "your", "this", "that", "these", "those", "is", "are", "be", "it", "its", "into",
    "onto", "via", "using", "as", "some", "any",
})  # fmt: skip
QUALIFIERS = frozenset({"for", "to", "of", "on", "in", "at", "by", "from", "with", "about", "under", "per", "onto"})


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    summary: str
    tag: str
    path_params: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str, str], ...] = ()
    body: str = ""  # "array" (Halo's upsert list), "object", "json", "multipart" or "" (no body)
    schema: str | None = None

    @property
    def resource(self) -> str:
        return self.path.strip("/").split("/", 1)[0]

    @property
    def kind(self) -> str:
        """The policy kind: GET reads, DELETE deletes, every POST writes (some only compute, none is provably safe)."""
        return {"GET": "read", "DELETE": "delete"}.get(self.method, "write")

    @property
    def query_names(self) -> tuple[str, ...]:
        return tuple(q[0] for q in self.query)


@dataclass
class _Doc:
    op: Operation
    res: set[str]
    sub: set[str]
    params: set[str]
    shape: str  # "list" (collection GET), "one" (GET by path param) or ""
    depth: int
    name_words: frozenset[str]  # the resource segment's own words: 'TicketType' -> ticket, type


def key(name: str) -> str:
    """Lookup key of an operation name: method upper-case, path lower-case, no whitespace."""
    return re.sub(r"\s+", "", name).lower()


def split_words(text: str) -> list[str]:
    """'KBArticle' -> kb article; 'client_id' -> client id; lower-case, stemmed."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", text)
    return [stem(w) for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass
class Catalogue:
    operations: list[Operation]
    schemas: dict[str, list[tuple[str, str]]]
    source: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_key = {key(op.name): op for op in self.operations}
        # Templates by (method, segment count, resource), split once: resolving a concrete path runs on every
        # request a surface with `op:` deny entries sends. Every template starts with a literal resource name.
        self._by_shape: dict[tuple[str, int, str], list[tuple[Operation, list[str]]]] = {}
        for op in self.operations:
            tpl = [p for p in op.path.strip("/").split("/") if p]
            shape = (op.method, len(tpl), tpl[0].lower() if tpl else "")
            self._by_shape.setdefault(shape, []).append((op, tpl))
        self._docs: list[_Doc] | None = None
        self._idf: dict[str, float] = {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Catalogue:
        ops = [
            Operation(
                name=o["name"],
                method=o["method"],
                path=o["path"],
                summary=o.get("summary", ""),
                tag=o.get("tag", ""),
                path_params=tuple((p[0], p[1]) for p in o.get("path_params", [])),
                query=tuple((q[0], q[1], q[2]) for q in o.get("query", [])),
                body=o.get("body", ""),
                schema=o.get("schema"),
            )
            for o in data["operations"]
        ]
        schemas = {name: [(f[0], f[1]) for f in fields] for name, fields in data.get("schemas", {}).items()}
        return cls(ops, schemas, data.get("source", {}))

    def __len__(self) -> int:
        return len(self.operations)

    def fields(self, op: Operation) -> list[tuple[str, str]]:
        """Top-level body fields (name, type) of a POST, in the spec's order."""
        return list(self.schemas.get(op.schema or "", []))

    # -- lookup --------------------------------------------------------------------------------------------

    def get(self, name: str) -> Operation | None:
        return self._by_key.get(key(name))

    def resolve(self, name: str) -> tuple[Operation, dict[str, str]] | None:
        """An operation by exact name, or by a concrete path (`GET /Tickets/42` -> `GET /Tickets/{id}`, id=42)."""
        op = self.get(name)
        if op is not None:
            return op, {}
        match = re.match(r"^\s*([A-Za-z]+)\s*(/?\S*)\s*$", name)
        if not match:
            return None
        method, raw = match.group(1).upper(), match.group(2).split("?", 1)[0]
        parts = [p for p in raw.strip("/").split("/") if p]
        best: tuple[int, Operation, dict[str, str]] | None = None
        for op, tpl in self._by_shape.get((method, len(parts), parts[0].lower() if parts else ""), ()):
            values: dict[str, str] = {}
            literal = 0
            for t, p in zip(tpl, parts, strict=True):
                if t.startswith("{") and t.endswith("}"):
                    values[t[1:-1]] = p
                elif t.lower() == p.lower():
                    literal += 1
                else:
                    break
            else:
                if best is None or literal > best[0]:
                    best = (literal, op, values)
        return (best[1], best[2]) if best else None

    # -- search --------------------------------------------------------------------------------------------

    def _index(self) -> list[_Doc]:
        if self._docs is None:
            docs = []
            for op in self.operations:
                segments = [s for s in op.path.strip("/").split("/") if s]
                literal = [s for s in segments[1:] if not s.startswith("{")]
                res = set(split_words(segments[0])) | set(split_words(op.tag))
                res.add(stem(segments[0].lower()))
                sub = {w for s in literal for w in split_words(s)}
                names = [p[0] for p in op.path_params] + list(op.query_names)
                if op.method == "POST":
                    names += [f for f, _ in self.fields(op)[:200]]
                params = {w for n in names for w in split_words(n)} | {n.lower() for n in names}
                has_param = any(s.startswith("{") for s in segments)
                shape = "" if op.method != "GET" or literal else ("one" if has_param else "list")
                docs.append(_Doc(op, res, sub, params, shape, len(literal), frozenset(split_words(segments[0]))))
            df: dict[str, int] = {}
            for d in docs:
                for w in d.res | d.sub | d.params:
                    df[w] = df.get(w, 0) + 1
            n = len(docs)
            self._idf = {w: math.log(1 + n / c) for w, c in df.items()}
            self._docs = docs
        return self._docs

    def search(self, query: str, limit: int = 10) -> tuple[list[Operation], int, set[str]]:
        """(best operations, number of matches, the query's expanded words): ranked lexical search."""
        docs = self._index()
        methods: set[str] = set()
        shapes: set[str] = set()
        terms: list[tuple[str, bool]] = []  # (word, is_qualifier)
        qualifier = False
        raw_words = re.findall(r"[A-Za-z0-9_]+", query)
        for raw in raw_words:
            low = raw.lower()
            if low in QUALIFIERS:
                qualifier = True
                continue
            if low in VERBS:
                method, shape = VERBS[low]
                methods.add(method)
                if shape:
                    shapes.add(shape)
                continue
            if low in STOPWORDS:
                continue
            for w in split_words(raw) or [low]:
                terms.append((w, qualifier))
        expanded: set[str] = {w for word, _ in terms for w in (word, *SYNONYMS.get(word, ()))}
        scored: list[tuple[float, int, Operation]] = []
        for i, d in enumerate(docs):
            score = 0.0
            matched = 0
            for word, is_qual in terms:
                options = [(word, 1.0)] + [(s, 0.9) for s in SYNONYMS.get(word, ()) if s != word]
                best = 0.0
                for w, weight in options:
                    idf = self._idf.get(w, 0.0)
                    if not idf:
                        continue
                    if w in d.res:
                        best = max(best, (1.2 if is_qual else 3.0) * idf * weight)
                    if w in d.sub:
                        best = max(best, (1.0 if is_qual else 2.0) * idf * weight)
                    if w in d.params:
                        best = max(best, (1.5 if is_qual else 0.6) * idf * weight)
                if best:
                    matched += 1
                score += best
            if not matched:
                continue
            # 'ticket' means Tickets more than TicketApproval: reward resources the query names completely.
            score += 2.5 * len(d.name_words & expanded) / len(d.name_words) if d.name_words else 0.0
            if d.op.method in methods:
                score += 2.0
                if d.shape and d.shape in shapes:
                    score += 1.0
            elif methods:
                score -= 1.0
            score -= 0.4 * d.depth
            if d.op.resource.lower() in NOISE_RESOURCES and not any(w in d.res for w, _ in terms):
                score *= 0.5
            scored.append((-score, i, d.op))
        scored.sort(key=lambda t: (t[0], t[1]))
        return [op for _, _, op in scored[:limit]], len(scored), expanded

    def suggest(self, text: str, limit: int = 5) -> list[Operation]:
        """Candidates for an unknown operation name: near spellings first (typos), then a search on its words."""
        close = difflib.get_close_matches(key(text), list(self._by_key), n=limit, cutoff=0.6)
        ops, _, _ = self.search(text.replace("/", " "), limit * 3)
        method = text.strip().split(" ", 1)[0].upper()
        ranked = [self._by_key[k] for k in close] + [o for o in ops if o.method == method] + ops
        return list(dict.fromkeys(ranked))[:limit]


def matching(names: Iterable[str], words: set[str]) -> list[str]:
    """The names mostly made of the query's words, closest first (for showing the parameters a query is about)."""
    scored = []
    for i, name in enumerate(names):
        parts = set(split_words(name))
        ratio = len(parts & words) / len(parts) if parts else 0.0
        if ratio >= 0.5:
            scored.append((-ratio, i, name))
    return [name for _, _, name in sorted(scored)]


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue, loaded once per process (about 130 KB gzip, ~30 ms)."""
    blob = resources.files("halo_mcp").joinpath("data/operations.json.gz").read_bytes()
    return Catalogue.from_json(json.loads(gzip.decompress(blob)))
