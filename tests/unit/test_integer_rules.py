"""Integer rules: supplier limits, minimum lots and buyer limits.

Solutions of ``solve()`` keep them (checked by the independent validator), hand-made solutions
that break them are rejected, groups under contract count, CP-SAT reaches the brute-force
optimum on tiny markets, and the flow solver, the greedy baseline, the time-limit fallback,
the gap and the instance format behave as documented.
"""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from functools import cache
from typing import Any

import pytest

import matcher.optimiser.cpsat as cpsat
from matcher.domain.errors import InvalidValue
from matcher.domain.model import FarmerGroup, ForwardOrder, Location
from matcher.optimiser.instance import MatchingInstance, Parameters
from matcher.optimiser.reasons import ReasonCode
from matcher.optimiser.schema import InstanceError, parse_instance
from matcher.optimiser.solution import Allocation
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
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
    HAT_YAI,
    PLAIN,
    WEEK,
    InstanceBuilder,
    allocation_for,
    solution_of,
    solve_and_validate,
    week_after,
    week_day,
    with_committed,
    without_rules,
)


def violations(instance: MatchingInstance, allocations: list[Allocation]) -> list[str]:
    return validate(instance, solution_of(instance, allocations)).violations


def market(*groups: tuple[str, str, int], **group_extra: dict[str, Any]) -> InstanceBuilder:
    """Groups at Hat Yai, each with a GAP certificate and one supply week (id ``s-GROUP``) of
    ``(group, ask, quantity)``; ``group_extra`` adds fields to a group by id."""
    b = InstanceBuilder().parameters(**PLAIN)
    for group_id, ask, quantity in groups:
        b.group(group_id, **group_extra.get(group_id, {}))
        b.certificate(group_id, "THAI_GAP")
        b.supply(f"s-{group_id}", group_id, ask=ask, weeks={WEEK: quantity})
    return b


# Supplier limit ---------------------------------------------------------------------------


def single_sourcing(max_suppliers: int | None = 1) -> InstanceBuilder:
    """Two cheap groups of 30 kg and a dearer one of 60 kg; the hospital orders 60 kg."""
    b = market(("cheap1", "20.00", 30), ("cheap2", "20.00", 30), ("big", "30.00", 60))
    b.buyer("h1").order("o1", "h1", quantity=60)
    b.doc["orders"][0]["max_suppliers"] = max_suppliers
    return b


def test_single_sourcing_picks_the_one_group_that_fills_the_delivery() -> None:
    split, split_report = solve_and_validate(single_sourcing(None).instance(), "auto")
    assert served(split) == [("o1", "cheap1", 30), ("o1", "cheap2", 30)]

    solution, report = solve_and_validate(single_sourcing(1).instance(), "auto")
    assert solution.solver == "cpsat"
    assert solution.status.value == "optimal"
    assert served(solution) == [("o1", "big", 60)]
    assert solution.unfilled == ()
    assert solution.summary.suppliers_per_order == 1.0
    assert report.objective.delivered_cost > split_report.objective.delivered_cost


def four_groups(max_suppliers: int) -> InstanceBuilder:
    """Three cheap groups of 20 kg and a dear one of 40 kg; the hospital orders 60 kg."""
    b = market(("a", "20.00", 20), ("b", "21.00", 20), ("c", "22.00", 20), ("d", "30.00", 40))
    return b.buyer("h1").order("o1", "h1", quantity=60).parameters(max_suppliers=max_suppliers)


def test_two_suppliers_per_delivery_take_the_big_group_and_the_cheapest_small_one() -> None:
    solution, _ = solve_and_validate(four_groups(3).instance(), "auto")
    assert served(solution) == [("o1", "a", 20), ("o1", "b", 20), ("o1", "c", 20)]
    solution, _ = solve_and_validate(four_groups(2).instance(), "auto")
    assert solution.status.value == "optimal"
    assert served(solution) == [("o1", "a", 20), ("o1", "d", 40)]


