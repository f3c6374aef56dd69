"""Supply side of the synthetic scenarios: farmer groups, their certificates and announcements.

Quantities follow the facts file (50–400 kg of vegetables a week per group, eggs by the thousand,
rice by the hundred kg) and are then scaled per crop so that supply meets a chosen share of demand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from random import Random

from matcher.domain.model import GroupKind
from matcher.domain.standards import Scheme
from matcher.domain.weeks import week_monday
from matcher.reference import GroupName
from matcher.scenario.parts import Ctx, jitter, round_price, round_quantity

# Per supply line, units per week: (low, high, mode) by crop group.
RAW_RANGE: dict[str, tuple[float, float, float]] = {
    "leafy": (50, 400, 150),
    "fruit_veg": (50, 400, 150),
    "herb": (10, 100, 30),
    "mushroom": (20, 150, 50),
    "fruit": (50, 400, 150),
    "staple": (100, 600, 250),
    "egg": (500, 5000, 1500),
}
ORGANIC_SIZE = 0.6  # organic plots yield less (?)
SLOT_WEIGHTS = (0.2, 0.35, 0.3, 0.15)  # 1-4 crops per group
MEAN_SLOTS = sum((i + 1) * w for i, w in enumerate(SLOT_WEIGHTS))
ORGANIC_SCHEMES = frozenset(
    {Scheme.PGS, Scheme.ORGANIC_THAILAND, Scheme.ACT_IFOAM, Scheme.EU_ORGANIC}
    | {Scheme.USDA_NOP, Scheme.COR}
)
THIRD_PARTY: tuple[tuple[Scheme, tuple[str, ...]], ...] = (
    (Scheme.ACT_IFOAM, ("EU",)),
    (Scheme.ORGANIC_THAILAND, ()),
    (Scheme.EU_ORGANIC, ()),
    (Scheme.ORGANIC_THAILAND, ()),
    (Scheme.ACT_IFOAM, ()),
    (Scheme.ORGANIC_THAILAND, ()),
    (Scheme.ACT_IFOAM, ("COR",)),
    (Scheme.ORGANIC_THAILAND, ()),
    (Scheme.USDA_NOP, ()),
    (Scheme.ORGANIC_THAILAND, ()),
)
AFFINITY: dict[str, dict[str, float]] = {
    "vegetable": {"leafy": 1.0, "fruit_veg": 1.0, "herb": 0.6, "mushroom": 0.2, "fruit": 0.2},
    "organic": {"leafy": 1.2, "fruit_veg": 0.6, "herb": 0.8, "staple": 0.3, "fruit": 0.3},
    "rice": {"staple": 3.0, "leafy": 0.2},
    "egg": {"egg": 3.0},
    "fruit": {"fruit": 3.0, "fruit_veg": 0.3},
    "mushroom": {"mushroom": 3.0, "leafy": 0.3},
    "mixed": {},
    "intercrop": {"fruit": 1.5, "leafy": 0.1, "fruit_veg": 0.1},
}
SOUTHERN = frozenset({"pak_lieng", "pak_kut", "sato", "bamboo_shoot", "longkong", "native_durian"})
"""Southern and intercrop products: gardens of rubber and fruit trees (สวนสมรม) grow them."""
COOL_OFF_SEASON = 0.35
"""Share of its usual weekly size a cool-season crop's line offers outside its good months."""
SECOND_FLUSH = 0.5
"""Share of its usual weekly size a perennial's line offers in a shorter, second run of months
(sato's December-January flush)."""


def affinity(focus: str, crop_group: str, crop_id: str = "") -> float:
    """How well a crop fits a group's focus: intercrop gardens grow the southern products;
    vegetable, organic, rice, egg and mushroom groups seldom do."""
    if crop_id in SOUTHERN:
        if focus == "intercrop":
            return 4.0
        if focus not in ("fruit", "mixed"):
            return 0.05
    default = 0.5 if focus == "mixed" else 0.05
    return AFFINITY.get(focus, {}).get(crop_group, default)


