"""Eligibility: which week of which supply may serve which delivery of which order.

A pair is allowed only when every rule holds, checked in this order (the order also decides the
reason code given to an unfilled quantity):

1. the produce's scheme satisfies the order's minimum tier (``standard_not_met``);
2. a certificate of that scheme is valid on the delivery date (``certificate_invalid``);
3. that certificate's scope covers the crop (``crop_not_covered``);
4. for processed crops, a valid food-safety credential covers it (``no_food_safety_credential``);
5. the road distance is within the order's limit (``out_of_range``);
6. the unit price is within the order's max price (``price_too_high``).

The search works per market (one crop, one week) on arrays: the certificate rules are settled
once per (supply, tier, delivery date) in a table, distances and prices per (supply week, order)
with numpy, and the allowed pairs come out as arrays rather than one object per pair.
:class:`Context` keeps the rules pair by pair, for explanations and as the reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import overload

import numpy as np
import numpy.typing as npt

from matcher.domain.model import Certificate, Crop, ForwardOrder, SupplyAnnouncement
from matcher.domain.standards import Scheme, Tier
from matcher.geo import DistanceModel, GridIndex
from matcher.optimiser.instance import (
    COST_UNITS_PER_SATANG,
    DemandNode,
    MatchingInstance,
    SupplyNode,
    demand_nodes,
    supply_nodes,
    unit_cost,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ReasonCode(StrEnum):
    """Why (part of) a delivery stayed unfilled."""

    NO_SUPPLY = "no_supply"
    STANDARD_NOT_MET = "standard_not_met"
    CERTIFICATE_INVALID = "certificate_invalid"
    CROP_NOT_COVERED = "crop_not_covered"
    NO_FOOD_SAFETY_CREDENTIAL = "no_food_safety_credential"
    OUT_OF_RANGE = "out_of_range"
    PRICE_TOO_HIGH = "price_too_high"
    INSUFFICIENT_SUPPLY = "insufficient_supply"
    CAPACITY_TAKEN = "capacity_taken"


# How far a candidate got through the rules: a later failure is a nearer miss.
RULE_ORDER: tuple[ReasonCode, ...] = (
    ReasonCode.STANDARD_NOT_MET,
    ReasonCode.CERTIFICATE_INVALID,
    ReasonCode.CROP_NOT_COVERED,
    ReasonCode.NO_FOOD_SAFETY_CREDENTIAL,
    ReasonCode.OUT_OF_RANGE,
    ReasonCode.PRICE_TOO_HIGH,
)

# In the arrays a rule is coded 1 + its position in RULE_ORDER; 0 means the pair is allowed.
ALLOWED = 0
CODE_STANDARD = 1 + RULE_ORDER.index(ReasonCode.STANDARD_NOT_MET)
CODE_CERTIFICATE = 1 + RULE_ORDER.index(ReasonCode.CERTIFICATE_INVALID)
CODE_CROP = 1 + RULE_ORDER.index(ReasonCode.CROP_NOT_COVERED)
CODE_FOOD_SAFETY = 1 + RULE_ORDER.index(ReasonCode.NO_FOOD_SAFETY_CREDENTIAL)
CODE_OUT_OF_RANGE = 1 + RULE_ORDER.index(ReasonCode.OUT_OF_RANGE)
CODE_PRICE = 1 + RULE_ORDER.index(ReasonCode.PRICE_TOO_HIGH)

BLOCK_CELLS = 1 << 21
"""Candidate pairs examined at once: bounds the temporary arrays of a large market."""


def offered_price(supply: SupplyAnnouncement, crop: Crop, order: ForwardOrder) -> int:
    """Unit price in satang: the group's ask, else the crop's reference price, else the cap."""
    if supply.asking_price is not None:
        return supply.asking_price
    if crop.reference_price is not None:
        return crop.reference_price
    return order.max_price if order.max_price is not None else 0


class CertificateRules:
    """The certificate rules (1-4), memoised per supply, delivery date and tier."""

    def __init__(self, instance: MatchingInstance) -> None:
        self.instance = instance
        self.by_group = instance.certificates_by_group()
        self._food_safety = instance.standards.food_safety_schemes()
        self._memo: dict[tuple[str, date, Tier], ReasonCode | None] = {}

    def reason(self, supply: SupplyAnnouncement, day: date, tier: Tier) -> ReasonCode | None:
        key = (supply.id, day, tier)
        if key not in self._memo:
            self._memo[key] = self._reason(supply, day, tier)
        return self._memo[key]

    def _reason(self, supply: SupplyAnnouncement, day: date, tier: Tier) -> ReasonCode | None:
        standards = self.instance.standards
        crop = self.instance.crops[supply.crop_id]
        certs = self.by_group.get(supply.group_id, [])
        if supply.scheme is Scheme.NONE or not standards.rule(supply.scheme).needs_certificate:
            if not standards.satisfies(supply.scheme, tier):
                return ReasonCode.STANDARD_NOT_MET
        else:
            held = [c for c in certs if c.scheme is supply.scheme]
            meeting = [c for c in held if standards.satisfies(c.scheme, tier, c.scopes)]
            if not meeting:
                return ReasonCode.STANDARD_NOT_MET
            valid = [c for c in meeting if c.valid_on(day)]
            if not valid:
                return ReasonCode.CERTIFICATE_INVALID
            if not any(c.covers(crop) for c in valid):
                return ReasonCode.CROP_NOT_COVERED
        if crop.processed and not self._has_food_safety(certs, crop, day):
            return ReasonCode.NO_FOOD_SAFETY_CREDENTIAL
        return None

    def _has_food_safety(self, certs: list[Certificate], crop: Crop, day: date) -> bool:
        return any(
            c.scheme in self._food_safety and c.valid_on(day) and c.covers(crop) for c in certs
        )


@dataclass(frozen=True, slots=True)
class Arc:
    """An allowed pair, with the delivered cost of one unit."""

    supply_index: int
    demand_index: int
    price: int
    distance_km: float
    cost: int


@dataclass(frozen=True, slots=True, eq=False)
class EligibilityGraph:
    """Allowed pairs of some markets, as arrays (``arcs`` gives them one by one).

    Node indices are local to the graph; ``supply_ids`` and ``demand_ids`` map them to the
    instance-wide node lists of :class:`MarketTables`.
    """

    supply: list[SupplyNode]
    demand: list[DemandNode]
    weights: list[int]
    """Priority weight of each demand node."""
    arc_supply: IntArray
    arc_demand: IntArray
    arc_price: IntArray
    """Satang per unit."""
    arc_km: FloatArray
    arc_cost: IntArray
    """Delivered cost of one unit, in solver cost units."""
    supply_quantity: IntArray
    demand_quantity: IntArray
    weight: IntArray
    supply_ids: IntArray
    demand_ids: IntArray

    @property
    def arcs(self) -> ArcView:
        return ArcView(self)

    @property
    def arc_count(self) -> int:
        return len(self.arc_supply)


class ArcView(Sequence[Arc]):
    """The arcs of a graph as :class:`Arc` values, made on demand."""

    def __init__(self, graph: EligibilityGraph) -> None:
        self._graph = graph

    def __len__(self) -> int:
        return len(self._graph.arc_supply)

    @overload
    def __getitem__(self, k: int) -> Arc: ...

    @overload
    def __getitem__(self, k: slice) -> list[Arc]: ...

    def __getitem__(self, k: int | slice) -> Arc | list[Arc]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        g = self._graph
        return Arc(
            int(g.arc_supply[k]),
            int(g.arc_demand[k]),
            int(g.arc_price[k]),
            float(g.arc_km[k]),
            int(g.arc_cost[k]),
        )

    def __iter__(self) -> Iterator[Arc]:
        g = self._graph
        columns = (g.arc_supply, g.arc_demand, g.arc_price, g.arc_km, g.arc_cost)
        for s, d, price, km, cost in zip(*(c.tolist() for c in columns), strict=True):
            yield Arc(s, d, price, km, cost)


class Context:
    """Lookups shared by eligibility, explanations and the greedy baseline."""

    def __init__(self, instance: MatchingInstance) -> None:
        self.instance = instance
        self.orders = {o.id: o for o in instance.orders}
        self.supplies = {s.id: s for s in instance.supply}
        self.rules = CertificateRules(instance)
        self.distances: DistanceModel = instance.distance_model()
        self._km: dict[tuple[str, str], float] = {}
        self._terms: dict[tuple[str, str], tuple[int, float, int] | None] = {}

    def km(self, group_id: str, buyer_id: str) -> float:
        key = (group_id, buyer_id)
        known = self._km.get(key)
        if known is None:
            group = self.instance.groups[group_id]
            buyer = self.instance.buyers[buyer_id]
            known = self.distances.km(group_id, group.location, buyer_id, buyer.location)
            self._km[key] = known
        return known

    def pair_reason(self, supply: SupplyAnnouncement, node: DemandNode) -> ReasonCode | None:
        """The first rule the pair breaks, or ``None`` when it is allowed."""
        order = self.orders[node.order_id]
        found = self.rules.reason(supply, node.day, order.min_tier)
        if found is not None:
            return found
        limit = self.instance.max_distance(order)
        if limit is not None and self.km(supply.group_id, order.buyer_id) > limit:
            return ReasonCode.OUT_OF_RANGE
        crop = self.instance.crops[order.crop_id]
        if order.max_price is not None and offered_price(supply, crop, order) > order.max_price:
            return ReasonCode.PRICE_TOO_HIGH
        return None

    def order_terms(
        self, supply: SupplyAnnouncement, order: ForwardOrder
    ) -> tuple[int, float, int] | None:
        """Price, distance and unit cost when the distance and price rules hold, else ``None``.

        These rules do not depend on the delivery date, so the answer is kept per (supply, order).
        """
        key = (supply.id, order.id)
        if key in self._terms:
            return self._terms[key]
        terms: tuple[int, float, int] | None = None
        limit = self.instance.max_distance(order)
        if limit is None or self.km(supply.group_id, order.buyer_id) <= limit:
            crop = self.instance.crops[order.crop_id]
            price_ok = order.max_price is None or (
                offered_price(supply, crop, order) <= order.max_price
            )
            terms = self.unit_cost(supply, order) if price_ok else None
        self._terms[key] = terms
        return terms

    def unit_cost(self, supply: SupplyAnnouncement, order: ForwardOrder) -> tuple[int, float, int]:
        """Price (satang), distance (km) and delivered cost (solver units) of one unit."""
        crop = self.instance.crops[order.crop_id]
        price = offered_price(supply, crop, order)
        km = self.km(supply.group_id, order.buyer_id)
        rate = self.instance.parameters.transport_rate(crop.unit)
        return price, km, unit_cost(price=price, distance_km=km, rate_thb_per_unit_km=rate)

    def weight(self, order_id: str) -> int:
        buyer = self.instance.buyers[self.orders[order_id].buyer_id]
        return self.instance.parameters.weight(buyer.kind)

    @cached_property
    def tables(self) -> MarketTables:
        """The instance as arrays by market, built on first use."""
        return MarketTables(self.instance)


def supply_index(
    instance: MatchingInstance, nodes: list[SupplyNode]
) -> dict[tuple[str, str], GridIndex[int]]:
    """Supply nodes by (crop, week), each bucket a grid over the groups' locations."""
    supplies = {s.id: s for s in instance.supply}
    buckets: dict[tuple[str, str], list[tuple[int, SupplyNode]]] = defaultdict(list)
    for i, node in enumerate(nodes):
        buckets[(supplies[node.supply_id].crop_id, node.week)].append((i, node))
    return {
        key: GridIndex(
            (instance.groups[supplies[n.supply_id].group_id].location, i) for i, n in items
        )
        for key, items in buckets.items()
    }