def test_what_single_sourcing_leaves_unfilled_is_explained_by_the_supplier_limit() -> None:
    solution, _ = solve_and_validate(four_groups(1).instance(), "auto")
    assert served(solution) == [("o1", "d", 40)]
    [unfilled] = solution.unfilled
    assert (unfilled.quantity, unfilled.reason) == (20, ReasonCode.SUPPLIER_LIMIT)
    alternative = unfilled.alternative
    assert alternative is not None
    assert alternative.group_id in {"a", "b", "c"}
    assert (alternative.rule, alternative.measure) == (ReasonCode.SUPPLIER_LIMIT, "suppliers")
    assert (alternative.value, alternative.limit) == (1, 1)
    assert "d" in unfilled.detail


def test_the_order_s_own_supplier_limit_overrides_the_default() -> None:
    b = four_groups(1)
    b.doc["orders"][0]["max_suppliers"] = 3
    solution, _ = solve_and_validate(b.instance(), "auto")
    assert served(solution) == [("o1", "a", 20), ("o1", "b", 20), ("o1", "c", 20)]


def test_more_suppliers_than_allowed_are_rejected_by_the_validator() -> None:
    instance = four_groups(2).instance()
    two = [
        allocation_for(instance, "s-a", "o1", DELIVERY, 20),
        allocation_for(instance, "s-d", "o1", DELIVERY, 40),
    ]
    assert violations(instance, two) == []
    three = [*two[:1], allocation_for(instance, "s-b", "o1", DELIVERY, 20)]
    three.append(allocation_for(instance, "s-c", "o1", DELIVERY, 20))
    [found] = violations(instance, three)
    assert found == f"order o1 {DELIVERY}: 3 suppliers (a, b, c) > max_suppliers 2"


def test_the_supplier_limit_counts_each_delivery_on_its_own() -> None:
    b = market(("a", "20.00", 100), ("b", "20.00", 100)).buyer("h1")
    monday, friday = week_day(WEEK, 0), week_day(WEEK, 4)
    b.order("o1", "h1", quantity=20, deliveries=[monday, friday]).parameters(max_suppliers=1)
    instance = b.instance()
    allowed = [
        allocation_for(instance, "s-a", "o1", monday, 20),
        allocation_for(instance, "s-b", "o1", friday, 20),
    ]
    assert violations(instance, allowed) == []
    split = [allocation_for(instance, "s-a", "o1", monday, 19), *allowed[1:]]
    found = violations(instance, [*split, allocation_for(instance, "s-b", "o1", monday, 1)])
    assert found == [
        f"order o1 {monday}: 2 suppliers (a, b) > max_suppliers 1",
    ]


# Minimum lot ------------------------------------------------------------------------------


def lot_market(min_lot: int = 30) -> InstanceBuilder:
    """A cheap group with 40 kg, a dearer one with 100 kg in lots of ``min_lot``; 50 kg wanted."""
    b = market(("cheap", "20.00", 40), ("lotted", "30.00", 100), lotted={"min_lot": min_lot})
    return b.buyer("h1").order("o1", "h1", quantity=50)


def test_a_minimum_lot_makes_the_cheap_group_leave_room_for_a_full_lot() -> None:
    solution, _ = solve_and_validate(lot_market().instance(), "auto")
    assert solution.solver == "cpsat"
    assert solution.status.value == "optimal"
    assert served(solution) == [("o1", "cheap", 20), ("o1", "lotted", 30)]
    assert solution.unfilled == ()


def test_a_lot_larger_than_the_delivery_makes_the_group_unusable() -> None:
    b = market(("g1", "30.00", 100), g1={"min_lot": 80}).buyer("h1")
    solution, _ = solve_and_validate(b.order("o1", "h1", quantity=50).instance(), "auto")
    assert solution.allocations == ()
    [unfilled] = solution.unfilled
    assert (unfilled.quantity, unfilled.reason) == (50, ReasonCode.BELOW_MIN_LOT)
    alternative = unfilled.alternative
    assert alternative is not None
    assert (alternative.group_id, alternative.supply_id) == ("g1", "s-g1")
    assert (alternative.rule, alternative.measure) == (ReasonCode.BELOW_MIN_LOT, "min_lot")
    assert (alternative.value, alternative.limit) == (80, 50)
    assert "80" in unfilled.detail


