"""Lists as Halo does them: pagination edges, count, search, order, ticket filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2


def _tickets(api: httpx2.Client, **params: object) -> dict:
    r = api.get("/Tickets", params={"pageinate": "true", "page_size": 100, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_pagination_edges(api: httpx2.Client) -> None:
    first = api.get("/Tickets", params={"pageinate": "true", "page_size": 10, "page_no": 1}).json()
    assert first["page_no"] == 1 and first["page_size"] == 10 and len(first["tickets"]) == 10
    total = first["record_count"]
    assert total > 100
    second = api.get("/Tickets", params={"pageinate": "true", "page_size": 10, "page_no": 2}).json()
    assert not {t["id"] for t in first["tickets"]} & {t["id"] for t in second["tickets"]}
    capped = api.get("/Tickets", params={"pageinate": "true", "page_size": 500}).json()
    assert capped["page_size"] == 100 and len(capped["tickets"]) == 100
    last_page = (total + 99) // 100
    tail = api.get("/Tickets", params={"pageinate": "true", "page_size": 100, "page_no": last_page}).json()
    assert len(tail["tickets"]) == total - 100 * (last_page - 1)
    past = api.get("/Tickets", params={"pageinate": "true", "page_size": 100, "page_no": last_page + 5}).json()
    assert past["tickets"] == [] and past["record_count"] == total
    unpaged = api.get("/Tickets", params={"count": 7}).json()
    assert len(unpaged["tickets"]) == 7 and "page_no" not in unpaged and unpaged["record_count"] == total


def test_order_and_search(api: httpx2.Client) -> None:
    desc = _tickets(api, order="id", orderdesc="true", page_size=5)["tickets"]
    ids = [t["id"] for t in desc]
    assert ids == sorted(ids, reverse=True)
    by_date = _tickets(api, order="dateoccurred", page_size=20)["tickets"]
    dates = [t["dateoccurred"] for t in by_date]
    assert dates == sorted(dates)
    word = desc[0]["summary"].split()[0]
    found = _tickets(api, search=word)["tickets"]
    assert found and all(word.lower() in (t["summary"] + t.get("details", "")).lower() for t in found)
    clients = api.get("/Client", params={"search": "wayne"}).json()["clients"]
    assert [c["name"] for c in clients] == ["Wayne Enterprises"]


def test_ticket_id_filters(api: httpx2.Client) -> None:
    sample = _tickets(api)["tickets"]
    t = sample[0]
    for param, field in (("client_id", "client_id"), ("site_id", "site_id"), ("user_id", "user_id"),
                         ("agent_id", "agent_id"), ("status_id", "status_id"), ("requesttype_id", "tickettype_id"),
                         ("priority", "priority_id")):  # fmt: skip
        rows = _tickets(api, **{param: t[field]})["tickets"]
        assert rows and all(r[field] == t[field] for r in rows), param
    two = sorted({r["status_id"] for r in sample})[:2]
    rep = api.get("/Tickets", params=[("status_id", two[0]), ("status_id", two[-1]), ("pageinate", "true")]).json()
    comma = _tickets(api, status_id=f"{two[0]},{two[-1]}")
    assert rep["record_count"] == comma["record_count"] > 0
    assert {r["status_id"] for r in comma["tickets"]} <= set(two)
    ids = [sample[3]["id"], sample[5]["id"]]
    assert sorted(r["id"] for r in _tickets(api, ticketids=",".join(map(str, ids)))["tickets"]) == sorted(ids)


def test_open_closed_mine_team_category(api: httpx2.Client) -> None:
    statuses = {s["id"]: s["type"] for s in api.get("/Status").json()}
    open_rows = _tickets(api, open_only="true")
    closed_rows = _tickets(api, closed_only="true")
    everything = _tickets(api)
    assert open_rows["record_count"] + closed_rows["record_count"] == everything["record_count"]
    assert all(statuses[r["status_id"]] != 2 for r in open_rows["tickets"])
    assert all(statuses[r["status_id"]] == 2 for r in closed_rows["tickets"])
    mine = _tickets(api, mine="true")
    assert all(r["agent_id"] == 1 for r in mine["tickets"])
    teams = {t["name"]: t["id"] for t in api.get("/Team").json()}
    by_name = _tickets(api, team="Network")
    by_id = _tickets(api, team=teams["Network"])
    assert by_name["record_count"] == by_id["record_count"] > 0
    assert all(r["team"] == "Network" for r in by_name["tickets"])
    cat = everything["tickets"][0]["category_1"]
    rows = _tickets(api, category_1=cat)["tickets"]
    assert rows and all(r["category_1"] == cat for r in rows)


def test_date_filters(api: httpx2.Client) -> None:
    everything = _tickets(api)
    newest = max(everything["tickets"], key=lambda t: t["dateoccurred"])["dateoccurred"]
    start = (datetime.fromisoformat(newest.replace("Z", "+00:00")) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S")
    recent = _tickets(api, datesearch="dateoccured", startdate=start)
    assert 0 < recent["record_count"] < everything["record_count"]
    assert all(r["dateoccurred"][:19] >= start for r in recent["tickets"])
    future = (datetime.now(UTC) + timedelta(days=3650)).strftime("%Y-%m-%d")
    assert _tickets(api, lastupdatefromdate=future)["record_count"] == 0
    assert _tickets(api, lastupdatetodate=future)["record_count"] == everything["record_count"]


def test_asset_filter_and_user_lists(api: httpx2.Client) -> None:
    with_assets = [t for t in api.get("/Tickets/1").json().get("assets", [])]
    if with_assets:
        aid = with_assets[0]["id"]
        rows = _tickets(api, asset_id=aid)["tickets"]
        assert any(r["id"] == 1 for r in rows)
    users = api.get("/Users", params={"client_id": 1, "pageinate": "true"}).json()
    assert users["users"] and all(u["client_id"] == 1 for u in users["users"])
    sites = api.get("/Site", params={"client_id": 1}).json()["sites"]
    assert sites and all(s["client_id"] == 1 for s in sites)
