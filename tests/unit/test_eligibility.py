"""Each eligibility rule at its edge, checked through solve() and through the validator."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matcher.optimiser.solve import solve
from tests.support.builders import (
    DELIVERY,
    HAT_YAI,
    SONGKHLA_CITY,
    WEEK,
    InstanceBuilder,
    filled_by_order,
    road_km,
    solve_and_validate,
    validator_allows,
    week_after,
    week_day,
)

DAY_BEFORE = DELIVERY - timedelta(days=1)
DAY_AFTER = DELIVERY + timedelta(days=1)
QUANTITY = 50


def market(
    *,
    scheme: str = "THAI_GAP",
    min_tier: str = "SAFE",
    crop: str = "kale",
    ask: str | None = "30.00",
    max_price: str | None = None,
    max_distance_km: float | None = None,
    certificate: bool = True,
    **cert: object,
) -> InstanceBuilder:
    """One group (Hat Yai) offering 100 units, one hospital (Songkhla city) ordering 50."""
    b = InstanceBuilder().group("g1", HAT_YAI).buyer("h1", "hospital", SONGKHLA_CITY)
    if certificate:
        b.certificate("g1", scheme, **cert)  # type: ignore[arg-type]
    b.supply("s1", "g1", crop=crop, scheme=scheme, ask=ask)
    b.order(
        "o1",
        "h1",
        crop=crop,
        quantity=QUANTITY,
        min_tier=min_tier,
        max_price=max_price,
        max_distance_km=max_distance_km,
    )
    return b


def assert_matched(builder: InstanceBuilder, day: date = DELIVERY) -> None:
    instance = builder.instance()
    solution, _ = solve_and_validate(instance)
    assert filled_by_order(solution) == {"o1": QUANTITY}
    assert solution.unfilled == ()
    assert validator_allows(instance, "s1", "o1", day)


def assert_not_matched(builder: InstanceBuilder, reason: str, day: date = DELIVERY) -> None:
    instance = builder.instance()
    solution, _ = solve_and_validate(instance)
    assert solution.allocations == ()
    assert [(u.order_id, u.quantity, u.reason.value) for u in solution.unfilled] == [
        ("o1", QUANTITY, reason)
    ]
    assert solution.unfilled[0].detail
    assert not validator_allows(instance, "s1", "o1", day)


# Certificate validity -------------------------------------------------------------------


def test_certificate_expiring_the_day_before_delivery_is_not_matched() -> None:
    assert_not_matched(market(valid_until=DAY_BEFORE), "certificate_invalid")


def test_certificate_expiring_on_the_delivery_day_is_matched() -> None:
    assert_matched(market(valid_until=DELIVERY))


def test_certificate_starting_the_day_after_delivery_is_not_matched() -> None:
    assert_not_matched(market(valid_from=DAY_AFTER), "certificate_invalid")


def test_certificate_starting_on_the_delivery_day_is_matched() -> None:
    assert_matched(market(valid_from=DELIVERY))


def test_certificate_revoked_on_the_delivery_day_is_not_matched() -> None:
    assert_not_matched(market(revoked_on=DELIVERY), "certificate_invalid")


def test_certificate_revoked_the_day_after_delivery_is_still_matched() -> None:
    assert_matched(market(revoked_on=DAY_AFTER))


def test_certificate_lapsing_mid_season_serves_only_the_deliveries_before_it_lapses() -> None:
    second_week = week_after(WEEK)
    second_day = week_day(second_week)
    b = InstanceBuilder().group("g1").buyer("h1")
    b.certificate("g1", "PGS", valid_until=second_day - timedelta(days=1))
    b.supply("s1", "g1", scheme="PGS", weeks={WEEK: 100, second_week: 100})
    b.order("o1", "h1", quantity=40, deliveries=[DELIVERY, second_day])
    instance = b.instance()
    solution, _ = solve_and_validate(instance)
    assert [(a.day, a.quantity) for a in solution.allocations] == [(DELIVERY, 40)]
    assert [(u.day, u.reason.value) for u in solution.unfilled] == [
        (second_day, "certificate_invalid")
    ]
    assert validator_allows(instance, "s1", "o1", DELIVERY)
    assert not validator_allows(instance, "s1", "o1", second_day)


# Distance ---------------------------------------------------------------------------------


def test_group_just_outside_the_radius_is_not_matched() -> None:
    km = road_km(HAT_YAI, SONGKHLA_CITY)
    assert_not_matched(market(max_distance_km=round(km - 0.01, 2)), "out_of_range")


def test_group_exactly_at_the_radius_is_matched() -> None:
    assert_matched(market(max_distance_km=road_km(HAT_YAI, SONGKHLA_CITY)))


def test_default_radius_applies_to_orders_without_their_own() -> None:
    km = road_km(HAT_YAI, SONGKHLA_CITY)
    assert_not_matched(
        market().parameters(default_max_distance_km=round(km - 0.01, 2)), "out_of_range"
    )
    assert_matched(market().parameters(default_max_distance_km=km))


def test_road_factor_decides_the_distance_checked_against_the_radius() -> None:
    straight = road_km(HAT_YAI, SONGKHLA_CITY, road_factor=1.0)
    assert_matched(market(max_distance_km=straight).parameters(road_factor=1.0))
    assert_not_matched(market(max_distance_km=straight).parameters(road_factor=1.1), "out_of_range")


def test_road_table_puts_a_pair_out_of_range_although_the_straight_line_is_close() -> None:
    assert road_km(HAT_YAI, SONGKHLA_CITY) < 30.0
    assert_not_matched(market(max_distance_km=30.0).road("g1", "h1", 80.0), "out_of_range")


def test_road_table_distance_within_the_radius_is_matched() -> None:
    assert_matched(market(max_distance_km=30.0).road("g1", "h1", 29.99))


def add_distant_decoys(b: InstanceBuilder) -> InstanceBuilder:
    """Uncertified supply on a lattice over southern Thailand, so the candidate grid is full."""
    for i in range(12):
        for j in range(12):
            b.group(f"x{i}-{j}", (5.0 + 0.3 * i, 99.0 + 0.3 * j))
            b.supply(f"sx{i}-{j}", f"x{i}-{j}")
    return b


def test_road_table_shorter_than_the_straight_line_is_matched() -> None:
    far = (6.6, 100.4)
    assert road_km(far, SONGKHLA_CITY) > 60.0
    b = InstanceBuilder().group("g1", far).certificate("g1", "THAI_GAP").buyer("h1")
    b.supply("s1", "g1").order("o1", "h1", quantity=QUANTITY, max_distance_km=30.0)
    assert_matched(add_distant_decoys(b.road("g1", "h1", 20.0)))


def test_distance_rounding_to_10_m_is_honoured_at_the_edge_of_the_search_grid() -> None:
    # The straight line is 11.1212 km, which rounds to the 11.12 km limit; the group sits just
    # across a grid-cell boundary from the buyer's search box.
    group_at, buyer_at = (7.10001, 100.5), (6.999995, 100.5)
    assert road_km(group_at, buyer_at, road_factor=1.0) == 11.12
    b = InstanceBuilder().parameters(road_factor=1.0).buyer("h1", at=buyer_at)
    b.group("g1", group_at).certificate("g1", "THAI_GAP").supply("s1", "g1")
    b.order("o1", "h1", quantity=QUANTITY, max_distance_km=11.12)
    assert_matched(add_distant_decoys(b))


# Price ------------------------------------------------------------------------------------


def test_price_one_satang_above_the_max_price_is_not_matched() -> None:
    assert_not_matched(market(ask="30.01", max_price="30.00"), "price_too_high")


def test_price_equal_to_the_max_price_is_matched() -> None:
    assert_matched(market(ask="30.00", max_price="30.00"))


def test_reference_price_is_checked_when_the_group_names_no_ask() -> None:
    b = market(crop="herb", ask=None, max_price="100.00")
    b.crop("herb", group="herbs", reference_price="100.01")
    assert_not_matched(b, "price_too_high")
    b = market(crop="herb", ask=None, max_price="100.00")
    b.crop("herb", group="herbs", reference_price="100.00")
    assert_matched(b)


# Standards --------------------------------------------------------------------------------


def test_gap_produce_offered_to_an_organic_order_does_not_meet_the_standard() -> None:
    assert_not_matched(market(scheme="THAI_GAP", min_tier="ORGANIC"), "standard_not_met")


def test_pgs_produce_meets_an_organic_order() -> None:
    assert_matched(market(scheme="PGS", min_tier="ORGANIC"))


def test_pgs_produce_does_not_meet_an_organic_certified_order() -> None:
    assert_not_matched(market(scheme="PGS", min_tier="ORGANIC_CERTIFIED"), "standard_not_met")


def test_organic_thailand_meets_an_organic_certified_order() -> None:
    assert_matched(market(scheme="ORGANIC_THAILAND", min_tier="ORGANIC_CERTIFIED"))


def test_act_ifoam_without_eu_scope_does_not_meet_an_eu_order() -> None:
    assert_not_matched(market(scheme="ACT_IFOAM", min_tier="EU"), "standard_not_met")
    assert_not_matched(
        market(scheme="ACT_IFOAM", min_tier="EU", scopes=["COR"]), "standard_not_met"
    )


def test_act_ifoam_with_eu_scope_meets_an_eu_order() -> None:
    assert_matched(market(scheme="ACT_IFOAM", min_tier="EU", scopes=["EU"]))


def test_uncertified_produce_serves_only_orders_accepting_any_standard() -> None:
    assert_matched(market(scheme="NONE", min_tier="ANY", certificate=False))
    assert_not_matched(
        market(scheme="NONE", min_tier="SAFE", certificate=False), "standard_not_met"
    )


def test_produce_under_a_scheme_the_group_holds_no_certificate_of_is_not_matched() -> None:
    b = market(scheme="PGS", certificate=False).certificate("g1", "THAI_GAP")
    assert_not_matched(b, "standard_not_met")


@pytest.mark.parametrize("scheme", ["THAI_GAP", "ORGANIC_CONVERSION", "PGS", "EU_ORGANIC"])
def test_every_certified_scheme_meets_a_safe_order(scheme: str) -> None:
    assert_matched(market(scheme=scheme, min_tier="SAFE"))


# Scope and food safety --------------------------------------------------------------------


def test_certificate_scope_not_covering_the_crop_is_not_matched() -> None:
    assert_not_matched(market(crops=["morning_glory"]), "crop_not_covered")


def test_certificate_scope_covering_the_crop_group_is_matched() -> None:
    assert_matched(market(crop_groups=["leafy"]))
    assert_matched(market(crops=["kale"]))


def test_processed_crop_without_a_food_safety_credential_is_not_matched() -> None:
    assert_not_matched(market(crop="rice"), "no_food_safety_credential")


def test_processed_crop_with_a_valid_gmp_credential_is_matched() -> None:
    assert_matched(market(crop="rice").certificate("g1", "GMP"))


def test_processed_crop_with_an_expired_gmp_credential_is_not_matched() -> None:
    b = market(crop="rice").certificate("g1", "GMP", valid_until=DAY_BEFORE)
    assert_not_matched(b, "no_food_safety_credential")


def test_gmp_credential_must_cover_the_processed_crop() -> None:
    b = market(crop="rice").certificate("g1", "GMP", crops=["eggs"])
    assert_not_matched(b, "no_food_safety_credential")


# Supply and capacity ----------------------------------------------------------------------


def test_supply_only_in_another_week_gives_no_supply() -> None:
    b = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP").buyer("h1")
    b.supply("s1", "g1", weeks={week_after(WEEK): 100}).order("o1", "h1", quantity=QUANTITY)
    assert_not_matched(b, "no_supply")


def test_supply_only_of_another_crop_gives_no_supply() -> None:
    b = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP").buyer("h1")
    b.supply("s1", "g1", crop="morning_glory").order("o1", "h1", quantity=QUANTITY)
    solution, _ = solve_and_validate(b.instance())
    assert [u.reason.value for u in solution.unfilled] == ["no_supply"]


def test_supply_taken_by_a_higher_priority_buyer_leaves_capacity_taken() -> None:
    b = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP")
    b.buyer("hotel", "hotel").buyer("hospital", "hospital")
    b.supply("s1", "g1", weeks={WEEK: 50})
    b.order("o-hotel", "hotel", quantity=50).order("o-hospital", "hospital", quantity=50)
    instance = b.instance()
    solution, _ = solve_and_validate(instance)
    assert filled_by_order(solution) == {"o-hospital": 50}
    assert [(u.order_id, u.quantity, u.reason.value) for u in solution.unfilled] == [
        ("o-hotel", 50, "capacity_taken")
    ]
    assert validator_allows(instance, "s1", "o-hotel", DELIVERY)


def test_eligible_supply_smaller_than_the_order_leaves_insufficient_supply() -> None:
    b = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP").buyer("h1")
    b.supply("s1", "g1", weeks={WEEK: 30}).order("o1", "h1", quantity=50)
    solution, _ = solve_and_validate(b.instance())
    assert filled_by_order(solution) == {"o1": 30}
    assert [(u.quantity, u.reason.value) for u in solution.unfilled] == [
        (20, "insufficient_supply")
    ]


def test_reason_names_the_rule_of_the_candidate_that_came_nearest() -> None:
    # One group fails on the standard, the other only on distance: distance is the nearer miss.
    b = InstanceBuilder().group("gap", HAT_YAI).group("pgs", (6.5, 100.1)).buyer("h1")
    b.certificate("gap", "THAI_GAP").certificate("pgs", "PGS")
    b.supply("s-gap", "gap", scheme="THAI_GAP").supply("s-pgs", "pgs", scheme="PGS")
    b.order("o1", "h1", min_tier="ORGANIC", max_distance_km=40.0)
    solution, _ = solve_and_validate(b.instance())
    assert [u.reason.value for u in solution.unfilled] == ["out_of_range"]
    assert "pgs" in solution.unfilled[0].detail


# Every unfilled quantity carries a reason --------------------------------------------------


def test_every_unfilled_quantity_carries_a_reason_code_and_a_detail() -> None:
    b = InstanceBuilder().group("g1").group("g2", (7.3, 100.3))
    b.certificate("g1", "PGS", valid_until=DAY_BEFORE).certificate("g2", "THAI_GAP")
    b.buyer("h1").buyer("s1", "school").buyer("r1", "restaurant")
    b.supply("sup1", "g1", scheme="PGS").supply("sup2", "g2", weeks={WEEK: 60}, ask="45.00")
    b.order("o1", "h1", quantity=40, min_tier="ORGANIC")
    b.order("o2", "s1", quantity=40, max_price="40.00")
    b.order("o3", "r1", quantity=40)
    b.order("o4", "r1", crop="eggs", quantity=300)
    for solver in ("flow", "greedy"):
        solution = solve(b.instance(), solver=solver)
        by_order = {u.order_id: u.reason.value for u in solution.unfilled}
        assert by_order["o1"] == "certificate_invalid"
        assert by_order["o2"] == "price_too_high"
        assert by_order["o4"] == "no_supply"
        assert all(u.reason and u.detail and u.quantity > 0 for u in solution.unfilled)
        assert solution.summary.filled + sum(u.quantity for u in solution.unfilled) == (
            solution.summary.demand
        )