def test_the_default_lot_applies_to_groups_without_their_own() -> None:
    b = market(("g1", "30.00", 100), ("g2", "30.00", 100), g2={"min_lot": 10})
    b.buyer("h1").order("o1", "h1", quantity=50).parameters(min_lot=80)
    solution, _ = solve_and_validate(b.instance(), "auto")
    assert served(solution) == [("o1", "g2", 50)]


def test_deliveries_below_the_lot_are_rejected_by_the_validator() -> None:
    b = lot_market()
    b.supply("s-lotted-2", "lotted", ask="30.00", weeks={WEEK: 100})
    instance = b.instance()
    small = allocation_for(instance, "s-lotted", "o1", DELIVERY, 10)
    assert violations(instance, [small]) == [
        f"order o1 {DELIVERY}: group lotted delivers 10 < min_lot 30"
    ]
    # The lot counts per group and delivery, whichever of its supplies delivers.
    rest = allocation_for(instance, "s-lotted-2", "o1", DELIVERY, 20)
    assert violations(instance, [small, rest]) == []
    # A group without a lot may deliver a single unit.
    assert violations(instance, [allocation_for(instance, "s-cheap", "o1", DELIVERY, 1)]) == []


# Buyer limit ------------------------------------------------------------------------------


def buyer_market(limit: int = 1) -> InstanceBuilder:
    """One group of 100 kg serving ``limit`` buyers a week; a school (nearer, listed first) and
    a hospital order 40 kg each."""
    b = market(("g1", "30.00", 100), g1={"max_buyers_per_week": limit})
    b.buyer("school", "school", HAT_YAI).buyer("hospital", "hospital")
    return b.order("o-school", "school", quantity=40).order("o-hospital", "hospital", quantity=40)


def test_a_buyer_limit_of_one_serves_the_higher_priority_kitchen() -> None:
    both, _ = solve_and_validate(buyer_market(2).instance(), "auto")
    assert served(both) == [("o-hospital", "g1", 40), ("o-school", "g1", 40)]

    solution, _ = solve_and_validate(buyer_market(1).instance(), "auto")
    assert solution.solver == "cpsat"
    assert solution.status.value == "optimal"
    assert served(solution) == [("o-hospital", "g1", 40)]
    [unfilled] = solution.unfilled
    assert (unfilled.order_id, unfilled.quantity) == ("o-school", 40)
    assert unfilled.reason is ReasonCode.BUYER_LIMIT
    alternative = unfilled.alternative
    assert alternative is not None
    assert alternative.group_id == "g1"
    assert (alternative.rule, alternative.measure) == (ReasonCode.BUYER_LIMIT, "buyers")
    assert (alternative.value, alternative.limit) == (1, 1)


def test_the_buyer_limit_counts_buyers_across_crops_in_a_week_but_not_across_weeks() -> None:
    next_week = week_after(WEEK)
    b = market(("g1", "30.00", 100), g1={"max_buyers_per_week": 1})
    b.supply("s-mg", "g1", crop="morning_glory", weeks={WEEK: 100, next_week: 100})
    b.buyer("school", "school").buyer("hospital", "hospital")
    b.order("o-hospital", "hospital", quantity=40)
    b.order("o-school", "school", crop="morning_glory", quantity=40)
    solution, _ = solve_and_validate(b.instance(), "auto")
    assert served(solution) == [("o-hospital", "g1", 40)]
    assert [u.reason for u in solution.unfilled] == [ReasonCode.BUYER_LIMIT]

    b.doc["orders"][1]["deliveries"] = [week_day(next_week).isoformat()]
    solution, _ = solve_and_validate(b.instance(), "auto")
    assert served(solution) == [("o-hospital", "g1", 40), ("o-school", "g1", 40)]


