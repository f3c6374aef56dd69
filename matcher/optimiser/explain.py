"""Explanations: a reason code, a readable detail and the nearest alternative for every unfilled
quantity.

:func:`explain` checks one delivery pair by pair; :func:`explain_market` gives the same answers
for many deliveries of one market at once, on the arrays of
:class:`~matcher.optimiser.markets.MarketTables`, so explanations stay linear in the
candidates of each unfilled delivery.

Both work in two steps: first they *pick* the candidate that came nearest to qualifying (the
rules below, with the same tie-breaks in both), then :func:`_describe` turns the pick into an
:class:`~matcher.optimiser.solution.Explanation` from the domain values, so the two agree
exactly. The pick, by reason code:

- ``standard_not_met``, ``crop_not_covered``, ``no_food_safety_credential``,
  ``out_of_range``: the nearest group (road km to the buyer) among the candidates stopped by
  that rule;
- ``price_too_high``: the cheapest of those candidates, then the nearest;
- ``certificate_invalid``: the candidate with a certificate nearest to valid on the delivery
  date (fewest days away), then the nearest;
- ``insufficient_supply``: the largest eligible supply week, then the nearest;
- ``capacity_taken``: the nearest eligible supply week that had something free before this
  clearing (or the nearest eligible one, when all of it was already under contract);
- ``no_supply``: the nearest other week with free supply of the crop (the earlier of two
  weeks equally far), and in it the nearest group.

Remaining ties go to the supply week that comes first in the instance's supply list.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np

from matcher.domain.model import Certificate, Crop, ForwardOrder, SupplyAnnouncement, thb
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import week_monday
from matcher.geo import GridIndex
from matcher.optimiser.eligibility import Context, offered_price
from matcher.optimiser.instance import DemandNode, SupplyNode
from matcher.optimiser.markets import MarketTables
from matcher.optimiser.reasons import (
    ALLOWED,
    BLOCK_CELLS,
    CODE_PRICE,
    RULE_ORDER,
    BoolArray,
    FloatArray,
    IntArray,
    ReasonCode,
)
from matcher.optimiser.solution import Alternative, Explanation, Figure

NEVER = 1 << 40
"""Days from a delivery to a certificate that is never valid (revoked before it started)."""

_SCHEMES: tuple[Scheme, ...] = tuple(Scheme)
_SCHEME_CODE = {s: i for i, s in enumerate(_SCHEMES)}


# --- pair by pair --------------------------------------------------------------------------


def explain(
    ctx: Context,
    node: DemandNode,
    candidates: GridIndex[int] | None,
    supply_nodes: list[SupplyNode],
    missing: int | None = None,
) -> Explanation:
    """Why ``node`` could not be (fully) filled, and the candidate that came nearest.

    ``candidates`` indexes the supply weeks (positions in ``supply_nodes``, which holds every
    supply week, empty ones included) of the delivery's crop and week. Every candidate is
    checked against the rules; the reason is the rule that stopped the candidates that came
    nearest to qualifying. When some candidates qualified, either they hold less in total than
    the delivery needs, or their capacity went to other deliveries. ``missing`` is the quantity
    left unfilled (default: the delivery's quantity), the limit of ``capacity_taken``.
    """
    order = ctx.orders[node.order_id]
    if candidates is None or len(candidates) == 0:
        return _describe(ctx, node, ReasonCode.NO_SUPPLY, _other_week(ctx, node, supply_nodes))
    failures: dict[ReasonCode, list[int]] = {}
    allowed: list[int] = []
    for _, s in candidates.all():
        reason = ctx.pair_reason(ctx.supplies[supply_nodes[s].supply_id], node)
        if reason is None:
            allowed.append(s)
        else:
            failures.setdefault(reason, []).append(s)

    def km(s: int) -> float:
        return ctx.km(ctx.supplies[supply_nodes[s].supply_id].group_id, order.buyer_id)

    if allowed:
        return _explain_allowed(ctx, node, allowed, supply_nodes, km, missing)
    reason = max(failures, key=RULE_ORDER.index)
    near = failures[reason]
    pick = _pick_stopped(ctx, node, reason, near, supply_nodes, km)
    schemes: list[str] = []
    if reason is ReasonCode.STANDARD_NOT_MET:
        schemes = sorted({ctx.supplies[supply_nodes[s].supply_id].scheme.value for s in near})
    return _describe(ctx, node, reason, supply_nodes[pick], schemes=schemes)


def _explain_allowed(
    ctx: Context,
    node: DemandNode,
    allowed: list[int],
    supply_nodes: list[SupplyNode],
    km: Callable[[int], float],
    missing: int | None,
) -> Explanation:
    """Some candidates qualified: they hold too little (the largest, then the nearest), or their
    capacity went elsewhere (the nearest with something free, else the nearest)."""
    eligible = sum(supply_nodes[s].quantity for s in allowed)
    if 0 < eligible < node.quantity:
        pick = min(allowed, key=lambda s: (-supply_nodes[s].quantity, km(s), s))
        reason = ReasonCode.INSUFFICIENT_SUPPLY
    else:
        pool = [s for s in allowed if supply_nodes[s].quantity > 0] or allowed
        pick = min(pool, key=lambda s: (km(s), s))
        reason = ReasonCode.CAPACITY_TAKEN
    return _describe(ctx, node, reason, supply_nodes[pick], eligible=eligible, missing=missing)


def _pick_stopped(
    ctx: Context,
    node: DemandNode,
    reason: ReasonCode,
    near: list[int],
    supply_nodes: list[SupplyNode],
    km: Callable[[int], float],
) -> int:
    """Of the candidates ``near`` stopped by ``reason``, the one that came nearest: the cheapest
    (prices), the nearest to valid (certificates), else the nearest; then the nearest."""
    order = ctx.orders[node.order_id]
    if reason is ReasonCode.PRICE_TOO_HIGH:
        crop = ctx.instance.crops[order.crop_id]

        def price(s: int) -> int:
            return offered_price(ctx.supplies[supply_nodes[s].supply_id], crop, order)

        return min(near, key=lambda s: (price(s), km(s), s))
    if reason is ReasonCode.CERTIFICATE_INVALID:

        def gap(s: int) -> int:
            supply = ctx.supplies[supply_nodes[s].supply_id]
            meeting = _meeting(ctx, supply, order.min_tier)
            return min(_certificate_gap(c, node.day)[0] for c in meeting)

        return min(near, key=lambda s: (gap(s), km(s), s))
    return min(near, key=lambda s: (km(s), s))


def _other_week(
    ctx: Context, node: DemandNode, supply_nodes: list[SupplyNode]
) -> SupplyNode | None:
    """The nearest supply week of the delivery's crop in the nearest week with free supply."""
    order = ctx.orders[node.order_id]
    target = _week_number(node.week)
    best: tuple[tuple[int, float, int], SupplyNode] | None = None
    for s, n in enumerate(supply_nodes):
        supply = ctx.supplies[n.supply_id]
        if n.quantity <= 0 or supply.crop_id != order.crop_id:
            continue
        key = (_week_key(_week_number(n.week) - target), ctx.km(supply.group_id, order.buyer_id), s)
        if best is None or key < best[0]:
            best = (key, n)
    return best[1] if best else None


def _week_number(week: str) -> int:
    return (week_monday(week).toordinal() - 1) // 7


def _week_key(diff: int) -> int:
    """Nearer weeks first; of two weeks equally far, the earlier one."""
    return 2 * abs(diff) + (diff > 0)


# --- certificates ------------------------------------------------------------------------


def _meeting(ctx: Context, supply: SupplyAnnouncement, tier: Tier) -> list[Certificate]:
    """The group's certificates of the produce's scheme that meet ``tier``."""
    standards = ctx.instance.standards
    return [
        c
        for c in ctx.rules.by_group.get(supply.group_id, [])
        if c.scheme is supply.scheme and standards.satisfies(c.scheme, tier, c.scopes)
    ]


def _last_day(c: Certificate) -> date:
    """The last day ``c`` is valid on (the day before it was revoked, if it was)."""
    if c.revoked_on is not None and c.revoked_on <= c.valid_until:
        return date.fromordinal(c.revoked_on.toordinal() - 1)
    return c.valid_until


def _certificate_gap(c: Certificate, day: date) -> tuple[int, str, date]:
    """Days from ``day`` to the nearest day ``c`` is valid on (0 if valid on ``day``), what
    bounds it there (``certificate_valid_from``, ``certificate_valid_until`` or
    ``certificate_revoked_on``) and that date."""
    first, last = c.valid_from.toordinal(), _last_day(c).toordinal()
    revoked = c.revoked_on is not None and c.revoked_on <= c.valid_until
    if last < first:
        assert c.revoked_on is not None
        return NEVER, "certificate_revoked_on", c.revoked_on
    d = day.toordinal()
    if d < first:
        return first - d, "certificate_valid_from", c.valid_from
    if d > last and revoked:
        assert c.revoked_on is not None
        return d - last, "certificate_revoked_on", c.revoked_on
    return max(0, d - last), "certificate_valid_until", c.valid_until


def _validity(c: Certificate, day: date) -> str:
    _, measure, when = _certificate_gap(c, day)
    verb = {
        "certificate_valid_from": "is valid from",
        "certificate_valid_until": "was valid until",
        "certificate_revoked_on": "was revoked on",
    }[measure]
    return f"{verb} {when.isoformat()}"


def _scope(certs: Sequence[Certificate]) -> str:
    crops = sorted({crop for c in certs for crop in c.crops})
    groups = sorted({group for c in certs for group in c.crop_groups})
    parts = []
    if crops:
        parts.append(f"crops {', '.join(crops)}")
    if groups:
        parts.append(f"crop groups {', '.join(groups)}")
    return " and ".join(parts) or "every crop"


def _credentials(ctx: Context, group_id: str, crop: Crop, day: date) -> str:
    """The group's food-safety credentials and why none counts, or ``none``."""
    food_safety = ctx.instance.standards.food_safety_schemes()
    held = [c for c in ctx.rules.by_group.get(group_id, []) if c.scheme in food_safety]
    parts = [
        f"{c.scheme.value} covering {_scope([c])}"
        if not c.covers(crop)
        else f"{c.scheme.value} that {_validity(c, day)}"
        for c in held
    ]
    return "; ".join(parts) or "none"


# --- the readable answer -------------------------------------------------------------------


class _Answer(NamedTuple):
    """An explanation's detail and its alternative's measure, value and limit."""

    detail: str
    measure: str
    value: Figure
    limit: Figure


@dataclass(frozen=True, slots=True)
class _Named:
    """The delivery explained and the candidate its explanation names."""

    ctx: Context
    node: DemandNode
    order: ForwardOrder
    crop: Crop
    pick: SupplyNode
    supply: SupplyAnnouncement
    km: float
    """Road km from the candidate's group to the order's buyer."""

    @property
    def label(self) -> str:
        return f"{self.crop.name_en} ({self.crop.name_th})"

    @property
    def where(self) -> str:
        return f"{self.label} in week {self.node.week}"

    @property
    def unit(self) -> str:
        return self.crop.unit.value

    @property
    def group(self) -> str:
        return self.supply.group_id


_CERTIFICATE_REASONS = frozenset(
    {
        ReasonCode.STANDARD_NOT_MET,
        ReasonCode.CERTIFICATE_INVALID,
        ReasonCode.CROP_NOT_COVERED,
        ReasonCode.NO_FOOD_SAFETY_CREDENTIAL,
    }
)
_TERMS_REASONS = frozenset(
    {ReasonCode.NO_SUPPLY, ReasonCode.OUT_OF_RANGE, ReasonCode.PRICE_TOO_HIGH}
)


def _describe(
    ctx: Context,
    node: DemandNode,
    reason: ReasonCode,
    pick: SupplyNode | None,
    *,
    eligible: int = 0,
    schemes: Sequence[str] = (),
    missing: int | None = None,
) -> Explanation:
    """The explanation of ``reason`` for ``node``, naming the candidate ``pick``."""
    order = ctx.orders[node.order_id]
    crop = ctx.instance.crops[order.crop_id]
    if pick is None:
        label = f"{crop.name_en} ({crop.name_th})"
        return Explanation(
            reason, f"no supply of {label} in week {node.week}, nor in any other week"
        )
    supply = ctx.supplies[pick.supply_id]
    named = _Named(ctx, node, order, crop, pick, supply, ctx.km(supply.group_id, order.buyer_id))
    if reason in _CERTIFICATE_REASONS:
        answer = _certificate_answer(named, reason, schemes)
    elif reason in _TERMS_REASONS:
        answer = _terms_answer(named, reason)
    else:
        answer = _supply_answer(named, reason, eligible, missing)
    alternative = Alternative(
        named.group, supply.id, pick.week, reason, answer.measure, answer.value, answer.limit
    )
    return Explanation(reason, answer.detail, alternative)


def _certificate_answer(named: _Named, reason: ReasonCode, schemes: Sequence[str]) -> _Answer:
    """``standard_not_met``, ``certificate_invalid``, ``crop_not_covered`` and
    ``no_food_safety_credential``."""
    ctx, node, order, supply = named.ctx, named.node, named.order, named.supply
    group, km, tier = named.group, named.km, order.min_tier.value
    if reason is ReasonCode.STANDARD_NOT_MET:
        return _Answer(
            f"no {named.where} meets {tier}; offered under {', '.join(schemes)}; "
            f"nearest: group {group} at {km:g} km, offering {supply.scheme.value}",
            "scheme",
            supply.scheme.value,
            tier,
        )
    if reason is ReasonCode.CERTIFICATE_INVALID:
        meeting = _meeting(ctx, supply, order.min_tier)
        cert = min(meeting, key=lambda c: _certificate_gap(c, node.day)[0])
        _, measure, when = _certificate_gap(cert, node.day)
        return _Answer(
            f"no {named.where} has a certificate valid on {node.day.isoformat()}; nearest to "
            f"valid: group {group}, whose {cert.scheme.value} certificate "
            f"{_validity(cert, node.day)}",
            measure,
            when.isoformat(),
            node.day.isoformat(),
        )
    if reason is ReasonCode.CROP_NOT_COVERED:
        valid = [c for c in _meeting(ctx, supply, order.min_tier) if c.valid_on(node.day)]
        scope = _scope(valid)
        return _Answer(
            f"no certificate meeting {tier} covers {named.label}; nearest: group "
            f"{group} at {km:g} km, whose {supply.scheme.value} certificate covers {scope}",
            "crop_scope",
            scope,
            named.crop.id,
        )
    held = _credentials(ctx, group, named.crop, node.day)
    holds = "no food-safety credential" if held == "none" else held
    return _Answer(
        f"{named.label} is processed; no supplier holds a valid food-safety credential; "
        f"nearest: group {group} at {km:g} km, holding {holds}",
        "food_safety",
        held,
        named.crop.id,
    )


def _terms_answer(named: _Named, reason: ReasonCode) -> _Answer:
    """``no_supply`` (another week), ``out_of_range`` and ``price_too_high``."""
    node, order, group, km = named.node, named.order, named.group, named.km
    if reason is ReasonCode.NO_SUPPLY:
        return _Answer(
            f"no supply of {named.where}; nearest week with supply: {named.pick.week}, "
            f"group {group} at {km:g} km",
            "week",
            named.pick.week,
            node.week,
        )
    if reason is ReasonCode.OUT_OF_RANGE:
        limit = named.ctx.instance.max_distance(order)
        return _Answer(
            f"no {named.where} within {limit:g} km; nearest: group {group} at {km:g} km",
            "distance_km",
            km,
            limit,
        )
    price = thb(offered_price(named.supply, named.crop, order))
    cap = thb(order.max_price) if order.max_price is not None else None
    return _Answer(
        f"no {named.where} within the max price {cap} THB; cheapest: group {group} "
        f"asking {price} THB",
        "unit_price_thb",
        price,
        cap,
    )


def _supply_answer(
    named: _Named, reason: ReasonCode, eligible: int, missing: int | None
) -> _Answer:
    """``insufficient_supply`` and ``capacity_taken``."""
    node, pick, unit, group, km = named.node, named.pick, named.unit, named.group, named.km
    if reason is ReasonCode.INSUFFICIENT_SUPPLY:
        return _Answer(
            f"eligible supply of {named.where} totals {eligible} {unit}, less than the "
            f"{node.quantity} {unit} ordered; largest: group {group} with {pick.quantity} {unit}",
            "free_quantity",
            eligible,
            node.quantity,
        )
    gap = node.quantity if missing is None else missing
    if eligible == 0:
        detail = (
            f"all eligible {named.where} is already under contract; nearest: group {group} at "
            f"{km:g} km"
        )
    else:
        detail = (
            f"the {eligible} {unit} of eligible {named.where} went to other deliveries (higher "
            f"priority or cheaper to serve); nearest: group {group} at {km:g} km, which had "
            f"{pick.quantity} {unit} free"
        )
    return _Answer(detail, "free_quantity", pick.quantity, gap)


# --- vectorised ----------------------------------------------------------------------------


@dataclass(eq=False)
class _Facts:
    """Arrays the vectorised explanations need beyond :class:`MarketTables`, made on first use
    (per process) and kept as long as the tables."""

    tables: MarketTables
    a_scheme: IntArray = field(init=False)
    """Scheme code of each supply announcement."""
    _certificates: tuple[IntArray, IntArray, IntArray, IntArray, IntArray] | None = None
    _meets: dict[Tier, BoolArray] = field(default_factory=dict)
    _weeks: tuple[list[IntArray], IntArray] | None = None

    def __post_init__(self) -> None:
        anns = self.tables.instance.supply
        codes = (_SCHEME_CODE[s.scheme] for s in anns)
        self.a_scheme = np.fromiter(codes, np.int64, len(anns))

    @property
    def certificates(self) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
        """Certificates by group: offsets of each group's rows (CSR), scheme code, first and
        last valid day (ordinals) and position in the instance."""
        if self._certificates is None:
            instance = self.tables.instance
            g_pos = {g: i for i, g in enumerate(instance.groups)}
            certs = instance.certificates
            group = np.fromiter((g_pos[c.group_id] for c in certs), np.int64, len(certs))
            order = np.argsort(group, kind="stable").astype(np.int64)
            rows = [certs[i] for i in order.tolist()]
            start = np.searchsorted(group[order], np.arange(len(g_pos) + 1)).astype(np.int64)
            scheme = np.fromiter((_SCHEME_CODE[c.scheme] for c in rows), np.int64, len(rows))
            first = np.fromiter((c.valid_from.toordinal() for c in rows), np.int64, len(rows))
            last = np.fromiter((_last_day(c).toordinal() for c in rows), np.int64, len(rows))
            self._certificates = (start, scheme, first, last, order)
        return self._certificates

    def meets(self, tier: Tier) -> BoolArray:
        """Whether each certificate (in the order of :attr:`certificates`) meets ``tier``."""
        found = self._meets.get(tier)
        if found is None:
            standards = self.tables.instance.standards
            certs = self.tables.instance.certificates
            rows = [certs[i] for i in self.certificates[4].tolist()]
            found = np.fromiter(
                (standards.satisfies(c.scheme, tier, c.scopes) for c in rows), np.bool_, len(rows)
            )
            self._meets[tier] = found
        return found

    @property
    def weeks(self) -> tuple[list[IntArray], IntArray]:
        """Supply weeks with free quantity by crop (positions in ``enodes``), and the week
        number of every supply week."""
        if self._weeks is None:
            t = self.tables
            instance = t.instance
            crop_pos = {c: i for i, c in enumerate(instance.crops)}
            a_crop = np.fromiter(
                (crop_pos[s.crop_id] for s in instance.supply), np.int64, len(instance.supply)
            )
            names, week_of = np.unique([n.week for n in t.enodes], return_inverse=True)
            numbers = np.array([_week_number(str(w)) for w in names], dtype=np.int64)
            e_week = numbers[week_of.reshape(-1)] if len(names) else numbers
            e_crop = np.where(t.e_qty > 0, a_crop[t.e_ann], -1)
            order = np.argsort(e_crop, kind="stable")
            bounds = np.searchsorted(e_crop[order], np.arange(len(crop_pos) + 1))
            by_crop = [
                order[bounds[k] : bounds[k + 1]].astype(np.int64) for k in range(len(crop_pos))
            ]
            self._weeks = (by_crop, e_week.astype(np.int64))
        return self._weeks


_FACTS: weakref.WeakKeyDictionary[MarketTables, _Facts] = weakref.WeakKeyDictionary()


def _facts(tables: MarketTables) -> _Facts:
    found = _FACTS.get(tables)
    if found is None:
        found = _FACTS[tables] = _Facts(tables)
    return found


def explain_market(
    ctx: Context, m: int, deliveries: IntArray, missing: IntArray | None = None
) -> list[Explanation]:
    """:func:`explain` for ``deliveries`` (instance-wide delivery indices) of market ``m``;
    ``missing``, if given, holds the quantity left unfilled of each."""
    t = ctx.tables
    gaps: list[int | None] = (
        [None] * len(deliveries) if missing is None else [int(q) for q in missing.tolist()]
    )
    every = t.m_every[m]
    if len(every) == 0:
        picks = _other_weeks(ctx, m, deliveries)
        return [
            _describe(ctx, t.dnodes[d], ReasonCode.NO_SUPPLY, pick)
            for d, pick in zip(deliveries.tolist(), picks, strict=True)
        ]
    facts = _facts(t)
    anns = t.e_ann[every]
    quantity = t.e_qty[every]
    every_ids = every.tolist()
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
        # The pool each pick is made from: with eligible candidates, the largest of them when
        # they hold too little, else those with something free (or all, when none has).
        largest = np.where(allowed, quantity[None, :], -1).max(axis=1)
        floor = np.where(eligible >= t.d_qty[block], 1, largest)
        near = codes == worst[:, None]
        pool = np.where((lines > 0)[:, None], allowed & (quantity[None, :] >= floor[:, None]), near)
        priced = np.flatnonzero((lines == 0) & (worst == CODE_PRICE))
        if len(priced):
            asks = price[:, cols[priced]].T
            cheapest = np.where(near[priced], asks, np.iinfo(np.int64).max).min(axis=1)
            pool[priced] &= asks == cheapest[:, None]
        nearest = np.where(pool, km[:, cols].T, np.inf).argmin(axis=1)
        rows = zip(block.tolist(), eligible.tolist(), nearest.tolist(), worst.tolist(), strict=True)
        for i, (d, total, pick, code) in enumerate(rows):
            node = t.dnodes[d]
            schemes: list[str] = []
            if lines[i]:
                reason = (
                    ReasonCode.INSUFFICIENT_SUPPLY
                    if 0 < total < node.quantity
                    else ReasonCode.CAPACITY_TAKEN
                )
            else:
                reason = RULE_ORDER[code - 1]
                if reason is ReasonCode.CERTIFICATE_INVALID:
                    pick = _nearest_valid(t, facts, anns, near[i], km[:, cols[i]], d)
                elif reason is ReasonCode.STANDARD_NOT_MET:
                    found = np.bincount(facts.a_scheme[anns[near[i]]], minlength=len(_SCHEMES))
                    schemes = sorted(_SCHEMES[s].value for s in np.flatnonzero(found).tolist())
            out.append(
                _describe(
                    ctx,
                    node,
                    reason,
                    t.enodes[every_ids[pick]],
                    eligible=total,
                    schemes=schemes,
                    missing=gaps[lo + i],
                )
            )
    return out


def _nearest_valid(
    t: MarketTables, facts: _Facts, anns: IntArray, near: BoolArray, km: FloatArray, d: int
) -> int:
    """Position (in the market's candidates) of the candidate in ``near`` whose certificate of
    the produce's scheme meeting the order's tier comes nearest to valid on delivery ``d``'s
    day, then the nearest (``km`` to the delivery's buyer)."""
    start, scheme, first, last, _ = facts.certificates
    meets = facts.meets(t.instance.orders[int(t.d_order[d])].min_tier)
    pos = np.flatnonzero(near)
    groups = t.a_group[anns[pos]]
    counts = start[groups + 1] - start[groups]
    owner = np.repeat(np.arange(len(pos)), counts)
    rows = (
        start[groups][owner] + np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    ok = (scheme[rows] == facts.a_scheme[anns[pos]][owner]) & meets[rows]
    day = int(t.days[t.d_day[d]])
    f, la = first[rows], last[rows]
    gap = np.where(la < f, NEVER, np.maximum(np.maximum(f - day, day - la), 0))
    best = np.full(len(pos), 2 * NEVER, dtype=np.int64)
    np.minimum.at(best, owner[ok], gap[ok])
    nearest = np.where(best == best.min(), km[pos], np.inf).argmin()
    return int(pos[int(nearest)])


def _other_weeks(ctx: Context, m: int, deliveries: IntArray) -> list[SupplyNode | None]:
    """:func:`_other_week` for ``deliveries`` of market ``m``, which has no supply."""
    t = ctx.tables
    crop_id, week = t.markets[m]
    by_crop, e_week = _facts(t).weeks
    crop_pos = list(ctx.instance.crops).index(crop_id)
    found = by_crop[crop_pos]
    if len(found) == 0:
        return [None] * len(deliveries)
    diff = e_week[found] - _week_number(week)
    key = 2 * np.abs(diff) + (diff > 0)
    in_week = found[key == key.min()]
    orders, column = np.unique(t.d_order[deliveries], return_inverse=True)
    km = t.km_grid(t.a_group[t.e_ann[in_week]], t.o_buyer[orders])
    nearest = in_week[km.argmin(axis=0)][column.reshape(-1)]
    return [t.enodes[k] for k in nearest.tolist()]
