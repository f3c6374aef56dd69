"""Synthetic matching instances for Songkhla (format ``foodmatch-instance/1``).

:func:`songkhla_instance` is the demo market: the reference hospitals, prisons and sample schools
buying from 40-60 farmer groups, with every kind of unfilled reason present at scale 1.
:func:`scaled_instance` is a Songkhla-like instance of a requested size, for benchmarks.

Both are pure and deterministic for a seed; they return JSON-serialisable dicts.
"""

from __future__ import annotations

from datetime import date, timedelta
from random import Random
from typing import Any

import numpy as np

from matcher.crop_calendar import load_crop_calendar
from matcher.domain.errors import require
from matcher.domain.model import BuyerKind
from matcher.domain.standards import Scheme, Tier
from matcher.reference import (
    data_dir,
    load_crops,
    load_districts,
    load_group_names,
    load_institutions,
)
from matcher.roads import haversine_grid, province_network
from matcher.scenario.certs import make_certificates
from matcher.scenario.flood import flood_disruptions
from matcher.scenario.output import assemble
from matcher.scenario.parts import (
    DEFAULT_START,
    BuyerRec,
    Ctx,
    OrderRec,
    Season,
    buyer_orders,
    make_order,
    reference_buyers,
    round_price,
    straight_km,
    synthetic_buyer,
)
from matcher.scenario.supply import (
    MEAN_SLOTS,
    ORGANIC_SCHEMES,
    RAW_RANGE,
    GroupRec,
    SupplyRec,
    allocate_crops,
    assign_schemes,
    make_groups,
    make_supply,
)

ORGANIC_PROGRAMME = ("hosp-hatyai", "hosp-songklanagarind", "hosp-songkhla")
# Supply as a share of demand at scale 1: short of eggs, herbs and kale, long on bulk vegetables.
# Cabbage is a cool-season crop grown mainly in the north: Songkhla's little is short even in
# December-February and about a third of that outside them (supply.COOL_OFF_SEASON).
SONGKHLA_RATIO = {
    "eggs": 0.7,
    "kale": 0.85,
    "morning_glory": 1.25,
    "chinese_cabbage": 1.1,
    "cabbage": 0.9,
    "cucumber": 1.3,
    "yardlong_bean": 0.9,
    "thai_eggplant": 1.1,
    "pumpkin": 1.2,
    "wax_gourd": 1.3,
    "spring_onion": 0.7,
    "coriander": 0.6,
    "rice_jasmine": 0.9,
    "rice_brown": 1.2,
    "rice_sangyod": 1.3,
    "banana": 1.5,
    "oyster_mushroom": 0.8,
    "sapodilla": 0.0,  # nobody grows it: orders for it meet "no_supply"
    "pak_lieng": 0.9,
    "pak_kut": 1.0,
    "sato": 0.8,
    "bamboo_shoot": 1.1,
    "longkong": 1.3,
    "native_durian": 0.8,
}
ORGANIC_LEAFY_RATIO = 0.6  # organic leafy supply covers at most this share of organic demand
GAP_ONLY = "pumpkin"  # grown by THAI_GAP groups only: an ORGANIC order meets "standard_not_met"
EXPIRING_CROP = "pomelo"  # one grower, whose certificate lapses mid-season
UNCOVERED_CROP = "oyster_mushroom"  # one grower, whose certificate scope leaves it out
ROAD_FACTOR = 1.3  # the instance's road_factor (parts.py)
LAKE_MARGIN = 1.1  # the table lists pairs whose road km exceed the straight line x factor x this


def season_start(today: date) -> date:
    """The Monday after next: forward orders start a little ahead of today."""
    return today + timedelta(days=7 - today.weekday() + 7)


def _context(seed: int, weeks: int, start: date | None) -> Ctx:
    require(weeks >= 1, "weeks", f"{weeks} must be at least 1")
    districts = {d.code: d for d in load_districts()}
    season = Season(start or DEFAULT_START, weeks)
    return Ctx(Random(seed), load_crops(), districts, season, load_crop_calendar())