def test_more_buyers_than_allowed_are_rejected_by_the_validator() -> None:
    instance = buyer_market(1).instance()
    one = [allocation_for(instance, "s-g1", "o-school", DELIVERY, 40)]
    assert violations(instance, one) == []
    both = [*one, allocation_for(instance, "s-g1", "o-hospital", DELIVERY, 40)]
    assert violations(instance, both) == [
        f"group g1 week {WEEK}: 2 buyers (hospital, school) > max_buyers_per_week 1"
    ]
    # Two deliveries of one buyer in the week are one buyer.
    b = buyer_market(1)
    b.order("o-school-2", "school", quantity=10, deliveries=[week_day(WEEK, 4)])
    instance = b.instance()
    again = [*one, allocation_for(instance, "s-g1", "o-school-2", week_day(WEEK, 4), 10)]
    assert violations(instance, again) == []


def test_the_default_buyer_limit_applies_to_groups_without_their_own() -> None:
    b = buyer_market(1)
    del b.doc["groups"][0]["max_buyers_per_week"]
    solution, _ = solve_and_validate(b.instance(), "auto")
    assert len(served(solution)) == 2
    solution, _ = solve_and_validate(b.parameters(max_buyers_per_week=1).instance(), "auto")
    assert served(solution) == [("o-hospital", "g1", 40)]


# Groups under contract --------------------------------------------------------------------


def test_single_sourcing_with_a_group_under_contract_lets_only_that_group_serve() -> None:
    b = market(("cheap", "20.00", 100), ("held", "30.00", 30)).buyer("h1")
    b.order("o1", "h1", quantity=50).parameters(max_suppliers=1)
    free, _ = solve_and_validate(b.instance(), "auto")
    assert served(free) == [("o1", "cheap", 50)]

    instance = with_committed(b.instance(), {("o1", DELIVERY): {"held"}})
    solution, _ = solve_and_validate(instance, "auto")
    assert served(solution) == [("o1", "held", 30)]
    [unfilled] = solution.unfilled
    assert (unfilled.quantity, unfilled.reason) == (20, ReasonCode.SUPPLIER_LIMIT)
    assert unfilled.alternative is not None
    assert unfilled.alternative.group_id == "cheap"
    greedy, _ = solve_and_validate(instance, "greedy")
    assert served(greedy) == [("o1", "held", 30)]

    cheap = allocation_for(instance, "s-cheap", "o1", DELIVERY, 50)
    assert violations(instance, [cheap]) == [
        f"order o1 {DELIVERY}: 2 suppliers (cheap + held under contract) > max_suppliers 1"
    ]


def test_a_group_under_contract_takes_one_of_the_allowed_suppliers() -> None:
    instance = with_committed(four_groups(2).instance(), {("o1", DELIVERY): {"c"}})
    solution, _ = solve_and_validate(instance, "auto")
    # c plus one new group: d (40) beats a or b (20).
    assert served(solution) == [("o1", "c", 20), ("o1", "d", 40)]


def test_a_group_under_contract_may_add_less_than_its_lot() -> None:
    instance = with_committed(lot_market().instance(), {("o1", DELIVERY): {"lotted"}})
    solution, _ = solve_and_validate(instance, "auto")
    assert served(solution) == [("o1", "cheap", 40), ("o1", "lotted", 10)]
    small = allocation_for(instance, "s-lotted", "o1", DELIVERY, 10)
    assert violations(instance, [small]) == []
    # Under contract for another delivery only: the lot applies.
    other = with_committed(lot_market().instance(), {("o1", DELIVERY + timedelta(7)): {"lotted"}})
    assert violations(other, [small]) == [
        f"order o1 {DELIVERY}: group lotted delivers 10 < min_lot 30"
    ]


