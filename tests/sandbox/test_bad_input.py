"""Bad input never yields a 500: malformed JSON, wrong types and unknown ids get Halo-like 400/404; unknown fields
and parameters are ignored, as Halo ignores them."""

from __future__ import annotations

import httpx2
import pytest

from halo_mcp.sandbox.resources import RESOURCES


def test_malformed_and_wrong_shapes(api: httpx2.Client) -> None:
    r = api.post("/Tickets", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["ClassName"].endswith("JsonReaderException")
    for body in (b"", b"42", b'"text"', b"[1, 2]", b"[]", b"null"):
        r = api.post("/Tickets", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, body


def test_wrong_types_and_unknown_ids_are_refused(api: httpx2.Client) -> None:
    cases = [
        [{"summary": "x", "details": "y", "client_id": "abc"}],
        [{"summary": "x", "details": "y", "client_id": True}],
        [{"summary": ["x"], "details": "y"}],
        [{"summary": "x", "details": "y", "client_id": 987654}],
        [{"summary": "x", "details": "y", "tickettype_id": 987654}],
        [{"summary": "x", "details": "y", "team": "No Such Team"}],
        [{"summary": "x", "details": "y", "id": "seven"}],
        [{"details": "no summary"}],
    ]
    for body in cases:
        r = api.post("/Tickets", json=body)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.json()["Message"]
    assert api.post("/Tickets", json=[{"id": 987654, "summary": "x"}]).status_code == 404
    assert api.get("/Tickets/987654").status_code == 404
    assert api.get("/Tickets/abc").status_code == 404
    assert api.delete("/Client/987654").status_code == 404
    assert api.get("/Actions", params={"ticket_id": 987654}).status_code == 404
    ok = api.post("/Tickets", json=[{"summary": "coerced", "details": "d", "client_id": "1", "impact": 2.0}])
    assert ok.status_code == 201 and ok.json()["client_id"] == 1  # Halo's deserializer accepts numeric strings


def test_bad_query_parameters(api: httpx2.Client) -> None:
    for params in (
        {"client_id": "abc"},
        {"page_size": "x"},
        {"startdate": "yesterday"},
        {"order": "id; DROP"},
    ):
        r = api.get("/Tickets", params=params)
        assert r.status_code == 400, params
    assert api.get("/Tickets", params={"pageinate": "true", "page_size": 0, "page_no": -3}).status_code == 200


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_no_500_for_junk_on_any_resource(api: httpx2.Client, name: str) -> None:
    junk = [
        ("GET", f"/{name}", {"params": {"page_no": "x"}}),
        ("GET", f"/{name}/0", {}),
        ("GET", f"/{name}/-1", {}),
        ("GET", f"/{name}/99999999999999999999", {}),
        ("POST", f"/{name}", {"json": [{"id": 99999999}]}),
        ("POST", f"/{name}", {"json": [{"zzz": 1}]}),
        ("POST", f"/{name}", {"json": {"id": "x"}}),
        ("POST", f"/{name}", {"content": b"\xff\xfe"}),
        ("DELETE", f"/{name}/abc", {}),
        ("DELETE", f"/{name}/99999999", {}),
    ]
    for method, path, kw in junk:
        r = api.request(method, path, **kw)
        assert r.status_code < 500, (method, path, kw, r.status_code, r.text)
