"""The central database's fields: the registry of groups and buyers (sub-district, farm area,
contact person, registration number, tax id, provenance), the order's purchase-order number and
transport term, their JSON and CSV forms, the figures by district and sub-district, the planning
advice's verb, and eggs under livestock GAP."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from matcher.domain.contracts import UnfilledLine
from matcher.domain.errors import InvalidValue
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Crop,
    FarmerGroup,
    ForwardOrder,
    Location,
    Registry,
    SupplyAnnouncement,
    Unit,
    thai_tax_id_ok,
)
from matcher.domain.standards import Scheme, Tier
from matcher.optimiser.schema import parse_instance
from matcher.reference import load_districts, load_standards
from matcher.scenario.registry import tax_id
from matcher.service import codec, stats
from matcher.service.planning import planning_lines, suggestion
from matcher.service.stats import MarketFacts, supply_by_area
from producers.csv_import import row_to_body
from tests.support.builders import (
    DELIVERY,
    HAT_YAI,
    SONGKHLA_CITY,
    InstanceBuilder,
    filled_by_order,
    solve_and_validate,
    validator_allows,
)

REPO = Path(__file__).resolve().parents[2]

W50, W51 = "2026-W50", "2026-W51"
D50, D51 = date(2026, 12, 9), date(2026, 12, 16)
CROPS = {
    "kale": Crop("kale", "คะน้า", "Kale", Unit.KG, group="leafy"),
    "eggs": Crop("eggs", "ไข่ไก่", "Hen eggs", Unit.PIECE, group="egg"),
}
GROUPS = {
    "g1": FarmerGroup("g1", "กลุ่มหนึ่ง", "Group one", Location(7.0, 100.47), 20, district="9011"),
    "g2": FarmerGroup("g2", "กลุ่มสอง", "Group two", Location(7.2, 100.6), 15, district="9001"),
}
BUYERS = {
    "s1": Buyer("s1", "โรงเรียนหนึ่ง", "School one", BuyerKind.SCHOOL, Location(7.19, 100.59), "9001")
}
ORDERS = [
    ForwardOrder("o1", "s1", "kale", 100, (D50, D51), Tier.SAFE),
    ForwardOrder("o3", "s1", "eggs", 300, (D51,), Tier.SAFE),
]
SUPPLY = [
    SupplyAnnouncement("s-g1", "g1", "kale", Scheme.THAI_GAP, {W50: 80, W51: 100}, 4500),
    SupplyAnnouncement("s-g2", "g2", "eggs", Scheme.LIVESTOCK_GAP, {W51: 200}, 400),
]
UNFILLED = [
    UnfilledLine("o3", "s1", "eggs", D51, W51, 100, "insufficient_supply", "200 of 300"),
    UnfilledLine("o1", "s1", "kale", D50, W50, 20, "no_supply", "none"),
]


def facts(groups: dict[str, FarmerGroup] = GROUPS) -> MarketFacts:
    return stats.facts_of(
        today=date(2026, 12, 1),
        crops=CROPS,
        districts={d.code: d for d in load_districts()},
        groups=groups,
        buyers=BUYERS,
        orders=ORDERS,
        supply=SUPPLY,
        contracts=[],
        unfilled=UNFILLED,
        last_round=None,
        generated_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
    )


GROUP_JSON = {
    "id": "grp-phatong",
    "name_th": "กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด",
    "name_en": "Ban Khuan Khi Raet organic group",
    "lat": 6.97,
    "lon": 100.42,
    "members": 15,
    "district": "9011",
    "subdistrict_code": "901118",
    "subdistrict": "พะตง",
    "farm_area_rai": 42.5,
    "contact_name": "นางสมศรี ใจดี",
    "contact_position": "ประธานกลุ่ม",
    "registration_no": "4-90-11-06/1-0012",
    "tax_id": "0994000165501",
    "source_agency": "สำนักงานเกษตรอำเภอหาดใหญ่",
    "source_date": "2026-10-01",
}


def test_a_thai_tax_id_carries_its_check_digit() -> None:
    assert thai_tax_id_ok("0994000165501")
    assert not thai_tax_id_ok("0994000165502")  # the last digit is not the check digit
    assert not thai_tax_id_ok("099400016550")  # 12 digits
    assert not thai_tax_id_ok("099400016550a")
    assert not thai_tax_id_ok("๐๙๙๔๐๐๐๑๖๕๕๐๑")  # Thai digits are not accepted
    assert thai_tax_id_ok(tax_id("099300110001"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tax_id": "0994000165502"}, "tax_id"),
        ({"subdistrict_code": "9011"}, "subdistrict_code"),
        ({"farm_area_rai": -1.0}, "farm_area_rai"),
        ({"farm_area_rai": float("nan")}, "farm_area_rai"),
        ({"contact_name": "x" * 201}, "contact_name"),
    ],
)
def test_a_bad_registry_value_is_refused_naming_its_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidValue) as err:
        Registry(**changes)  # type: ignore[arg-type]
    assert err.value.field == field


def test_the_registry_goes_through_json_and_back() -> None:
    group = codec.load_group(GROUP_JSON)

    assert group.registry.subdistrict == "พะตง"
    assert group.registry.farm_area_rai == 42.5
    assert group.registry.source_date == date(2026, 10, 1)
    assert codec.dump_group(group) | {} == codec.dump_group(
        codec.load_group(codec.dump_group(group))
    )
    assert {k: codec.dump_group(group)[k] for k in GROUP_JSON} == GROUP_JSON | {"lat": 6.97}
    bare = codec.load_group(
        {k: GROUP_JSON[k] for k in ("id", "name_th", "name_en", "lat", "lon", "members")}
    )
    assert bare.registry == Registry()
    assert codec.dump_group(bare)["source_agency"] == ""
    assert codec.dump_group(bare)["source_date"] is None


def test_the_order_carries_its_purchase_order_and_transport_term() -> None:
    body = {"id": "o1", "buyer_id": "h1", "crop_id": "kale", "quantity": 10,
            "deliveries": ["2026-12-07"], "purchase_order_no": " e-GP 69129000123 ",
            "price_includes_transport": False}  # fmt: skip
    order = codec.load_order(body)

    assert order.purchase_order_no == "e-GP 69129000123"
    assert order.price_includes_transport is False
    assert codec.dump_order(order)["purchase_order_no"] == "e-GP 69129000123"
    plain = codec.load_order(
        {
            k: v
            for k, v in body.items()
            if k not in ("purchase_order_no", "price_includes_transport")
        }
    )
    assert (plain.purchase_order_no, plain.price_includes_transport) == ("", True)


def test_csv_lines_take_the_registry_and_order_columns() -> None:
    row = {k: str(v) for k, v in GROUP_JSON.items()}
    body = row_to_body("groups", row)
    group = codec.load_group(body)
    order = row_to_body(
        "orders",
        {"id": "o1", "buyer_id": "h1", "crop_id": "kale", "quantity": "5",
         "deliveries": "2026-12-07", "purchase_order_no": "PO-1", "price_includes_transport": "no"},
    )  # fmt: skip
    supply = row_to_body(
        "supply",
        {"id": "s1", "group_id": "g1", "crop_id": "rice_jasmine", "scheme": "GMP",
         "weeks": "2026-W50:10", "fda_no": "90-2-00155-2-0001"},
    )  # fmt: skip

    assert group.registry.tax_id == "0994000165501"  # the leading 0 kept as text
    assert body["farm_area_rai"] == 42.5
    assert order["price_includes_transport"] is False
    assert codec.load_order(order).purchase_order_no == "PO-1"
    assert supply["fda_no"] == "90-2-00155-2-0001"
    with pytest.raises(InvalidValue, match="yes/no"):
        row_to_body("orders", {"id": "o", "buyer_id": "b", "crop_id": "c", "quantity": "1",
                               "price_includes_transport": "perhaps"})  # fmt: skip
    with pytest.raises(InvalidValue) as err:
        codec.load_group(row_to_body("groups", row | {"tax_id": "1234567890123"}))
    assert err.value.field == "tax_id"


def test_supply_is_summed_by_district_and_by_sub_district() -> None:
    groups = dict(GROUPS)
    phatong = Registry(subdistrict_code="901118", subdistrict="พะตง", farm_area_rai=40.0)
    groups["g1"] = replace(groups["g1"], registry=phatong)
    tung = Registry(subdistrict="ทุ่งตำเสา", farm_area_rai=10.5)
    groups["g4"] = replace(groups["g1"], id="g4", members=5, registry=tung)
    f = facts(groups)

    area = supply_by_area(f)

    hat_yai = next(r for r in area["by_district"] if r["district"] == "9011")
    assert hat_yai["district_name_th"] == "หาดใหญ่"
    assert (hat_yai["groups"], hat_yai["members"], hat_yai["farm_area_rai"]) == (2, 25, 50.5)
    assert hat_yai["announced"] == 180 + 0  # g1's 80 + 100 kg; g4 announces nothing
    subs = {(r["district"], r["subdistrict"]): r for r in area["by_subdistrict"]}
    assert subs[("9011", "พะตง")]["subdistrict_code"] == "901118"
    assert subs[("9011", "พะตง")]["announced"] == 180
    assert subs[("9011", "ทุ่งตำเสา")]["groups"] == 1
    assert subs[("9001", "")]["groups"] == 1  # a group without a recorded sub-district
    assert sum(r["groups"] for r in area["by_subdistrict"]) == len(groups)


def test_the_planning_advice_produces_eggs_and_grows_vegetables() -> None:
    lines = planning_lines(facts())
    eggs = next(x for x in lines if x["crop_id"] == "eggs")

    assert eggs["suggestion_th"].startswith("ผลิตและเสนอขายเพิ่ม ไข่ไก่")
    assert eggs["suggestion_en"].startswith("Produce and announce more")
    assert "ปลูก" not in eggs["suggestion_th"]
    kale = {"reason": "no_supply", "unit": "kg", "quantity": 5, "dates": [], "crop_name_en": "Kale",
            "crop_name_th": "คะน้า", "min_tier": "SAFE", "district_name_en": "Hat Yai",
            "district_name_th": "หาดใหญ่", "week": "2026-W50", "within_km": None,
            "max_price_thb": None}  # fmt: skip
    assert suggestion(kale)[1].startswith("ปลูกและเสนอขาย คะน้า")
    rice = suggestion(kale | {"produced": True, "crop_name_th": "ข้าวสารหอมมะลิ"})
    assert rice[1].startswith("ผลิตและเสนอขาย ข้าวสารหอมมะลิ")


def test_eggs_need_livestock_gap_not_crop_gap() -> None:
    standards = load_standards()
    eggs = Crop("eggs", "ไข่ไก่", "Hen eggs", Unit.PIECE, group="egg")

    assert standards.applies_to(Scheme.LIVESTOCK_GAP, eggs.group)
    assert not standards.applies_to(Scheme.THAI_GAP, eggs.group)
    assert standards.applies_to(Scheme.THAI_GAP, "leafy")
    assert not standards.applies_to(Scheme.LIVESTOCK_GAP, "leafy")
    assert standards.applies_to(Scheme.PGS, eggs.group)  # organic schemes cover layers too
    assert standards.satisfies(Scheme.LIVESTOCK_GAP, Tier.SAFE)
    assert not standards.satisfies(Scheme.LIVESTOCK_GAP, Tier.ORGANIC)
    rule = standards.rule(Scheme.LIVESTOCK_GAP)
    assert "มกษ. 6909" in rule.name_th
    assert "กรมปศุสัตว์" in rule.name_th
    assert standards.rule(Scheme.PGS).name_th == "เกษตรอินทรีย์ระบบรับรองแบบมีส่วนร่วม (PGS)"


def test_a_supplys_fda_number_is_text_of_at_most_50_characters() -> None:
    base = SupplyAnnouncement("s", "g", "rice_jasmine", Scheme.GMP, {"2026-W50": 1})
    assert replace(base, fda_no=" 90-2-00155-2-0001 ").fda_no == "90-2-00155-2-0001"
    with pytest.raises(InvalidValue):
        replace(base, fda_no="9" * 51)


@pytest.mark.parametrize(("scheme", "filled"), [("THAI_GAP", 0), ("LIVESTOCK_GAP", 50)])
def test_an_egg_order_is_met_under_livestock_gap_and_not_under_crop_gap(
    scheme: str, filled: int
) -> None:
    builder = InstanceBuilder().group("g1", HAT_YAI).buyer("h1", "hospital", SONGKHLA_CITY)
    builder.certificate("g1", scheme)
    builder.supply("s1", "g1", crop="eggs", scheme=scheme, ask="3.50")
    builder.order("o1", "h1", crop="eggs", quantity=50, min_tier="SAFE")
    raw = builder.build()
    for crop in raw["crops"]:
        if crop["id"] == "eggs":
            crop["group"] = "egg"  # the reference catalogue's crop group of eggs
    raw["standards"] = json.loads((REPO / "data" / "standards.json").read_text(encoding="utf-8"))
    instance = parse_instance(raw)

    solution, report = solve_and_validate(instance)

    assert report.ok
    assert filled_by_order(solution).get("o1", 0) == filled
    if not filled:
        assert [u.reason.value for u in solution.unfilled] == ["crop_not_covered"]
        assert not validator_allows(instance, "s1", "o1", DELIVERY)


def test_a_border_patrol_police_school_is_run_by_a_head_teacher_and_recorded_by_the_bpp() -> None:
    from matcher.scenario import songkhla_instance

    buyers = {b["id"]: b for b in songkhla_instance(weeks=2, seed=1)["buyers"]}
    bpp = [b for i, b in buyers.items() if i.startswith("school-bpp-")]

    assert len(bpp) == 5
    assert {b["contact_position"] for b in bpp} == {"ครูใหญ่"}
    assert {b["source_agency"] for b in bpp} == {"กองบังคับการตำรวจตระเวนชายแดนภาค 4"}
    other = buyers["school-wat-khlong-hae"]
    assert (other["contact_position"], other["source_agency"]) == (
        "ผู้อำนวยการโรงเรียน",
        "สำนักงานศึกษาธิการจังหวัดสงขลา",
    )
