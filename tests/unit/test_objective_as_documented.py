"""What docs/optimiser.md says the objective does where it used to be silent ("Eligibility",
"The objective", "Policies" and "Pricing policies"): distances rounded to 10 m before the limit,
transport per unit rounded to 0.0001 THB, ``max_price`` a cap on the price and not on the
delivered cost, and the fairness steps a share of the ask rather than of the contract price."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.optimiser.solution import Solution
from tests.support.builders import InstanceBuilder, solve_and_validate

PLAIN: dict[str, Any] = {"fairness": "off", "continuity_weight": 0}


def one_pair(km: float, **parameters: Any) -> InstanceBuilder:
    b = InstanceBuilder().parameters(**(PLAIN | parameters))
    b.group("g1").certificate("g1", "THAI_GAP").supply("s1", "g1", ask="20.00")
    b.buyer("h1").order("o1", "h1", quantity=10, max_price="30.00", max_distance_km=80.0)
    return b.road("g1", "h1", km)


def only_allocation(solution: Solution) -> tuple[float, int, int]:
    (a,) = solution.allocations
    return a.distance_km, a.unit_price, a.unit_cost


@pytest.mark.parametrize(("km", "served"), [(80.004, True), (80.006, False)])
def test_a_distance_is_rounded_to_10_m_before_the_limit_is_checked(km: float, served: bool) -> None:
    solution, _ = solve_and_validate(one_pair(km).instance())
    if served:
        assert only_allocation(solution)[0] == 80.0
    else:
        assert solution.allocations == ()
        assert [u.reason.value for u in solution.unfilled] == ["out_of_range"]


def test_transport_per_unit_is_rounded_to_a_hundredth_of_a_satang() -> None:
    # 0.013 THB × 12.34 km = 0.16042 THB per unit: 1,604 units of 0.0001 THB.
    instance = one_pair(12.34, transport_cost_per_unit_km={"kg": 0.013}).instance()
    solution, _ = solve_and_validate(instance)
    assert only_allocation(solution) == (12.34, 2000, 2000 * 100 + 1604)


def test_under_buyer_max_the_delivered_cost_passes_max_price_by_the_transport() -> None:
    # The ask (20.00) is what is compared with max_price (30.00); the price is then the cap.
    instance = one_pair(10.0, pricing_policy="buyer_max").instance()
    solution, _ = solve_and_validate(instance)
    _, price, cost = only_allocation(solution)
    assert price == 3000
    assert cost == 3000 * 100 + 2000  # + 0.02 THB × 10 km = 0.20 THB per unit
    assert solution.to_json()["allocations"][0]["cost"]["delivered"] == "302.00"


def test_the_fairness_steps_are_a_share_of_the_ask_not_of_the_contract_price() -> None:
    # Under buyer_max both groups are paid the cap (30.00) and deliver as cheaply; their steps
    # of 10 kg cost 5 % of the ask: 0.50 for g1 (ask 10.00), 1.40 for g2 (ask 28.00). The ten
    # cheapest steps are seven of g1's and three of g2's; on the contract price (the same for
    # both) the split would be even.
    b = InstanceBuilder().parameters(pricing_policy="buyer_max", continuity_weight=0)
    for group, ask in (("g1", "10.00"), ("g2", "28.00")):
        b.group(group).certificate(group, "THAI_GAP").supply(f"s-{group}", group, ask=ask)
        b.road(group, "h1", 10.0)
    b.buyer("h1").order("o1", "h1", quantity=100, max_price="30.00")
    solution, report = solve_and_validate(b.instance())
    assert sorted((a.group_id, a.quantity, a.unit_price) for a in solution.allocations) == [
        ("g1", 70, 3000),
        ("g2", 30, 3000),
    ]
    # 10 kg × 0.50 × (1+…+6) + 10 kg × 1.40 × (1+2), in units of 0.0001 THB.
    assert report.objective.penalties == (105 + 42) * 10_000
