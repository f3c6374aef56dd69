from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from matcher.domain.errors import InvalidValue
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    Crop,
    FarmerGroup,
    ForwardOrder,
    Location,
    SupplyAnnouncement,
    Unit,
    WeeklySchedule,
    satang,
    thb,
)
from matcher.domain.standards import Scheme, StandardsRelation, Tier, parse_enum
from matcher.domain.weeks import iso_week, parse_week, week_monday, weeks_between
from tests.support.builders import STANDARDS

HERE = Location(7.0, 100.5)


def order(**overrides: Any) -> ForwardOrder:
    values: dict[str, Any] = {
        "id": "o1",
        "buyer_id": "b1",
        "crop_id": "kale",
        "quantity": 10,
        "deliveries": (date(2026, 12, 9),),
    }
    values.update(overrides)
    return ForwardOrder(**values)


def certificate(**overrides: Any) -> Certificate:
    values: dict[str, Any] = {
        "id": "c1",
        "group_id": "g1",
        "scheme": Scheme.PGS,
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2026, 12, 31),
    }
    values.update(overrides)
    return Certificate(**values)


def test_order_quantity_of_zero_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        order(quantity=0)
    assert caught.value.field == "quantity"
    assert "above 0" in caught.value.reason


def test_order_quantity_that_is_not_whole_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        order(quantity=2.5)
    assert caught.value.field == "quantity"
    assert "whole" in caught.value.reason


def test_order_without_deliveries_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        order(deliveries=())
    assert caught.value.field == "deliveries"


def test_order_deliveries_are_sorted() -> None:
    o = order(deliveries=(date(2026, 12, 10), date(2026, 12, 8)))
    assert o.deliveries == (date(2026, 12, 8), date(2026, 12, 10))
    assert o.weeks() == ["2026-W50"]


def test_order_with_a_delivery_date_given_twice_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        order(deliveries=(date(2026, 12, 10), date(2026, 12, 8), date(2026, 12, 10)))
    assert caught.value.field == "deliveries"
    assert "2026-12-10 is given twice (at positions 0 and 2)" in caught.value.reason


def test_order_with_negative_max_price_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        order(max_price=-1)
    assert caught.value.field == "max_price"
    assert "negative" in caught.value.reason


def test_order_with_zero_max_distance_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        order(max_distance_km=0.0)
    assert caught.value.field == "max_distance_km"


def test_negative_price_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        satang("-1.00", "asking_price")
    assert caught.value.field == "asking_price"
    assert "negative" in caught.value.reason


def test_price_with_three_decimals_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        satang("1.005", "max_price")
    assert caught.value.field == "max_price"
    assert "2 decimals" in caught.value.reason


@pytest.mark.parametrize("value", ["abc", "", "nan", "Infinity", True, None])
def test_price_that_is_not_a_finite_amount_is_rejected(value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        satang(value, "price")
    assert caught.value.field == "price"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30.00", 3000), ("30.01", 3001), (30, 3000), (12.5, 1250), ("0", 0), (" 7.5 ", 750)],
)
def test_price_in_thb_is_read_as_whole_satang(value: object, expected: int) -> None:
    assert satang(value, "price") == expected


@pytest.mark.parametrize(
    ("amount", "text"), [(0, "0.00"), (5, "0.05"), (1234, "12.34"), (3000, "30.00"), (-5, "-0.05")]
)
def test_satang_are_written_as_thb(amount: int, text: str) -> None:
    assert thb(amount) == text


@pytest.mark.parametrize("amount", [0, 1, 99, 100, 101, 123456789])
def test_thb_text_reads_back_to_the_same_satang(amount: int) -> None:
    assert satang(thb(amount), "price") == amount


@pytest.mark.parametrize("text", ["2026-50", "2026-W5", "26-W50", "2026-W00", "2025-W53", "W50"])
def test_malformed_iso_week_is_rejected_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_week(text, "weeks")
    assert caught.value.field == "weeks"
    assert text in caught.value.reason


