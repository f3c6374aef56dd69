"""The vectorised eligibility search: the instance as arrays, grouped by market.

A market is one crop in one week. The certificate rules are settled once per (supply, tier,
delivery date) in a table, distances and prices per (supply week, order) with numpy, and the
allowed pairs of a market come out as arrays rather than one object per pair. The rules are
those of :mod:`matcher.optimiser.eligibility`, which keeps them pair by pair as the reference.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matcher.domain.model import Certificate, Crop, SupplyAnnouncement
from matcher.domain.standards import Scheme, Tier
from matcher.optimiser.instance import (
    COST_UNITS_PER_SATANG,
    MatchingInstance,
    PricingPolicy,
    SupplyNode,
    demand_nodes,
    supply_nodes,
)
from matcher.optimiser.reasons import (
    ALLOWED,
    BLOCK_CELLS,
    CODE_CERTIFICATE,
    CODE_CROP,
    CODE_FOOD_SAFETY,
    CODE_OUT_OF_RANGE,
    CODE_PRICE,
    CODE_STANDARD,
    BoolArray,
    FloatArray,
    IntArray,
)


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
        orders = instance.orders
        group_ids = list(instance.groups)
        buyer_ids = list(instance.buyers)
        g_pos = {g: i for i, g in enumerate(group_ids)}
        b_pos = {b: i for i, b in enumerate(buyer_ids)}
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
        self.d_market = np.asarray(d_market, dtype=np.int64)
        self._supply_arrays(market_of)
        self._delivery_arrays(o_pos)
        self.a_group = np.fromiter(
            (g_pos[s.group_id] for s in instance.supply), np.int64, len(instance.supply)
        )
        self._price_arrays()
        tiers = sorted({o.min_tier for o in orders}, key=list(Tier).index)
        self._order_arrays(tiers, b_pos)
        self.d_weight = self.o_weight[self.d_order]
        self._distance_arrays(group_ids, buyer_ids, g_pos, b_pos)

        self.excluded: dict[int, list[int]] = {}
        """Groups never matched with an order (they declined it), by order index."""
        for o, g in sorted(instance.excluded):
            if o in o_pos and g in g_pos:
                self.excluded.setdefault(o_pos[o], []).append(g_pos[g])
        self.certificate_codes = self._certificate_codes(tiers)
        """Code of the certificate rules (0 or 1-4) by [tier, supply, delivery day]."""

    def _supply_arrays(self, market_of: dict[tuple[str, str], int]) -> None:
        """Announcement, quantity and market of every supply node (``s_``, and ``e_`` for the
        nodes kept when empty), and the supply nodes of each market (``m_supply``,
        ``m_every``)."""
        anns = self.instance.supply
        a_pos = {s.id: i for i, s in enumerate(anns)}

        def columns(nodes: list[SupplyNode]) -> tuple[IntArray, IntArray, IntArray]:
            ann = np.fromiter((a_pos[n.supply_id] for n in nodes), np.int64, len(nodes))
            qty = np.fromiter((n.quantity for n in nodes), np.int64, len(nodes))
            crop = [anns[a].crop_id for a in ann.tolist()]
            market = np.fromiter(
                (market_of.get((c, n.week), -1) for c, n in zip(crop, nodes, strict=True)),
                np.int64,
                len(nodes),
            )
            return ann, qty, market

        n_markets = len(self.markets)
        self.s_ann, self.s_qty, s_market = columns(self.snodes)
        self.m_supply = _split(s_market, n_markets)
        if self.enodes is self.snodes:
            self.e_ann, self.e_qty, self.m_every = self.s_ann, self.s_qty, self.m_supply
        else:
            self.e_ann, self.e_qty, e_market = columns(self.enodes)
            self.m_every = _split(e_market, n_markets)

    def _delivery_arrays(self, o_pos: dict[str, int]) -> None:
        """The delivery days (ordinals, ascending); order, day (index in ``days``) and quantity
        of every delivery node; the delivery nodes of each market (``m_demand``)."""
        days = sorted({n.day for n in self.dnodes})
        self.days = np.array([d.toordinal() for d in days], dtype=np.int64)
        day_pos = {d: i for i, d in enumerate(days)}
        n_d = len(self.dnodes)
        self.d_order = np.fromiter((o_pos[n.order_id] for n in self.dnodes), np.int64, n_d)
        self.d_day = np.fromiter((day_pos[n.day] for n in self.dnodes), np.int64, n_d)
        self.d_qty = np.fromiter((n.quantity for n in self.dnodes), np.int64, n_d)
        self.m_demand = _split(self.d_market, len(self.markets))

    def _price_arrays(self) -> None:
        """Each announcement's own price and reference price (-1: none), and the policy."""
        instance = self.instance
        anns = instance.supply
        self.a_price = np.fromiter(
            (_own_price(s, instance.crops[s.crop_id]) for s in anns), np.int64, len(anns)
        )
        self.a_ref = np.fromiter(
            (_or_minus_one(instance.reference_price(s)) for s in anns), np.int64, len(anns)
        )
        self.policy = instance.parameters.pricing_policy

    def _order_arrays(self, tiers: list[Tier], b_pos: dict[str, int]) -> None:
        """Buyer, distance limit, max price, tier (index in ``tiers``), transport rate and
        priority weight of every order."""
        instance = self.instance
        params = instance.parameters
        orders = instance.orders
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

    def _distance_arrays(
        self,
        group_ids: list[str],
        buyer_ids: list[str],
        g_pos: dict[str, int],
        b_pos: dict[str, int],
    ) -> None:
        """Locations of groups and buyers, and the road distances of the instance's table by
        ``group × n_buyers + buyer``."""
        instance = self.instance
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
            applies = standards.applies_to(supply.scheme, crop.group)  # eggs: livestock GAP
            in_scope = self._valid_days([c for c in meeting if applies and c.covers(crop)])
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

    def contract_prices(self, anns: IntArray, orders: IntArray, ask: IntArray) -> IntArray:
        """The pricing policy over an offered-price matrix (supply × order); see
        :func:`matcher.optimiser.instance.contract_price`, which this mirrors."""
        cap = self.o_max_price[orders][None, :]
        has_cap = self.o_has_max[orders][None, :]
        if self.policy is PricingPolicy.BUYER_MAX:
            out: IntArray = np.where(has_cap, cap, ask)
        elif self.policy is PricingPolicy.MIDPOINT:
            out = np.where(has_cap, (ask + cap + 1) // 2, ask)
        elif self.policy is PricingPolicy.REFERENCE:
            ref = self.a_ref[anns][:, None]
            clipped = np.maximum(ask, np.where(has_cap, np.minimum(ref, cap), ref))
            out = np.where(ref >= 0, clipped, ask)
        else:
            out = ask
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
            return no_arcs()
        n_s = len(supply)
        anns = self.s_ann[supply]
        orders, column = np.unique(self.d_order[deliveries], return_inverse=True)
        column = column.reshape(-1)
        km, ask, code = self.terms(anns, orders)
        price = self.contract_prices(anns, orders, ask)
        # Order-major matrices (order × supply), so that a delivery's row is one copy.
        km_os = np.ascontiguousarray(km.T)
        price_os = np.ascontiguousarray(price.T)
        ok_os = np.ascontiguousarray(code.T == ALLOWED)
        if self.excluded:
            groups = self.a_group[anns]
            for row, o in enumerate(orders.tolist()):
                for g in self.excluded.get(o, ()):
                    ok_os[row, groups == g] = False
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


def _or_minus_one(value: int | None) -> int:
    return -1 if value is None else value


def no_arcs() -> tuple[IntArray, IntArray, IntArray, FloatArray, IntArray]:
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
