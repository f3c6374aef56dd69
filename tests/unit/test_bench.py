"""The optimiser benchmark's figures on small scenarios, run in-process (no timing is asserted)."""

from __future__ import annotations

from typing import Any

import pytest

import matcher.optimiser.lp as lp
from bench.optimiser_figures import (
    figures_rows,
    figures_table,
    fill_kept,
    lp_agrees,
    relaxation_gap,
)
from bench.run import run_scenario
from bench.scenarios import (
    SCENARIO_LARGE,
    SCENARIOS_QUICK,
    SCENARIOS_RULES,
    Scenario,
    scenarios,
)
from matcher.optimiser.eligibility import build_graph
from matcher.optimiser.schema import parse_instance
from matcher.scenario import songkhla_instance

SONGKHLA_2 = Scenario("songkhla 2 weeks", "songkhla", weeks=2)
SINGLE_SOURCING_1 = Scenario(
    "songkhla 1 week single-sourcing", "songkhla", weeks=1, max_suppliers=1, time_limit_seconds=4
)


@pytest.fixture(scope="module")
def default() -> dict[str, Any]:
    return run_scenario(SONGKHLA_2, lp=True)


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    return run_scenario(SINGLE_SOURCING_1, lp=True)


def test_the_lp_agrees_with_the_plain_model_and_every_answer_is_valid(
    default: dict[str, Any],
) -> None:
    rows = dict(figures_rows(default))

    assert default["integer_rules"] is False
    assert default["ours"]["solver"] == "flow"
    assert default["valid"] == {"ours": True, "plain": True, "greedy": True}
    assert lp_agrees(default) == (True, True)
    assert default["lp"]["fallbacks"] == 0
    assert rows["LP agrees with plain: weighted fill"].startswith("yes")
    assert rows["LP agrees with plain: delivered cost"].startswith("yes")
    assert rows["validator ours / plain / greedy"] == "passes / passes / passes"
    assert default["ours"]["filled"] >= default["greedy"]["filled"]
    assert rows["peak memory: solving process"].endswith("MB")


def test_the_default_keeps_the_plain_fill_and_fairness_is_reported_for_all_three(
    default: dict[str, Any],
) -> None:
    rows = dict(figures_rows(default))

    assert fill_kept(default)
    assert rows["default keeps the plain fill"] == "yes"
    assert default["ours"]["delivered_cost_units"] >= default["plain"]["delivered_cost_units"]
    for name in ("ours", "plain", "greedy"):
        assert 0.0 <= default["fairness"][name]["gini_utilisation"] <= 1.0
        assert default["fairness"][name]["eligible_groups"] > 0
    for label in (
        "Gini of utilisation ours / plain / greedy",
        "lowest utilisation ours / plain / greedy",
        "smallest groups' share ours / plain / greedy",
        "suppliers per order ours / plain / greedy",
    ):
        assert len(rows[label].split(" / ")) == 3
    assert rows["default lowers the Gini (vs plain)"].split()[0] in {"yes", "NO"}


def test_single_sourcing_is_solved_by_cpsat_with_its_gap_reported_and_valid(
    single: dict[str, Any],
) -> None:
    rows = dict(figures_rows(single))

    assert single["integer_rules"] is True
    assert single["ours"]["solver"] == "cpsat"
    assert single["ours"]["status"] in {"optimal", "feasible"}
    # How small the gap gets within the time limit depends on the CPU the solver gets (the
    # benchmark prints it: 0.000 % at 10 s on 2 idle cores; above 5 % at 4 s on a loaded
    # machine), so no size is asserted: a gap is reported, as a fraction, and none when optimal.
    gap = single["ours"]["gap"]
    assert 0.0 <= gap < 1.0
    assert single["ours"]["status"] == "feasible" or gap == 0.0
    assert single["valid"] == {"ours": True, "plain": True, "greedy": True}
    assert 0.0 <= relaxation_gap(single) < 1.0
    assert single["lp"]["weighted_filled"] >= single["ours"]["weighted_filled"]
    assert rows["integer rules"] == "single sourcing"
    assert rows["CP-SAT time limit"] == "4 s"
    assert rows["gap ours vs LP relaxation"].endswith("%")
    assert "ours: CP-SAT buckets / greedy fallbacks" in rows


def test_the_tables_and_scenario_lists() -> None:
    assert figures_table("t", []).row_count == 0
    names = [s.name for s in scenarios(quick=True)]
    assert names == [s.name for s in SCENARIOS_QUICK]
    assert SCENARIO_LARGE not in scenarios()
    assert SCENARIO_LARGE in scenarios(large=True)
    rules = {s.name: s for s in SCENARIOS_RULES}
    assert rules["500 × 100 single-sourcing"].max_suppliers == 1
    mixed = rules["500 × 100 integer rules"]
    assert (mixed.max_suppliers, mixed.min_lot, mixed.max_buyers_per_week) == (2, 20, 4)


def test_column_generation_and_the_dense_fallback_reach_the_whole_lp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    graph = build_graph(parse_instance(songkhla_instance(weeks=2, seed=1)))
    whole = lp.solve_lp(graph)
    monkeypatch.setattr(lp, "DIRECT_MAX_PAIRS", 0)
    monkeypatch.setattr(lp, "SEED_PAIRS", 1)
    monkeypatch.setattr(lp, "ADD_PAIRS", 2)
    generated = lp.solve_lp(graph)
    monkeypatch.setattr(lp, "_optimal_face", lambda *_: None)
    dense = lp.solve_lp(graph)

    assert whole.fallbacks == generated.fallbacks == 0
    assert dense.fallbacks == 1
    for result in (generated, dense):
        assert result.weighted_filled == pytest.approx(whole.weighted_filled, abs=1e-6)
        assert result.delivered_cost == pytest.approx(whole.delivered_cost, rel=1e-6)
        assert result.filled == pytest.approx(whole.filled, rel=1e-6)