def test_iso_week_53_exists_only_in_long_years() -> None:
    assert parse_week("2026-W53") == "2026-W53"
    with pytest.raises(InvalidValue):
        parse_week("2025-W53")


def test_iso_week_of_a_day_and_its_monday() -> None:
    assert iso_week(date(2026, 12, 9)) == "2026-W50"
    assert week_monday("2026-W50") == date(2026, 12, 7)
    # 1 January 2027 is a Friday and belongs to the last ISO week of 2026.
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_weeks_between_lists_every_week_touched() -> None:
    assert weeks_between(date(2026, 12, 13), date(2026, 12, 21)) == [
        "2026-W50",
        "2026-W51",
        "2026-W52",
    ]


def test_supply_with_bad_week_names_the_week_in_the_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        SupplyAnnouncement("s1", "g1", "kale", Scheme.PGS, {"2026-50": 10})
    assert caught.value.field == "quantities.2026-50"


@pytest.mark.parametrize("qty", [0, -3, 1.5, True])
def test_supply_quantity_must_be_a_whole_number_above_zero(qty: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        SupplyAnnouncement("s1", "g1", "kale", Scheme.PGS, {"2026-W50": qty})  # type: ignore[dict-item]
    assert caught.value.field == "quantities.2026-W50"


def test_supply_without_weeks_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        SupplyAnnouncement("s1", "g1", "kale", Scheme.PGS, {})
    assert caught.value.field == "quantities"


def test_certificate_valid_until_before_valid_from_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        certificate(valid_from=date(2026, 6, 1), valid_until=date(2026, 5, 31))
    assert caught.value.field == "valid_until"
    assert "before" in caught.value.reason


def test_certificate_of_scheme_none_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        certificate(scheme=Scheme.NONE)
    assert caught.value.field == "scheme"


def test_certificate_is_valid_from_first_to_last_day_inclusive() -> None:
    cert = certificate(valid_from=date(2026, 3, 1), valid_until=date(2026, 3, 31))
    assert not cert.valid_on(date(2026, 2, 28))
    assert cert.valid_on(date(2026, 3, 1))
    assert cert.valid_on(date(2026, 3, 31))
    assert not cert.valid_on(date(2026, 4, 1))


def test_revoked_certificate_is_invalid_from_the_revocation_day() -> None:
    cert = certificate(revoked_on=date(2026, 6, 10))
    assert cert.valid_on(date(2026, 6, 9))
    assert not cert.valid_on(date(2026, 6, 10))


def test_certificate_scope_covers_listed_crops_and_crop_groups() -> None:
    kale = Crop("kale", "คะน้า", "Chinese kale", Unit.KG, group="leafy")
    rice = Crop("rice", "ข้าวสาร", "Milled rice", Unit.KG, group="staple")
    assert certificate().covers(kale)
    assert certificate(crops=frozenset({"kale"})).covers(kale)
    assert not certificate(crops=frozenset({"kale"})).covers(rice)
    assert certificate(crop_groups=frozenset({"staple"})).covers(rice)
    assert not certificate(crop_groups=frozenset({"staple"})).covers(kale)


def test_schedule_end_before_start_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        WeeklySchedule(date(2026, 12, 10), date(2026, 12, 1))
    assert caught.value.field == "schedule.end"


def test_schedule_with_unknown_weekday_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        WeeklySchedule(date(2026, 12, 1), date(2026, 12, 31), ("mon", "funday"))
    assert caught.value.field == "schedule.weekdays.1"
    assert "funday" in caught.value.reason


def test_schedule_without_weekdays_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        WeeklySchedule(date(2026, 12, 1), date(2026, 12, 31), ())
    assert caught.value.field == "schedule.weekdays"


def test_schedule_longer_than_two_years_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        WeeklySchedule(date(2026, 1, 1), date(2029, 1, 1))
    assert caught.value.field == "schedule.end"


def test_weekly_schedule_expands_to_its_delivery_dates() -> None:
    schedule = WeeklySchedule(date(2026, 12, 1), date(2026, 12, 17), ("mon", "thu"))
    assert schedule.dates() == (
        date(2026, 12, 3),
        date(2026, 12, 7),
        date(2026, 12, 10),
        date(2026, 12, 14),
        date(2026, 12, 17),
    )


def test_order_on_schedule_takes_the_schedule_dates() -> None:
    schedule = WeeklySchedule(date(2026, 12, 7), date(2026, 12, 20), ("wed",))
    o = ForwardOrder.on_schedule(
        id="o1", buyer_id="b1", crop_id="kale", quantity=5, schedule=schedule
    )
    assert o.deliveries == (date(2026, 12, 9), date(2026, 12, 16))
    assert o.weeks() == ["2026-W50", "2026-W51"]


def test_order_on_a_schedule_without_any_delivery_day_is_rejected() -> None:
    schedule = WeeklySchedule(date(2026, 12, 8), date(2026, 12, 9), ("mon",))
    with pytest.raises(InvalidValue) as caught:
        ForwardOrder.on_schedule(
            id="o1", buyer_id="b1", crop_id="kale", quantity=5, schedule=schedule
        )
    assert caught.value.field == "schedule"


@pytest.mark.parametrize(
    ("lat", "lon", "field"), [(90.5, 100.0, "lat"), (-91.0, 0.0, "lat"), (7.0, 180.01, "lon")]
)
def test_location_out_of_range_is_rejected(lat: float, lon: float, field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Location(lat, lon)
    assert caught.value.field == field
    assert "outside" in caught.value.reason


def test_group_needs_at_least_one_member() -> None:
    with pytest.raises(InvalidValue) as caught:
        FarmerGroup("g1", "กลุ่ม", "Group", HERE, members=0)
    assert caught.value.field == "members"


def test_empty_name_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        Buyer("b1", "โรงพยาบาล", "  ", BuyerKind.HOSPITAL, HERE)
    assert caught.value.field == "name_en"
    assert "empty" in caught.value.reason


def test_crop_with_negative_reference_price_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        Crop("kale", "คะน้า", "Chinese kale", Unit.KG, reference_price=-100)
    assert caught.value.field == "reference_price"


def test_invalid_value_can_be_placed_under_a_prefix() -> None:
    err = InvalidValue("quantity", "0 must be above 0").within("orders[3]")
    assert err.field == "orders[3].quantity"
    assert str(err) == "orders[3].quantity: 0 must be above 0"


def test_unknown_enum_value_lists_the_allowed_values() -> None:
    assert parse_enum(Tier, "organic", "min_tier") is Tier.ORGANIC
    with pytest.raises(InvalidValue) as caught:
        parse_enum(Tier, "PLATINUM", "min_tier")
    assert caught.value.field == "min_tier"
    assert "ORGANIC_CERTIFIED" in caught.value.reason


def test_standards_relation_follows_its_data() -> None:
    relation = StandardsRelation.from_mapping(STANDARDS)
    assert relation.satisfies(Scheme.THAI_GAP, Tier.SAFE)
    assert not relation.satisfies(Scheme.THAI_GAP, Tier.ORGANIC)
    assert relation.satisfies(Scheme.PGS, Tier.ORGANIC)
    assert not relation.satisfies(Scheme.PGS, Tier.ORGANIC_CERTIFIED)
    assert not relation.satisfies(Scheme.ACT_IFOAM, Tier.EU)
    assert relation.satisfies(Scheme.ACT_IFOAM, Tier.EU, scopes={"EU"})
    assert not relation.satisfies(Scheme.ACT_IFOAM, Tier.EU, scopes={"COR"})
    assert relation.food_safety_schemes() == frozenset({Scheme.GMP})


def test_standards_relation_with_unknown_scheme_names_the_place() -> None:
    with pytest.raises(InvalidValue) as caught:
        StandardsRelation.from_mapping({"schemes": {"MOON_ORGANIC": {"satisfies": ["ANY"]}}})
    assert caught.value.field == "standards.schemes.MOON_ORGANIC"
