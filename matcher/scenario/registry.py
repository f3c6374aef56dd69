"""The central database's details of the scenario's groups and kitchens: sub-district, farm area,
contact person, registration number, tax id and provenance (which agency supplied the record and
when).

Synthetic and deterministic: each value is derived from the record's id and position, without the
scenario's random stream (so the rest of the market is unchanged). The registration numbers and
tax ids are well-formed (a tax id carries its check digit) but belong to no real body; the
contact persons are invented names. Every group has an official sub-district of its district
(code and Thai name, :mod:`matcher.areas`): the one its name carries ("...บ้านคอหงส์" is in Kho
Hong), the one the reference facts state (Ban Khuan Khi Raet is in Phatong), or else one of the
district's sub-districts picked by the group's position.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from matcher.areas import Area, subdistricts
from matcher.domain.model import BuyerKind, GroupKind
from matcher.scenario.parts import BuyerRec
from matcher.scenario.supply import GroupRec

KNOWN_SUBDISTRICTS = {"กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด": "พะตง"}
"""Groups whose sub-district the facts file states (Ban Khuan Khi Raet, Phatong)."""

GIVEN_NAMES = (
    ("นาง", "สมศรี"),
    ("นาย", "สมชาย"),
    ("นาง", "วันเพ็ญ"),
    ("นาย", "ประเสริฐ"),
    ("นาง", "อำไพ"),
    ("นาย", "สุนทร"),
    ("นางสาว", "มาลี"),
    ("นาย", "อนันต์"),
)
"""(title, given name): the title goes with the name."""
FAMILY_NAMES = ("ใจดี", "ทองคำ", "แก้วมณี", "ศรีสุข", "บุญมา", "รักษ์ถิ่น", "หนูแก้ว", "ชูช่วย")

GROUP_POSITION = {
    GroupKind.COMMUNITY_ENTERPRISE: "ประธานวิสาหกิจชุมชน",
    GroupKind.COOPERATIVE: "ผู้จัดการสหกรณ์",
    GroupKind.FARMER_GROUP: "ประธานกลุ่ม",
}
GROUP_SOURCE = {
    GroupKind.COMMUNITY_ENTERPRISE: "สำนักงานเกษตรจังหวัดสงขลา (ทะเบียนวิสาหกิจชุมชน)",
    GroupKind.COOPERATIVE: "สำนักงานสหกรณ์จังหวัดสงขลา",
    GroupKind.FARMER_GROUP: "สำนักงานเกษตรจังหวัดสงขลา",
}
BUYER_POSITION = {
    BuyerKind.HOSPITAL: "หัวหน้ากลุ่มงานโภชนศาสตร์",
    BuyerKind.SCHOOL: "ผู้อำนวยการโรงเรียน",
    BuyerKind.PRISON: "หัวหน้าฝ่ายสวัสดิการผู้ต้องขัง",
}
BUYER_SOURCE = {
    BuyerKind.HOSPITAL: "สำนักงานสาธารณสุขจังหวัดสงขลา",
    BuyerKind.SCHOOL: "สำนักงานศึกษาธิการจังหวัดสงขลา",
    BuyerKind.PRISON: "กรมราชทัณฑ์",
}
BPP_SCHOOL = "bpp"
"""The subkind of the Border Patrol Police schools: a head teacher (ครูใหญ่) runs each, and
their records come from the Border Patrol Police, not the provincial education office."""
BPP_POSITION = "ครูใหญ่"
BPP_SOURCE = "กองบังคับการตำรวจตระเวนชายแดนภาค 4"
RECORDED = date(2026, 10, 1)
"""When the agencies supplied the demo's records (a few days apart)."""


def tax_id(first_twelve: str) -> str:
    """A 13-digit Thai tax id: the twelve digits and their check digit."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(first_twelve))
    return first_twelve + str((11 - total % 11) % 10)


def _person(n: int) -> str:
    title, given = GIVEN_NAMES[n % len(GIVEN_NAMES)]
    return f"{title}{given} {FAMILY_NAMES[(n * 3 + 1) % len(FAMILY_NAMES)]}"


def _subdistrict(number: int, group: GroupRec) -> Area | None:
    """The group's sub-district: the one the facts state, else the one its name carries (the
    one ending last in the name: "บ้านนาทับ" is in Na Thap, not Ban Na), else one picked by
    ``number``. None when the district is not an official one."""
    choices = subdistricts(group.district)
    known = KNOWN_SUBDISTRICTS.get(group.name_th.split(" ")[0])
    stated = next((s for s in choices if s.name_th == known), None)
    if stated is not None or not choices:
        return stated
    named = [s for s in choices if s.name_th in group.name_th]
    if named:
        return max(named, key=lambda s: (group.name_th.rfind(s.name_th) + len(s.name_th), s.code))
    return choices[number % len(choices)]


def group_details(number: int, group: GroupRec) -> dict[str, Any]:
    """The registry fields of the ``number``-th group (1-based)."""
    place = _subdistrict(number, group)
    out: dict[str, Any] = {
        "subdistrict_code": place.code if place is not None else "",
        "subdistrict": place.name_th if place is not None else "",
        "farm_area_rai": float(group.members * (4 + number % 5)),
        "contact_name": _person(number),
        "contact_position": GROUP_POSITION[group.kind],
        "source_agency": GROUP_SOURCE[group.kind],
        "source_date": (RECORDED + timedelta(days=number % 20)).isoformat(),
    }
    if group.kind is GroupKind.COMMUNITY_ENTERPRISE:
        out["registration_no"] = f"4-90-{group.district[2:]}-{number:02d}/1-{number:04d}"
    elif group.kind is GroupKind.COOPERATIVE:
        out["registration_no"] = f"สข {number:03d}/2550"
        out["tax_id"] = tax_id(f"099300{group.district[2:]}{number:04d}")
    return out


def buyer_details(number: int, buyer: BuyerRec) -> dict[str, Any]:
    """The registry fields of the ``number``-th kitchen (1-based)."""
    bpp = buyer.subkind == BPP_SCHOOL
    position = BPP_POSITION if bpp else BUYER_POSITION.get(buyer.kind, "ผู้จัดการฝ่ายจัดซื้อ")
    source = BPP_SOURCE if bpp else BUYER_SOURCE.get(buyer.kind, "สำนักงานพาณิชย์จังหวัดสงขลา")
    out: dict[str, Any] = {
        "contact_name": _person(number + 3),
        "contact_position": position,
        "source_agency": source,
        "source_date": (RECORDED + timedelta(days=number % 20)).isoformat(),
    }
    if buyer.kind in (BuyerKind.HOSPITAL, BuyerKind.SCHOOL, BuyerKind.PRISON):
        out["tax_id"] = tax_id(f"099400{number:06d}")  # government agencies: 0-9940-...
    return out
