"""The planning report's planting advice from the crop calendar: what to plant by which date
("ปลูกภายใน 9 ม.ค. 2570 เพื่อส่ง 23 ก.พ."), and flags for demand no planting can meet in time
(the first harvest would come after the delivery) or that falls in a month the crop does not
grow well in Songkhla. Products that are produced rather than planted (eggs, milled rice) get
"ผลิตและเสนอขาย" wording and no planting date. Pure: the calendar and today are passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from matcher.crop_calendar import CropSeason
from matcher.thaidates import MONTHS_EN, MONTHS_TH, short_english_date
from matcher.thaidates import short_thai_date as thai_date

Json = dict[str, Any]

PLANTING_COLUMNS = (
    "plant_by",
    "too_late_to_plant",
    "out_of_season",
    "planting_en",
    "planting_th",
)


def _timing(
    season: CropSeason, first: date, produced: bool, today: date | None
) -> tuple[date | None, bool, str, str]:
    """(plant-by date, too late, English, Thai) for the first delivery of a line."""
    deliver_th, deliver_en = thai_date(first, year=False), short_english_date(first, year=False)
    plant_by = None if produced else season.plant_by(first)
    if plant_by is None:
        return (
            None,
            False,
            f"Produce and offer before {deliver_en}",
            (f"ผลิตและเสนอขายก่อนส่ง {deliver_th}"),
        )
    by_th, by_en, days = (
        thai_date(plant_by),
        short_english_date(plant_by),
        season.days_to_first_harvest,
    )
    if today is not None and plant_by < today:
        return (
            plant_by,
            True,
            f"Too late to plant for {deliver_en}: about {days} days to the first harvest "
            f"(plant by {by_en})",
            f"ปลูกไม่ทันส่ง {deliver_th}: ตั้งแต่ปลูกถึงเก็บเกี่ยวครั้งแรกราว {days} วัน (ต้องปลูกภายใน {by_th})",
        )
    return (
        plant_by,
        False,
        f"Plant by {by_en} to deliver {deliver_en}",
        (f"ปลูกภายใน {by_th} เพื่อส่ง {deliver_th}"),
    )


def planting(
    line: Json,
    dates: Sequence[date],
    seasons: Mapping[str, CropSeason],
    *,
    produced: bool,
    today: date | None,
) -> Json:
    """The planting fields of a planning line (``PLANTING_COLUMNS``): empty advice when the
    crop is not in the calendar or the line has no date."""
    season = seasons.get(line["crop_id"])
    if season is None or not dates:
        return {
            "plant_by": None,
            "too_late_to_plant": False,
            "out_of_season": False,
            "planting_en": "",
            "planting_th": "",
        }
    first = min(dates)
    plant_by, late, en, th = _timing(season, first, produced, today)
    off = sorted({d.month for d in dates} - season.good_months)
    if off and not produced:
        en += "; " + ", ".join(MONTHS_EN[m - 1] for m in off)
        en += f" is not a good month for {line['crop_name_en']} in Songkhla"
        th += f"; เดือน{'และ'.join(MONTHS_TH[m - 1] for m in off)}"
        th += f"ไม่ใช่ช่วงที่{line['crop_name_th']}เติบโตดีในสงขลา"
    return {
        "plant_by": plant_by.isoformat() if plant_by else None,
        "too_late_to_plant": late,
        "out_of_season": bool(off) and not produced,
        "planting_en": en,
        "planting_th": th,
    }
