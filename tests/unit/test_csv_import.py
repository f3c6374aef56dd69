"""CSV lines into message bodies, with per-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.adapters.messages import message_id_for, to_command
from matcher.domain.errors import InvalidValue
from producers.csv_import import count_lines, read_csv, row_to_body


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_order_line_with_a_weekly_schedule_becomes_an_order_body() -> None:
    body = row_to_body(
        "orders",
        {
            "id": "o1",
            "buyer_id": "hosp-hatyai",
            "crop_id": "kale",
            "quantity": "80",
            "start": "2026-12-07",
            "end": "2027-02-26",
            "weekdays": "mon;fri",
            "min_tier": "SAFE",
            "max_price": "35.00",
            "max_distance_km": "",
        },
    )
    assert body == {
        "id": "o1",
        "buyer_id": "hosp-hatyai",
        "crop_id": "kale",
        "quantity": 80,
        "min_tier": "SAFE",
        "max_price": "35.00",
        "schedule": {"start": "2026-12-07", "end": "2027-02-26", "weekdays": ["mon", "fri"]},
    }
    command = to_command("orders", body, "m1")
    assert len(command.order.deliveries) == 24  # type: ignore[attr-defined]


def test_a_supply_line_lists_its_weeks_as_week_colon_quantity() -> None:
    body = row_to_body(
        "supply",
        {
            "id": "s1",
            "group_id": "g1",
            "crop_id": "kale",
            "scheme": "PGS",
            "weeks": "2026-W50:120; 2026-W51:100",
            "asking_price": "28.50",
        },
    )
    assert body["weeks"] == {"2026-W50": 120, "2026-W51": 100}
    assert to_command("supply", body, "m").supply.asking_price == 2850  # type: ignore[attr-defined]


def test_good_lines_pass_and_bad_lines_carry_their_number_and_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,group_id,crop_id,scheme,weeks,asking_price\n"
        "s1,g1,kale,PGS,2026-W50:120,28\n"
        "s2,g1,kale,PGS,2026-W50,28\n"
        "s3,,kale,PGS,2026-W50:5,28\n"
        "s4,g1,kale,PGS,2026-W50:many,28\n",
    )
    lines = list(read_csv("supply", path))

    assert [line.number for line in lines] == [2, 3, 4, 5]
    assert lines[0].body is not None
    assert lines[0].error is None
    assert lines[1].error is not None
    assert "WEEK:QUANTITY" in lines[1].error
    assert lines[2].error == "group_id: is required"
    assert lines[3].error is not None
    assert "many" in lines[3].error
    assert count_lines(path) == 4


def test_a_file_without_a_required_column_is_refused_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "id,crop_id\ns1,kale\n")
    with pytest.raises(InvalidValue, match="missing column"):
        list(read_csv("supply", path))


def test_message_ids_are_stable_for_the_same_content_and_differ_otherwise() -> None:
    body = {"id": "o1", "quantity": 5}
    assert message_id_for("orders", body) == message_id_for("orders", dict(body))
    assert message_id_for("orders", body) != message_id_for("orders", body | {"quantity": 6})
    assert message_id_for("orders", body, "a") != message_id_for("orders", body, "b")


def test_an_order_line_may_set_max_suppliers() -> None:
    row = {
        "id": "o1",
        "buyer_id": "hosp-hatyai",
        "crop_id": "kale",
        "quantity": "80",
        "deliveries": "2026-12-07;2026-12-14",
        "max_suppliers": " 1 ",
    }
    body = row_to_body("orders", row)
    assert body["max_suppliers"] == 1
    order = to_command("orders", body, "m1").order  # type: ignore[attr-defined]
    assert order.max_suppliers == 1
    unset = row_to_body("orders", row | {"max_suppliers": ""})
    assert "max_suppliers" not in unset
    assert to_command("orders", unset, "m2").order.max_suppliers is None  # type: ignore[attr-defined]


def test_a_group_line_may_set_a_minimum_lot_and_a_weekly_buyer_limit() -> None:
    row = {
        "id": "g1",
        "name_th": "กลุ่มผักควนลัง",
        "name_en": "Khuan Lang vegetable group",
        "lat": "6.98",
        "lon": "100.41",
        "members": "14",
        "min_lot": "25",
        "max_buyers_per_week": "2",
    }
    body = row_to_body("groups", row)
    assert (body["min_lot"], body["max_buyers_per_week"]) == (25, 2)
    group = to_command("groups", body, "m1").group  # type: ignore[attr-defined]
    assert (group.min_lot, group.max_buyers_per_week) == (25, 2)
    bare = row_to_body("groups", row | {"min_lot": "", "max_buyers_per_week": ""})
    assert "min_lot" not in bare
    assert "max_buyers_per_week" not in bare
    plain = to_command("groups", bare, "m2").group  # type: ignore[attr-defined]
    assert (plain.min_lot, plain.max_buyers_per_week) == (None, None)


def test_bad_limits_in_a_file_are_reported_per_line_with_their_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,name_th,name_en,lat,lon,members,min_lot,max_buyers_per_week\n"
        "g1,ก,G1,6.98,100.41,14,25,2\n"
        "g2,ข,G2,6.98,100.41,14,a lot,2\n"
        "g3,ค,G3,6.98,100.41,14,,2.5\n"
        "g4,ง,G4,6.98,100.41,14,,\n",
    )
    lines = list(read_csv("groups", path))

    assert [line.error for line in lines] == [
        None,
        "min_lot: 'a lot' is not a whole number",
        "max_buyers_per_week: '2.5' is not a whole number",
        None,
    ]
    assert lines[0].body is not None
    assert lines[0].body["min_lot"] == 25
    assert lines[3].body is not None
    assert "min_lot" not in lines[3].body
    orders = write(
        tmp_path,
        "id,buyer_id,crop_id,quantity,deliveries,max_suppliers\n"
        "o1,b1,kale,80,2026-12-07,1\n"
        "o2,b1,kale,80,2026-12-07,one\n",
    )
    order_lines = list(read_csv("orders", orders))
    assert order_lines[0].body is not None
    assert order_lines[0].body["max_suppliers"] == 1
    assert order_lines[1].error == "max_suppliers: 'one' is not a whole number"
