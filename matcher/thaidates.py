"""Dates and times as people in Thailand write them: Buddhist-era years (2026 is 2569), Thai
month names in full and short, and Thailand's clock (UTC+7 all year). Pure: no I/O."""

from __future__ import annotations

from datetime import date, timedelta, timezone

BUDDHIST_ERA = 543
"""Years to add to the common era's: 2026 is พ.ศ. 2569."""

BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
"""Thailand's time (UTC+7 all year: no daylight saving since 1920)."""

MONTHS_TH = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTHS_TH_SHORT = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def short_thai_date(day: date, *, year: bool = True) -> str:
    """``12 ม.ค. 2570``: the day, the short Thai month and the Buddhist-era year (or none)."""
    text = f"{day.day} {MONTHS_TH_SHORT[day.month - 1]}"
    return f"{text} {day.year + BUDDHIST_ERA}" if year else text


def short_english_date(day: date, *, year: bool = True) -> str:
    """``12 Jan 2027`` (or ``12 Jan``)."""
    text = f"{day.day} {MONTHS_EN[day.month - 1][:3]}"
    return f"{text} {day.year}" if year else text


__all__ = [
    "BANGKOK",
    "BUDDHIST_ERA",
    "MONTHS_EN",
    "MONTHS_TH",
    "MONTHS_TH_SHORT",
    "short_english_date",
    "short_thai_date",
]
