"""Fairness metrics of a solution: how evenly demand is spread across the groups.

* utilisation of a group: the quantity allocated to it over the quantity it offered (its supply
  weeks in the instance), counted for groups eligible for at least one delivery;
* the Gini coefficient of those utilisations (0: all equal; towards 1: concentrated);
* the lowest utilisation among them;
* the share of the allocated volume going to the smallest groups (the quarter of eligible
  groups with the fewest members).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matcher.optimiser.instance import MatchingInstance, supply_nodes
from matcher.optimiser.solution import Allocation

SMALLEST_SHARE = 0.25


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values (0 for an empty or all-zero list)."""
    ordered = sorted(values)
    n = len(ordered)
    total = sum(ordered)
    if n == 0 or total <= 0:
        return 0.0
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


@dataclass(frozen=True, slots=True)
class Fairness:
    groups: int
    """Eligible groups (at least one delivery they could serve)."""
    gini_utilisation: float
    min_utilisation: float
    smallest_groups_share: float

    def to_json(self) -> dict[str, float | int]:
        return {
            "eligible_groups": self.groups,
            "gini_utilisation": round(self.gini_utilisation, 4),
            "min_utilisation": round(self.min_utilisation, 4),
            "smallest_groups_share": round(self.smallest_groups_share, 4),
        }


def fairness(
    instance: MatchingInstance, allocations: Iterable[Allocation], eligible_groups: set[str]
) -> Fairness:
    """The metrics of ``allocations`` over ``eligible_groups``."""
    supplies = {s.id: s for s in instance.supply}
    offered: dict[str, int] = defaultdict(int)
    for node in supply_nodes(instance):
        offered[supplies[node.supply_id].group_id] += node.quantity
    used: dict[str, int] = defaultdict(int)
    for a in allocations:
        used[a.group_id] += a.quantity
    groups = sorted(g for g in eligible_groups if offered.get(g, 0) > 0)
    if not groups:
        return Fairness(0, 0.0, 0.0, 0.0)
    rates = [used[g] / offered[g] for g in groups]
    by_size = sorted(groups, key=lambda g: (instance.groups[g].members, g))
    smallest = by_size[: max(1, round(len(by_size) * SMALLEST_SHARE))]
    total = sum(used[g] for g in groups)
    share = sum(used[g] for g in smallest) / total if total else 0.0
    return Fairness(len(groups), gini(rates), min(rates), share)
