"""The large-instance machinery gives the same answers as the plain one.

The vectorised eligibility search and explanations against the pair-by-pair rules of
``Context``, and markets solved in worker processes against the same markets solved in-process.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from matcher.optimiser import parallel
from matcher.optimiser.eligibility import Context, build_graph, supply_index
from matcher.optimiser.explain import explain, explain_market
from matcher.optimiser.instance import MatchingInstance, supply_nodes
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from tests.support.builders import ALL_CROPS, random_market

Pair = tuple[str, str, date]


def market(
    seed: int,
    groups: int = 4,
    buyers: int = 3,
    orders: int = 4,
    weeks: int = 2,
    supply_per_group: int = 2,
    max_quantity: int = 100,
) -> MatchingInstance:
    return random_market(
        random.Random(seed),
        groups=groups,
        buyers=buyers,
        orders=orders,
        weeks=weeks,
        crops=ALL_CROPS,
        max_quantity=max_quantity,
        supply_per_group=supply_per_group,
    ).instance()


def medium(seed: int) -> MatchingInstance:
    return market(
        seed, groups=60, buyers=15, orders=120, weeks=3, max_quantity=300, supply_per_group=3
    )


def pair_by_pair(instance: MatchingInstance) -> dict[Pair, tuple[int, float, int]]:
    """Allowed pairs and their (price, km, unit cost), one pair at a time."""
    ctx = Context(instance)
    out: dict[Pair, tuple[int, float, int]] = {}
    snodes = supply_nodes(instance)
    for node in ctx.tables.dnodes:
        order = ctx.orders[node.order_id]
        for snode in snodes:
            supply = ctx.supplies[snode.supply_id]
            if supply.crop_id != order.crop_id or snode.week != node.week:
                continue
            if ctx.pair_reason(supply, node) is None:
                out[(supply.id, order.id, node.day)] = ctx.unit_cost(supply, order)
    return out


def vectorised(instance: MatchingInstance) -> dict[Pair, tuple[int, float, int]]:
    graph = build_graph(instance)
    return {
        (
            graph.supply[a.supply_index].supply_id,
            graph.demand[a.demand_index].order_id,
            graph.demand[a.demand_index].day,
        ): (a.price, a.distance_km, a.cost)
        for a in graph.arcs
    }


@pytest.mark.parametrize("seed", range(40))
def test_vectorised_eligibility_gives_the_pairs_of_the_pair_by_pair_rules(seed: int) -> None:
    instance = market(seed, groups=12, buyers=5, orders=14, weeks=3, supply_per_group=3)
    expected = pair_by_pair(instance)
    found = vectorised(instance)
    assert found == expected
    assert len(build_graph(instance).arcs) == len(expected)


def test_the_eligibility_comparison_covers_road_tables_and_every_rule() -> None:
    with_road = with_pairs = 0
    for seed in range(40):
        instance = market(seed, groups=12, buyers=5, orders=14, weeks=3, supply_per_group=3)
        with_road += bool(instance.road_distances)
        with_pairs += len(pair_by_pair(instance)) >= 5
    assert with_road >= 30
    assert with_pairs >= 20


@pytest.mark.parametrize("seed", range(25))
def test_vectorised_explanations_match_the_pair_by_pair_ones(seed: int) -> None:
    instance = market(seed, groups=10, buyers=4, orders=12, weeks=3, supply_per_group=3)
    ctx = Context(instance)
    t = ctx.tables
    every_week = supply_nodes(instance, keep_empty=True)
    index = supply_index(instance, every_week)
    for m, (crop_id, week) in enumerate(t.markets):
        deliveries = t.m_demand[m]
        answers = explain_market(ctx, m, deliveries)
        for d, answer in zip(deliveries.tolist(), answers, strict=True):
            node = t.dnodes[d]
            assert answer == explain(ctx, node, index.get((crop_id, week)), every_week)


def objective(instance: MatchingInstance, solver: str, use_pool: bool | None) -> tuple[int, int]:
    solution = solve(instance, solver=solver, parallel=use_pool)
    assert solution.status.value != "error", solution.message
    report = validate(instance, solution)
    assert report.ok, report.violations
    assert report.objective.weighted_filled == solution.summary.weighted_filled
    return report.objective.weighted_filled, report.objective.delivered_cost


@pytest.mark.parametrize("seed", range(3))
def test_worker_processes_give_the_in_process_answer(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = medium(seed)
    ctx = Context(instance)
    chunks = parallel.plan_chunks(ctx.tables, 2)
    assert len(chunks) >= 2
    in_process = solve(instance, parallel=False)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_PAIRS", 0)
    monkeypatch.setattr(parallel, "available_workers", lambda: 2)
    assert parallel.use_pool(ctx.tables, chunks, None) == 2
    pooled = solve(instance)
    assert pooled.status == in_process.status
    assert pooled.summary.weighted_filled == in_process.summary.weighted_filled
    assert pooled.summary.delivered_cost == in_process.summary.delivered_cost
    assert pooled.summary.eligible_pairs == in_process.summary.eligible_pairs
    assert pooled.allocations == in_process.allocations
    assert pooled.unfilled == in_process.unfilled
    for solver in ("flow", "greedy"):
        assert objective(instance, solver, True) == objective(instance, solver, False)


def test_medium_instances_fill_something_and_leave_something_unfilled() -> None:
    for seed in range(3):
        solution = solve(medium(seed), parallel=False)
        assert solution.summary.filled > 0
        assert solution.unfilled


def test_small_instances_are_solved_in_process() -> None:
    ctx = Context(market(1))
    chunks = parallel.plan_chunks(ctx.tables, 2)
    assert parallel.use_pool(ctx.tables, chunks, None) == 0
    assert parallel.use_pool(ctx.tables, chunks, False) == 0


def test_a_failing_worker_comes_back_as_an_error_status(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = medium(0)

    def broken(*_: object) -> None:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr("matcher.optimiser.solve.solve_flow", broken)
    solution = solve(instance, parallel=True)
    assert solution.status.value == "error"
    assert "solver exploded" in solution.message
