"""Dates and times as people in Thailand write them: Buddhist-era years (2026 is 2569), Thai
month names in full and short, and Thailand's clock (UTC+7 all year); a date and a moment
written out in Thai or English (the words from the label catalogue). No I/O of its own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from matcher.labels import Lang, label

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


def format_date(day: date, lang: Lang) -> str:
    """A date as written in the language: day, Thai month name and Buddhist-era year (2026 is
    2569) in Thai; ``7 December 2026`` in English."""
    year = day.year + BUDDHIST_ERA if lang == "th" else day.year
    return f"{day.day} {label(f'doc_month_{day.month}', lang)} {year}"


def format_time(at: datetime, lang: Lang) -> str:
    """A moment in Bangkok time: the Thai date and ``15.00`` with the catalogue's words, or
    ``7 December 2026, 15:00
    (Bangkok time)`` (a time without a zone is taken as UTC, as the service stores it)."""
    local = (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(BANGKOK)
    clock = f"{local.hour:02d}.{local.minute:02d}" if lang == "th" else f"{local:%H:%M}"
    return label("doc_date_time", lang).format(date=format_date(local.date(), lang), time=clock)


__all__ = [
    "BANGKOK",
    "BUDDHIST_ERA",
    "MONTHS_EN",
    "MONTHS_TH",
    "MONTHS_TH_SHORT",
    "format_date",
    "format_time",
    "short_english_date",
    "short_thai_date",
]