def songkhla_instance(
    *,
    weeks: int = 12,
    seed: int = 1,
    scale: float = 1.0,
    start: date | None = None,
    disruptions: bool = False,
) -> dict[str, Any]:
    """The Songkhla demo market for a season of ``weeks`` weeks from ``start`` (7 Dec 2026).

    At scale 1: every reference kitchen with a need buys (a secondary school has no
    school-lunch pupils); 40-60 groups supply. ``scale`` above 1 multiplies the groups and adds
    synthetic schools, hotels, restaurants, factory canteens and private hospitals so that demand
    grows in proportion. ``disruptions``: the instance also carries the season's flood week
    (:mod:`matcher.scenario.flood`), which the message stream plays after the initial load.
    """
    require(scale >= 1.0, "scale", f"{scale} must be at least 1")
    ctx = _context(seed, weeks, start)
    rng = ctx.rng
    buyers = reference_buyers(load_institutions())
    community = [b.id for b in buyers if b.kind is BuyerKind.HOSPITAL and b.size < 100]
    schools = [b.id for b in buyers if b.kind is BuyerKind.SCHOOL]
    programme = {*ORGANIC_PROGRAMME, *rng.sample(community, min(2, len(community)))}
    programme |= set(rng.sample(schools, min(1, len(schools))))
    for buyer in buyers:
        buyer.organic = buyer.id in programme
    orders = [o for b in buyers for o in buyer_orders(ctx, b)]
    _ensure_demo_orders(ctx, buyers, orders)
    base = sum(len(o.dates) for o in orders)
    added = 0
    while added < (scale - 1.0) * base:
        buyer = synthetic_buyer(ctx, len(buyers) + 1)
        new = buyer_orders(ctx, buyer)
        if new:
            buyers.append(buyer)
            orders += new
            added += sum(len(o.dates) for o in new)
    demand = _demand(orders)
    ratio = {c: SONGKHLA_RATIO.get(c, 1.0) for c in demand}
    lines = _lines(ctx, demand, ratio)
    count = round(min(60 * scale, max(40 * scale, sum(lines.values()) / MEAN_SLOTS)))
    groups = make_groups(ctx, load_group_names(), count)
    assign_schemes(rng, groups)
    pinned = {c: 1 for c in (EXPIRING_CROP, UNCOVERED_CROP) if c in demand}
    allocate_crops(ctx, groups, lines, pinned, gap_only=(GAP_ONLY,))
    grower = {c: g for g in groups for c in g.crops if c in pinned}
    expiring = [grower[EXPIRING_CROP].id] if EXPIRING_CROP in grower else []
    uncovered = {grower[UNCOVERED_CROP].id: UNCOVERED_CROP} if UNCOVERED_CROP in grower else {}
    certificates = make_certificates(ctx, groups, expiring, uncovered)
    leafy = {c: ORGANIC_LEAFY_RATIO for c in demand if ctx.crops[c].group == "leafy"}
    supply = make_supply(ctx, groups, demand, ratio, leafy, realistic=True, steady=pinned)
    _demo_tiers_and_limits(ctx, orders, groups, supply)
    name = f"songkhla-{weeks}w-seed{seed}" + (f"-x{scale:g}" if scale != 1 else "")
    roads = _road_distances(ctx, groups, buyers)
    out = assemble(ctx, name, buyers, groups, certificates, supply, orders, roads)
    if disruptions:
        out["disruptions"] = flood_disruptions(out, ctx.season)
    return out


