"""Fairness and continuity policies: cost-level preferences that never cost filled quantity."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from matcher.domain.errors import InvalidValue
from matcher.optimiser.fairness import fairness
from matcher.optimiser.instance import FairnessPolicy, MatchingInstance, Parameters
from matcher.optimiser.model import step_capacities
from matcher.optimiser.schema import parameters_from
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from matcher.scenario import songkhla_instance
from tests.support.allocations import all_allocations, allowed_slots, tiny_market
from tests.support.builders import (
    PLAIN,
    WEEK,
    InstanceBuilder,
    allocation_for,
    random_market,
    week_after,
    week_day,
)


def two_groups(km_near: float, km_far: float, **parameters: object) -> MatchingInstance:
    """Two groups offering 100 kg each at the same price; one order of 100 kg."""
    b = InstanceBuilder().parameters(continuity_weight=0, **parameters)
    for g in ("near", "far"):
        b.group(g).certificate(g, "THAI_GAP").supply(f"s-{g}", g, weeks={WEEK: 100})
    b.buyer("h1").order("o1", "h1", quantity=100)
    b.road("near", "h1", km_near).road("far", "h1", km_far)
    return b.instance()


def by_group(instance: MatchingInstance) -> dict[str, int]:
    solution = solve(instance)
    assert validate(instance, solution).ok
    out: dict[str, int] = {}
    for a in solution.allocations:
        out[a.group_id] = out.get(a.group_id, 0) + a.quantity
    return out


def test_progressive_fairness_spreads_demand_when_the_groups_cost_nearly_the_same() -> None:
    # 30 THB/kg, 5 % (1.50 THB) more per step of 10 kg, while the far group is only 10 km
    # (0.20 THB/kg) further away: each group fills its cheapest five steps.
    fair = two_groups(20, 30)
    plain = two_groups(20, 30, fairness="off")
    assert by_group(plain) == {"near": 100}
    spread = by_group(fair)
    assert sum(spread.values()) == 100
    assert spread == {"near": 50, "far": 50}
    utilisation = {"near", "far"}
    assert (
        fairness(fair, solve(fair).allocations, utilisation).gini_utilisation
        < fairness(plain, solve(plain).allocations, utilisation).gini_utilisation
    )


def test_fairness_gives_way_to_a_large_saving_in_transport() -> None:
    # 700 km further costs 14 THB/kg more: more than the dearest step (9 × 1.50 THB).
    assert by_group(two_groups(20, 720)) == {"near": 100}


def test_the_weight_sets_how_far_demand_spreads() -> None:
    light = by_group(two_groups(20, 30, fairness_weight=0.005))
    strong = by_group(two_groups(20, 30, fairness_weight=0.2))
    assert light.get("far", 0) < strong["far"]
    assert strong["far"] == 50  # at equal steps, a cost of 10 km tips the last unit


def test_fairness_never_costs_filled_quantity_on_random_markets() -> None:
    for seed in range(30):
        market = random_market(random.Random(seed), groups=8, buyers=4, orders=10, weeks=3)
        default = market.instance()
        plain = dataclasses.replace(default, parameters=default.parameters.plain())
        ours, base = solve(default), solve(plain)
        assert ours.status.value == base.status.value == "optimal"
        assert validate(default, ours).ok
        assert ours.summary.weighted_filled == base.summary.weighted_filled
        assert ours.summary.filled == base.summary.filled


def _fairness_penalty(instance: MatchingInstance, used: dict[tuple[str, str], int]) -> int:
    """The progressive policy's cost (solver units) of using ``used`` of each supply week,
    restated from the documentation: step ``k`` of a week costs ``k × weight × price``."""
    p = instance.parameters
    supplies = {s.id: s for s in instance.supply}
    total = 0
    for (supply_id, week), quantity in used.items():
        s = supplies[supply_id]
        crop = instance.crops[s.crop_id]
        price = s.asking_price if s.asking_price is not None else crop.reference_price or 0
        step = round(price * p.fairness_weight * 100)
        caps = step_capacities(np.asarray([s.quantities[week]]), p.fairness_steps)[:, 0]
        left = quantity
        for level, cap in enumerate(caps.tolist()):
            take = min(left, cap)
            total += take * level * step
            left -= take
    return total


@pytest.mark.parametrize("seed", range(60))
def test_fair_flow_is_the_lexicographic_best_with_the_penalty(seed: int) -> None:
    plain = tiny_market(seed)
    params = dataclasses.replace(
        plain.parameters,
        fairness=FairnessPolicy.PROGRESSIVE,
        fairness_weight=random.Random(seed).choice([0.01, 0.05, 0.3]),
        fairness_steps=random.Random(seed).choice([2, 3, 10]),
    )
    instance = dataclasses.replace(plain, parameters=params)
    slots = allowed_slots(instance)
    unit = [allocation_for(instance, s, o, d, 1) for s, o, d in slots]
    weight = {o.id: params.weight(instance.buyers[o.buyer_id].kind) for o in instance.orders}
    best: tuple[int, int] | None = None
    for x in all_allocations(instance, slots):
        used: dict[tuple[str, str], int] = {}
        for q, u in zip(x, unit, strict=True):
            used[(u.supply_id, u.week)] = used.get((u.supply_id, u.week), 0) + q
        key = (
            -sum(q * weight[u.order_id] for q, u in zip(x, unit, strict=True)),
            sum(q * u.unit_cost for q, u in zip(x, unit, strict=True))
            + _fairness_penalty(instance, used),
        )
        best = key if best is None or key < best else best
    solution = solve(instance)
    assert solution.status.value == "optimal"
    assert validate(instance, solution).ok
    used_now: dict[tuple[str, str], int] = {}
    for a in solution.allocations:
        used_now[(a.supply_id, a.week)] = used_now.get((a.supply_id, a.week), 0) + a.quantity
    ours = (
        -solution.summary.weighted_filled,
        solution.summary.delivered_cost + _fairness_penalty(instance, used_now),
    )
    assert best is not None
    assert ours == best


def season(weeks: int) -> list[str]:
    return [week_after(WEEK, n) for n in range(weeks)]


def continuity_market(km_a: float, km_b: float, **parameters: object) -> MatchingInstance:
    """Group A alone in week 1; A and B in weeks 2 and 3; one order over the three weeks."""
    w = season(3)
    b = InstanceBuilder().parameters(fairness="off", **parameters)
    b.group("A").certificate("A", "THAI_GAP").group("B").certificate("B", "THAI_GAP")
    b.supply("s-a", "A", weeks={w[0]: 50, w[1]: 50, w[2]: 50})
    b.supply("s-b", "B", weeks={w[1]: 50, w[2]: 50})
    b.buyer("h1").order("o1", "h1", quantity=50, deliveries=[week_day(x) for x in w])
    b.road("A", "h1", km_a).road("B", "h1", km_b)
    return b.instance()


def test_continuity_keeps_the_supplier_of_the_first_weeks() -> None:
    # B is 10 km nearer (0.20 THB/kg) but new to the order: 2 % of 30 THB is 0.60 THB/kg.
    kept = solve(continuity_market(30, 20))
    switched = solve(continuity_market(30, 20, continuity_weight=0))
    assert {a.group_id for a in kept.allocations} == {"A"}
    assert kept.summary.suppliers_per_order == 1.0
    assert {a.group_id for a in switched.allocations} == {"A", "B"}
    assert switched.summary.suppliers_per_order == 2.0
    assert kept.summary.filled == switched.summary.filled == 150


def test_continuity_gives_way_to_a_large_saving() -> None:
    # B is 100 km nearer: 2 THB/kg, more than the 0.60 THB/kg preference.
    solution = solve(continuity_market(120, 20))
    assert {(a.group_id, a.week) for a in solution.allocations} == {
        ("A", season(3)[0]),
        ("B", season(3)[1]),
        ("B", season(3)[2]),
    }


def test_continuity_prefers_groups_already_under_contract() -> None:
    # An incremental round: B delivered this order earlier, so B is preferred over a nearer A.
    w = season(2)
    b = InstanceBuilder().parameters(fairness="off")
    b.group("A").certificate("A", "THAI_GAP").group("B").certificate("B", "THAI_GAP")
    b.supply("s-a", "A", weeks={w[1]: 50}).supply("s-b", "B", weeks={w[1]: 50})
    b.buyer("h1").order("o1", "h1", quantity=50, deliveries=[week_day(x) for x in w])
    b.road("A", "h1", 20).road("B", "h1", 30)
    base = b.instance()
    first = week_day(w[0])
    later = dataclasses.replace(
        base,
        open_demand={("o1", first): 0, ("o1", week_day(w[1])): 50},
        committed={("o1", first): frozenset({"B"})},
    )
    assert {a.group_id for a in solve(base).allocations} == {"A"}
    assert {a.group_id for a in solve(later).allocations} == {"B"}


def test_songkhla_default_policies_keep_the_fill_and_lower_the_gini() -> None:
    from matcher.optimiser.eligibility import build_graph
    from matcher.optimiser.schema import parse_instance

    instance = parse_instance(songkhla_instance(weeks=4, seed=1))
    plain = dataclasses.replace(instance, parameters=instance.parameters.plain())
    graph = build_graph(instance)
    supplies = {s.id: s for s in instance.supply}
    eligible = {supplies[graph.supply[i].supply_id].group_id for i in np.unique(graph.arc_supply)}
    ours, base = solve(instance), solve(plain)
    assert ours.summary.filled == base.summary.filled
    assert ours.summary.weighted_filled == base.summary.weighted_filled
    assert (
        fairness(instance, ours.allocations, eligible).gini_utilisation
        < fairness(plain, base.allocations, eligible).gini_utilisation
    )
    assert ours.summary.suppliers_per_order < base.summary.suppliers_per_order


def test_policy_parameters_are_checked() -> None:
    assert parameters_from({}).fairness is FairnessPolicy.PROGRESSIVE
    assert parameters_from({"fairness": " OFF "}).fairness is FairnessPolicy.OFF
    with pytest.raises(InvalidValue) as err:
        parameters_from({"fairness": "fair"})
    assert err.value.field == "fairness"
    assert "progressive" in err.value.reason
    for field, value in (
        ("fairness_weight", 1.5),
        ("fairness_weight", -0.1),
        ("fairness_steps", 1),
        ("continuity_weight", 2),
        ("time_limit_seconds", 0),
    ):
        with pytest.raises(InvalidValue) as err:
            parameters_from({field: value})
        assert err.value.field == field
    assert Parameters().plain().fairness is FairnessPolicy.OFF
    assert Parameters().plain().continuity_weight == 0


def test_plain_parameters_give_the_plain_answer() -> None:
    market = random_market(random.Random(3), groups=8, buyers=4, orders=10, weeks=3)
    default = market.instance()
    switched_off = market.parameters(**PLAIN).instance()
    plain = dataclasses.replace(default, parameters=default.parameters.plain())
    assert solve(switched_off).allocations == solve(plain).allocations
