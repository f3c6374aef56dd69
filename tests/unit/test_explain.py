"""Every unfilled quantity names the candidate that came nearest to serving it.

Each case is solved with ``solve()``; the unfilled line's reason, its structured alternative
and its readable detail are checked, and the pair-by-pair explanations (``explain``) are
compared with the vectorised ones (``explain_market``) on the same instance.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from matcher.optimiser.eligibility import Context, supply_index
from matcher.optimiser.explain import explain, explain_market
from matcher.optimiser.instance import MatchingInstance, supply_nodes
from matcher.optimiser.reasons import ReasonCode
from matcher.optimiser.solution import Alternative, Figure, Unfilled
from tests.support.builders import (
    DELIVERY,
    HAT_YAI,
    SONGKHLA_CITY,
    WEEK,
    InstanceBuilder,
    solve_and_validate,
    week_after,
)

DAY_BEFORE = DELIVERY - timedelta(days=1)
DAY_AFTER = DELIVERY + timedelta(days=1)
LABEL = "Chinese kale (คะน้า)"


def kitchen() -> InstanceBuilder:
    """A hospital in Songkhla city; groups are added by each test."""
    return InstanceBuilder().buyer("h1", "hospital", SONGKHLA_CITY)


def grown(
    b: InstanceBuilder,
    group: str,
    km: float,
    *,
    scheme: str = "THAI_GAP",
    certificate: bool = True,
    crop: str = "kale",
    weeks: dict[str, int] | None = None,
    ask: str | None = "30.00",
    **cert: object,
) -> InstanceBuilder:
    """Group ``group`` at ``km`` road km from the hospital, offering ``crop`` as supply
    ``s-<group>`` (certified under ``scheme`` unless ``certificate`` is false)."""
    b.group(group, HAT_YAI).road(group, "h1", km)
    if certificate:
        b.certificate(group, scheme, **cert)  # type: ignore[arg-type]
    return b.supply(f"s-{group}", group, crop=crop, scheme=scheme, weeks=weeks, ask=ask)


def agree(instance: MatchingInstance) -> None:
    """The vectorised explanations are the pair-by-pair ones, alternative included."""
    ctx = Context(instance)
    t = ctx.tables
    every_week = supply_nodes(instance, keep_empty=True)
    index = supply_index(instance, every_week)
    for m, (crop_id, week) in enumerate(t.markets):
        deliveries = t.m_demand[m]
        for d, answer in zip(deliveries.tolist(), explain_market(ctx, m, deliveries), strict=True):
            assert answer == explain(ctx, t.dnodes[d], index.get((crop_id, week)), every_week)


def unfilled(source: InstanceBuilder | MatchingInstance, order_id: str = "o1") -> Unfilled:
    instance = source.instance() if isinstance(source, InstanceBuilder) else source
    solution, _ = solve_and_validate(instance)
    agree(instance)
    lines = [u for u in solution.unfilled if u.order_id == order_id]
    assert len(lines) == 1, solution.unfilled
    return lines[0]


def assert_alternative(
    u: Unfilled,
    reason: str,
    group: str,
    measure: str,
    value: Figure,
    limit: Figure,
    *,
    week: str = WEEK,
) -> Alternative:
    assert u.reason.value == reason
    alt = u.alternative
    assert alt is not None, u.detail
    assert (alt.group_id, alt.supply_id, alt.week) == (group, f"s-{group}", week)
    assert alt.rule.value == reason
    assert (alt.measure, alt.value, alt.limit) == (measure, value, limit)
    assert f"group {group}" in u.detail
    return alt


# Distance ---------------------------------------------------------------------------------


def test_out_of_range_names_the_nearest_group_and_its_distance() -> None:
    b = kitchen().order("o1", "h1", max_distance_km=60.0)
    grown(b, "grp-far", 90.0)
    grown(b, "grp-012", 74.0)
    u = unfilled(b)
    assert_alternative(u, "out_of_range", "grp-012", "distance_km", 74.0, 60.0)
    assert u.detail == (f"no {LABEL} in week {WEEK} within 60 km; nearest: group grp-012 at 74 km")


def test_out_of_range_ignores_nearer_groups_stopped_by_an_earlier_rule() -> None:
    # The GAP group is close but fails the organic standard: the PGS group is the near miss.
    b = kitchen().order("o1", "h1", min_tier="ORGANIC", max_distance_km=40.0)
    grown(b, "gap", 5.0)
    grown(b, "pgs", 52.5, scheme="PGS")
    u = unfilled(b)
    assert_alternative(u, "out_of_range", "pgs", "distance_km", 52.5, 40.0)
    assert "52.5 km" in u.detail


def test_out_of_range_under_the_default_radius_gives_that_radius_as_the_limit() -> None:
    b = kitchen().parameters(default_max_distance_km=30.0).order("o1", "h1")
    grown(b, "g1", 30.01)
    assert_alternative(unfilled(b), "out_of_range", "g1", "distance_km", 30.01, 30.0)


def test_groups_equally_far_go_to_the_first_in_the_supply_list() -> None:
    b = kitchen().order("o1", "h1", max_distance_km=10.0)
    grown(b, "first", 20.0)
    grown(b, "second", 20.0)
    assert_alternative(unfilled(b), "out_of_range", "first", "distance_km", 20.0, 10.0)


# Price ------------------------------------------------------------------------------------


def test_price_too_high_names_the_cheapest_group_and_its_ask() -> None:
    b = kitchen().order("o1", "h1", max_price="30.00")
    grown(b, "near", 5.0, ask="40.00")
    grown(b, "cheap", 50.0, ask="35.00")
    u = unfilled(b)
    assert_alternative(u, "price_too_high", "cheap", "unit_price_thb", "35.00", "30.00")
    assert u.detail == (
        f"no {LABEL} in week {WEEK} within the max price 30.00 THB; "
        "cheapest: group cheap asking 35.00 THB"
    )


def test_price_ties_go_to_the_nearer_group() -> None:
    b = kitchen().order("o1", "h1", max_price="30.00")
    grown(b, "far", 50.0, ask="30.01")
    grown(b, "near", 8.0, ask="30.01")
    assert_alternative(unfilled(b), "price_too_high", "near", "unit_price_thb", "30.01", "30.00")


def test_price_without_an_ask_is_the_reference_price() -> None:
    b = kitchen().crop("herb", group="herbs", reference_price="100.01")
    b.order("o1", "h1", crop="herb", max_price="100.00")
    grown(b, "g1", 10.0, crop="herb", ask=None)
    u = unfilled(b)
    assert_alternative(u, "price_too_high", "g1", "unit_price_thb", "100.01", "100.00")
    assert "herb (herb)" in u.detail


# Standards --------------------------------------------------------------------------------


def test_standard_not_met_names_the_nearest_group_its_scheme_and_the_tier() -> None:
    b = kitchen().order("o1", "h1", min_tier="ORGANIC")
    grown(b, "gap", 20.0)
    grown(b, "plain", 9.0, scheme="NONE", certificate=False)
    u = unfilled(b)
    assert_alternative(u, "standard_not_met", "plain", "scheme", "NONE", "ORGANIC")
    assert u.detail == (
        f"no {LABEL} in week {WEEK} meets ORGANIC; offered under NONE, THAI_GAP; "
        "nearest: group plain at 9 km, offering NONE"
    )


def test_standard_not_met_when_the_group_holds_no_certificate_of_the_offered_scheme() -> None:
    b = kitchen().order("o1", "h1", min_tier="ORGANIC")
    grown(b, "g1", 12.0, scheme="PGS", certificate=False).certificate("g1", "THAI_GAP")
    assert_alternative(unfilled(b), "standard_not_met", "g1", "scheme", "PGS", "ORGANIC")


# Certificate validity -------------------------------------------------------------------


def test_certificate_invalid_names_the_certificate_nearest_to_valid() -> None:
    # The near group's certificate lapsed ten days ago; the far one's starts in two days.
    b = kitchen().order("o1", "h1")
    grown(b, "lapsed", 5.0, scheme="PGS", valid_until=DELIVERY - timedelta(days=10))
    grown(b, "soon", 60.0, scheme="PGS", valid_from=DELIVERY + timedelta(days=2))
    u = unfilled(b)
    soon = (DELIVERY + timedelta(days=2)).isoformat()
    assert_alternative(
        u, "certificate_invalid", "soon", "certificate_valid_from", soon, DELIVERY.isoformat()
    )
    assert u.detail == (
        f"no {LABEL} in week {WEEK} has a certificate valid on {DELIVERY.isoformat()}; "
        f"nearest to valid: group soon, whose PGS certificate is valid from {soon}"
    )


def test_certificate_that_expired_the_day_before_gives_its_last_day() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 10.0, valid_until=DAY_BEFORE)
    u = unfilled(b)
    assert_alternative(
        u,
        "certificate_invalid",
        "g1",
        "certificate_valid_until",
        DAY_BEFORE.isoformat(),
        DELIVERY.isoformat(),
    )
    assert f"was valid until {DAY_BEFORE.isoformat()}" in u.detail


def test_revoked_certificate_gives_the_revocation_date() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 10.0, revoked_on=DELIVERY)
    u = unfilled(b)
    assert_alternative(
        u,
        "certificate_invalid",
        "g1",
        "certificate_revoked_on",
        DELIVERY.isoformat(),
        DELIVERY.isoformat(),
    )
    assert f"was revoked on {DELIVERY.isoformat()}" in u.detail


def test_of_a_groups_certificates_the_one_nearest_to_valid_is_named() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 10.0, valid_until=DELIVERY - timedelta(days=30))
    b.certificate("g1", "THAI_GAP", valid_from=DAY_AFTER)
    alt = assert_alternative(
        unfilled(b),
        "certificate_invalid",
        "g1",
        "certificate_valid_from",
        DAY_AFTER.isoformat(),
        DELIVERY.isoformat(),
    )
    assert alt.value == DAY_AFTER.isoformat()


def test_certificates_equally_near_to_valid_go_to_the_nearer_group() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "far", 40.0, valid_until=DAY_BEFORE)
    grown(b, "near", 4.0, valid_from=DAY_AFTER)
    u = unfilled(b)
    assert u.alternative is not None
    assert u.alternative.group_id == "near"


# Scope and food safety --------------------------------------------------------------------


def test_crop_not_covered_names_a_group_and_the_scope_of_its_certificate() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 10.0, crops=["morning_glory"])
    u = unfilled(b)
    assert_alternative(u, "crop_not_covered", "g1", "crop_scope", "crops morning_glory", "kale")
    assert u.detail == (
        f"no certificate meeting SAFE covers {LABEL}; nearest: group g1 at 10 km, "
        "whose THAI_GAP certificate covers crops morning_glory"
    )


def test_crop_not_covered_by_a_crop_group_scope() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 10.0, crop_groups=["staple"])
    u = unfilled(b)
    assert_alternative(u, "crop_not_covered", "g1", "crop_scope", "crop groups staple", "kale")


def test_missing_food_safety_credential_names_the_group_holding_none() -> None:
    b = kitchen().order("o1", "h1", crop="rice")
    grown(b, "far", 30.0, crop="rice")
    grown(b, "near", 6.0, crop="rice")
    u = unfilled(b)
    assert_alternative(u, "no_food_safety_credential", "near", "food_safety", "none", "rice")
    assert u.detail == (
        "Milled rice (ข้าวสาร) is processed; no supplier holds a valid food-safety credential; "
        "nearest: group near at 6 km, holding no food-safety credential"
    )


def test_an_expired_food_safety_credential_is_described() -> None:
    b = kitchen().order("o1", "h1", crop="rice")
    grown(b, "g1", 6.0, crop="rice").certificate("g1", "GMP", valid_until=DAY_BEFORE)
    held = f"GMP that was valid until {DAY_BEFORE.isoformat()}"
    u = unfilled(b)
    assert_alternative(u, "no_food_safety_credential", "g1", "food_safety", held, "rice")
    assert held in u.detail


def test_a_food_safety_credential_for_other_crops_is_described() -> None:
    b = kitchen().order("o1", "h1", crop="rice")
    grown(b, "g1", 6.0, crop="rice").certificate("g1", "GMP", crops=["eggs"])
    held = "GMP covering crops eggs"
    assert_alternative(unfilled(b), "no_food_safety_credential", "g1", "food_safety", held, "rice")


# Supply and capacity ----------------------------------------------------------------------


def test_insufficient_supply_names_the_largest_supplier_and_the_eligible_total() -> None:
    b = kitchen().order("o1", "h1", quantity=50)
    grown(b, "small", 5.0, weeks={WEEK: 10})
    grown(b, "big", 40.0, weeks={WEEK: 30})
    u = unfilled(b)
    assert u.quantity == 10
    assert_alternative(u, "insufficient_supply", "big", "free_quantity", 40, 50)
    assert u.detail == (
        f"eligible supply of {LABEL} in week {WEEK} totals 40 kg, less than the 50 kg "
        "ordered; largest: group big with 30 kg"
    )


def test_capacity_taken_names_the_nearest_group_whose_supply_went_elsewhere() -> None:
    b = kitchen().buyer("hotel", "hotel", SONGKHLA_CITY)
    b.order("o-hotel", "hotel", quantity=50).order("o1", "h1", quantity=50)
    grown(b, "far", 30.0, weeks={WEEK: 25})
    grown(b, "near", 10.0, weeks={WEEK: 25})
    b.road("far", "hotel", 30.0).road("near", "hotel", 10.0)
    u = unfilled(b, "o-hotel")
    assert u.quantity == 50
    assert_alternative(u, "capacity_taken", "near", "free_quantity", 25, 50)
    assert "went to other deliveries" in u.detail
    assert "nearest: group near at 10 km, which had 25 kg free" in u.detail


def test_capacity_already_under_contract_gives_nothing_free() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 10.0)
    instance = replace(b.instance(), open_supply={("s-g1", WEEK): 0})
    u = unfilled(instance)
    assert_alternative(u, "capacity_taken", "g1", "free_quantity", 0, 50)
    assert "already under contract" in u.detail


def test_capacity_taken_limit_is_the_missing_quantity_when_given() -> None:
    b = kitchen().buyer("hotel", "hotel", SONGKHLA_CITY)
    b.order("o-hotel", "hotel", quantity=50).order("o1", "h1", quantity=50)
    grown(b, "g1", 10.0, weeks={WEEK: 70}).road("g1", "hotel", 10.0)
    instance = b.instance()
    ctx = Context(instance)
    t = ctx.tables
    deliveries = t.m_demand[0]
    hotel = [d for d in deliveries.tolist() if t.dnodes[d].order_id == "o-hotel"]
    [answer] = explain_market(ctx, 0, np.array(hotel, dtype=np.int64), np.array([30]))
    every_week = supply_nodes(instance, keep_empty=True)
    candidates = supply_index(instance, every_week)[("kale", WEEK)]
    assert answer == explain(ctx, t.dnodes[hotel[0]], candidates, every_week, missing=30)
    assert answer.reason is ReasonCode.CAPACITY_TAKEN
    assert answer.alternative is not None
    assert (answer.alternative.value, answer.alternative.limit) == (70, 30)


# No supply in the week ----------------------------------------------------------------------


def test_no_supply_names_the_nearest_week_with_supply_and_its_nearest_group() -> None:
    later, much_later = week_after(WEEK), week_after(WEEK, 3)
    b = kitchen().order("o1", "h1")
    grown(b, "far", 50.0, weeks={later: 100})
    grown(b, "near", 8.0, weeks={later: 100})
    grown(b, "nearest", 2.0, weeks={much_later: 100})
    u = unfilled(b)
    assert_alternative(u, "no_supply", "near", "week", later, WEEK, week=later)
    assert u.detail == (
        f"no supply of {LABEL} in week {WEEK}; nearest week with supply: {later}, "
        "group near at 8 km"
    )


def test_no_supply_prefers_the_earlier_of_two_weeks_equally_far() -> None:
    before, after = week_after(WEEK, -1), week_after(WEEK, 1)
    b = kitchen().order("o1", "h1")
    grown(b, "later", 3.0, weeks={after: 100})
    grown(b, "earlier", 30.0, weeks={before: 100})
    u = unfilled(b)
    assert_alternative(u, "no_supply", "earlier", "week", before, WEEK, week=before)


def test_no_supply_of_the_crop_in_any_week_has_no_alternative() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 3.0, crop="morning_glory")
    u = unfilled(b)
    assert u.reason is ReasonCode.NO_SUPPLY
    assert u.alternative is None
    assert u.detail == f"no supply of {LABEL} in week {WEEK}, nor in any other week"


def test_no_supply_skips_weeks_whose_supply_is_all_under_contract() -> None:
    later, much_later = week_after(WEEK), week_after(WEEK, 2)
    b = kitchen().order("o1", "h1")
    grown(b, "taken", 3.0, weeks={later: 100})
    grown(b, "free", 30.0, weeks={much_later: 100})
    instance = replace(b.instance(), open_supply={("s-taken", later): 0, ("s-free", much_later): 5})
    u = unfilled(instance)
    assert_alternative(u, "no_supply", "free", "week", much_later, WEEK, week=much_later)
    instance = replace(instance, open_supply={("s-taken", later): 0})
    u = unfilled(instance)
    assert u.alternative is None
    assert "nor in any other week" in u.detail


# Output ---------------------------------------------------------------------------------------


def test_unfilled_json_carries_the_alternative() -> None:
    b = kitchen().order("o1", "h1", max_distance_km=60.0)
    grown(b, "grp-012", 74.0)
    u = unfilled(b)
    assert u.to_json()["alternative"] == {
        "group_id": "grp-012",
        "supply_id": "s-grp-012",
        "week": WEEK,
        "rule": "out_of_range",
        "measure": "distance_km",
        "value": 74.0,
        "limit": 60.0,
    }
    solution, _ = solve_and_validate(b.instance())
    assert solution.to_json()["unfilled"][0]["alternative"]["group_id"] == "grp-012"


def test_unfilled_json_without_an_alternative_gives_null() -> None:
    b = kitchen().order("o1", "h1")
    grown(b, "g1", 3.0, crop="eggs")
    data = unfilled(b).to_json()
    assert data["alternative"] is None
    assert data["reason"] == "no_supply"