def scaled_instance(
    *, order_weeks: int, groups: int, seed: int = 1, weeks: int = 12
) -> dict[str, Any]:
    """A Songkhla-like instance with exactly ``groups`` groups and ``order_weeks`` deliveries
    (the sum over orders of their delivery dates); supply is 75-105 % of demand per crop."""
    require(order_weeks >= 1, "order_weeks", f"{order_weeks} must be at least 1")
    require(groups >= 1, "groups", f"{groups} must be at least 1")
    ctx = _context(seed, weeks, None)
    rng = ctx.rng
    pool = reference_buyers(load_institutions())
    rng.shuffle(pool)
    for buyer in pool:
        buyer.organic = buyer.kind is BuyerKind.HOSPITAL and rng.random() < 0.25
    pool.reverse()
    buyers: list[BuyerRec] = []
    orders: list[OrderRec] = []
    total = synthetic = 0
    while total < order_weeks:
        if pool:
            buyer = pool.pop()
        else:
            synthetic += 1
            buyer = synthetic_buyer(ctx, synthetic)
        placed = 0
        for order in buyer_orders(ctx, buyer):
            remaining = order_weeks - total
            if remaining <= 0:
                break
            if len(order.dates) > remaining:
                order.dates, order.explicit = order.dates[:remaining], True
            orders.append(order)
            total += len(order.dates)
            placed += 1
        if placed:
            buyers.append(buyer)
    demand = _demand(orders)
    ratio = {c: rng.uniform(0.75, 1.05) for c in demand}
    records = make_groups(ctx, load_group_names(), groups)
    assign_schemes(rng, records)
    allocate_crops(ctx, records, _lines(ctx, demand, ratio), {})
    certificates = make_certificates(ctx, records)
    supply = make_supply(ctx, records, demand, ratio, {}, realistic=False)
    name = f"songkhla-scaled-{order_weeks}ow-{groups}g-seed{seed}"
    return assemble(ctx, name, buyers, records, certificates, supply, orders, [])


# --- demand summaries ----------------------------------------------------------------------------


def _demand(orders: list[OrderRec]) -> dict[str, tuple[float, float]]:
    """Units ordered over the season per crop: (all orders, orders needing organic produce)."""
    out: dict[str, tuple[float, float]] = {}
    organic = {Tier.ORGANIC, Tier.ORGANIC_CERTIFIED, Tier.EU, Tier.USDA, Tier.COR}
    for order in orders:
        total, org = out.get(order.crop_id, (0.0, 0.0))
        units = float(order.units)
        out[order.crop_id] = (total + units, org + (units if order.min_tier in organic else 0.0))
    return out


def _lines(
    ctx: Ctx, demand: dict[str, tuple[float, float]], ratio: dict[str, float]
) -> dict[str, float]:
    """Supply lines each crop needs: weekly target supply over a typical line's size."""
    out: dict[str, float] = {}
    for crop_id, (total, _) in demand.items():
        low, high, mode = RAW_RANGE.get(ctx.crops[crop_id].group, RAW_RANGE["leafy"])
        out[crop_id] = (
            ratio.get(crop_id, 1.0) * total / ctx.season.weeks / ((low + high + mode) / 3)
        )
    return out


# --- the demo's guaranteed situations ------------------------------------------------------------


def _ensure(
    ctx: Ctx, orders: list[OrderRec], buyer: BuyerRec | None, crop_id: str
) -> OrderRec | None:
    """The buyer's order for a crop, placed (for a modest weekly quantity) when missing."""
    if buyer is None or crop_id not in ctx.crops:
        return None
    for order in orders:
        if order.buyer is buyer and order.crop_id == crop_id:
            return order
    weekly = 30.0 if ctx.crops[crop_id].unit.value == "kg" else 600.0
    placed = make_order(ctx, buyer, crop_id, weekly, ("mon",))
    if placed is not None:
        orders.append(placed)
    return placed


def _ensure_demo_orders(ctx: Ctx, buyers: list[BuyerRec], orders: list[OrderRec]) -> None:
    """An ORGANIC order for the GAP-only crop, an order for a crop nobody grows, and orders for
    the single-grower crops; all locked against later changes."""
    by_id = {b.id: b for b in buyers}
    hatyai, songkhla = by_id.get("hosp-hatyai"), by_id.get("hosp-songkhla")
    pumpkin = _ensure(ctx, orders, hatyai, GAP_ONLY)
    if pumpkin is not None:
        pumpkin.min_tier, pumpkin.locked = Tier.ORGANIC, True
    for buyer, crop_id in (
        (hatyai, "sapodilla"),
        (songkhla, EXPIRING_CROP),
        (songkhla, UNCOVERED_CROP),
    ):
        order = _ensure(ctx, orders, buyer, crop_id)
        if order is not None:
            order.min_tier, order.max_distance_km, order.max_price = Tier.SAFE, None, None
            order.locked = True


