"""Explanations: a reason code and a readable detail for every unfilled quantity."""

from __future__ import annotations

from matcher.domain.model import thb
from matcher.geo import GridIndex
from matcher.optimiser.eligibility import RULE_ORDER, Context, ReasonCode, offered_price
from matcher.optimiser.instance import DemandNode, SupplyNode


def explain(
    ctx: Context,
    node: DemandNode,
    candidates: GridIndex[int] | None,
    supply_nodes: list[SupplyNode],
) -> tuple[ReasonCode, str]:
    """Why ``node`` could not be (fully) filled.

    Every supply week of the crop in the delivery's week is checked against the rules; the reason
    is the rule that stopped the candidate that came nearest to qualifying. When some candidates
    qualified, either they hold less in total than the delivery needs, or their capacity went to
    other deliveries.
    """
    order = ctx.orders[node.order_id]
    crop = ctx.instance.crops[order.crop_id]
    label = f"{crop.name_en} ({crop.name_th})"
    if candidates is None or len(candidates) == 0:
        return ReasonCode.NO_SUPPLY, f"no supply of {label} in week {node.week}"
    failures: dict[ReasonCode, list[SupplyNode]] = {}
    eligible_lines = eligible = 0
    for _, s in candidates.all():
        supply = ctx.supplies[supply_nodes[s].supply_id]
        reason = ctx.pair_reason(supply, node)
        if reason is None:
            eligible_lines += 1
            eligible += supply_nodes[s].quantity
        else:
            failures.setdefault(reason, []).append(supply_nodes[s])
    unit = crop.unit.value
    if eligible_lines and eligible == 0:
        return (
            ReasonCode.CAPACITY_TAKEN,
            f"all eligible {label} in week {node.week} is already under contract",
        )
    if 0 < eligible < node.quantity:
        return (
            ReasonCode.INSUFFICIENT_SUPPLY,
            f"eligible supply of {label} in week {node.week} totals {eligible} {unit}, "
            f"less than the {node.quantity} {unit} ordered",
        )
    if eligible:
        return (
            ReasonCode.CAPACITY_TAKEN,
            f"the {eligible} {unit} of eligible {label} in week {node.week} went to other "
            "deliveries (higher priority or cheaper to serve)",
        )
    reason = max(failures, key=RULE_ORDER.index)
    return reason, _detail(ctx, node, reason, failures[reason], label)


def _detail(
    ctx: Context, node: DemandNode, reason: ReasonCode, near: list[SupplyNode], label: str
) -> str:
    order = ctx.orders[node.order_id]
    crop = ctx.instance.crops[order.crop_id]
    where = f"{label} in week {node.week}"
    if reason is ReasonCode.STANDARD_NOT_MET:
        schemes = sorted({ctx.supplies[n.supply_id].scheme.value for n in near})
        return f"no {where} meets {order.min_tier.value}; offered under {', '.join(schemes)}"
    if reason is ReasonCode.CERTIFICATE_INVALID:
        return f"no {where} has a certificate valid on {node.day.isoformat()}"
    if reason is ReasonCode.CROP_NOT_COVERED:
        return f"no certificate meeting {order.min_tier.value} covers {label}"
    if reason is ReasonCode.NO_FOOD_SAFETY_CREDENTIAL:
        return f"{label} is processed; no supplier holds a valid food-safety credential"
    if reason is ReasonCode.OUT_OF_RANGE:
        best = min(near, key=lambda n: ctx.km(ctx.supplies[n.supply_id].group_id, order.buyer_id))
        group_id = ctx.supplies[best.supply_id].group_id
        km = ctx.km(group_id, order.buyer_id)
        limit = ctx.instance.max_distance(order)
        return f"no {where} within {limit:g} km; nearest: group {group_id} at {km:g} km"
    cheapest = min(near, key=lambda n: offered_price(ctx.supplies[n.supply_id], crop, order))
    price = offered_price(ctx.supplies[cheapest.supply_id], crop, order)
    cap = thb(order.max_price) if order.max_price is not None else "-"
    return f"cheapest {where} asks {thb(price)} THB, above the max price {cap} THB"
