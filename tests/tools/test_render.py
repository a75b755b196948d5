"""The renderers against every value form Halo was recorded sending (halo-api-facts.md §17)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from halo_mcp.tools.render import compact, halo_datetime, is_empty, short_date, table


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("auditdate", "1899-12-30T00:00:00"),
        ("lastincomingemail", "0001-01-01T00:00:00"),
        ("targetdate", "1900-01-01T00:00:00"),
        ("chargerate", -1),
        ("auditstatus", -1),
        ("contract_id", -1),
        ("contract_id", -1.0),
        ("site_item_tax_code", -3),
        ("product_id", 0),
        ("autotaskid", 0),
        ("site_id", 0.0),
        ("category_2", ""),
        ("opptype", " "),
        ("starttime", "00:00:00"),
        ("customfields", []),
    ],
)
def test_every_recorded_unset_marker_is_unset(key: str, value: object) -> None:
    assert is_empty(key, value)
    assert compact({key: value}) == {}


@pytest.mark.parametrize(
    ("key", "value"),
    [("impact", 0), ("slatimeleft", -1.5), ("flagged", False), ("estimate", -0.0), ("quantity", 1), ("who_type", 0)],
)
def test_real_values_are_kept(key: str, value: object) -> None:
    assert not is_empty(key, value)


def test_ids_come_as_ints_doubles_or_strings() -> None:
    assert compact({"site_id": 18.0, "client_id": 12, "priority": "aeb80996-724c-e811-892e-b01041c8667a"}) == {
        "site_id": 18,
        "client_id": 12,
        "priority": "aeb80996-724c-e811-892e-b01041c8667a",
    }
    text, structured = table([{"id": 18.0, "client_id": -1, "name": "UK Trade", "note": ""}])
    assert structured == {"columns": ["id", "name"], "rows": [[18, "UK Trade"]]}
    assert "18|UK Trade" in text and "18.0" not in text and "-1" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-20T14:45:15.9746271Z", datetime(2024, 6, 20, 14, 45, 15, 974627, tzinfo=UTC)),
        ("2024-06-21T10:45:15.975Z", datetime(2024, 6, 21, 10, 45, 15, 975000, tzinfo=UTC)),
        ("2023-10-18T09:54:26.28", datetime(2023, 10, 18, 9, 54, 26, 280000, tzinfo=UTC)),  # naive = UTC
        ("2019-04-23T15:33:00", datetime(2019, 4, 23, 15, 33, tzinfo=UTC)),
        ("2022-09-26T16:15:38.897", datetime(2022, 9, 26, 16, 15, 38, 897000, tzinfo=UTC)),
        ("1899-12-30T00:00:00", None),
        ("0001-01-01T00:00:00", None),
    ],
)
def test_naive_and_z_dates_parse_with_any_fraction_length(value: str, expected: datetime | None) -> None:
    assert halo_datetime(value) == expected


def test_short_dates_read_the_same_whatever_the_form() -> None:
    forms = ("2024-06-20T14:45:15.9746271Z", "2024-06-20T14:45:15.97", "2024-06-20T14:45:15", "2024-06-20T14:45:15Z")
    assert {short_date(f) for f in forms} == {"2024-06-20T14:45Z"}