def _demo_tiers_and_limits(
    ctx: Ctx,
    orders: list[OrderRec],
    groups: list[GroupRec],
    supply: list[SupplyRec],
) -> None:
    """EU and ORGANIC_CERTIFIED orders that certified groups can fill, a few price caps below
    every ask ("price_too_high") and radii shorter than the nearest grower ("out_of_range")."""
    rng = ctx.rng
    by_group = {g.id: g for g in groups}
    grown = {(s.group.id, s.crop_id) for s in supply}

    def retier(schemes: set[Scheme], scope: str, tier: Tier, count: int, factor: float) -> None:
        able = [g for g in groups if g.scheme in schemes or (scope and scope in g.scopes)]
        crops = [c for g in able for c in g.crops if (g.id, c) in grown]
        crops = [c for c in dict.fromkeys(crops) if c not in (GAP_ONLY, "sapodilla")]
        for crop_id in crops[:count]:
            candidates = [o for o in orders if o.crop_id == crop_id and not o.locked]
            candidates.sort(key=lambda o: (o.buyer.kind is not BuyerKind.HOSPITAL, o.units))
            if not candidates:
                continue
            order = candidates[0]
            order.min_tier, order.max_distance_km = tier, None
            reference = ctx.crops[crop_id].reference_price or 0
            order.max_price = round_price(reference * factor)
            order.locked = True

    retier({Scheme.EU_ORGANIC}, "EU", Tier.EU, 2, 2.4)
    third = ORGANIC_SCHEMES - {Scheme.PGS}
    retier(set(third), "", Tier.ORGANIC_CERTIFIED, 3, 2.2)
    plain = [o for o in orders if not o.locked and o.min_tier is Tier.SAFE]
    for order in rng.sample(plain, min(3, len(plain))):
        order.max_price = round_price((ctx.crops[order.crop_id].reference_price or 0) * 0.6)
        order.locked = True
    growers: dict[str, list[GroupRec]] = {}
    for s in supply:
        growers.setdefault(s.crop_id, []).append(by_group[s.group.id])

    def nearest(order: OrderRec) -> float:
        near = growers.get(order.crop_id, [])
        b = order.buyer
        return min((straight_km(g.lat, g.lon, b.lat, b.lon) for g in near), default=0.0)

    plain = [o for o in orders if not o.locked and o.min_tier is Tier.SAFE]
    ranked = sorted(((nearest(o), i) for i, o in enumerate(plain)), reverse=True)
    used: set[str] = set()
    for km, i in ranked:
        order = plain[i]
        if len(used) == 2 or km < 5:
            break
        if order.buyer.id not in used:
            order.max_distance_km = float(max(2, int(km * 0.6)))
            used.add(order.buyer.id)
            order.locked = True


def _road_distances(
    ctx: Ctx, groups: list[GroupRec], buyers: list[BuyerRec]
) -> list[dict[str, Any]]:
    """Road km by the province road model for the pairs it makes materially longer than the
    straight line × the road factor (round Songkhla Lake by the roads and the Tinsulanonda
    bridge), so a solver reading the instance alone still goes round the lake; the other pairs
    are left to the reader (a plain solver's straight line × 1.3 is within 10 % of the road
    model there, and ``foodmatch solve`` measures them with the road model)."""
    roads = province_network(data_dir())
    if roads is None or not groups or not buyers:
        return []
    g_lat, g_lon = np.array([g.lat for g in groups]), np.array([g.lon for g in groups])
    b_lat, b_lon = np.array([b.lat for b in buyers]), np.array([b.lon for b in buyers])
    km = roads.km_grid(g_lat, g_lon, b_lat, b_lon)
    plain = haversine_grid(g_lat, g_lon, b_lat, b_lon) * ROAD_FACTOR
    rows, cols = np.nonzero(km > plain * LAKE_MARGIN)
    return [
        {"group_id": groups[i].id, "buyer_id": buyers[j].id, "km": round(float(km[i, j]), 1)}
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
    ]
