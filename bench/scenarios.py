"""The optimiser benchmark's scenarios (``foodmatch bench``): the demo market and synthetic ones
of given sizes, with or without integer rules, and the lists a run takes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcher.optimiser.instance import MatchingInstance


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    kind: str
    """``songkhla`` (the demo market) or ``scaled`` (synthetic, of the given size)."""
    order_weeks: int = 0
    groups: int = 0
    weeks: int = 12
    max_suppliers: int | None = None
    min_lot: int | None = None
    max_buyers_per_week: int | None = None
    time_limit_seconds: float | None = None
    """CP-SAT's time limit per clearing (``None``: the parameters' default)."""

    @property
    def rules(self) -> str:
        """The integer rules set by the scenario, in words."""
        parts = []
        if self.max_suppliers is not None:
            parts.append(
                "single sourcing"
                if self.max_suppliers == 1
                else f"suppliers ≤ {self.max_suppliers}"
            )
        if self.min_lot is not None:
            parts.append(f"lot ≥ {self.min_lot}")
        if self.max_buyers_per_week is not None:
            parts.append(f"buyers/week ≤ {self.max_buyers_per_week}")
        return ", ".join(parts) or "none"

    def apply(self, instance: MatchingInstance) -> MatchingInstance:
        """``instance`` with the scenario's integer rules and time limit."""
        changes: dict[str, Any] = {
            name: value
            for name in ("max_suppliers", "min_lot", "max_buyers_per_week", "time_limit_seconds")
            if (value := getattr(self, name)) is not None
        }
        if not changes:
            return instance
        return replace(instance, parameters=replace(instance.parameters, **changes))


SONGKHLA = Scenario("songkhla 12 weeks", "songkhla")
SCALED_1K = Scenario("scaled 1k × 200", "scaled", 1_000, 200)
SCALED_10K = Scenario("scaled 10k × 2k", "scaled", 10_000, 2_000)
SCENARIO_LARGE = Scenario("scaled 100k × 5k", "scaled", 100_000, 5_000)
SCENARIOS_RULES = (
    Scenario("songkhla single-sourcing", "songkhla", max_suppliers=1),
    Scenario(
        "500 × 100 single-sourcing", "scaled", 500, 100, max_suppliers=1, time_limit_seconds=10.0
    ),
    Scenario(
        "500 × 100 integer rules",
        "scaled",
        500,
        100,
        max_suppliers=2,
        min_lot=20,
        max_buyers_per_week=4,
    ),
)
SCENARIOS_QUICK = (SONGKHLA, SCALED_1K, *SCENARIOS_RULES)
SCENARIOS_FULL = (SONGKHLA, SCALED_1K, SCALED_10K, *SCENARIOS_RULES)


def scenarios(*, quick: bool = False, large: bool = False) -> list[Scenario]:
    chosen = list(SCENARIOS_QUICK if quick else SCENARIOS_FULL)
    if large:
        chosen.insert(chosen.index(SCENARIOS_RULES[0]), SCENARIO_LARGE)
    return chosen
