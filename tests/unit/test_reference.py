"""The Songkhla reference dataset and its loaders."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from matcher.domain.errors import InvalidValue
from matcher.domain.model import BuyerKind, GroupKind, Unit
from matcher.domain.standards import Scheme, Tier
from matcher.reference import (
    data_dir,
    load_crops,
    load_districts,
    load_group_names,
    load_institutions,
    load_standards,
)

REPO_DATA = Path(__file__).resolve().parents[2] / "data"

# The facts table: certificate held -> tiers it satisfies without any scope.
FACTS_TABLE: dict[Scheme, set[Tier]] = {
    Scheme.NONE: {Tier.ANY},
    Scheme.THAI_GAP: {Tier.ANY, Tier.SAFE},
    Scheme.ORGANIC_CONVERSION: {Tier.ANY, Tier.SAFE},
    Scheme.PGS: {Tier.ANY, Tier.SAFE, Tier.ORGANIC},
    Scheme.ORGANIC_THAILAND: {Tier.ANY, Tier.SAFE, Tier.ORGANIC, Tier.ORGANIC_CERTIFIED},
    Scheme.ACT_IFOAM: {Tier.ANY, Tier.SAFE, Tier.ORGANIC, Tier.ORGANIC_CERTIFIED},
    Scheme.EU_ORGANIC: {Tier.ANY, Tier.SAFE, Tier.ORGANIC, Tier.ORGANIC_CERTIFIED, Tier.EU},
    Scheme.USDA_NOP: {Tier.ANY, Tier.SAFE, Tier.ORGANIC, Tier.ORGANIC_CERTIFIED, Tier.USDA},
    Scheme.COR: {Tier.ANY, Tier.SAFE, Tier.ORGANIC, Tier.ORGANIC_CERTIFIED, Tier.COR},
    Scheme.GMP: set(),
}


def test_data_dir_is_the_repository_data_folder_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FOODMATCH_DATA_DIR", raising=False)
    assert data_dir().resolve() == REPO_DATA


def test_sixteen_districts_with_dopa_codes() -> None:
    districts = load_districts()
    assert [d.code for d in districts] == [str(9001 + i) for i in range(16)]
    names = {d.code: (d.name_en, d.name_th) for d in districts}
    assert names["9011"] == ("Hat Yai", "หาดใหญ่")
    assert names["9001"] == ("Mueang Songkhla", "เมืองสงขลา")


def test_district_points_lie_in_songkhla_and_carry_their_marks() -> None:
    for district in load_districts():
        for point in (district.seat, district.centroid):
            assert 6.4 < point.lat < 7.9, district.code
            assert 100.1 < point.lon < 101.0, district.code
        assert "centroid:~" in district.approx
    na_thawi = next(d for d in load_districts() if d.code == "9004")
    assert "seat:?" in na_thawi.approx


def test_seventeen_moph_hospitals_and_songklanagarind() -> None:
    hospitals = [i for i in load_institutions() if i.buyer.kind is BuyerKind.HOSPITAL]
    subkinds = Counter(h.subkind for h in hospitals)
    assert subkinds == {"regional": 1, "general": 1, "community": 15, "university": 1}
    beds = {h.id: h.size for h in hospitals}
    assert beds["hosp-hatyai"] == 700
    assert beds["hosp-songkhla"] == 508
    assert beds["hosp-songklanagarind"] == 855
    community = [h for h in hospitals if h.subkind == "community"]
    assert sum(h.size for h in community) == 638
    assert all(30 <= h.size <= 120 and "size:?" in h.approx for h in community)
    assert all(h.size_unit == "beds" for h in hospitals)


def test_community_hospitals_stand_at_their_district_seat() -> None:
    seats = {d.code: d.seat for d in load_districts()}
    for inst in load_institutions():
        if inst.subkind == "community" and inst.id != "hosp-padangbesar":
            assert inst.buyer.location == seats[inst.buyer.district], inst.id


def test_five_correctional_institutions() -> None:
    prisons = [i for i in load_institutions() if i.buyer.kind is BuyerKind.PRISON]
    assert sorted(p.subkind for p in prisons) == [
        "central",
        "district",
        "drug_treatment",
        "provincial",
        "women",
    ]
    assert Counter(p.buyer.district for p in prisons) == {"9001": 4, "9004": 1}
    assert all(p.size_unit == "inmates" and p.size > 0 for p in prisons)


def test_schools_are_marked_as_samples_but_the_border_patrol_police_schools() -> None:
    schools = [i for i in load_institutions() if i.buyer.kind is BuyerKind.SCHOOL]
    bpp = [s for s in schools if s.subkind == "bpp"]
    samples = [s for s in schools if s.subkind != "bpp"]
    assert 10 <= len(samples) <= 16
    assert all(s.sample for s in samples)
    assert all(s.size_unit == "pupils" for s in schools)
    assert {s.subkind for s in samples} == {"primary", "expansion", "secondary"}
    assert not any(i.sample for i in load_institutions() if i.buyer.kind is not BuyerKind.SCHOOL)
    # the real ตชด. schools of Songkhla's border districts (data/README.md cites each)
    assert len(bpp) == 5
    assert not any(s.sample for s in bpp)
    assert all(s.buyer.name_th.startswith("โรงเรียนตำรวจตระเวนชายแดน") for s in bpp)
    assert {s.buyer.district for s in bpp} == {"9004", "9006", "9010"}  # Na Thawi, Saba Yoi, Sadao
    assert all(s.size <= 200 and "size:?" in s.approx for s in bpp)


def test_school_lunch_feeds_pre_primary_to_prathom_6_only() -> None:
    schools = {i.id: i for i in load_institutions() if i.buyer.kind is BuyerKind.SCHOOL}
    for school in schools.values():
        assert school.lunch_pupils is not None
        if school.subkind in ("primary", "bpp"):
            assert school.lunch_pupils == school.size, school.id
        elif school.subkind == "secondary":
            assert school.lunch_pupils == 0, school.id
        else:  # opportunity expansion: its kindergarten to Prathom 6 part
            assert 0 < school.lunch_pupils < school.size, school.id
    others = [i for i in load_institutions() if i.buyer.kind is not BuyerKind.SCHOOL]
    assert all(i.lunch_pupils is None for i in others)


def test_institution_ids_are_unique_and_districts_known() -> None:
    institutions = load_institutions()
    codes = {d.code for d in load_districts()}
    assert len({i.id for i in institutions}) == len(institutions)
    assert all(i.buyer.district in codes for i in institutions)
    assert all(i.buyer.name_th and i.buyer.name_en for i in institutions)


def test_every_crop_has_thai_and_english_names() -> None:
    crops = load_crops()
    assert len(crops) >= 20
    for crop in crops.values():
        assert crop.name_th.strip()
        assert crop.name_en.strip()
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in crop.name_th), crop.id
        assert crop.reference_price is not None
        assert crop.reference_price > 0


def test_crop_units_groups_and_processing() -> None:
    crops = load_crops()
    assert crops["eggs"].unit is Unit.PIECE
    assert crops["eggs"].group == "egg"
    assert all(c.unit is Unit.KG for c in crops.values() if c.id != "eggs")
    rice = {c.id for c in crops.values() if c.group == "staple"}
    assert rice == {"rice_jasmine", "rice_brown", "rice_sangyod"}
    assert {c.id for c in crops.values() if c.processed} == rice
    assert crops["kale"].name_th == "คะน้า"
    assert crops["kale"].reference_price == 2500
    assert crops["eggs"].reference_price == 300


@pytest.mark.parametrize("scheme", list(FACTS_TABLE))
@pytest.mark.parametrize("tier", list(Tier))
def test_standards_reproduce_every_cell_of_the_facts_table(scheme: Scheme, tier: Tier) -> None:
    assert load_standards().satisfies(scheme, tier) == (tier in FACTS_TABLE[scheme])


def test_gap_satisfies_safe_but_not_organic() -> None:
    standards = load_standards()
    assert standards.satisfies(Scheme.THAI_GAP, Tier.SAFE)
    assert not standards.satisfies(Scheme.THAI_GAP, Tier.ORGANIC)


def test_act_ifoam_meets_eu_or_cor_only_with_that_scope() -> None:
    standards = load_standards()
    assert not standards.satisfies(Scheme.ACT_IFOAM, Tier.EU)
    assert standards.satisfies(Scheme.ACT_IFOAM, Tier.EU, scopes=["EU"])
    assert standards.satisfies(Scheme.ACT_IFOAM, Tier.COR, scopes=["COR"])
    assert not standards.satisfies(Scheme.ACT_IFOAM, Tier.COR, scopes=["EU"])
    assert not standards.satisfies(Scheme.ACT_IFOAM, Tier.USDA, scopes=["EU", "COR"])


def test_none_needs_no_certificate_and_gmp_is_only_food_safety() -> None:
    standards = load_standards()
    assert not standards.rule(Scheme.NONE).needs_certificate
    assert standards.rule(Scheme.THAI_GAP).needs_certificate
    assert standards.rule(Scheme.GMP).satisfies == frozenset()
    assert standards.food_safety_schemes() == {Scheme.GMP}
    assert set(standards.rules) == set(Scheme)
    assert all(r.name_th and r.name_en for r in standards.rules.values())


def test_group_names_hold_the_real_groups_and_synthetic_stems() -> None:
    names = load_group_names()
    real = [n for n in names if n.real]
    assert {n.name_th for n in real} == {
        "กลุ่มปลูกผักกระแสสินธุ์",
        "กลุ่มเกษตรกรทุ่งขมิ้น",
        "กลุ่มเกษตรกรควนลัง",
        "กลุ่มอิ่มรักษ์สุขภาพ",
        "กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด",
    }
    khuan_khi_raet = next(n for n in real if "ควนขี้แรด" in n.name_th)
    assert khuan_khi_raet.scheme is Scheme.PGS
    assert khuan_khi_raet.district_code == "9011"
    synthetic = [n for n in names if not n.real]
    assert len(synthetic) >= 40
    assert len({n.name_th for n in names}) == len(names)
    assert len({n.name_en for n in names}) == len(names)
    assert {n.kind for n in names} == set(GroupKind)
    assert {n.district_code for n in names} == {d.code for d in load_districts()}


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(REPO_DATA, target)
    return target


def test_environment_variable_chooses_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_data(tmp_path)
    path = folder / "crops.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Chinese kale", "Kale"), "utf-8")
    monkeypatch.setenv("FOODMATCH_DATA_DIR", str(folder))
    assert data_dir() == folder
    assert load_crops()["kale"].name_en == "Kale"
    monkeypatch.delenv("FOODMATCH_DATA_DIR")
    assert load_crops()["kale"].name_en == "Chinese kale"


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        (
            "crops.csv",
            "kale,คะน้า,Chinese kale,kg",
            "kale,คะน้า,Chinese kale,ton",
            "crops.csv:2:unit",
        ),
        ("crops.csv", "leafy,false,25.00", "leafy,false,25.001", "crops.csv:2:reference_price_thb"),
        (
            "districts.csv",
            "9003,Chana,จะนะ,6.901",
            "9003,Chana,จะนะ,96.901",
            "districts.csv:4:seat_lat",
        ),
        ("institutions.csv", "regional,9011", "regional,9099", "institutions.csv:2:district_code"),
        ("institutions.csv", "700,beds", "700,pupils", "institutions.csv:2:size_unit"),
        ("institutions.csv", "700,beds,,", "700,beds,5,", "institutions.csv:2:lunch_pupils"),
        (
            "institutions.csv",
            "720,pupils,720,",
            "720,pupils,721,",
            "institutions.csv:25:lunch_pupils",
        ),
        ("group_names.csv", "9008,vegetable,,real", "9008,greens,,real", "group_names.csv:2:focus"),
    ],
)
def test_bad_rows_name_file_line_and_field(
    tmp_path: Path, file: str, old: str, new: str, where: str
) -> None:
    folder = _copy_data(tmp_path)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    loaders = {
        "crops.csv": load_crops,
        "districts.csv": load_districts,
        "institutions.csv": load_institutions,
        "group_names.csv": load_group_names,
    }
    with pytest.raises(InvalidValue) as caught:
        loaders[file](folder)
    assert caught.value.field == where


def test_broken_standards_file_is_reported(tmp_path: Path) -> None:
    folder = _copy_data(tmp_path)
    path = folder / "standards.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"SAFE"]', '"SAVE"]'), "utf-8")
    with pytest.raises(InvalidValue, match=r"standards\.json"):
        load_standards(folder)
