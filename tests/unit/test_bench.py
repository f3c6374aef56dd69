"""The optimiser benchmark's figures on a small Songkhla scenario (no timing is asserted)."""

from __future__ import annotations

from bench.run import Scenario, figures_rows, run_scenario


def test_the_benchmark_reports_agreement_validity_and_fairness_for_both_solvers() -> None:
    figures = run_scenario(Scenario("songkhla 2 weeks", "songkhla", weeks=2), lp=True)
    rows = dict(figures_rows(figures))

    assert figures["valid"] is True
    assert rows["independent LP (GLOP) agrees"].startswith("yes")
    assert figures["ours"]["filled"] >= figures["greedy"]["filled"]
    for name in ("fairness_ours", "fairness_greedy"):
        assert 0.0 <= figures[name]["gini_utilisation"] <= 1.0
        assert figures[name]["eligible_groups"] > 0
    assert " / " in rows["Gini of group utilisation ours / greedy"]
    assert rows["peak memory (max RSS)"].endswith("MB")