def test_buyers_under_contract_count_towards_the_buyer_limit() -> None:
    # The group already serves the school this week: the hospital would be a second buyer.
    instance = with_committed(buyer_market(1).instance(), {("o-school", DELIVERY): {"g1"}})
    solution, _ = solve_and_validate(instance, "auto")
    assert served(solution) == [("o-school", "g1", 40)]
    [unfilled] = solution.unfilled
    assert (unfilled.order_id, unfilled.reason) == ("o-hospital", ReasonCode.BUYER_LIMIT)
    hospital = allocation_for(instance, "s-g1", "o-hospital", DELIVERY, 40)
    assert violations(instance, [hospital]) == [
        f"group g1 week {WEEK}: 2 buyers (hospital + school under contract) > max_buyers_per_week 1"
    ]


def test_a_buyer_under_contract_served_again_counts_once() -> None:
    instance = with_committed(buyer_market(1).instance(), {("o-school", DELIVERY): {"g1"}})
    solution, _ = solve_and_validate(instance, "auto")
    assert served(solution) == [("o-school", "g1", 40)]
    [unfilled] = solution.unfilled
    assert unfilled.alternative is not None
    # g1 serves one buyer this week, the school (under contract and served again).
    assert (unfilled.alternative.value, unfilled.alternative.limit) == (1, 1)
    assert "serves 1 buyer" in unfilled.detail


def test_limits_already_exceeded_by_contracts_only_stop_new_groups_and_buyers() -> None:
    # A limit set after the contracts: what is under contract may go on, nothing new may join.
    b = four_groups(1)
    instance = with_committed(b.instance(), {("o1", DELIVERY): {"a", "b"}})
    more_of_the_same = [
        allocation_for(instance, "s-a", "o1", DELIVERY, 20),
        allocation_for(instance, "s-b", "o1", DELIVERY, 20),
    ]
    assert violations(instance, more_of_the_same) == []
    new = allocation_for(instance, "s-d", "o1", DELIVERY, 20)
    assert violations(instance, [new]) == [
        f"order o1 {DELIVERY}: 3 suppliers (d + a, b under contract) > max_suppliers 1"
    ]
    solution, _ = solve_and_validate(instance, "auto")
    assert served(solution) == [("o1", "a", 20), ("o1", "b", 20)]


# Brute force ------------------------------------------------------------------------------


def brute_force_with_rules(instance: MatchingInstance) -> tuple[int, int, list[Allocation]]:
    """The lexicographic best (weighted fill, then delivered cost) among all integer
    allocations that keep the rules."""
    # One unit of a pair may break a lot or a limit: the pairs are those allowed without them.
    slots = allowed_slots(without_rules(instance))
    unit = [allocation_for(instance, s, o, d, 1) for s, o, d in slots]
    weight = {
        o.id: instance.parameters.weight(instance.buyers[o.buyer_id].kind) for o in instance.orders
    }
    best: tuple[int, int] = (1, 0)
    best_x: list[int] = []
    for x in all_allocations(instance, slots):
        weighted = sum(q * weight[u.order_id] for q, u in zip(x, unit, strict=True))
        cost = sum(q * u.unit_cost for q, u in zip(x, unit, strict=True))
        if (-weighted, cost) < best and keeps_rules(instance, slots, x):
            best, best_x = (-weighted, cost), x
    allocations = [
        allocation_for(instance, s, o, d, q)
        for (s, o, d), q in zip(slots, best_x, strict=True)
        if q > 0
    ]
    return -best[0], best[1], allocations


TINY_MARKETS = 60


@cache
def tiny_seeds() -> list[int]:
    """Seeds of the first tiny markets that offer a choice (two allowed pairs or more)."""
    seeds = (s for s in range(1000) if len(allowed_slots(tiny_market(s))) >= 2)
    return list(itertools.islice(seeds, TINY_MARKETS))


def tiny_rule_market(n: int) -> MatchingInstance:
    """The ``n``-th tiny market with a choice, with random rules."""
    seed = tiny_seeds()[n]
    return with_random_rules(tiny_market(seed), random.Random(5000 + seed))


