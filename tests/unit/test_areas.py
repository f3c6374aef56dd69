"""The official districts and sub-districts (matcher.areas, from geothai) and the check a
group's or a buyer's sub-district passes where it enters the service: the code is an official
sub-district of the record's district, a name alone is looked up, a code alone gets its Thai
name, and a code and a name that disagree are refused."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from matcher import areas
from matcher.adapters.db.mapping import registry_of
from matcher.domain.errors import InvalidValue
from matcher.domain.model import GroupKind
from matcher.optimiser.schema import InstanceError, parse_instance
from matcher.reference import load_districts
from matcher.scenario import scaled_instance, songkhla_instance
from matcher.scenario.registry import group_details
from matcher.scenario.supply import GroupRec
from matcher.service import codec
from tests.support.builders import InstanceBuilder
from tests.support.market import buyer_body, group_body


def test_songkhla_has_its_16_districts_and_127_sub_districts() -> None:
    songkhla = areas.province()
    districts = areas.districts()

    assert songkhla == areas.Area("90", "สงขลา", "Songkhla")
    assert [d.code for d in districts] == [f"90{n:02d}" for n in range(1, 17)]
    assert sum(len(areas.subdistricts(d.code)) for d in districts) == 127
    assert all(s.code.startswith(d.code) for d in districts for s in areas.subdistricts(d.code))
    assert areas.source().startswith("geothai 3.")


def test_the_reference_districts_carry_the_official_codes_and_names() -> None:
    official = {d.code: d for d in areas.districts()}
    ours = load_districts()

    assert {d.code for d in ours} == set(official)
    different = [
        (d.code, d.name_th, d.name_en, official[d.code].name_th, official[d.code].name_en)
        for d in ours
        if (d.name_th, d.name_en) != (official[d.code].name_th, official[d.code].name_en)
    ]
    assert different == []


def test_phatong_is_901118_of_hat_yai_by_code_and_by_its_thai_or_english_name() -> None:
    phatong = areas.subdistrict("901118")

    assert phatong == areas.Area("901118", "พะตง", "Phatong")
    for written in ("พะตง", "ต.พะตง", "ตำบล พะตง", "Phatong", "pha-tong", " PHATONG "):
        assert areas.subdistrict_named("9011", written) == phatong, written
    assert areas.subdistrict_named("9001", "พะตง") is None  # not in Mueang Songkhla
    assert areas.subdistrict_named("9011", "") is None
    assert areas.district_named("อ.หาดใหญ่") == areas.district("9011")
    assert areas.district_named("Hat Yai") == areas.Area("9011", "หาดใหญ่", "Hat Yai")
    assert areas.subdistrict("901106") is None  # abolished in 2006


def test_another_province_is_a_parameter() -> None:
    surat = areas.districts("84")

    assert areas.province("84") == areas.Area("84", "สุราษฎร์ธานี", "Surat Thani")
    assert len(surat) == 19
    assert [s.name_en for s in areas.subdistricts("8405")] == ["Ko Pha-ngan", "Ban Tai", "Ko Tao"]
    assert areas.district_named("Ko Pha-ngan", "84") == areas.district("8405")
    assert areas.district_named("Ko Pha-ngan") is None  # not a district of Songkhla
    assert areas.districts("00") == ()
    assert areas.province("00") is None


@pytest.mark.parametrize(
    ("district", "code", "name", "expected"),
    [
        ("9011", "901118", "", ("901118", "พะตง")),
        ("9011", "901118", "พะตง", ("901118", "พะตง")),
        ("9011", "901118", "Phatong", ("901118", "พะตง")),
        ("9011", "", "ต.พะตง", ("901118", "พะตง")),
        ("9011", "", "Khuan Lang", ("901102", "ควนลัง")),
        ("9003", "", "นาทับ", ("900306", "นาทับ")),
        ("", "901118", "", ("901118", "พะตง")),  # no district: the code is checked on its own
        ("9011", "", "", ("", "")),
        ("", " ", " ", ("", "")),
        ("8405", "840503", "Ko Tao", ("840503", "เกาะเต่า")),
    ],
)
def test_a_sub_district_is_completed_to_its_official_code_and_thai_name(
    district: str, code: str, name: str, expected: tuple[str, str]
) -> None:
    assert areas.official_subdistrict(district, code, name) == expected


@pytest.mark.parametrize(
    ("district", "code", "name", "field", "words"),
    [
        ("9011", "901601", "", "subdistrict_code", ["901601", "หาดใหญ่", "9016", "คลองหอยโข่ง"]),
        ("9011", "901106", "พะตง", "subdistrict_code", ["no longer in use", "901601"]),
        ("9011", "901199", "", "subdistrict_code", ["901199", "no longer in use", "901201"]),
        ("9011", "909999", "", "subdistrict_code", ["909999", "not an official", "9011"]),
        ("", "909999", "", "subdistrict_code", ["not an official sub-district code"]),
        ("9011", "9011", "", "subdistrict_code", ["6-digit"]),
        ("9011", "๙๐๑๑๑๘", "", "subdistrict_code", ["6-digit"]),
        ("9011", "901118", "ควนลัง", "subdistrict", ["ควนลัง", "901118", "พะตง"]),
        ("9011", "", "Chana", "subdistrict", ["Chana", "หาดใหญ่", "พะตง"]),
        ("", "", "พะตง", "subdistrict", ["district"]),
        ("9099", "901118", "", "district", ["9099", "official district"]),
        ("Hat Yai", "901118", "", "district", ["4 digits"]),
    ],
)
def test_a_wrong_sub_district_is_refused_naming_the_field_and_the_district(
    district: str, code: str, name: str, field: str, words: list[str]
) -> None:
    with pytest.raises(InvalidValue) as err:
        areas.official_subdistrict(district, code, name)

    assert err.value.field == field
    for word in words:
        assert word in err.value.reason, err.value.reason


def test_groups_and_buyers_entering_the_service_are_checked_and_completed() -> None:
    by_name = codec.load_group(group_body(subdistrict="Phatong"))
    by_code = codec.load_buyer(buyer_body(subdistrict_code="900106"))

    assert (by_name.registry.subdistrict_code, by_name.registry.subdistrict) == ("901118", "พะตง")
    assert (by_code.registry.subdistrict_code, by_code.registry.subdistrict) == ("900106", "เกาะยอ")
    assert codec.load_group(group_body()).registry.subdistrict_code == ""
    with pytest.raises(InvalidValue) as err:
        codec.load_group(group_body(subdistrict_code="900106"))  # Ko Yo is in Mueang Songkhla
    assert err.value.field == "subdistrict_code"
    assert "9001" in err.value.reason
    with pytest.raises(InvalidValue) as err:
        codec.load_buyer(buyer_body(subdistrict="พะตง"))  # the buyer is in Mueang Songkhla
    assert err.value.field == "subdistrict"


def test_an_instance_file_names_the_group_whose_sub_district_is_wrong() -> None:
    doc: dict[str, Any] = InstanceBuilder().group("g1").build()
    doc["groups"][0] |= {"district": "9011", "subdistrict_code": "900106"}

    with pytest.raises(InstanceError) as err:
        parse_instance(doc)

    assert "groups[0].subdistrict_code" in str(err.value)


def test_a_stored_record_with_an_old_code_stays_readable() -> None:
    """Records stored before the check keep their code and name as they were given."""
    old = registry_of({"subdistrict_code": "901106", "subdistrict": "พะตง"})

    assert (old.subdistrict_code, old.subdistrict) == ("901106", "พะตง")


def test_every_scenario_group_has_an_official_sub_district_of_its_district() -> None:
    demo = songkhla_instance()
    by_name = {g["name_th"]: g for g in demo["groups"]}

    for g in demo["groups"]:
        given = (g["subdistrict_code"], g["subdistrict"])
        assert g["subdistrict_code"].startswith(g["district"]), g
        assert areas.official_subdistrict(g["district"], *given) == given
        carried = [
            s.name_th for s in areas.subdistricts(g["district"]) if s.name_th in g["name_th"]
        ]
        assert not carried or g["subdistrict"] in carried, g  # the one its name carries
    assert by_name["กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด"]["subdistrict_code"] == "901118"  # facts
    parse_instance(demo)  # the service takes them as they are


def test_a_group_name_gives_the_sub_district_ending_last_in_it() -> None:
    def place(name_th: str, district: str, number: int = 1) -> tuple[str, str]:
        group = GroupRec(
            id="g", name_th=name_th, name_en="G", kind=GroupKind.FARMER_GROUP, district=district,
            lat=7.0, lon=100.5, members=10, focus="vegetable",
        )  # fmt: skip
        details = group_details(number, group)
        return details["subdistrict_code"], details["subdistrict"]

    assert place("วิสาหกิจชุมชนผักปลอดภัยบ้านนาทับ", "9003") == ("900306", "นาทับ")  # not บ้านนา
    assert place("สหกรณ์การเกษตรบ้านขาว จำกัด 2", "9007") == ("900711", "บ้านขาว")
    assert place("กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด 3", "9011") == ("901118", "พะตง")
    assert place("กลุ่มอิ่มรักษ์สุขภาพ", "9011", 4) == ("901105", "คลองแห")  # by position
    assert place("กลุ่มอิ่มรักษ์สุขภาพ", "9011", 5) == ("901107", "คลองอู่ตะเภา")
    assert place("กลุ่มใหม่", "9999") == ("", "")  # not an official district


def test_scaled_groups_spread_over_sub_districts_the_same_way_for_a_seed() -> None:
    first = scaled_instance(order_weeks=200, groups=150, seed=3)
    again = scaled_instance(order_weeks=200, groups=150, seed=3)
    codes = [g["subdistrict_code"] for g in first["groups"]]

    assert codes == [g["subdistrict_code"] for g in again["groups"]]
    assert all(c.startswith(g["district"]) for c, g in zip(codes, first["groups"], strict=True))
    assert all(areas.subdistrict(c) is not None for c in codes)
    assert len(Counter(codes)) > 40  # not one sub-district per district
