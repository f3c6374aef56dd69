"""The planning report: unmet demand by crop, district and week, and the supply that would close it.

Each line is one cell of the still-open unfilled quantities
(:class:`~matcher.service.aggregates.UnmetCell`): those of one crop, buyers' district, ISO week,
reason and minimum standard. It says what supply would fill them: how much of which crop,
certified to which standard, where (within the strictest distance limit of the orders, from the
district), when (the delivery dates) and at what price at most. The suggestion names the action
the reason calls for, in English and Thai.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from matcher.crop_calendar import CropSeason, load_crop_calendar
from matcher.domain.model import Crop, Unit, thb
from matcher.service.aggregates import UnmetCell
from matcher.service.planting import PLANTING_COLUMNS, planting
from matcher.service.stats import Facts, supply_by_area
from matcher.thaidates import MONTHS_TH_SHORT

Json = dict[str, Any]

TIER_TH = {
    "ANY": "ไม่กำหนดมาตรฐาน",
    "SAFE": "ปลอดภัย (GAP ขึ้นไป)",
    "ORGANIC": "อินทรีย์ (เกษตรอินทรีย์ระบบรับรองแบบมีส่วนร่วม (PGS) ขึ้นไป)",
    "ORGANIC_CERTIFIED": "อินทรีย์ที่รับรองโดยหน่วยงานรับรอง",
    "EU": "อินทรีย์ EU",
    "USDA": "อินทรีย์ USDA",
    "COR": "อินทรีย์ COR",
}


ACTIONS: dict[str, tuple[str, str]] = {
    "no_supply": ("Grow and announce", "ปลูกและเสนอขาย"),
    "insufficient_supply": ("Grow and announce more", "ปลูกและเสนอขายเพิ่ม"),
    "capacity_taken": ("Grow and announce more", "ปลูกและเสนอขายเพิ่ม"),
    "standard_not_met": ("Certify groups for", "ให้กลุ่มได้รับการรับรองเพื่อส่ง"),
    "certificate_invalid": ("Renew certificates to deliver", "ต่ออายุใบรับรองเพื่อส่ง"),
    "crop_not_covered": ("Extend certificate scope to", "ขยายขอบเขตใบรับรองให้ครอบคลุม"),
    "no_food_safety_credential": (
        "Obtain a food-safety credential (GMP) for",
        "ขอใบรับรองความปลอดภัยอาหาร (GMP) สำหรับ",
    ),
    "out_of_range": ("Grow closer to the kitchens", "ปลูกใกล้ครัวมากขึ้น"),
    "price_too_high": ("Offer at a lower price", "เสนอขายในราคาที่ต่ำลง"),
    "too_late": (
        "Order further ahead (too close to delivery to propose):",
        "สั่งซื้อล่วงหน้าให้นานขึ้น (ใกล้วันส่งเกินกว่าจะเสนอสัญญาได้):",
    ),
    "supplier_limit": ("Groups able to deliver whole lots of", "กลุ่มที่ส่งได้ครบทั้งล็อต"),
    "below_min_lot": ("Groups taking smaller lots of", "กลุ่มที่รับล็อตเล็กลง"),
    "buyer_limit": ("More groups (buyer limit reached) for", "กลุ่มเพิ่ม (ครบจำนวนผู้ซื้อ) สำหรับ"),
}

CSV_COLUMNS = (
    "crop_id",
    "crop_name_en",
    "crop_name_th",
    "unit",
    "district",
    "district_name_en",
    "district_name_th",
    "week",
    "dates",
    "reason",
    "quantity",
    "orders",
    "buyers",
    "min_tier",
    "max_price_thb",
    "within_km",
    "suggestion_en",
    "suggestion_th",
    *PLANTING_COLUMNS,
)


@dataclass(frozen=True, slots=True)
class PlanningFilter:
    crop_id: str | None = None
    district: str | None = None
    week: str | None = None
    buyer_id: str | None = None

    def keeps(self, cell: UnmetCell) -> bool:
        """Whether the filter keeps a cell (``buyer_id`` is applied when the cells are made:
        :meth:`~matcher.service.stats.Facts.unmet_for`)."""
        return (
            (self.crop_id is None or cell.crop_id == self.crop_id)
            and (self.district is None or cell.district == self.district)
            and (self.week is None or cell.week == self.week)
        )


def planning_lines(
    f: Facts,
    where: PlanningFilter | None = None,
    seasons: Mapping[str, CropSeason] | None = None,
) -> list[Json]:
    """One line per (crop, district, week, reason, minimum standard), in that order, each with
    its planting advice from the crop calendar (``seasons``; the reference data's when None)."""
    where = where or PlanningFilter()
    calendar = load_crop_calendar() if seasons is None else seasons
    out: list[Json] = []
    for cell in sorted(f.unmet_for(where.buyer_id)):
        if not where.keeps(cell):
            continue
        crop = f.crops.get(cell.crop_id)
        d = f.districts.get(cell.district)
        row: Json = {
            "crop_id": cell.crop_id,
            "crop_name_th": crop.name_th if crop else cell.crop_id,
            "crop_name_en": crop.name_en if crop else cell.crop_id,
            "unit": crop.unit.value if crop else "kg",
            "district": cell.district,
            "district_name_th": d.name_th if d else cell.district,
            "district_name_en": d.name_en if d else cell.district,
            "week": cell.week,
            "reason": cell.reason,
            "quantity": cell.quantity,
            "orders": cell.orders,
            "buyers": list(cell.buyers),
            "dates": [day.isoformat() for day in cell.dates],
            "min_tier": cell.min_tier.value,
            "max_price_thb": float(thb(cell.max_price)) if cell.max_price is not None else None,
            "within_km": cell.within_km,
        }
        row["suggestion_en"], row["suggestion_th"] = suggestion(row | {"produced": produced(crop)})
        row |= planting(row, cell.dates, calendar, produced=produced(crop), today=f.today)
        out.append(row)
    return out


def produced(crop: Crop | None) -> bool:
    """Whether a product is produced rather than grown (eggs, milled rice): its advice says
    "ผลิตและเสนอขาย", never "ปลูก…ไข่ไก่"."""
    return crop is not None and (crop.processed or crop.unit is Unit.PIECE or crop.group == "egg")


def _verb(act_en: str, act_th: str, line: Json) -> tuple[str, str]:
    if not line.get("produced"):
        return act_en, act_th
    return act_en.replace("Grow", "Produce"), act_th.replace("ปลูก", "ผลิต")


def suggestion(line: Json) -> tuple[str, str]:
    """What would close the line, in English and Thai (the verb follows the product: grow
    vegetables, produce eggs)."""
    act_en, act_th = _verb(*ACTIONS.get(line["reason"], ("Supply", "จัดหา")), line)
    unit_en = "pieces" if line["unit"] == "piece" else "kg"
    unit_th = "ฟอง" if line["unit"] == "piece" else "กก."
    q = f"{line['quantity']:,}"
    days = [date.fromisoformat(d) for d in line["dates"]]
    dates_en = ", ".join(d.strftime("%d %b") for d in days)
    dates_th = ", ".join(f"{d.day} {MONTHS_TH_SHORT[d.month - 1]}" for d in days)
    en = (
        f"{act_en} {q} {unit_en} of {line['crop_name_en']} certified {line['min_tier']} "
        f"for {line['district_name_en']} in {line['week']} ({dates_en})"
    )
    th = (
        f"{act_th} {line['crop_name_th']} {q} {unit_th} มาตรฐาน{TIER_TH.get(line['min_tier'], '')} "
        f"ให้อำเภอ{line['district_name_th']} สัปดาห์ {line['week']} ({dates_th})"
    )
    if line["within_km"] is not None:
        en += f", within {line['within_km']:g} km"
        th += f" ภายในระยะ {line['within_km']:g} กม."
    if line["max_price_thb"] is not None:
        en += f", at most {line['max_price_thb']:,.2f} THB/{unit_en}"
        th += f" ราคาไม่เกิน {line['max_price_thb']:,.2f} บาท/{unit_th}"
    return en, th


def planning_report(f: Facts, where: PlanningFilter | None = None) -> Json:
    lines = planning_lines(f, where)
    return {
        "generated_at": f.generated_at.isoformat() if f.generated_at else None,
        "total": sum(line["quantity"] for line in lines),
        "lines": lines,
        "supply_by_area": supply_by_area(f),
    }


AREA_CSV_COLUMNS = (
    "level",
    "district",
    "district_name_th",
    "district_name_en",
    "subdistrict_code",
    "subdistrict",
    "groups",
    "members",
    "farm_area_rai",
    "announced",
    "contracted",
)


def planning_areas_csv(area: Json) -> str:
    """The groups' supply by area (``supply_by_area`` of the report) as one CSV table: first a
    row per district (``level`` "district", the sub-district columns empty), then a row per
    sub-district (``level`` "subdistrict", with its district's names, so that a spreadsheet can
    filter and sum on any column). Farm area in rai; announced and contracted in each crop's
    unit, summed over crops."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=AREA_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    names: dict[str, Json] = {}
    for row in area["by_district"]:
        names[row["district"]] = row
        writer.writerow(
            {k: row.get(k, "") for k in AREA_CSV_COLUMNS}
            | {"level": "district", "subdistrict_code": "", "subdistrict": ""}
        )
    for row in area["by_subdistrict"]:
        district = names.get(row["district"], {})
        writer.writerow(
            {k: row.get(k, "") for k in AREA_CSV_COLUMNS}
            | {
                "level": "subdistrict",
                "district_name_th": district.get("district_name_th", row["district"]),
                "district_name_en": district.get("district_name_en", row["district"]),
            }
        )
    return out.getvalue()


def planning_csv(lines: Sequence[Json]) -> str:
    """The report's lines as CSV (UTF-8 text; lists joined with spaces)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for line in lines:
        row = {k: line[k] for k in CSV_COLUMNS}
        row["dates"] = " ".join(line["dates"])
        row["buyers"] = " ".join(line["buyers"])
        row["max_price_thb"] = "" if line["max_price_thb"] is None else line["max_price_thb"]
        row["within_km"] = "" if line["within_km"] is None else line["within_km"]
        row["plant_by"] = line["plant_by"] or ""
        writer.writerow(row)
    return out.getvalue()