@dataclass(slots=True)
class GroupRec:
    id: str
    name_th: str
    name_en: str
    kind: GroupKind
    district: str
    lat: float
    lon: float
    members: int
    focus: str
    known_scheme: Scheme | None = None
    scheme: Scheme = Scheme.NONE
    scopes: tuple[str, ...] = ()
    crops: list[str] = field(default_factory=list)
    slots: int = 1


@dataclass(slots=True)
class SupplyRec:
    group: GroupRec
    crop_id: str
    scheme: Scheme
    weeks: dict[str, int]
    asking_price: int


def make_groups(ctx: Ctx, names: list[GroupName], count: int) -> list[GroupRec]:
    """``count`` groups: the real names first, then name stems (numbered when reused)."""
    rng = ctx.rng
    real = [n for n in names if n.real]
    stems = [n for n in names if not n.real] or real
    if count <= len(names):
        picked = [(n, 1) for n in real[:count]]
        picked += [(n, 1) for n in rng.sample(stems, max(0, count - len(real)))]
    else:
        picked = [(n, 1) for n in real] + [(n, 1) for n in stems if not n.real]
        extra = count - len(picked)
        picked += [(stems[i % len(stems)], 2 + i // len(stems)) for i in range(extra)]
    width = max(3, len(str(count)))
    out: list[GroupRec] = []
    for i, (name, copy) in enumerate(picked, start=1):
        district = ctx.districts[name.district_code]
        seat, centre = district.seat, district.centroid
        t = rng.random()
        lat = centre.lat + t * (seat.lat - centre.lat) + jitter(rng, 0.025, 0.05)
        lon = centre.lon + t * (seat.lon - centre.lon) + jitter(rng, 0.025, 0.05)
        suffix = f" {copy}" if copy > 1 else ""
        out.append(
            GroupRec(
                id=f"grp-{i:0{width}d}",
                name_th=name.name_th + suffix,
                name_en=name.name_en + suffix,
                kind=name.kind,
                district=district.code,
                lat=round(max(centre.lat - 0.08, min(centre.lat + 0.08, lat)), 4),
                lon=round(max(centre.lon - 0.08, min(centre.lon + 0.08, lon)), 4),
                members=max(7, min(40, round(rng.lognormvariate(math.log(15), 0.45)))),
                focus=name.focus,
                known_scheme=name.scheme if copy == 1 else None,
            )
        )
    return out


def assign_schemes(rng: Random, groups: list[GroupRec]) -> None:
    """Give each group its production scheme by quota: about 50 % GAP, 38 % PGS, 10 %
    third-party organic, a few in conversion and a few without any certificate."""
    n = len(groups)
    uncertified = max(1, round(0.06 * n)) if n >= 10 else 0
    m = n - uncertified
    third = max(1, round(0.10 * m)) if m >= 5 else 0
    pgs = round(0.38 * m)
    conversion = round(0.03 * m)
    quota: list[tuple[Scheme, tuple[str, ...]]] = [
        THIRD_PARTY[i % len(THIRD_PARTY)] for i in range(third)
    ]
    quota += [(Scheme.PGS, ())] * pgs + [(Scheme.ORGANIC_CONVERSION, ())] * conversion
    quota += [(Scheme.THAI_GAP, ())] * (m - third - pgs - conversion)
    quota += [(Scheme.NONE, ())] * uncertified
    free: list[GroupRec] = []
    for group in groups:
        known = next((q for q in quota if q[0] is group.known_scheme), None)
        if known is not None:
            quota.remove(known)
            group.scheme, group.scopes = known
        else:
            free.append(group)
    rng.shuffle(free)
    free.sort(key=lambda g: g.focus != "organic")
    for group, (scheme, scopes) in zip(free, quota, strict=True):
        group.scheme, group.scopes = scheme, scopes


def _largest_remainder(weights: dict[str, float], total: int) -> dict[str, int]:
    whole = sum(weights.values())
    if whole <= 0 or total <= 0:
        return {c: 0 for c in weights}
    shares = {c: total * w / whole for c, w in weights.items()}
    out = {c: int(s) for c, s in shares.items()}
    rest = sorted(weights, key=lambda c: out[c] - shares[c])
    for c in rest[: total - sum(out.values())]:
        out[c] += 1
    return out


def allocate_crops(
    ctx: Ctx,
    groups: list[GroupRec],
    lines: dict[str, float],
    pinned: dict[str, int],
    gap_only: Iterable[str] = (),
) -> None:
    """Choose 1-4 crops per group so that each crop gets about its share ``lines`` of the supply
    lines. ``pinned`` crops get exactly that many lines (certified groups only); ``gap_only``
    crops go only to THAI_GAP groups."""
    rng = ctx.rng
    for group in groups:
        group.slots = rng.choices((1, 2, 3, 4), weights=SLOT_WEIGHTS)[0]
    active = {c: w for c, w in lines.items() if w > 0}
    gap_set = set(gap_only)
    constrained = [c for c in active if c in pinned or c in gap_set]
    tokens = _crop_tokens(groups, active, pinned, constrained)
    order = list(groups)
    rng.shuffle(order)
    group_of = {c: ctx.crops[c].group for c in active}
    for crop_id in constrained:
        _place_constrained(order, crop_id, tokens[crop_id], crop_id not in pinned, group_of)
    free = [c for c in active if c not in constrained]
    for group in order:
        _fill_slots(rng, group, free, tokens, active, group_of)
    grown = {c for g in groups for c in g.crops}
    for crop_id in free:
        if crop_id not in grown and groups:
            _place_orphan(rng, order, crop_id)


def _crop_tokens(
    groups: list[GroupRec],
    active: dict[str, float],
    pinned: dict[str, int],
    constrained: list[str],
) -> dict[str, int]:
    """Supply lines per crop: the slots left after the constrained crops' lines, shared out by
    weight (at least one line per active crop); ``pinned`` crops get exactly their count."""
    budget = sum(g.slots for g in groups) - sum(pinned.get(c, 0) for c in constrained)
    tokens = _largest_remainder({c: active[c] for c in active if c not in pinned}, budget)
    for crop_id in active:
        if crop_id not in pinned and tokens[crop_id] == 0:
            tokens[crop_id] = 1
    tokens.update({c: n for c, n in pinned.items() if c in active})
    return tokens


def _place_constrained(
    order: list[GroupRec], crop_id: str, need: int, gap: bool, group_of: dict[str, str]
) -> None:
    """Give a constrained crop its ``need`` lines, best-fitting groups first: THAI_GAP groups
    only when ``gap``, otherwise any certified group."""
    ranked = sorted(order, key=lambda g: -affinity(g.focus, group_of[crop_id], crop_id))
    for group in ranked:
        if need == 0:
            break
        ok = group.scheme is Scheme.THAI_GAP if gap else group.scheme is not Scheme.NONE
        if ok and len(group.crops) < group.slots and crop_id not in group.crops:
            group.crops.append(crop_id)
            need -= 1


def _fill_slots(
    rng: Random,
    group: GroupRec,
    free: list[str],
    tokens: dict[str, int],
    active: dict[str, float],
    group_of: dict[str, str],
) -> None:
    """Fill a group's remaining slots with free crops, drawn by lines still wanted and fit."""
    while len(group.crops) < group.slots:
        candidates = [c for c in free if c not in group.crops]
        if not candidates:
            break
        fit = [affinity(group.focus, group_of[c], c) for c in candidates]
        weights = [tokens[c] * f for c, f in zip(candidates, fit, strict=True)]
        if sum(weights) <= 0:
            weights = [active[c] * f for c, f in zip(candidates, fit, strict=True)]
        crop_id = rng.choices(candidates, weights=weights)[0]
        group.crops.append(crop_id)
        tokens[crop_id] = max(0, tokens[crop_id] - 1)


def _place_orphan(rng: Random, order: list[GroupRec], crop_id: str) -> None:
    """Give a crop no group grows to a random group (a few tries, as many as there are groups)."""
    for _ in range(len(order)):
        group = order[rng.randrange(len(order))]
        if crop_id not in group.crops:
            group.crops.append(crop_id)
            break


def _weeks(rng: Random, week_ids: list[str]) -> list[str]:
    """Most lines cover the whole season; some start late, end early or skip weeks."""
    n = len(week_ids)
    draw = rng.random()
    if n < 4 or draw < 0.55:
        return list(week_ids)
    if draw < 0.75:
        return week_ids[rng.randint(1, min(3, n - 1)) :]
    if draw < 0.9:
        return week_ids[: n - rng.randint(1, min(3, n - 1))]
    kept = [w for w in week_ids if rng.random() < 0.8]
    return kept or [week_ids[0]]


# A supply line before scaling: the record (weeks still empty), its raw weekly size and the
# multiplier of each week it is offered in.
_Draft = tuple[SupplyRec, float, dict[str, float]]


def make_supply(
    ctx: Ctx,
    groups: list[GroupRec],
    demand: dict[str, tuple[float, float]],
    ratio: dict[str, float],
    organic_ratio: dict[str, float],
    realistic: bool,
    steady: Iterable[str] = (),
) -> list[SupplyRec]:
    """One announcement per group and crop. Per crop, supply over the season is scaled to
    ``ratio`` x demand; for crops in ``organic_ratio``, organic lines hold at most that share of
    the demand of orders that need organic produce.
    ``realistic`` keeps each line within a plausible size (then the ratios are approximate);
    lines of ``steady`` crops are offered in every week of the season."""
    week_ids = ctx.season.week_ids()
    whole_season = set(steady)
    drafts: list[_Draft] = []
    raw: dict[tuple[str, bool], float] = {}
    for group in groups:
        for crop_id in group.crops:
            draft = _draft(ctx, group, crop_id, week_ids, crop_id in whole_season)
            drafts.append(draft)
            record, base, mult = draft
            key = (crop_id, record.scheme in ORGANIC_SCHEMES)
            raw[key] = raw.get(key, 0.0) + base * sum(mult.values())
    factor = _scale_factors(demand, ratio, organic_ratio, raw)
    out: list[SupplyRec] = []
    for record, base, mult in drafts:
        crop = ctx.crops[record.crop_id]
        organic = record.scheme in ORGANIC_SCHEMES
        size = base * factor.get((record.crop_id, organic), 1.0)
        if realistic:
            low, high, _ = RAW_RANGE.get(crop.group, RAW_RANGE["leafy"])
            size = max(low * (ORGANIC_SIZE if organic else 1.0) / 2, min(high * 1.5, size))
            cut = _off_season(ctx, record.crop_id, mult)
            record.weeks = {
                w: round_quantity(size * m * cut.get(w, 1.0), crop.unit.value)
                for w, m in mult.items()
            }
        else:
            record.weeks = {w: max(1, round(size * m)) for w, m in mult.items()}
        out.append(record)
    return out


def _off_season(ctx: Ctx, crop_id: str, mult: dict[str, float]) -> dict[str, float]:
    """The share still offered in the weeks a crop yields less: a cool-season crop outside its
    good months (Songkhla's lowlands grow little cabbage or coriander in the heat), a perennial
    in its second, smaller flush."""
    known = ctx.calendar.get(crop_id)
    if known is None:
        return {}
    thursday = {w: week_monday(w) + timedelta(days=3) for w in mult}
    if ctx.cool_season(crop_id):
        return {w: COOL_OFF_SEASON for w, d in thursday.items() if d.month not in known.good_months}
    second = second_flush(ctx.harvest_months(crop_id) or frozenset())
    return {w: SECOND_FLUSH for w, d in thursday.items() if d.month in second}


def second_flush(months: frozenset[int]) -> frozenset[int]:
    """The months outside the longest run of consecutive months (December runs into January)
    of ``months``: a perennial's smaller flushes (empty for a single run)."""
    runs: list[set[int]] = []
    for month in range(1, 13):
        if month in months and (month - 1) in months and runs:
            runs[-1].add(month)
        elif month in months:
            runs.append({month})
    if len(runs) > 1 and 12 in months and 1 in months:
        runs[0] |= runs.pop()  # December joins January's run
    if len(runs) < 2:
        return frozenset()
    longest = max(runs, key=len)
    return frozenset(m for run in runs if run is not longest for m in run)


def _draft(
    ctx: Ctx, group: GroupRec, crop_id: str, week_ids: list[str], whole_season: bool
) -> _Draft:
    """A group's line of one crop: raw size, weeks offered (every week of ``week_ids`` when
    ``whole_season``) with their multipliers, and price."""
    rng = ctx.rng
    organic = group.scheme in ORGANIC_SCHEMES
    crop = ctx.crops[crop_id]
    low, high, mode = RAW_RANGE.get(crop.group, RAW_RANGE["leafy"])
    base = rng.triangular(low, high, mode) * (ORGANIC_SIZE if organic else 1.0)
    weeks = week_ids if whole_season else _weeks(rng, week_ids)
    weeks = _in_season(ctx, crop_id, weeks, week_ids)
    mult = {w: rng.uniform(0.85, 1.15) for w in weeks}
    reference = crop.reference_price or 2000
    premium = _premium(rng, group.scheme)
    price = round_price(reference * rng.uniform(0.75, 1.25) * premium)
    scheme = group.scheme
    if scheme is Scheme.THAI_GAP and crop.group == "egg":
        scheme = Scheme.LIVESTOCK_GAP  # eggs: livestock GAP (TAS 6909), held beside crop GAP
    return SupplyRec(group, crop_id, scheme, {}, price), base, mult


def _in_season(ctx: Ctx, crop_id: str, weeks: list[str], week_ids: list[str]) -> list[str]:
    """The weeks a seasonal crop is offered in: those of ``weeks`` in its season, else every
    week of the season it is in season (else ``weeks``, for a crop out of season throughout)."""
    kept = [w for w in weeks if ctx.week_in_season(crop_id, w)]
    return kept or [w for w in week_ids if ctx.week_in_season(crop_id, w)] or weeks


def _premium(rng: Random, scheme: Scheme) -> float:
    """Price premium of a group's produce over the reference price, by its scheme."""
    if scheme in ORGANIC_SCHEMES:
        return rng.uniform(1.2, 1.6)
    if scheme is Scheme.ORGANIC_CONVERSION:
        return rng.uniform(1.0, 1.15)
    if scheme is Scheme.NONE:
        return rng.uniform(0.85, 1.0)
    return 1.0


def _scale_factors(
    demand: dict[str, tuple[float, float]],
    ratio: dict[str, float],
    organic_ratio: dict[str, float],
    raw: dict[tuple[str, bool], float],
) -> dict[tuple[str, bool], float]:
    """Factor per (crop, organic) that scales the raw line sizes to the crop's target supply."""
    factor: dict[tuple[str, bool], float] = {}
    for crop_id, (total, organic_total) in demand.items():
        target = ratio.get(crop_id, 1.0) * total
        raw_org, raw_conv = raw.get((crop_id, True), 0.0), raw.get((crop_id, False), 0.0)
        share = organic_ratio.get(crop_id)
        natural = target * raw_org / (raw_org + raw_conv) if raw_org + raw_conv > 0 else 0.0
        if share is not None and organic_total > 0 and raw_org > 0:
            wanted_org = min(natural, share * organic_total)
            factor[(crop_id, True)] = wanted_org / raw_org
            factor[(crop_id, False)] = (target - wanted_org) / raw_conv if raw_conv else 0.0
        elif raw_org + raw_conv > 0:
            factor[(crop_id, True)] = factor[(crop_id, False)] = target / (raw_org + raw_conv)
    return factor
