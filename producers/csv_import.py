"""CSV files of participants, certificates, supply and orders, read line by line.

Each good line becomes a message; each bad line is reported with its number and reason. The
column sets are documented in docs/formats.md (section "CSV formats").
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.domain.errors import InvalidValue

LIST_SEPARATOR = ";"

REGISTRY_COLUMNS = (
    "subdistrict_code",
    "subdistrict",
    "farm_area_rai",
    "contact_name",
    "contact_position",
    "registration_no",
    "tax_id",
    "source_agency",
    "source_date",
)
"""The central database's optional columns of groups and buyers."""

COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required columns, optional columns)
    "groups": (
        ("id", "name_th", "name_en", "lat", "lon", "members"),
        ("kind", "district", "min_lot", "max_buyers_per_week", *REGISTRY_COLUMNS),
    ),
    "buyers": (
        ("id", "name_th", "name_en", "kind", "lat", "lon"),
        ("district", *REGISTRY_COLUMNS, "non_delivery_weekdays", "non_delivery_dates"),
    ),
    "certificates": (
        ("id", "group_id", "scheme", "valid_from", "valid_until"),
        ("crops", "crop_groups", "scopes", "certifier", "revoked_on"),
    ),
    "supply": (("id", "group_id", "crop_id", "scheme", "weeks"), ("asking_price", "fda_no")),
    "orders": (
        ("id", "buyer_id", "crop_id", "quantity"),
        (
            "deliveries",
            "start",
            "end",
            "weekdays",
            "min_tier",
            "max_price",
            "max_distance_km",
            "max_suppliers",
            "purchase_order_no",
            "price_includes_transport",
            "on_holiday",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    body: dict[str, Any] | None
    error: str | None = None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _number(text: str, field: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InvalidValue(field, f"{text!r} is not {what}") from None


def _weeks(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _split(text):
        week, sep, qty = part.partition(":")
        if not sep:
            raise InvalidValue("weeks", f"{part!r} is not WEEK:QUANTITY (e.g. 2026-W50:120)")
        out[week.strip()] = int(_number(qty.strip(), f"weeks.{week.strip()}", int))
    return out


_FLOAT_COLUMNS = ("lat", "lon", "max_distance_km", "farm_area_rai")
_BOOL_COLUMNS = ("price_includes_transport",)
_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _bool(text: str, field: str) -> bool:
    try:
        return _BOOLS[text.strip().lower()]
    except KeyError:
        raise InvalidValue(field, f"{text!r} is not yes/no (true/false)") from None


_INT_COLUMNS = ("members", "quantity", "max_suppliers", "min_lot", "max_buyers_per_week")
_LIST_COLUMNS = (
    "crops",
    "crop_groups",
    "scopes",
    "deliveries",
    "non_delivery_weekdays",
    "non_delivery_dates",
)


def _typed(column: str, text: str) -> Any:
    """A cell's value as its column's type (number, list, yes/no) or as the text."""
    if column in _FLOAT_COLUMNS:
        return _number(text, column, float)
    if column in _INT_COLUMNS:
        return _number(text, column, int)
    if column in _LIST_COLUMNS:
        return _split(text)
    if column in _BOOL_COLUMNS:
        return _bool(text, column)
    return text


def row_to_body(kind: str, row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as the JSON body of its kind (the instance-format shape)."""
    body = _filled_cells(kind, row)
    for column, value in list(body.items()):
        body[column] = _typed(column, value)
    if kind == "supply":
        body["weeks"] = _weeks(body["weeks"])
    if kind == "orders" and "deliveries" not in body:
        body["schedule"] = _schedule(body)
    return body


def _filled_cells(kind: str, row: dict[str, str]) -> dict[str, Any]:
    """The row's cells of the kind's columns, as text: every required one, and the optional ones
    that are not empty."""
    required, optional = COLUMNS[kind]
    cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
    for column in required:
        if not cells.get(column):
            raise InvalidValue(column, "is required")
    body: dict[str, Any] = {c: cells[c] for c in required}
    for column in optional:
        if cells.get(column):
            body[column] = cells[column]
    return body


def _schedule(body: dict[str, Any]) -> dict[str, Any]:
    """An order's schedule, taken out of its body's start, end and weekdays columns."""
    schedule: dict[str, Any] = {k: body.pop(k) for k in ("start", "end", "weekdays") if k in body}
    if "weekdays" in schedule:
        schedule["weekdays"] = _split(schedule["weekdays"])
    return schedule


def read_csv(kind: str, path: Path) -> Iterator[Line]:
    """Lines of a CSV file (line numbers count the header as line 1)."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(COLUMNS)}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS[kind][0] if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidValue("header", f"missing column(s): {', '.join(missing)}")
        for row in reader:
            number = reader.line_num
            try:
                yield Line(number, row_to_body(kind, row))
            except InvalidValue as err:
                yield Line(number, None, str(err))


def count_lines(path: Path) -> int:
    with path.open(encoding="utf-8-sig") as handle:
        return max(0, sum(1 for _ in handle) - 1)


ROAD_COLUMNS = (("group_id", "buyer_id", "km"), ("source",))
"""``foodmatch import roads``: a coordinator's measured road km per (group, buyer) pair."""


@dataclass(frozen=True, slots=True)
class RoadLine:
    number: int
    row: tuple[str, str, float, str] | None
    error: str | None = None


def _road_row(row: dict[str, str]) -> tuple[str, str, float, str]:
    group_id, buyer_id = (row.get("group_id") or "").strip(), (row.get("buyer_id") or "").strip()
    if not group_id or not buyer_id:
        raise InvalidValue("group_id/buyer_id", "both are needed")
    km = float(_number((row.get("km") or "").strip(), "km", float))
    return group_id, buyer_id, km, (row.get("source") or "").strip()


def read_road_distances(path: Path) -> Iterator[RoadLine]:
    """(group, buyer, km, source) per line (line numbers count the header as line 1)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ROAD_COLUMNS[0] if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidValue("header", f"missing column(s): {', '.join(missing)}")
        for row in reader:
            try:
                yield RoadLine(reader.line_num, _road_row(row))
            except InvalidValue as err:
                yield RoadLine(reader.line_num, None, str(err))
