"""Integer rules with the fairness and continuity policies on: the whole objective decides.

Under integer rules CP-SAT minimises cost plus the policies' penalties (phase 2); the answer it
is compared with (the rule-keeping greedy one) must be weighed the same way, a bucket is
``optimal`` only when the answer kept is the proven one, and the summary reports the gap of
both levels. Checked on a two-group case worked by hand and against brute force on tiny
markets, with the independent validator's restatement of the penalties.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

import matcher.optimiser.cpsat as cpsat
from matcher.optimiser.instance import FairnessPolicy, MatchingInstance
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import Objective, penalties, validate
from tests.support.allocations import (
    all_allocations,
    allowed_slots,
    keeps_rules,
    served,
    tiny_market,
    with_random_rules,
)
from tests.support.builders import (
    DELIVERY,
    MONDAY,
    SONGKHLA_CITY,
    WEEK,
    InstanceBuilder,
    allocation_for,
    solution_of,
    solve_and_validate,
    without_rules,
)

THB = 10_000
"""Solver cost units (0.0001 THB) per baht."""


def two_groups() -> MatchingInstance:
    """Two groups of 100 kg: ``a`` asks 10.00 at 5 km, ``b`` 10.50 at 6 km; two hospitals
    order 50 kg each, single-sourced; the default policies (fairness 5 % per step of 10 kg).

    Both orders from ``a``: 1,000.00 + transport 10.00 = 1,010.00, and fairness steps
    0+1+…+9 of 10 kg at 0.50 = 225.00. One each: 505.00 + 531.00 = 1,036.00, and steps
    0+…+4 at 0.50 and at 0.525: 50.00 + 52.50 = 102.50."""
    b = InstanceBuilder("two-groups")
    for group, ask, km in (("a", "10.00", 5.0), ("b", "10.50", 6.0)):
        b.group(group).certificate(group, "THAI_GAP")
        b.supply(f"s-{group}", group, ask=ask, weeks={WEEK: 100})
        for hospital in ("h1", "h2"):
            b.road(group, hospital, km)
    b.buyer("h1").buyer("h2")
    b.order("o1", "h1", quantity=50).order("o2", "h2", quantity=50)
    return b.parameters(max_suppliers=1).instance()


def objective_of(instance: MatchingInstance, *pairs: tuple[str, str]) -> Objective:
    allocations = [allocation_for(instance, s, o, DELIVERY, 50) for s, o in pairs]
    report = validate(instance, solution_of(instance, allocations))
    assert report.ok, report.violations
    return report.objective


def test_two_single_sourced_orders_go_one_to_each_group_when_fairness_makes_that_cheaper() -> None:
    instance = two_groups()
    both_on_a = objective_of(instance, ("s-a", "o1"), ("s-a", "o2"))
    one_each = objective_of(instance, ("s-a", "o1"), ("s-b", "o2"))
    assert (both_on_a.delivered_cost, both_on_a.penalties) == (1_010 * THB, 225 * THB)
    assert (one_each.delivered_cost, one_each.penalties) == (1_036 * THB, 102_5 * THB // 10)

    solution, report = solve_and_validate(instance, "auto")

    assert solution.solver == "cpsat"
    assert solution.summary.cpsat_buckets == 1
    assert sorted(g for _, g, _ in served(solution)) == ["a", "b"]
    assert report.objective.key() == one_each.key()
    assert solution.status.value == "optimal"
    summary = solution.to_json()["summary"]
    assert (summary["gap"], summary["cost_gap"]) == (0.0, 0.0)
    assert summary["delivered_cost_thb"] == "1036.00"


def test_greedy_takes_the_nearer_group_for_both_orders() -> None:
    # The answer CP-SAT's is compared with: cheaper in delivered cost, dearer with the penalty.
    greedy, report = solve_and_validate(two_groups(), "greedy")
    assert served(greedy) == [("o1", "a", 50), ("o2", "a", 50)]
    assert report.objective.level_two == (1_010 + 225) * THB


def test_an_answer_not_proven_in_time_is_feasible_with_a_note_and_the_gap_of_both_levels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = cpsat._cpsat

    def out_of_time(*args: Any) -> cpsat._Outcome:
        # CP-SAT's bounds, with the greedy answer (the hint) as its best answer found.
        outcome = real(*args)
        return replace(outcome, flows=args[6].copy(), optimal=False)

    monkeypatch.setattr(cpsat, "_cpsat", out_of_time)
    solution, report = solve_and_validate(two_groups(), "auto")

    assert served(solution) == [("o1", "a", 50), ("o2", "a", 50)]
    assert solution.status.value == "feasible"
    assert solution.summary.gap == 0.0
    kept, best = (1_010 + 225) * THB, (1_036 + 102_5 / 10) * THB
    assert report.objective.level_two == kept
    assert solution.summary.cost_gap == pytest.approx((kept - best) / kept)
    assert solution.to_json()["summary"]["cost_gap"] == round((kept - best) / kept, 6)
    (note,) = solution.notes
    assert "time limit" in note
    assert "1 of 1 buckets" in note
    assert "7.81 % of cost plus penalties" in note


# Brute force ------------------------------------------------------------------------------


def with_random_policies(instance: MatchingInstance, rng: random.Random) -> MatchingInstance:
    """``instance`` with fairness on (steps and weights that bite on quantities of 1 to 3)
    and, sometimes, continuity."""
    p = replace(
        instance.parameters,
        fairness=FairnessPolicy.PROGRESSIVE,
        fairness_weight=rng.choice([0.05, 0.2, 0.5, 1.0]),
        fairness_steps=rng.choice([2, 3, 4, 10]),
        continuity_weight=rng.choice([0.0, 0.0, 0.1, 0.5]),
    )
    return replace(instance, parameters=p)


def brute_force_level_two(instance: MatchingInstance) -> tuple[int, int]:
    """The best (weighted fill, cost plus penalties) among all integer allocations that keep
    the rules, the penalties computed by the validator."""
    slots = allowed_slots(without_rules(instance))
    unit = [allocation_for(instance, s, o, d, 1) for s, o, d in slots]
    weight = {
        o.id: instance.parameters.weight(instance.buyers[o.buyer_id].kind) for o in instance.orders
    }
    best = (1, 0)
    for x in all_allocations(instance, slots):
        if not keeps_rules(instance, slots, x):
            continue
        chosen = [replace(u, quantity=q) for u, q in zip(unit, x, strict=True) if q]
        weighted = sum(a.quantity * weight[a.order_id] for a in chosen)
        cost = sum(a.cost_total for a in chosen) + penalties(instance, chosen)
        best = min(best, (-weighted, cost))
    return -best[0], best[1]


def tiny_fair_market(seed: int) -> MatchingInstance:
    """Two or three certified groups with 2 to 6 kg each, one to three kitchens with orders of
    1 to 4 kg (one or two deliveries in the week): room to spread the demand, random integer
    rules and groups under contract, fairness on, sometimes continuity."""
    rng = random.Random(seed)
    b = InstanceBuilder(f"fair-{seed}")

    def place() -> tuple[float, float]:
        return (
            round(SONGKHLA_CITY[0] + rng.uniform(-0.2, 0.2), 4),
            round(SONGKHLA_CITY[1] + rng.uniform(-0.2, 0.2), 4),
        )

    buyers = rng.randint(1, 3)
    for i in range(buyers):
        b.buyer(f"b{i}", rng.choice(["hospital", "school", "hotel"]), place())
    groups = rng.randint(2, 3)
    # Mostly the nearer group asks less: the greedy answer (nearest first) is then the cheapest
    # before the penalties, the case where weighing cost alone picked it wrongly.
    asks = sorted(rng.sample(["10.00", "10.50", "11.00", "12.00", "20.00"], k=groups), key=float)
    if rng.random() < 0.3:
        rng.shuffle(asks)
    for g, ask in enumerate(asks):
        b.group(f"g{g}", place()).certificate(f"g{g}", "THAI_GAP")
        b.supply(f"s{g}", f"g{g}", weeks={WEEK: rng.randint(2, 6)}, ask=ask)
        for i in range(buyers):
            b.road(f"g{g}", f"b{i}", 5.0 * (g + 1) + rng.randint(0, 4))
    for i in range(rng.randint(1, 3)):
        days = rng.sample([MONDAY + timedelta(days=k) for k in range(7)], k=rng.choice([1, 1, 2]))
        b.order(f"o{i}", f"b{rng.randrange(buyers)}", quantity=rng.randint(1, 4), deliveries=days)
    instance = with_random_rules(b.instance(), rng)
    return with_random_policies(instance, rng)


TINY_FAIR_MARKETS = 80


@pytest.mark.parametrize("seed", range(TINY_FAIR_MARKETS))
def test_an_optimal_answer_under_rules_and_policies_is_the_brute_force_optimum(seed: int) -> None:
    instance = tiny_fair_market(seed)
    weighted, level_two = brute_force_level_two(instance)

    solution = solve(instance, solver="cpsat")
    report = validate(instance, solution)
    assert report.ok, report.violations
    assert solution.status.value == "optimal", solution.notes
    assert (solution.summary.gap, solution.summary.cost_gap) == (0.0, 0.0)
    assert (report.objective.weighted_filled, report.objective.level_two) == (weighted, level_two)


def test_the_policies_change_the_answer_of_the_tiny_markets() -> None:
    # The brute-force comparison is only worth something when the penalties matter: the best
    # answer on cost alone is not the best with the penalties.
    # And CP-SAT, not only the flow relaxation, answers most of them.
    differ = cpsat_used = 0
    for seed in range(TINY_FAIR_MARKETS):
        instance = tiny_fair_market(seed)
        plain = replace(instance, parameters=instance.parameters.plain())
        cheapest = solution_of(instance, list(solve(plain, solver="cpsat").allocations))
        solution = solve(instance, solver="cpsat")
        ours = validate(instance, solution).objective
        differ += validate(instance, cheapest).objective.key() != ours.key()
        cpsat_used += solution.summary.cpsat_buckets > 0
    assert differ >= 10
    assert cpsat_used >= 40


def test_the_validator_s_penalties_are_what_the_flow_model_minimises() -> None:
    # Without integer rules the flow model is exact: its answer is the brute-force best of the
    # whole objective as the validator states it.
    for seed in range(40):
        instance = with_random_policies(tiny_market(seed), random.Random(seed))
        weighted, level_two = brute_force_level_two(instance)
        solution, report = solve_and_validate(instance, "flow")
        assert solution.status.value == "optimal"
        assert (report.objective.weighted_filled, report.objective.level_two) == (
            weighted,
            level_two,
        ), seed
