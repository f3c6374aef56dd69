"""The scenario's flood week: the northeast monsoon (December–January) puts the low-lying fields
round Songkhla Lake and the Hat Yai basin under water for a week.

The instance carries it as a ``disruptions`` entry (kind ``flood``): the week, the districts, and
for each supply line of field produce grown there, how much of that week is lost and the id of
the line announced again without it. The message stream (:mod:`matcher.adapters.messages`)
turns it into a withdrawal of each flooded line and, when the line has other weeks, its
announcement again without the lost quantity: the contracts on the flooded line are cancelled,
their deliveries go back to the book, and the next round matches them with the groups that still
have produce.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from matcher.domain.weeks import iso_week
from matcher.scenario.parts import Season
from matcher.thaidates import short_english_date, short_thai_date

FLOOD_DISTRICTS: dict[str, float] = {
    "9007": 1.0,  # Ranot: rice plain between the lake and the sea
    "9008": 1.0,  # Krasae Sin: islands and shore of the lake
    "9002": 1.0,  # Sathing Phra: the lake shore of the peninsula
    "9015": 1.0,  # Singhanakhon: the lake shore south of the peninsula
    "9013": 1.0,  # Khuan Niang: the western lake shore
    "9014": 1.0,  # Bang Klam: the U-Taphao canal's lowland
    "9011": 0.6,  # Hat Yai: the basin floods in parts; upland farms still pick
}
"""The low-lying districts and the share of a flooded line's week that is lost in each (~)."""
FLOODED_CROP_GROUPS = frozenset({"leafy", "fruit_veg", "herb", "mushroom"})
"""Field produce the water ruins; milled rice in store, eggs and tree fruit come through."""
FIRST_DAY = (12, 15)
LAST_DAY = (1, 31)
"""The flood week is the first whole week of the season whose Monday falls from 15 December to
31 January (the heaviest northeast-monsoon rain in Songkhla)."""
REPLACEMENT_SUFFIX = "-flood"
REASON_TH = (
    "น้ำท่วมจากมรสุมตะวันออกเฉียงเหนือ ช่วง {first} ถึง {last}: แปลงผักในพื้นที่ลุ่มจมน้ำ ส่งผลผลิตตามที่เสนอขายไม่ได้"
)
REASON_EN = (
    "Northeast-monsoon flood from {first} to {last}: the low-lying fields are under water and "
    "cannot deliver what was offered"
)


def flood_week(season: Season) -> date | None:
    """The Monday of the season's flood week (None: the season has no week in the window)."""
    monday = season.start + timedelta(days=(7 - season.start.weekday()) % 7)
    while monday + timedelta(days=6) <= season.end:
        first = date(monday.year if monday.month == 12 else monday.year - 1, *FIRST_DAY)
        if first <= monday <= date(first.year + 1, *LAST_DAY):
            return monday
        monday += timedelta(days=7)
    return None


def flood_disruptions(instance: dict[str, Any], season: Season) -> list[dict[str, Any]]:
    """The flood of the season as the instance's ``disruptions`` (empty without a flood week)."""
    monday = flood_week(season)
    if monday is None:
        return []
    week = iso_week(monday)
    district = {g["id"]: g["district"] for g in instance["groups"]}
    crop_group = {c["id"]: c["group"] for c in instance["crops"]}
    lines: list[dict[str, Any]] = []
    for s in instance["supply"]:
        share = FLOOD_DISTRICTS.get(district[s["group_id"]], 0.0)
        offered = s["weeks"].get(week, 0)
        if share <= 0 or offered <= 0 or crop_group[s["crop_id"]] not in FLOODED_CROP_GROUPS:
            continue
        lost = offered if share >= 1 else round(offered * share)
        rest = {w: q for w, q in s["weeks"].items() if w != week}
        if offered - lost > 0:
            rest[week] = offered - lost
        lines.append(
            {
                "supply_id": s["id"],
                "group_id": s["group_id"],
                "crop_id": s["crop_id"],
                "district": district[s["group_id"]],
                "offered": offered,
                "lost": lost,
                "replacement_id": s["id"] + REPLACEMENT_SUFFIX if rest else None,
            }
        )
    last = monday + timedelta(days=6)
    th = {"first": short_thai_date(monday, year=False), "last": short_thai_date(last)}
    en = {"first": short_english_date(monday, year=False), "last": short_english_date(last)}
    return [
        {
            "kind": "flood",
            "week": week,
            "first_day": monday.isoformat(),
            "last_day": last.isoformat(),
            "districts": sorted(FLOOD_DISTRICTS),
            "reason_th": REASON_TH.format(**th),
            "reason_en": REASON_EN.format(**en),
            "supply": lines,
        }
    ]


def replacement(supply: dict[str, Any], line: dict[str, Any], week: str) -> dict[str, Any] | None:
    """The flooded line announced again without what the flood took (None: nothing left)."""
    if line["replacement_id"] is None:
        return None
    weeks = {w: q for w, q in supply["weeks"].items() if w != week}
    left = int(line["offered"]) - int(line["lost"])
    if left > 0:
        weeks[week] = left
    return {**supply, "id": line["replacement_id"], "weeks": dict(sorted(weeks.items()))}
