"""The crop calendar and the planning report's planting advice: plant-by dates in Thai (Buddhist
era), demand no planting can meet in time, months a crop does not grow well, produced goods."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.crop_calendar import CropSeason, load_crop_calendar, parse_crop_calendar
from matcher.domain.errors import InvalidValue
from matcher.reference import load_crops
from matcher.service.planting import planting
from matcher.thaidates import short_thai_date as thai_date

SEASONS = {
    "kale": CropSeason("kale", 45, frozenset(range(1, 11))),
    "eggs": CropSeason("eggs", None, frozenset(range(1, 13))),
}
KALE = {"crop_id": "kale", "crop_name_en": "Chinese kale", "crop_name_th": "คะน้า"}
EGGS = {"crop_id": "eggs", "crop_name_en": "Hen eggs", "crop_name_th": "ไข่ไก่"}


def test_thai_dates_use_short_months_and_the_buddhist_era() -> None:
    assert thai_date(date(2027, 1, 12)) == "12 ม.ค. 2570"
    assert thai_date(date(2027, 2, 23), year=False) == "23 ก.พ."


def test_a_line_says_by_which_date_to_plant() -> None:
    dates = [date(2027, 3, 2), date(2027, 2, 23)]
    got = planting(KALE, dates, SEASONS, produced=False, today=date(2026, 12, 7))
    assert got["plant_by"] == "2027-01-09"  # 45 days before 23 February
    assert got["planting_th"] == "ปลูกภายใน 9 ม.ค. 2570 เพื่อส่ง 23 ก.พ."
    assert got["planting_en"] == "Plant by 9 Jan 2027 to deliver 23 Feb"
    assert got["too_late_to_plant"] is False
    assert got["out_of_season"] is False


def test_demand_no_planting_can_meet_in_time_is_flagged() -> None:
    got = planting(KALE, [date(2026, 12, 21)], SEASONS, produced=False, today=date(2026, 12, 7))
    assert got["too_late_to_plant"] is True
    assert got["plant_by"] == "2026-11-06"
    assert got["planting_th"].startswith("ปลูกไม่ทันส่ง 21 ธ.ค.: ตั้งแต่ปลูกถึงเก็บเกี่ยวครั้งแรกราว 45 วัน")
    assert "Too late to plant for 21 Dec" in got["planting_en"]


def test_a_month_the_crop_does_not_grow_well_is_flagged() -> None:
    got = planting(KALE, [date(2027, 11, 29)], SEASONS, produced=False, today=date(2027, 6, 1))
    assert got["out_of_season"] is True
    assert got["planting_th"].endswith("; เดือนพฤศจิกายนไม่ใช่ช่วงที่คะน้าเติบโตดีในสงขลา")
    assert got["planting_en"].endswith("November is not a good month for Chinese kale in Songkhla")


def test_eggs_are_produced_and_offered_never_planted() -> None:
    got = planting(EGGS, [date(2027, 2, 23)], SEASONS, produced=True, today=date(2026, 12, 7))
    assert got["plant_by"] is None
    assert got["planting_th"] == "ผลิตและเสนอขายก่อนส่ง 23 ก.พ."
    assert "ปลูก" not in got["planting_th"]
    assert got["too_late_to_plant"] is False


def test_a_crop_missing_from_the_calendar_gets_no_advice() -> None:
    line = {"crop_id": "durian", "crop_name_en": "Durian", "crop_name_th": "ทุเรียน"}
    got = planting(line, [date(2027, 2, 23)], SEASONS, produced=False, today=None)
    assert got["planting_th"] == ""
    assert got["plant_by"] is None


def test_the_reference_calendar_covers_every_catalogue_crop_it_names() -> None:
    calendar = load_crop_calendar()
    crops = load_crops()
    assert set(calendar) <= set(crops)
    assert calendar["kale"].days_to_first_harvest == 45
    assert calendar["eggs"].days_to_first_harvest is None
    assert calendar["cabbage"].good_months == frozenset({12, 1, 2})
    for crop_id, season in calendar.items():  # produced goods have no planting time
        if crops[crop_id].processed or crop_id == "eggs":
            assert season.days_to_first_harvest is None, crop_id


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("kale,x,1;2,", "days_to_first_harvest"),
        ("kale,45,13,", "good_months"),
        ("kale,45,,", "good_months"),
    ],
)
def test_a_bad_row_is_refused_naming_the_line_and_column(row: str, where: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_crop_calendar("crop_id,days_to_first_harvest,good_months,note\n" + row + "\n")
    assert err.value.field == f"crop_calendar.csv:2.{where}"
