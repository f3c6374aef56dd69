"""Explanations: a reason code and a readable detail for every unfilled quantity.

:func:`explain` checks one delivery pair by pair; :func:`explain_market` gives the same answers
for many deliveries of one market at once, on the arrays of
:class:`~matcher.optimiser.markets.MarketTables`, so explanations stay linear in the
candidates of each unfilled delivery.
"""

from __future__ import annotations

import numpy as np

from matcher.domain.model import thb
from matcher.geo import GridIndex
from matcher.optimiser.eligibility import (
    ALLOWED,
    BLOCK_CELLS,
    RULE_ORDER,
    Context,
    IntArray,
    ReasonCode,
    offered_price,
)
from matcher.optimiser.instance import DemandNode, SupplyNode
from matcher.optimiser.solution import Explanation


def explain(
    ctx: Context,
    node: DemandNode,
    candidates: GridIndex[int] | None,
    supply_nodes: list[SupplyNode],
) -> Explanation:
    """Why ``node`` could not be (fully) filled (see :func:`_explain`)."""
    return Explanation(*_explain(ctx, node, candidates, supply_nodes))


def _explain(
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


def explain_market(ctx: Context, m: int, deliveries: IntArray) -> list[Explanation]:
    """:func:`explain` for ``deliveries`` (instance-wide delivery indices) of market ``m``."""
    t = ctx.tables
    crop = ctx.instance.crops[t.markets[m][0]]
    label = f"{crop.name_en} ({crop.name_th})"
    every = t.m_every[m]
    if len(every) == 0:
        return [
            Explanation(ReasonCode.NO_SUPPLY, f"no supply of {label} in week {t.dnodes[d].week}")
            for d in deliveries.tolist()
        ]
    anns = t.e_ann[every]
    quantity = t.e_qty[every]
    orders, column = np.unique(t.d_order[deliveries], return_inverse=True)
    column = column.reshape(-1)
    km, price, terms = t.terms(anns, orders)
    out: list[Explanation] = []
    step = max(1, BLOCK_CELLS // len(every))
    for lo in range(0, len(deliveries), step):
        block = deliveries[lo : lo + step]
        cols = column[lo : lo + step]
        tier = t.o_tier[t.d_order[block]]
        codes = t.certificate_codes[tier[:, None], anns[None, :], t.d_day[block][:, None]]
        codes = np.where(codes != ALLOWED, codes, terms[:, cols].T)
        allowed = codes == ALLOWED
        lines = allowed.sum(axis=1)
        eligible = (allowed * quantity[None, :]).sum(axis=1)
        worst = codes.max(axis=1)
        for i, d in enumerate(block.tolist()):
            node = t.dnodes[d]
            if lines[i] and eligible[i] == 0:
                out.append(
                    Explanation(
                        ReasonCode.CAPACITY_TAKEN,
                        f"all eligible {label} in week {node.week} is already under contract",
                    )
                )
                continue
            if lines[i]:
                out.append(Explanation(*_capacity(node, int(eligible[i]), label, crop.unit.value)))
                continue
            reason = RULE_ORDER[int(worst[i]) - 1]
            near = np.flatnonzero(codes[i] == worst[i])
            if reason is ReasonCode.OUT_OF_RANGE:
                near = near[[int(np.argmin(km[near, cols[i]]))]]
            elif reason is ReasonCode.PRICE_TOO_HIGH:
                near = near[[int(np.argmin(price[near, cols[i]]))]]
            elif reason is ReasonCode.STANDARD_NOT_MET:
                near = near[np.unique(anns[near], return_index=True)[1]]
            else:
                near = near[:1]
            nodes = [t.enodes[k] for k in every[near].tolist()]
            out.append(Explanation(reason, _detail(ctx, node, reason, nodes, label)))
    return out


def _capacity(node: DemandNode, eligible: int, label: str, unit: str) -> tuple[ReasonCode, str]:
    if eligible < node.quantity:
        return (
            ReasonCode.INSUFFICIENT_SUPPLY,
            f"eligible supply of {label} in week {node.week} totals {eligible} {unit}, "
            f"less than the {node.quantity} {unit} ordered",
        )
    return (
        ReasonCode.CAPACITY_TAKEN,
        f"the {eligible} {unit} of eligible {label} in week {node.week} went to other "
        "deliveries (higher priority or cheaper to serve)",
    )
