"""Readable reports of a solution (rich renderables; printing is the caller's business)."""

from __future__ import annotations

from collections import Counter, defaultdict

from rich.console import Group
from rich.table import Table

from matcher.domain.model import thb
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.solution import Solution


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "   - "


def comparison_table(solutions: dict[str, Solution]) -> Table:
    table = Table(title="Summary")
    table.add_column("")
    for name in solutions:
        table.add_column(name, justify="right")
    sums = {name: s.summary.to_json() for name, s in solutions.items()}
    for label, key in (
        ("status", "status"),
        ("demand", "demand"),
        ("filled", "filled"),
        ("fill rate", "fill_rate"),
        ("priority-weighted fill", "weighted_filled"),
        ("goods cost (THB)", "goods_cost_thb"),
        ("transport cost (THB)", "transport_cost_thb"),
        ("delivered cost (THB)", "delivered_cost_thb"),
        ("km per unit", "km_per_unit"),
        ("wall time (s)", "wall_seconds"),
    ):
        values = []
        for name, solution in solutions.items():
            value = solution.status.value if key == "status" else sums[name][key]
            if key == "fill_rate":
                value = f"{100 * float(value):.1f} %"
            values.append(str(value))
        table.add_row(label, *values)
    return table


def fill_by_crop(instance: MatchingInstance, solutions: dict[str, Solution]) -> Table:
    table = Table(title="Fill rate per crop")
    table.add_column("crop")
    table.add_column("ordered", justify="right")
    for name in solutions:
        table.add_column(f"filled ({name})", justify="right")
    demand: Counter[str] = Counter()
    for order in instance.orders:
        demand[order.crop_id] += order.quantity * len(order.deliveries)
    filled = {name: _filled_by(s, "crop_id") for name, s in solutions.items()}
    for crop_id in sorted(demand):
        crop = instance.crops[crop_id]
        cells = [
            f"{filled[n][crop_id]:,} ({_pct(filled[n][crop_id], demand[crop_id]).strip()})"
            for n in solutions
        ]
        label = f"{crop.name_en} / {crop.name_th}"
        table.add_row(label, f"{demand[crop_id]:,} {crop.unit.value}", *cells)
    return table


def _filled_by(solution: Solution, attr: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for a in solution.allocations:
        out[str(getattr(a, attr))] += a.quantity
    return out


def contracts_by_buyer(instance: MatchingInstance, solution: Solution) -> Table:
    table = Table(title=f"Contracts per buyer ({solution.solver})")
    for col in ("buyer", "kind", "suppliers", "deliveries", "value (THB)", "fill"):
        table.add_column(col, justify="left" if col in ("buyer", "kind") else "right")
    ordered: Counter[str] = Counter()
    for order in instance.orders:
        ordered[order.buyer_id] += order.quantity * len(order.deliveries)
    groups: dict[str, set[str]] = defaultdict(set)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    value: Counter[str] = Counter()
    got: Counter[str] = Counter()
    for a in solution.allocations:
        groups[a.buyer_id].add(a.group_id)
        pairs[a.buyer_id].add((a.order_id, a.day.isoformat()))
        value[a.buyer_id] += a.price_total
        got[a.buyer_id] += a.quantity
    for buyer_id in sorted(ordered, key=lambda b: (-ordered[b], b)):
        buyer = instance.buyers[buyer_id]
        table.add_row(
            f"{buyer.name_en} / {buyer.name_th}",
            buyer.kind.value,
            str(len(groups[buyer_id])),
            str(len(pairs[buyer_id])),
            thb(value[buyer_id]),
            _pct(got[buyer_id], ordered[buyer_id]),
        )
    return table


def unfilled_by_reason(solution: Solution) -> Table:
    table = Table(title=f"Unfilled quantities by reason ({solution.solver})")
    for col in ("reason", "deliveries", "quantity", "example"):
        table.add_column(col, justify="right" if col in ("deliveries", "quantity") else "left")
    count: Counter[str] = Counter()
    qty: Counter[str] = Counter()
    example: dict[str, str] = {}
    for u in solution.unfilled:
        count[u.reason.value] += 1
        qty[u.reason.value] += u.quantity
        example.setdefault(u.reason.value, f"{u.order_id}: {u.detail}")
    for reason in sorted(count, key=lambda r: -qty[r]):
        table.add_row(reason, str(count[reason]), f"{qty[reason]:,}", example[reason])
    if not count:
        table.add_row("(none)", "0", "0", "")
    return table


def demo_report(instance: MatchingInstance, optimal: Solution, greedy: Solution) -> Group:
    solutions = {"optimiser": optimal, "greedy": greedy}
    return Group(
        comparison_table(solutions),
        fill_by_crop(instance, solutions),
        contracts_by_buyer(instance, optimal),
        unfilled_by_reason(optimal),
        unfilled_by_reason(greedy),
    )
