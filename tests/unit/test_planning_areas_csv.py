"""The planning report's supply by area as one CSV table a spreadsheet can filter and sum."""

from __future__ import annotations

import csv
import io

from matcher.service.planning import AREA_CSV_COLUMNS, planning_areas_csv

AREA = {
    "by_district": [
        {
            "district": "9011",
            "district_name_th": "หาดใหญ่",
            "district_name_en": "Hat Yai",
            "groups": 2,
            "members": 25,
            "farm_area_rai": 50.5,
            "announced": 180,
            "contracted": 60,
        },
        {
            "district": "9001",
            "district_name_th": "เมืองสงขลา",
            "district_name_en": "Mueang Songkhla",
            "groups": 1,
            "members": 20,
            "farm_area_rai": 0.0,
            "announced": 0,
            "contracted": 0,
        },
    ],
    "by_subdistrict": [
        {
            "district": "9011",
            "subdistrict_code": "901118",
            "subdistrict": "พะตง",
            "groups": 1,
            "members": 20,
            "farm_area_rai": 40.0,
            "announced": 180,
            "contracted": 60,
        },
        {
            "district": "9011",
            "subdistrict_code": "",
            "subdistrict": "ทุ่งตำเสา, หมู่ 3",
            "groups": 1,
            "members": 5,
            "farm_area_rai": 10.5,
            "announced": 0,
            "contracted": 0,
        },
        {
            "district": "9001",
            "subdistrict_code": "",
            "subdistrict": "",
            "groups": 1,
            "members": 20,
            "farm_area_rai": 0.0,
            "announced": 0,
            "contracted": 0,
        },
    ],
}


def test_districts_come_first_then_sub_districts_with_their_district_names() -> None:
    text = planning_areas_csv(AREA)
    table = list(csv.DictReader(io.StringIO(text)))

    assert text.splitlines()[0] == ",".join(AREA_CSV_COLUMNS)
    assert [r["level"] for r in table] == ["district"] * 2 + ["subdistrict"] * 3
    assert table[0] == {
        "level": "district",
        "district": "9011",
        "district_name_th": "หาดใหญ่",
        "district_name_en": "Hat Yai",
        "subdistrict_code": "",
        "subdistrict": "",
        "groups": "2",
        "members": "25",
        "farm_area_rai": "50.5",
        "announced": "180",
        "contracted": "60",
    }
    patong = table[2]
    assert (patong["district_name_th"], patong["subdistrict_code"], patong["subdistrict"]) == (
        "หาดใหญ่",
        "901118",
        "พะตง",
    )
    assert table[3]["subdistrict"] == "ทุ่งตำเสา, หมู่ 3"  # a comma stays inside its field
    assert table[4]["district_name_en"] == "Mueang Songkhla"


def test_sub_districts_add_up_to_their_district() -> None:
    table = list(csv.DictReader(io.StringIO(planning_areas_csv(AREA))))
    for district in AREA["by_district"]:
        subs = [
            r
            for r in table
            if r["level"] == "subdistrict" and r["district"] == district["district"]
        ]
        assert sum(int(r["groups"]) for r in subs) == district["groups"]
        assert sum(int(r["announced"]) for r in subs) == district["announced"]
        assert sum(float(r["farm_area_rai"]) for r in subs) == district["farm_area_rai"]