@pytest.mark.parametrize("n", range(TINY_MARKETS))
def test_cpsat_reaches_the_brute_force_optimum_under_random_rules(n: int) -> None:
    instance = tiny_rule_market(n)
    weighted, cost, allocations = brute_force_with_rules(instance)
    best = validate(instance, solution_of(instance, allocations))
    assert best.ok, best.violations

    solution = solve(instance, solver="cpsat")
    report = validate(instance, solution)
    assert report.ok, report.violations
    assert solution.status.value == "optimal", solution.notes
    assert solution.summary.gap == 0.0
    assert (report.objective.weighted_filled, report.objective.delivered_cost) == (
        weighted,
        cost,
    )
    auto = solve(instance)
    assert validate(instance, auto).objective == report.objective


def test_the_random_rules_of_the_tiny_markets_bind() -> None:
    # The brute-force comparison is only worth something when the rules change the answer.
    binding = greedy_rules = cpsat_used = 0
    for n in range(TINY_MARKETS):
        instance = tiny_rule_market(n)
        free = without_rules(instance)
        assert not free.has_integer_rules()
        unruled = validate(free, solve(free)).objective
        solution = solve(instance)
        ruled = validate(instance, solution).objective
        binding += unruled.key() != ruled.key()
        greedy_rules += validate(instance, solve(instance, solver="greedy")).objective != ruled
        cpsat_used += solution.summary.cpsat_buckets > 0
    assert binding >= 20
    assert cpsat_used >= 20
    assert greedy_rules >= 5


# Flow and greedy solvers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "instance",
    [
        single_sourcing(1).instance(),
        lot_market().instance(),
        buyer_market(1).instance(),
    ],
    ids=["max_suppliers", "min_lot", "max_buyers_per_week"],
)
def test_the_flow_solver_refuses_integer_rules(instance: MatchingInstance) -> None:
    solution = solve(instance, solver="flow")
    assert solution.status.value == "error"
    assert "auto" in solution.message
    assert "cpsat" in solution.message
    assert solution.allocations == ()


@pytest.mark.parametrize(
    "instance",
    [
        single_sourcing(1).instance(),
        four_groups(2).instance(),
        lot_market().instance(),
        buyer_market(1).instance(),
        with_committed(four_groups(1).instance(), {("o1", DELIVERY): {"a", "b"}}),
    ],
)
def test_the_greedy_solver_keeps_the_rules(instance: MatchingInstance) -> None:
    greedy, report = solve_and_validate(instance, "greedy")
    assert greedy.status.value == "feasible"
    best = validate(instance, solve(instance)).objective
    assert best.weighted_filled >= report.objective.weighted_filled


def test_greedy_single_sourcing_takes_the_cheapest_group_and_stops() -> None:
    greedy, _ = solve_and_validate(single_sourcing(1).instance(), "greedy")
    assert served(greedy) == [("o1", "cheap1", 30)]
    assert [u.reason for u in greedy.unfilled] == [ReasonCode.SUPPLIER_LIMIT]


# Time limit, fallback and gap -------------------------------------------------------------


def test_when_cpsat_finds_nothing_in_time_the_greedy_answer_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def nothing(*args: Any) -> Any:
        return cpsat._Outcome(None, False, 0, 0.01, args[5])

    monkeypatch.setattr(cpsat, "_cpsat", nothing)
    instance = single_sourcing(1).instance()
    solution, _ = solve_and_validate(instance, "auto")
    assert solution.status.value == "feasible"
    assert solution.summary.cpsat_buckets == 1
    assert solution.summary.fallback_buckets == 1
    assert any("greedy" in note and "CP-SAT" in note for note in solution.notes)
    greedy = solve(instance, solver="greedy")
    assert served(solution) == served(greedy) == [("o1", "cheap1", 30)]
    # The relaxation's 60 kg bound against the 30 kg kept.
    assert solution.summary.gap == pytest.approx(0.5)


def test_with_time_cpsat_is_optimal_with_no_gap_and_the_summary_says_so() -> None:
    solution, _ = solve_and_validate(lot_market().instance(), "auto")
    assert solution.status.value == "optimal"
    summary = solution.to_json()["summary"]
    assert (summary["gap"], summary["cpsat_buckets"], summary["fallback_buckets"]) == (0.0, 1, 0)
    assert solution.notes == ()