def _split(keys: IntArray, count: int) -> list[IntArray]:
    """Indices of ``keys`` (values in ``0..count-1``, -1 ignored) grouped by value, ascending."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(-1, count + 1))
    return [order[bounds[k + 1] : bounds[k + 2]].astype(np.int64) for k in range(count)]


class MarketTables:
    """The instance as arrays, grouped by market (crop, week), for the vectorised search.

    Markets are the (crop, week) pairs with deliveries, numbered in the order of the deliveries.
    Supply nodes (``snodes``, free quantity), supply nodes kept when empty (``enodes``, for
    explanations) and delivery nodes (``dnodes``) are the instance-wide lists.
    """

    def __init__(self, instance: MatchingInstance) -> None:
        self.instance = instance
        params = instance.parameters
        anns = instance.supply
        orders = instance.orders
        group_ids = list(instance.groups)
        buyer_ids = list(instance.buyers)
        g_pos = {g: i for i, g in enumerate(group_ids)}
        b_pos = {b: i for i, b in enumerate(buyer_ids)}
        a_pos = {s.id: i for i, s in enumerate(anns)}
        o_pos = {o.id: i for i, o in enumerate(orders)}
        self.distances = instance.distance_model()

        self.snodes = supply_nodes(instance)
        self.enodes = (
            self.snodes if instance.open_supply is None else supply_nodes(instance, keep_empty=True)
        )
        self.dnodes = demand_nodes(instance)

        market_of: dict[tuple[str, str], int] = {}
        d_market: list[int] = []
        for node in self.dnodes:
            key = (orders[o_pos[node.order_id]].crop_id, node.week)
            d_market.append(market_of.setdefault(key, len(market_of)))
        self.markets: list[tuple[str, str]] = list(market_of)
        n_markets = len(self.markets)

        def supply_arrays(nodes: list[SupplyNode]) -> tuple[IntArray, IntArray, IntArray]:
            ann = np.fromiter((a_pos[n.supply_id] for n in nodes), np.int64, len(nodes))
            qty = np.fromiter((n.quantity for n in nodes), np.int64, len(nodes))
            crop = [anns[a].crop_id for a in ann.tolist()]
            market = np.fromiter(
                (market_of.get((c, n.week), -1) for c, n in zip(crop, nodes, strict=True)),
                np.int64,
                len(nodes),
            )
            return ann, qty, market

        self.s_ann, self.s_qty, s_market = supply_arrays(self.snodes)
        if self.enodes is self.snodes:
            self.e_ann, self.e_qty, e_market = self.s_ann, self.s_qty, s_market
        else:
            self.e_ann, self.e_qty, e_market = supply_arrays(self.enodes)

        days = sorted({n.day for n in self.dnodes})
        self.days = np.array([d.toordinal() for d in days], dtype=np.int64)
        day_pos = {d: i for i, d in enumerate(days)}
        n_d = len(self.dnodes)
        self.d_order = np.fromiter((o_pos[n.order_id] for n in self.dnodes), np.int64, n_d)
        self.d_day = np.fromiter((day_pos[n.day] for n in self.dnodes), np.int64, n_d)
        self.d_qty = np.fromiter((n.quantity for n in self.dnodes), np.int64, n_d)
        self.d_market = np.asarray(d_market, dtype=np.int64)

        self.m_supply = _split(s_market, n_markets)
        self.m_every = self.m_supply if self.enodes is self.snodes else _split(e_market, n_markets)
        self.m_demand = _split(self.d_market, n_markets)

        self.a_group = np.fromiter((g_pos[s.group_id] for s in anns), np.int64, len(anns))
        self.a_price = np.fromiter(
            (_own_price(s, instance.crops[s.crop_id]) for s in anns), np.int64, len(anns)
        )
        tiers = sorted({o.min_tier for o in orders}, key=list(Tier).index)
        tier_pos = {t: i for i, t in enumerate(tiers)}
        n_o = len(orders)
        self.o_buyer = np.fromiter((b_pos[o.buyer_id] for o in orders), np.int64, n_o)
        self.o_limit = np.fromiter(
            (_or_inf(instance.max_distance(o)) for o in orders), np.float64, n_o
        )
        self.o_has_max = np.fromiter((o.max_price is not None for o in orders), np.bool_, n_o)
        self.o_max_price = np.fromiter((o.max_price or 0 for o in orders), np.int64, n_o)
        self.o_tier = np.fromiter((tier_pos[o.min_tier] for o in orders), np.int64, n_o)
        self.o_rate = np.fromiter(
            (params.transport_rate(instance.crops[o.crop_id].unit) for o in orders),
            np.float64,
            n_o,
        )
        self.o_weight = np.fromiter(
            (params.weight(instance.buyers[o.buyer_id].kind) for o in orders), np.int64, n_o
        )
        self.d_weight = self.o_weight[self.d_order]

        groups = [instance.groups[g].location for g in group_ids]
        buyers = [instance.buyers[b].location for b in buyer_ids]
        self.g_lat = np.array([at.lat for at in groups], dtype=np.float64)
        self.g_lon = np.array([at.lon for at in groups], dtype=np.float64)
        self.b_lat = np.array([at.lat for at in buyers], dtype=np.float64)
        self.b_lon = np.array([at.lon for at in buyers], dtype=np.float64)
        self.n_buyers = len(buyer_ids)
        table = sorted(
            (g_pos[g] * self.n_buyers + b_pos[b], round(km, 2))
            for (g, b), km in instance.road_distances.items()
        )
        self.road_keys = np.array([k for k, _ in table], dtype=np.int64)
        self.road_km = np.array([km for _, km in table], dtype=np.float64)

        self.certificate_codes = self._certificate_codes(tiers)
        """Code of the certificate rules (0 or 1-4) by [tier, supply, delivery day]."""

    # --- certificate rules ---------------------------------------------------------------

    def _certificate_codes(self, tiers: list[Tier]) -> npt.NDArray[np.int8]:
        instance = self.instance
        anns = instance.supply
        out = np.zeros((len(tiers), len(anns), len(self.days)), dtype=np.int8)
        by_group = instance.certificates_by_group()
        memo: dict[tuple[str, Scheme, str, Tier], npt.NDArray[np.int8]] = {}
        for a, supply in enumerate(anns):
            for t, tier in enumerate(tiers):
                key = (supply.group_id, supply.scheme, supply.crop_id, tier)
                row = memo.get(key)
                if row is None:
                    row = self._codes_row(supply, tier, by_group.get(supply.group_id, []))
                    memo[key] = row
                out[t, a] = row
        return out

    def _codes_row(
        self, supply: SupplyAnnouncement, tier: Tier, certs: list[Certificate]
    ) -> npt.NDArray[np.int8]:
        """The same rules as :meth:`CertificateRules._reason`, for every delivery day at once."""
        standards = self.instance.standards
        crop = self.instance.crops[supply.crop_id]
        row = np.zeros(len(self.days), dtype=np.int8)
        in_valid: BoolArray | None = None
        in_scope: BoolArray | None = None
        if supply.scheme is Scheme.NONE or not standards.rule(supply.scheme).needs_certificate:
            if not standards.satisfies(supply.scheme, tier):
                row[:] = CODE_STANDARD
                return row
        else:
            meeting = [
                c
                for c in certs
                if c.scheme is supply.scheme and standards.satisfies(c.scheme, tier, c.scopes)
            ]
            if not meeting:
                row[:] = CODE_STANDARD
                return row
            in_valid = self._valid_days(meeting)
            in_scope = self._valid_days([c for c in meeting if c.covers(crop)])
        if crop.processed:
            food_safety = standards.food_safety_schemes()
            credentials = [c for c in certs if c.scheme in food_safety and c.covers(crop)]
            row[~self._valid_days(credentials)] = CODE_FOOD_SAFETY
        if in_scope is not None:
            row[~in_scope] = CODE_CROP
        if in_valid is not None:
            row[~in_valid] = CODE_CERTIFICATE
        return row

    def _valid_days(self, certs: list[Certificate]) -> BoolArray:
        """Which delivery days at least one of ``certs`` is valid on."""
        out = np.zeros(len(self.days), dtype=np.bool_)
        for c in certs:
            first = c.valid_from.toordinal()
            last = c.valid_until.toordinal()
            if c.revoked_on is not None:
                last = min(last, c.revoked_on.toordinal() - 1)
            lo = int(np.searchsorted(self.days, first, side="left"))
            hi = int(np.searchsorted(self.days, last, side="right"))
            if hi > lo:
                out[lo:hi] = True
        return out

    # --- distance and price ----------------------------------------------------------------

    def km_grid(self, groups: IntArray, buyers: IntArray) -> FloatArray:
        """Road km from every group (rows) to every buyer (columns), as :meth:`Context.km`."""
        g_u, g_inv = np.unique(groups, return_inverse=True)
        b_u, b_inv = np.unique(buyers, return_inverse=True)
        km = self.distances.road_km_grid(
            self.g_lat[g_u], self.g_lon[g_u], self.b_lat[b_u], self.b_lon[b_u]
        )
        if len(self.road_keys):
            keys = g_u[:, None] * self.n_buyers + b_u[None, :]
            pos = np.minimum(np.searchsorted(self.road_keys, keys), len(self.road_keys) - 1)
            hit = self.road_keys[pos] == keys
            km[hit] = self.road_km[pos[hit]]
        out: FloatArray = km[g_inv.reshape(-1)][:, b_inv.reshape(-1)]
        return out

    def prices(self, anns: IntArray, orders: IntArray) -> IntArray:
        """Offered unit price (satang) for every supply (rows) and order (columns)."""
        own = self.a_price[anns][:, None]
        out: IntArray = np.where(own >= 0, own, self.o_max_price[orders][None, :])
        return out

    def terms(self, anns: IntArray, orders: IntArray) -> tuple[FloatArray, IntArray, IntArray]:
        """Km, price and the code of the distance and price rules (0, 5 or 6), supply × order."""
        km = self.km_grid(self.a_group[anns], self.o_buyer[orders])
        price = self.prices(anns, orders)
        code = np.where(
            km > self.o_limit[orders][None, :],
            CODE_OUT_OF_RANGE,
            np.where(
                self.o_has_max[orders][None, :] & (price > self.o_max_price[orders][None, :]),
                CODE_PRICE,
                ALLOWED,
            ),
        ).astype(np.int64)
        return km, price, code

    def market_arcs(self, m: int) -> tuple[IntArray, IntArray, IntArray, FloatArray, IntArray]:
        """Allowed pairs of market ``m``: supply node, delivery node (instance-wide indices),
        price, km and unit cost; ordered by delivery, then supply node."""
        supply, deliveries = self.m_supply[m], self.m_demand[m]
        if len(supply) == 0 or len(deliveries) == 0:
            return _no_arcs()
        n_s = len(supply)
        anns = self.s_ann[supply]
        orders, column = np.unique(self.d_order[deliveries], return_inverse=True)
        column = column.reshape(-1)
        km, price, code = self.terms(anns, orders)
        # Order-major matrices (order × supply), so that a delivery's row is one copy.
        km_os = np.ascontiguousarray(km.T)
        price_os = np.ascontiguousarray(price.T)
        ok_os = np.ascontiguousarray(code.T == ALLOWED)
        rate = self.o_rate[orders][:, None]
        transport = np.rint(rate * km_os * 100 * COST_UNITS_PER_SATANG).astype(np.int64)
        cost_os = price_os * COST_UNITS_PER_SATANG + transport
        # The certificate rules depend on the delivery only through its (tier, day).
        tier = self.o_tier[self.d_order[deliveries]]
        combo, combo_of = np.unique(
            tier * len(self.days) + self.d_day[deliveries], return_inverse=True
        )
        combo_of = combo_of.reshape(-1)
        cert_ok = (
            self.certificate_codes[
                (combo // len(self.days))[:, None], anns[None, :], (combo % len(self.days))[:, None]
            ]
            == ALLOWED
        )
        parts: list[tuple[IntArray, IntArray, IntArray, FloatArray, IntArray]] = []
        step = max(1, BLOCK_CELLS // n_s)
        for lo in range(0, len(deliveries), step):
            c_block = column[lo : lo + step]
            allowed = ok_os[c_block] & cert_ok[combo_of[lo : lo + step]]
            di, si = np.nonzero(allowed)
            flat = c_block[di] * n_s + si
            parts.append(
                (
                    supply[si],
                    deliveries[lo + di],
                    price_os.ravel().take(flat),
                    km_os.ravel().take(flat),
                    cost_os.ravel().take(flat),
                )
            )
        if len(parts) == 1:
            return parts[0]
        s, d, p, k, c = zip(*parts, strict=True)
        return (
            np.concatenate(s),
            np.concatenate(d),
            np.concatenate(p),
            np.concatenate(k),
            np.concatenate(c),
        )

    def candidate_pairs(self, m: int) -> int:
        """Supply weeks × deliveries of market ``m``: the work of its search."""
        return len(self.m_supply[m]) * len(self.m_demand[m])


def _no_arcs() -> tuple[IntArray, IntArray, IntArray, FloatArray, IntArray]:
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, empty, np.zeros(0, dtype=np.float64), empty


def _own_price(supply: SupplyAnnouncement, crop: Crop) -> int:
    """The group's ask, else the crop's reference price, else -1 (the order's cap applies)."""
    if supply.asking_price is not None:
        return supply.asking_price
    if crop.reference_price is not None:
        return crop.reference_price
    return -1


def _or_inf(limit: float | None) -> float:
    return float("inf") if limit is None else float(limit)


def build_graph(
    instance: MatchingInstance,
    context: Context | None = None,
    markets: Sequence[int] | None = None,
) -> EligibilityGraph:
    """Every allowed (supply week, delivery) pair of ``markets`` (default: all of them).

    Nodes are those of the given markets, in the instance-wide order; arcs come market by
    market, each ordered by delivery, then supply week.
    """
    ctx = context or Context(instance)
    t = ctx.tables
    chosen = range(len(t.markets)) if markets is None else markets
    found = [t.market_arcs(m) for m in chosen]
    s_ids = np.sort(np.concatenate([t.m_supply[m] for m in chosen] or [_no_arcs()[0]]))
    d_ids = np.sort(np.concatenate([t.m_demand[m] for m in chosen] or [_no_arcs()[0]]))
    arc_s, arc_d, price, cost = (
        np.concatenate([f[i] for f in found]).astype(np.int64, copy=False)
        if found
        else _no_arcs()[0]
        for i in (0, 1, 2, 4)
    )
    km = (
        np.concatenate([f[3] for f in found]).astype(np.float64, copy=False)
        if found
        else _no_arcs()[3]
    )
    weight = t.d_weight[d_ids]
    return EligibilityGraph(
        supply=[t.snodes[i] for i in s_ids.tolist()],
        demand=[t.dnodes[i] for i in d_ids.tolist()],
        weights=weight.tolist(),
        arc_supply=_local(s_ids, len(t.snodes))[arc_s],
        arc_demand=_local(d_ids, len(t.dnodes))[arc_d],
        arc_price=price,
        arc_km=km,
        arc_cost=cost,
        supply_quantity=t.s_qty[s_ids],
        demand_quantity=t.d_qty[d_ids],
        weight=weight,
        supply_ids=s_ids,
        demand_ids=d_ids,
    )


def _local(ids: IntArray, count: int) -> IntArray:
    """Position of each of ``ids`` (ascending) by instance-wide index."""
    out = np.zeros(count, dtype=np.int64)
    out[ids] = np.arange(len(ids), dtype=np.int64)
    return out
