"""Demand side of the synthetic scenarios: the season, buyers and their forward orders.

Weekly needs come from the facts file (a 500-bed hospital, a 500-pupil school) scaled by size;
``MARKET_SHARE`` is the part of a kitchen's need it places on the market as forward orders.
Figures marked (?) in the comments are assumptions, kept here so they are easy to change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random
from typing import Any

from matcher.calendar import thai_calendar
from matcher.crop_calendar import CropSeason
from matcher.domain.calendar import OnHoliday, apply_calendar
from matcher.domain.model import WEEKDAYS, BuyerKind, Crop, Unit
from matcher.domain.standards import Tier
from matcher.domain.weeks import week_monday, weeks_between
from matcher.reference import District, Institution

DEFAULT_START = date(2026, 12, 7)
PRIORITY_WEIGHTS = {
    "hospital": 10,
    "school": 8,
    "prison": 6,
    "factory": 3,
    "hotel": 2,
    "restaurant": 2,
    "other": 1,
}
ORGANIC_TIERS = frozenset({Tier.ORGANIC, Tier.ORGANIC_CERTIFIED, Tier.EU, Tier.USDA, Tier.COR})

# Weekly need per size unit (bed, inmate, pupil, room, seat, worker) by food category.
# Hospital and school figures follow the facts file; the others are assumptions (?).
NEED: dict[BuyerKind, dict[str, float]] = {
    BuyerKind.HOSPITAL: {"veg": 1.5, "rice": 1.1, "eggs": 6.3, "fruit": 1.4},
    BuyerKind.SCHOOL: {"veg": 0.29, "rice": 0.35, "eggs": 1.0, "fruit": 0.2},
    BuyerKind.PRISON: {"veg": 0.7, "rice": 1.4, "eggs": 2.0, "fruit": 0.2},
    BuyerKind.HOTEL: {"veg": 1.0, "rice": 0.6, "eggs": 10.0, "fruit": 1.5},
    BuyerKind.RESTAURANT: {"veg": 1.2, "rice": 1.0, "eggs": 2.0, "fruit": 0.2},
    BuyerKind.FACTORY: {"veg": 0.25, "rice": 0.5, "eggs": 1.0, "fruit": 0.1},
    BuyerKind.OTHER: {"veg": 0.5, "rice": 0.5, "eggs": 1.0, "fruit": 0.2},
}
MARKET_SHARE = {"veg": 1.0, "rice": 0.35, "eggs": 0.5, "fruit": 0.5}  # (?)

LEAFY = ("kale", "choy_sum", "morning_glory", "chinese_cabbage", "cabbage")
FRUIT_VEG = ("cucumber", "yardlong_bean", "thai_eggplant", "pumpkin", "wax_gourd")
# Southern and intercrop vegetables (rubber and fruit gardens, สวนสมรม): on a kitchen's menu only
# while they are in season.
SOUTHERN_VEG = ("pak_lieng", "pak_kut", "sato", "bamboo_shoot")
VEG_ALL = (
    *LEAFY,
    *FRUIT_VEG,
    "birdseye_chilli",
    "spring_onion",
    "coriander",
    "oyster_mushroom",
    *SOUTHERN_VEG,
)
BULK_VEG = (
    *("cabbage", "kale", "wax_gourd", "pumpkin", "morning_glory", "choy_sum", "cucumber"),
    "bamboo_shoot",
)
SCHOOL_VEG = (*LEAFY, "cucumber", "pumpkin", "yardlong_bean", "pak_lieng")
# How much of a kitchen's vegetable weight goes to a crop, relative to a leafy green.
SPLIT = {
    "kale": 1.3,
    "choy_sum": 1.2,
    "morning_glory": 1.2,
    "cabbage": 1.2,
    "birdseye_chilli": 0.15,
    "spring_onion": 0.15,
    "coriander": 0.1,
    "pak_lieng": 0.6,
    "pak_kut": 0.6,
    "sato": 0.3,
    "bamboo_shoot": 0.8,
}
SPLIT_RICE = {"rice_jasmine": 0.7, "rice_brown": 0.3, "rice_sangyod": 0.3}


@dataclass(frozen=True, slots=True)
class Menu:
    veg: tuple[str, ...]
    veg_count: tuple[int, int]
    brown_rice: float
    eggs: float
    fruit: tuple[str, ...]
    fruit_count: tuple[int, int]
    fruit_chance: float


MENUS: dict[BuyerKind, Menu] = {
    BuyerKind.HOSPITAL: Menu(
        VEG_ALL, (5, 8), 0.5, 1.0, ("banana", "pomelo", "longkong"), (1, 2), 1.0
    ),
    BuyerKind.SCHOOL: Menu(SCHOOL_VEG, (2, 4), 0.0, 0.7, ("banana", "longkong"), (1, 1), 0.4),
    BuyerKind.PRISON: Menu(BULK_VEG, (3, 4), 0.0, 1.0, ("banana",), (1, 1), 0.5),
    BuyerKind.HOTEL: Menu(
        VEG_ALL,
        (3, 6),
        0.2,
        1.0,
        ("banana", "pomelo", "sapodilla", "longkong", "native_durian"),
        (1, 2),
        0.9,
    ),
    BuyerKind.RESTAURANT: Menu(VEG_ALL, (2, 5), 0.0, 0.7, ("banana",), (1, 1), 0.2),
    BuyerKind.FACTORY: Menu(BULK_VEG, (2, 4), 0.0, 0.8, ("banana",), (1, 1), 0.3),
    BuyerKind.OTHER: Menu(BULK_VEG, (2, 3), 0.0, 0.5, ("banana",), (1, 1), 0.2),
}
WEEKDAY_CHOICES: dict[BuyerKind, tuple[tuple[tuple[str, ...], float], ...]] = {
    BuyerKind.HOSPITAL: (
        (("mon", "fri"), 0.6),
        (("mon",), 0.1),
        (("wed",), 0.15),
        (("fri",), 0.15),
    ),
    BuyerKind.SCHOOL: ((("mon",), 0.7), (("wed",), 0.2), (("tue",), 0.1)),
    BuyerKind.PRISON: ((("tue", "fri"), 0.5), (("tue",), 0.25), (("thu",), 0.25)),
    BuyerKind.HOTEL: ((("mon", "thu"), 0.6), (("tue", "sat"), 0.4)),
    BuyerKind.RESTAURANT: ((("mon", "thu"), 0.5), (("tue", "sat"), 0.5)),
    BuyerKind.FACTORY: ((("mon",), 0.7), (("mon", "thu"), 0.3)),
    BuyerKind.OTHER: ((("wed",), 1.0),),
}
# Synthetic buyers: kind, share, size range, id prefix, Thai and English labels.
SYNTHETIC: tuple[tuple[BuyerKind, float, tuple[int, int], str, str, str], ...] = (
    (BuyerKind.SCHOOL, 0.40, (100, 1500), "school-syn", "โรงเรียน", "School"),
    (BuyerKind.RESTAURANT, 0.22, (20, 150), "rest", "ร้านอาหาร", "Restaurant"),
    (BuyerKind.HOTEL, 0.15, (30, 300), "hotel", "โรงแรม", "Hotel"),
    (BuyerKind.FACTORY, 0.13, (200, 3000), "factory", "โรงอาหารโรงงาน", "Factory Canteen"),
    (BuyerKind.HOSPITAL, 0.10, (30, 300), "hosp-syn", "โรงพยาบาลเอกชน", "Private Hospital"),
)
TOWN_WEIGHT = {"9011": 5.0, "9001": 3.0, "9010": 1.5}
PERENNIAL_DAYS = 365
"""A crop this many days or more from planting to its first harvest is a tree, a shrub or a clump
already in the ground: it is offered (and ordered) only in the months the crop calendar gives."""
COOL_MONTHS = frozenset({11, 12, 1, 2, 3})
"""A crop whose good months all fall here is a cool-season crop (cabbage, coriander)."""
MIN_SEASON_WEEKS = 3
"""A seasonal crop is on the menus when it is in season for at least this many weeks."""


def parameters() -> dict[str, Any]:
    """The ``parameters`` block of a generated instance."""
    return {
        "road_factor": 1.3,
        "transport_cost_per_unit_km": {"kg": 0.02, "piece": 0.001},
        "priority_weights": dict(PRIORITY_WEIGHTS),
    }


@dataclass(frozen=True, slots=True)
class Season:
    start: date
    weeks: int

    @property
    def days(self) -> int:
        return 7 * self.weeks

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def week_ids(self) -> list[str]:
        return weeks_between(self.start, self.end)


@dataclass(slots=True)
class Ctx:
    rng: Random
    crops: dict[str, Crop]
    districts: dict[str, District]
    season: Season
    calendar: Mapping[str, CropSeason] = field(default_factory=dict)
    """The crop calendar: seasonal crops follow it (empty: every crop all year)."""
    windows: dict[str, tuple[date, date] | None] = field(default_factory=dict, repr=False)
    """Cache of :meth:`season_window`."""

    def harvest_months(self, crop_id: str) -> frozenset[int] | None:
        """The months a perennial crop is offered in; None for a crop offered all year."""
        known = self.calendar.get(crop_id)
        if known is None or known.days_to_first_harvest is None:
            return None
        if known.days_to_first_harvest < PERENNIAL_DAYS or len(known.good_months) == 12:
            return None
        return known.good_months

    def in_season(self, crop_id: str, day: date) -> bool:
        months = self.harvest_months(crop_id)
        return months is None or day.month in months

    def week_in_season(self, crop_id: str, week: str) -> bool:
        """Whether the crop is offered in an ISO week (by the month of the week's Thursday)."""
        return self.in_season(crop_id, week_monday(week) + timedelta(days=3))

    def cool_season(self, crop_id: str) -> bool:
        """A cool-season crop (good only in the cool months): Songkhla grows little of it."""
        known = self.calendar.get(crop_id)
        return known is not None and known.good_months <= COOL_MONTHS

    def season_window(self, crop_id: str) -> tuple[date, date] | None:
        """The first run of days of the season the crop is in season (None: none)."""
        if crop_id not in self.windows:
            self.windows[crop_id] = self._window(crop_id)
        return self.windows[crop_id]

    def _window(self, crop_id: str) -> tuple[date, date] | None:
        day, end = self.season.start, self.season.end
        while day <= end and not self.in_season(crop_id, day):
            day += timedelta(days=1)
        if day > end:
            return None
        first = day
        while day <= end and self.in_season(crop_id, day):
            day += timedelta(days=1)
        return first, day - timedelta(days=1)

    def menu_crops(self) -> dict[str, Crop]:
        """The crops kitchens can order this season: a seasonal one only when it is in season
        for at least ``MIN_SEASON_WEEKS`` weeks of it (or all of a shorter season)."""
        least = min(7 * MIN_SEASON_WEEKS, self.season.days)
        out: dict[str, Crop] = {}
        for crop_id, crop in self.crops.items():
            window = self.season_window(crop_id)
            if window is not None and (window[1] - window[0]).days + 1 >= least:
                out[crop_id] = crop
        return out


@dataclass(slots=True)
class BuyerRec:
    id: str
    name_th: str
    name_en: str
    kind: BuyerKind
    district: str
    lat: float
    lon: float
    size: int
    organic: bool = False
    subkind: str = ""
    """The reference institution's subkind (``bpp``: a Border Patrol Police school)."""


@dataclass(slots=True)
class OrderRec:
    buyer: BuyerRec
    crop_id: str
    quantity: int
    start: date
    end: date
    weekdays: tuple[str, ...]
    dates: tuple[date, ...]
    explicit: bool
    min_tier: Tier
    max_price: int | None
    max_distance_km: float | None
    locked: bool = False  # set up for a demo situation: later steps leave it alone

    @property
    def units(self) -> int:
        return self.quantity * len(self.dates)


def delivery_dates(start: date, end: date, weekdays: tuple[str, ...]) -> tuple[date, ...]:
    """The dates from ``start`` to ``end`` inclusive falling on ``weekdays``."""
    wanted = sorted(WEEKDAYS.index(d) for d in weekdays)
    monday = start - timedelta(days=start.weekday())
    out: list[date] = []
    while monday <= end:
        for offset in wanted:
            day = monday + timedelta(days=offset)
            if start <= day <= end:
                out.append(day)
        monday += timedelta(days=7)
    return tuple(out)


def working_dates(dates: tuple[date, ...], start: date) -> tuple[date, ...]:
    """``dates`` with each public holiday moved to the working day before (as the service does
    with ``on_holiday: previous_working_day``), none before ``start``."""
    moved, _ = apply_calendar(dates, OnHoliday.PREVIOUS_WORKING_DAY, thai_calendar(), listed=True)
    return tuple(d for d in moved if d >= start)


def round_price(amount: float) -> int:
    """A price in satang rounded as markets quote it: 5 satang below 10 THB, else 25 satang."""
    step = 5 if amount < 1000 else 25
    return max(step, round(amount / step) * step)


def round_quantity(value: float, unit: str) -> int:
    """Whole units: eggs by the tray of 30, kilograms by 5 from 50 kg up."""
    if unit == Unit.PIECE.value:
        return max(30, round(value / 30) * 30)
    if value >= 50:
        return round(value / 5) * 5
    return max(1, round(value))


def jitter(rng: Random, sigma: float, limit: float) -> float:
    return max(-limit, min(limit, rng.gauss(0.0, sigma)))


def reference_buyers(institutions: list[Institution]) -> list[BuyerRec]:
    """The reference kitchens; a school's size is its school-lunch head count (pre-primary to
    Prathom 6), so a secondary school orders nothing."""
    return [
        BuyerRec(
            id=i.buyer.id,
            name_th=i.buyer.name_th,
            name_en=i.buyer.name_en,
            kind=i.buyer.kind,
            district=i.buyer.district,
            lat=i.buyer.location.lat,
            lon=i.buyer.location.lon,
            size=i.size if i.lunch_pupils is None else i.lunch_pupils,
            subkind=i.subkind,
        )
        for i in institutions
    ]


def synthetic_buyer(ctx: Ctx, number: int) -> BuyerRec:
    """A school, restaurant, hotel, factory canteen or private hospital near a district seat."""
    rng = ctx.rng
    kind, _, (low, high), prefix, label_th, label_en = rng.choices(
        SYNTHETIC, weights=[s[1] for s in SYNTHETIC]
    )[0]
    codes = list(ctx.districts)
    weights = [TOWN_WEIGHT.get(c, 1.0) ** (2 if kind is BuyerKind.HOTEL else 1) for c in codes]
    district = ctx.districts[rng.choices(codes, weights=weights)[0]]
    size = int(rng.triangular(low, high, low + (high - low) / 4))
    return BuyerRec(
        id=f"{prefix}-{number:05d}",
        name_th=f"{label_th}{district.name_th} {number}",
        name_en=f"{district.name_en} {label_en} {number}",
        kind=kind,
        district=district.code,
        lat=round(district.seat.lat + jitter(rng, 0.02, 0.05), 4),
        lon=round(district.seat.lon + jitter(rng, 0.02, 0.05), 4),
        size=size,
        organic=kind is BuyerKind.HOSPITAL and rng.random() < 0.25,
    )


def _pick(
    rng: Random, pool: tuple[str, ...], count: tuple[int, int], crops: dict[str, Crop]
) -> list[str]:
    available = [c for c in pool if c in crops]
    wanted = min(len(available), rng.randint(*count))
    return rng.sample(available, wanted)


def _split(
    rng: Random, crop_ids: list[str], total: float, weights: dict[str, float]
) -> list[tuple[str, float]]:
    raw = [weights.get(c, 1.0) * rng.uniform(0.6, 1.4) for c in crop_ids]
    whole = sum(raw) or 1.0
    return [(c, total * w / whole) for c, w in zip(crop_ids, raw, strict=True)]


def weekly_needs(rng: Random, buyer: BuyerRec, crops: dict[str, Crop]) -> list[tuple[str, float]]:
    """The crops a buyer orders and the units per week of each."""
    need = NEED[buyer.kind]
    menu = MENUS[buyer.kind]

    def total(category: str) -> float:
        return need[category] * MARKET_SHARE[category] * buyer.size

    lines = _split(rng, _pick(rng, menu.veg, menu.veg_count, crops), total("veg"), SPLIT)
    rice = ["rice_jasmine"]
    if rng.random() < menu.brown_rice:
        rice.append("rice_brown")
    if buyer.organic and rng.random() < 0.6:
        rice.append("rice_sangyod")
    lines += _split(rng, [r for r in rice if r in crops], total("rice"), SPLIT_RICE)
    if "eggs" in crops and rng.random() < menu.eggs:
        lines.append(("eggs", total("eggs")))
    if rng.random() < menu.fruit_chance:
        fruit = _pick(rng, menu.fruit, menu.fruit_count, crops)
        lines += _split(rng, fruit, total("fruit"), {})
    return lines


def order_tier(rng: Random, buyer: BuyerRec, crop: Crop) -> Tier:
    if buyer.organic and crop.group in ("leafy", "herb") and rng.random() < 0.85:
        return Tier.ORGANIC
    if buyer.kind is BuyerKind.PRISON and crop.group == "fruit":
        return Tier.ANY
    if buyer.kind in (BuyerKind.FACTORY, BuyerKind.RESTAURANT) and rng.random() < 0.25:
        return Tier.ANY
    if buyer.kind is BuyerKind.HOTEL:
        draw = rng.random()
        if draw < 0.03:
            return Tier.EU
        if draw < 0.08:
            return Tier.ORGANIC_CERTIFIED
        if draw < 0.2:
            return Tier.ORGANIC
    return Tier.SAFE


def price_cap(rng: Random, crop: Crop, tier: Tier) -> int | None:
    if crop.reference_price is None or rng.random() < 0.15:
        return None
    low, high = (1.6, 2.2) if tier in ORGANIC_TIERS else (1.2, 1.6)
    return round_price(crop.reference_price * rng.uniform(low, high))


def make_order(
    ctx: Ctx, buyer: BuyerRec, crop_id: str, weekly: float, days: tuple[str, ...]
) -> OrderRec | None:
    """One forward order for a crop over the season (some start late or end early)."""
    rng = ctx.rng
    season = ctx.season
    crop = ctx.crops[crop_id]
    start, end = season.start, season.end
    draw = rng.random()
    if buyer.kind is not BuyerKind.SCHOOL and season.weeks >= 4:
        if draw < 0.1:
            start += timedelta(weeks=rng.randint(1, min(3, season.weeks - 1)))
        elif draw < 0.18:
            end -= timedelta(weeks=rng.randint(1, min(3, season.weeks - 1)))
    window = ctx.season_window(crop_id)
    if window is None:
        return None
    start, end = max(start, window[0]), min(end, window[1])  # seasonal crops: in season only
    if crop.group == "staple":
        days = days[:1]
    dates = delivery_dates(start, end, days)
    per_delivery = weekly / len(days)
    explicit = crop.group == "staple" and season.weeks >= 4 and rng.random() < 0.3
    if explicit:
        dates = dates[::2]
        per_delivery *= 2
    if explicit:  # listed dates avoid public holidays: moved to the working day before
        dates = working_dates(dates, start)
    # (a schedule's holidays are moved by the service when the order is submitted)
    if not dates:
        return None
    tier = order_tier(rng, buyer, crop)
    capped = rng.random() < 0.7
    return OrderRec(
        buyer=buyer,
        crop_id=crop_id,
        quantity=round_quantity(per_delivery, crop.unit.value),
        start=start,
        end=end,
        weekdays=days,
        dates=dates,
        explicit=explicit,
        min_tier=tier,
        max_price=price_cap(rng, crop, tier),
        max_distance_km=float(rng.randrange(40, 125, 5)) if capped else None,
    )


def buyer_orders(ctx: Ctx, buyer: BuyerRec) -> list[OrderRec]:
    """The forward orders a buyer places for the season, one per crop."""
    rng = ctx.rng
    choices = WEEKDAY_CHOICES[buyer.kind]
    days = rng.choices([c[0] for c in choices], weights=[c[1] for c in choices])[0]
    out: list[OrderRec] = []
    menu = ctx.menu_crops()
    for crop_id, weekly in weekly_needs(rng, buyer, menu):
        if weekly < 1:
            continue
        order = make_order(ctx, buyer, crop_id, weekly, days)
        if order is not None:
            out.append(order)
    return out


def straight_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))