def test_rules_the_flow_answer_already_keeps_need_no_cpsat() -> None:
    solution, _ = solve_and_validate(single_sourcing(2).instance(), "auto")
    assert solution.solver == "cpsat"
    assert solution.status.value == "optimal"
    summary = solution.to_json()["summary"]
    assert (summary["gap"], summary["cpsat_buckets"], summary["fallback_buckets"]) == (0.0, 0, 0)


# Instance format --------------------------------------------------------------------------


def ruled_doc() -> dict[str, Any]:
    b = market(("g1", "30.00", 100), g1={"min_lot": 5, "max_buyers_per_week": 2}).buyer("h1")
    b.order("o1", "h1").parameters(max_suppliers=2, min_lot=3, max_buyers_per_week=4)
    doc = b.build()
    doc["orders"][0]["max_suppliers"] = 1
    return doc


def test_rules_in_an_instance_file_are_parsed() -> None:
    instance = parse_instance(ruled_doc())
    p = instance.parameters
    assert (p.max_suppliers, p.min_lot, p.max_buyers_per_week) == (2, 3, 4)
    assert instance.orders[0].max_suppliers == 1
    group = instance.groups["g1"]
    assert (group.min_lot, group.max_buyers_per_week) == (5, 2)
    assert instance.has_integer_rules()
    plain = market(("g1", "30.00", 100)).buyer("h1").order("o1", "h1").instance()
    assert not plain.has_integer_rules()


RULE_FIELDS = [
    ("parameters", "max_suppliers"),
    ("parameters", "min_lot"),
    ("parameters", "max_buyers_per_week"),
    ("orders[0]", "max_suppliers"),
    ("groups[0]", "min_lot"),
    ("groups[0]", "max_buyers_per_week"),
]


def _set(doc: dict[str, Any], where: str, name: str, value: Any) -> None:
    if where == "parameters":
        doc["parameters"][name] = value
    else:
        doc[where.split("[")[0]][0][name] = value


BAD_VALUES = [0, -1, 1.5, True]


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize(("where", "name"), RULE_FIELDS)
def test_invalid_rule_values_in_an_instance_file_are_reported_naming_the_field(
    where: str, name: str, value: Any
) -> None:
    doc = ruled_doc()
    _set(doc, where, name, value)
    with pytest.raises(InstanceError) as caught:
        parse_instance(doc)
    [problem] = caught.value.problems
    assert problem.startswith(f"{where}.{name}: "), problem


def _group(**limits: Any) -> FarmerGroup:
    return FarmerGroup("g1", "g1", "g1", Location(*HAT_YAI), 10, **limits)


def _order(**limits: Any) -> ForwardOrder:
    return ForwardOrder("o1", "h1", "kale", 10, (DELIVERY,), **limits)


def _domain_cases() -> list[Any]:
    builders: list[tuple[str, str, Any]] = [
        ("parameters", "max_suppliers", lambda v: Parameters(max_suppliers=v)),
        ("parameters", "min_lot", lambda v: Parameters(min_lot=v)),
        ("parameters", "max_buyers_per_week", lambda v: Parameters(max_buyers_per_week=v)),
        ("order", "max_suppliers", lambda v: _order(max_suppliers=v)),
        ("group", "min_lot", lambda v: _group(min_lot=v)),
        ("group", "max_buyers_per_week", lambda v: _group(max_buyers_per_week=v)),
    ]
    cases = []
    for owner, name, build in builders:
        for value in (0, -1, 1.5, True):
            cases.append(pytest.param(build, name, value, id=f"{owner}-{name}-{value}"))
    return cases


@pytest.mark.parametrize(("build", "name", "value"), _domain_cases())
def test_invalid_rule_values_in_the_domain_raise_invalid_value_naming_the_field(
    build: Any, name: str, value: Any
) -> None:
    with pytest.raises(InvalidValue) as caught:
        build(value)
    assert caught.value.field == name
