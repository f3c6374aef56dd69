"""The scenario generator: the Songkhla demo market and scaled benchmark instances."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from matcher.domain.errors import InvalidValue
from matcher.domain.model import BuyerKind, GroupKind, Location, WeeklySchedule
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week
from matcher.geo import great_circle_km
from matcher.optimiser.schema import parse_instance
from matcher.optimiser.solve import solve
from matcher.reference import load_districts, load_institutions, load_standards
from matcher.roads import load_network
from matcher.scenario import scaled_instance, songkhla_instance

START = date(2026, 12, 7)
THIRD_PARTY = {"ORGANIC_THAILAND", "ACT_IFOAM", "EU_ORGANIC", "USDA_NOP", "COR"}
ORGANIC_SCHEMES = {"PGS"} | THIRD_PARTY


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return songkhla_instance()


def deliveries(order: dict[str, Any]) -> list[date]:
    if "deliveries" in order:
        return [date.fromisoformat(d) for d in order["deliveries"]]
    s = order["schedule"]
    schedule = WeeklySchedule(
        date.fromisoformat(s["start"]), date.fromisoformat(s["end"]), tuple(s["weekdays"])
    )
    return list(schedule.dates())


def order_weeks(instance: dict[str, Any]) -> int:
    return sum(len(deliveries(o)) for o in instance["orders"])


def demand_and_supply(instance: dict[str, Any]) -> tuple[Counter[str], Counter[str]]:
    demand: Counter[str] = Counter()
    supply: Counter[str] = Counter()
    for o in instance["orders"]:
        demand[o["crop_id"]] += o["quantity"] * len(deliveries(o))
    for s in instance["supply"]:
        supply[s["crop_id"]] += sum(s["weeks"].values())
    return demand, supply


def production_scheme(instance: dict[str, Any]) -> dict[str, str]:
    """Each certified group's production scheme (GMP is a food-safety credential, not one; a
    GAP farm's livestock GAP for its eggs sits beside its crop GAP)."""
    return {
        c["group_id"]: c["scheme"]
        for c in instance["certificates"]
        if c["scheme"] not in ("GMP", "LIVESTOCK_GAP")
    }


# --- shape and determinism -----------------------------------------------------------------------


def test_top_level_format(demo: dict[str, Any]) -> None:
    assert demo["format"] == "foodmatch-instance/1"
    assert demo["name"] == "songkhla-12w-seed1"
    assert demo["parameters"]["road_factor"] == 1.3
    assert demo["parameters"]["priority_weights"]["hospital"] == 10
    assert set(demo) == {
        "format",
        "name",
        "parameters",
        "crops",
        "groups",
        "certificates",
        "buyers",
        "supply",
        "orders",
        "road_distances",
    }


def test_output_is_plain_json(demo: dict[str, Any]) -> None:
    assert json.loads(json.dumps(demo, ensure_ascii=False)) == demo


def test_same_seed_same_instance() -> None:
    assert songkhla_instance(seed=7) == songkhla_instance(seed=7)
    assert scaled_instance(order_weeks=800, groups=90, seed=3) == scaled_instance(
        order_weeks=800, groups=90, seed=3
    )


def test_different_seeds_different_instances() -> None:
    assert songkhla_instance(seed=1)["supply"] != songkhla_instance(seed=2)["supply"]
    assert songkhla_instance(seed=1)["orders"] != songkhla_instance(seed=2)["orders"]
    a = scaled_instance(order_weeks=800, groups=90, seed=1)
    assert a["groups"] != scaled_instance(order_weeks=800, groups=90, seed=2)["groups"]


def test_ids_follow_the_naming_scheme_and_are_unique(demo: dict[str, Any]) -> None:
    patterns = {
        "groups": r"grp-\d{3}",
        "orders": r"ord-\d{5}",
        "supply": r"sup-\d{5}",
        "certificates": r"cert-\d{4}",
    }
    for key, pattern in patterns.items():
        ids = [item["id"] for item in demo[key]]
        assert len(set(ids)) == len(ids), key
        assert all(re.fullmatch(pattern, i) for i in ids), key
    assert demo["groups"][0]["id"] == "grp-001"
    assert demo["orders"][0]["id"] == "ord-00001"


def test_every_referenced_id_exists(demo: dict[str, Any]) -> None:
    groups = {g["id"] for g in demo["groups"]}
    buyers = {b["id"] for b in demo["buyers"]}
    crops = {c["id"] for c in demo["crops"]}
    assert all(c["group_id"] in groups for c in demo["certificates"])
    assert all(s["group_id"] in groups and s["crop_id"] in crops for s in demo["supply"])
    assert all(o["buyer_id"] in buyers and o["crop_id"] in crops for o in demo["orders"])
    assert all(c in crops for cert in demo["certificates"] for c in cert["crops"])
    assert all(r["group_id"] in groups and r["buyer_id"] in buyers for r in demo["road_distances"])
    used = {s["crop_id"] for s in demo["supply"]} | {o["crop_id"] for o in demo["orders"]}
    assert crops == used


def test_enum_values_are_the_domain_ones(demo: dict[str, Any]) -> None:
    assert {g["kind"] for g in demo["groups"]} <= {k.value for k in GroupKind}
    assert {b["kind"] for b in demo["buyers"]} <= {k.value for k in BuyerKind}
    assert {o["min_tier"] for o in demo["orders"]} <= {t.value for t in Tier}
    schemes = {c["scheme"] for c in demo["certificates"]} | {s["scheme"] for s in demo["supply"]}
    assert schemes <= {s.value for s in Scheme}


# --- the demo market at scale 1 ------------------------------------------------------------------


def test_every_reference_institution_buys(demo: dict[str, Any]) -> None:
    """Every kitchen with a need orders; a secondary school has no school-lunch pupils (the
    programme feeds pre-primary to Prathom 6), so it is registered but orders nothing."""
    institutions = load_institutions()
    assert {b["id"] for b in demo["buyers"]} == {i.id for i in institutions}
    secondary = {i.id for i in institutions if i.lunch_pupils == 0}
    assert secondary
    assert {o["buyer_id"] for o in demo["orders"]} == {b["id"] for b in demo["buyers"]} - secondary


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_groups_members_and_places(seed: int) -> None:
    instance = songkhla_instance(seed=seed)
    groups = instance["groups"]
    assert 40 <= len(groups) <= 60
    members = [g["members"] for g in groups]
    assert min(members) >= 7
    assert max(members) <= 40
    assert 11 <= statistics.median(members) <= 19
    centroids = {d.code: d.centroid for d in load_districts()}
    for g in groups:
        centre = centroids[g["district"]]
        assert abs(g["lat"] - centre.lat) <= 0.08 + 1e-9
        assert abs(g["lon"] - centre.lon) <= 0.08 + 1e-9
    names = {g["name_th"] for g in groups}
    assert "กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด" in names


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_certificate_mix_within_the_stated_ranges(seed: int) -> None:
    schemes = Counter(production_scheme(songkhla_instance(seed=seed)).values())
    total = sum(schemes.values())
    gap = schemes["THAI_GAP"] / total
    pgs = schemes["PGS"] / total
    third = sum(schemes[s] for s in THIRD_PARTY) / total
    assert 0.40 <= gap <= 0.60
    assert 0.30 <= pgs <= 0.50
    assert 0.05 <= third <= 0.15


def test_a_few_uncertified_groups_sell_without_certificate(demo: dict[str, Any]) -> None:
    certified = set(production_scheme(demo))
    bare = [g["id"] for g in demo["groups"] if g["id"] not in certified]
    assert 1 <= len(bare) <= 5
    assert all(s["scheme"] == "NONE" for s in demo["supply"] if s["group_id"] in bare)
    assert any(s["scheme"] == "NONE" for s in demo["supply"])


def test_supply_is_offered_under_the_groups_certificate(demo: dict[str, Any]) -> None:
    schemes = production_scheme(demo)
    for s in demo["supply"]:
        scheme = schemes.get(s["group_id"], "NONE")
        if s["crop_id"] == "eggs" and scheme == "THAI_GAP":
            scheme = "LIVESTOCK_GAP"  # eggs need livestock GAP (TAS 6909), not crop GAP
        assert s["scheme"] == scheme


def test_gap_egg_farms_hold_livestock_gap_from_the_livestock_department(
    demo: dict[str, Any],
) -> None:
    eggs = [s for s in demo["supply"] if s["crop_id"] == "eggs" and s["scheme"] == "LIVESTOCK_GAP"]
    livestock = {c["group_id"]: c for c in demo["certificates"] if c["scheme"] == "LIVESTOCK_GAP"}
    assert eggs
    assert not [s for s in demo["supply"] if s["crop_id"] == "eggs" and s["scheme"] == "THAI_GAP"]
    for s in eggs:
        cert = livestock[s["group_id"]]
        assert cert["crops"] == ["eggs"]
        assert cert["certifier"] == "Department of Livestock Development"


def test_rice_groups_hold_gmp_credentials(demo: dict[str, Any]) -> None:
    gmp = [c for c in demo["certificates"] if c["scheme"] == "GMP"]
    assert gmp
    assert all(c["crop_groups"] == ["staple"] for c in gmp)
    rice_growers = {s["group_id"] for s in demo["supply"] if s["crop_id"].startswith("rice_")}
    assert {c["group_id"] for c in gmp} <= rice_growers
    assert len(gmp) >= len(rice_growers) // 2


def test_some_certificates_lapse_or_start_inside_the_season(demo: dict[str, Any]) -> None:
    end = START + timedelta(weeks=12)
    certs = [c for c in demo["certificates"] if c["scheme"] != "GMP"]
    lapsing = [c for c in certs if START <= date.fromisoformat(c["valid_until"]) < end]
    starting = [c for c in certs if START < date.fromisoformat(c["valid_from"]) < end]
    assert 2 <= len(lapsing) <= 5
    assert 1 <= len(starting) <= 4
    for c in certs:
        assert date.fromisoformat(c["valid_from"]) < date.fromisoformat(c["valid_until"])


def test_some_scopes_miss_an_announced_crop(demo: dict[str, Any]) -> None:
    crop_group = {c["id"]: c["group"] for c in demo["crops"]}
    scopes = {(c["group_id"], c["scheme"]): c for c in demo["certificates"] if c["scheme"] != "GMP"}
    missed = []
    for s in demo["supply"]:
        cert = scopes.get((s["group_id"], s["scheme"]))
        if cert is None or not (cert["crops"] or cert["crop_groups"]):
            continue
        if (
            s["crop_id"] not in cert["crops"]
            and crop_group[s["crop_id"]] not in cert["crop_groups"]
        ):
            missed.append(s["id"])
    assert 2 <= len(missed) <= 6


def test_supply_quantities_and_prices(demo: dict[str, Any]) -> None:
    reference = {c["id"]: Decimal(c["reference_price"]) for c in demo["crops"]}
    weeks = {iso_week(START + timedelta(weeks=i)) for i in range(12)}
    for s in demo["supply"]:
        assert s["weeks"]
        assert set(s["weeks"]) <= weeks
        assert all(isinstance(q, int) and q > 0 for q in s["weeks"].values())
        assert re.fullmatch(r"\d+\.\d{2}", s["asking_price"])
        ratio = Decimal(s["asking_price"]) / reference[s["crop_id"]]
        assert Decimal("0.6") <= ratio <= Decimal("2.05")
        weekly = statistics.mean(s["weeks"].values())
        if s["crop_id"] == "eggs":
            assert 150 <= weekly <= 9000
        elif s["crop_id"].startswith("rice_"):
            assert 25 <= weekly <= 1050
        else:
            assert 2 <= weekly <= 700
    groups = Counter(s["group_id"] for s in demo["supply"])
    assert max(groups.values()) <= 4
    assert sum(len(s["weeks"]) < 12 for s in demo["supply"]) >= 5


def test_every_order_delivers_inside_the_season(demo: dict[str, Any]) -> None:
    end = START + timedelta(days=83)
    for order in demo["orders"]:
        dates = deliveries(order)
        assert dates, order["id"]
        assert all(START <= d <= end for d in dates), order["id"]
        assert isinstance(order["quantity"], int)
        assert order["quantity"] > 0
    kinds = {("deliveries" in o, "schedule" in o) for o in demo["orders"]}
    assert kinds == {(False, True), (True, False)}


def test_delivery_days_follow_kitchen_practice(demo: dict[str, Any]) -> None:
    kind = {b["id"]: b["kind"] for b in demo["buyers"]}
    days: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    for o in demo["orders"]:
        if "schedule" in o and not o["crop_id"].startswith("rice_"):
            days[kind[o["buyer_id"]]][tuple(o["schedule"]["weekdays"])] += 1
    hospital, school = days["hospital"], days["school"]
    assert hospital[("mon", "fri")] >= 0.25 * sum(hospital.values())
    assert school[("mon",)] >= 0.3 * sum(school.values())
    assert all(len(d) <= 2 for counter in days.values() for d in counter)


def test_tiers_are_mostly_safe_with_organic_and_a_few_certified(demo: dict[str, Any]) -> None:
    tiers = Counter(o["min_tier"] for o in demo["orders"])
    assert tiers["SAFE"] > 0.8 * len(demo["orders"])
    assert tiers["ORGANIC"] >= 3
    assert 1 <= tiers["ORGANIC_CERTIFIED"] <= 5
    assert 1 <= tiers["EU"] <= 2


def test_most_orders_cap_price_and_many_cap_distance(demo: dict[str, Any]) -> None:
    orders = demo["orders"]
    assert sum(o["max_price"] is not None for o in orders) > 0.7 * len(orders)
    limits = [o["max_distance_km"] for o in orders if o["max_distance_km"] is not None]
    assert len(limits) > 0.4 * len(orders)
    assert sum(40 <= km <= 120 for km in limits) >= len(limits) - 2


def test_demand_exceeds_supply_for_eggs_and_organic_leafy(demo: dict[str, Any]) -> None:
    demand, supply = demand_and_supply(demo)
    assert demand["eggs"] > supply["eggs"]
    assert any(supply[c] > 1.1 * demand[c] for c in demand)
    leafy = {c["id"] for c in demo["crops"] if c["group"] == "leafy"}
    organic_orders = [
        o for o in demo["orders"] if o["crop_id"] in leafy and o["min_tier"] == "ORGANIC"
    ]
    wanted = {o["crop_id"] for o in organic_orders}
    organic_demand = sum(o["quantity"] * len(deliveries(o)) for o in organic_orders)
    organic_supply = sum(
        sum(s["weeks"].values())
        for s in demo["supply"]
        if s["crop_id"] in wanted and s["scheme"] in ORGANIC_SCHEMES
    )
    assert organic_demand > organic_supply > 0


def test_an_order_for_a_crop_nobody_grows_that_week(demo: dict[str, Any]) -> None:
    grown = {(s["crop_id"], w) for s in demo["supply"] for w in s["weeks"]}
    assert any(
        (o["crop_id"], iso_week(d)) not in grown for o in demo["orders"] for d in deliveries(o)
    )


def test_an_organic_order_for_a_crop_only_gap_groups_grow(demo: dict[str, Any]) -> None:
    schemes = defaultdict(set)
    for s in demo["supply"]:
        schemes[s["crop_id"]].add(s["scheme"])
    gap_only = {c for c, found in schemes.items() if found == {"THAI_GAP"}}
    assert any(o["min_tier"] == "ORGANIC" and o["crop_id"] in gap_only for o in demo["orders"])


def test_some_price_caps_sit_below_every_ask(demo: dict[str, Any]) -> None:
    cheapest: dict[str, Decimal] = {}
    for s in demo["supply"]:
        ask = Decimal(s["asking_price"])
        cheapest[s["crop_id"]] = min(ask, cheapest.get(s["crop_id"], ask))
    below = [
        o
        for o in demo["orders"]
        if o["max_price"] is not None
        and o["crop_id"] in cheapest
        and Decimal(o["max_price"]) < cheapest[o["crop_id"]]
    ]
    assert len(below) >= 2


def test_some_radii_are_shorter_than_the_nearest_grower(demo: dict[str, Any]) -> None:
    where = {g["id"]: Location(g["lat"], g["lon"]) for g in demo["groups"]}
    buyers = {b["id"]: Location(b["lat"], b["lon"]) for b in demo["buyers"]}
    growers = defaultdict(list)
    for s in demo["supply"]:
        growers[s["crop_id"]].append(where[s["group_id"]])
    tight = [
        o
        for o in demo["orders"]
        if o["max_distance_km"] is not None
        and growers[o["crop_id"]]
        and min(great_circle_km(buyers[o["buyer_id"]], g) for g in growers[o["crop_id"]])
        > o["max_distance_km"]
    ]
    assert len(tight) >= 2


def test_road_distances_around_the_lake_exceed_the_road_factor(demo: dict[str, Any]) -> None:
    """The table lists, by the province road model, the pairs it makes more than 10 % longer
    than the straight line × 1.3: those whose road goes round Songkhla Lake."""
    groups = {g["id"]: g for g in demo["groups"]}
    buyers = {b["id"]: b for b in demo["buyers"]}
    assert 100 <= len(demo["road_distances"]) <= len(groups) * len(buyers) // 2
    sides = set()
    for r in demo["road_distances"]:
        g, b = groups[r["group_id"]], buyers[r["buyer_id"]]
        straight = great_circle_km(Location(g["lat"], g["lon"]), Location(b["lat"], b["lon"]))
        assert r["km"] > 1.3 * 1.1 * straight - 0.05
        sides.add((g["district"], b["district"]))
    # Across the lake: Krasae Sin's groups to Hat Yai, Sathing Phra's to Songkhla (by the bridge).
    assert ("9008", "9011") in sides
    assert ("9002", "9001") in sides


def test_the_scenarios_road_table_is_consistent(demo: dict[str, Any]) -> None:
    """Hat Yai Hospital and Songklanagarind are 3.5 km apart: from any group the road differs
    by at most that × the local factor (the old table gave 121 and 87 km)."""
    table = {(r["group_id"], r["buyer_id"]): r["km"] for r in demo["road_distances"]}
    roads = load_network(Path(__file__).resolve().parents[2] / "data" / "roads")
    hat_yai, psu = (
        next(b for b in demo["buyers"] if b["id"] == i)
        for i in ("hosp-hatyai", "hosp-songklanagarind")
    )
    apart = great_circle_km(
        Location(hat_yai["lat"], hat_yai["lon"]), Location(psu["lat"], psu["lon"])
    )
    for g in demo["groups"]:
        at = Location(g["lat"], g["lon"])
        km = [
            table.get((g["id"], b["id"]), roads.km(at, Location(b["lat"], b["lon"])))
            for b in (hat_yai, psu)
        ]
        assert abs(km[0] - km[1]) <= apart * 1.3 + 0.1, g["id"]


def test_scale_grows_groups_and_adds_synthetic_buyers() -> None:
    base = songkhla_instance()
    double = songkhla_instance(scale=2)
    assert double["name"] == "songkhla-12w-seed1-x2"
    assert 80 <= len(double["groups"]) <= 120
    kinds = Counter(b["kind"] for b in double["buyers"])
    assert kinds["hotel"] + kinds["restaurant"] + kinds["factory"] > 0
    assert 1.8 <= order_weeks(double) / order_weeks(base) <= 2.3


def test_season_length_and_start_are_parameters() -> None:
    start = date(2027, 5, 17)
    short = songkhla_instance(weeks=4, start=start)
    end = start + timedelta(weeks=4)
    assert all(start <= d < end for o in short["orders"] for d in deliveries(o))
    assert {w for s in short["supply"] for w in s["weeks"]} == {
        iso_week(start + timedelta(weeks=i)) for i in range(4)
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda: songkhla_instance(scale=0.5),
        lambda: songkhla_instance(weeks=0),
        lambda: scaled_instance(order_weeks=0, groups=10),
        lambda: scaled_instance(order_weeks=100, groups=0),
    ],
)
def test_bad_arguments_are_refused(call: Any) -> None:
    with pytest.raises(InvalidValue):
        call()


# --- scaled instances ----------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "groups"), [(300, 40), (1000, 200), (10_000, 2000)])
def test_scaled_instance_hits_the_requested_size(target: int, groups: int) -> None:
    instance = scaled_instance(order_weeks=target, groups=groups)
    assert len(instance["groups"]) == groups
    assert abs(order_weeks(instance) - target) <= 0.1 * target
    demand, supply = demand_and_supply(instance)
    total_demand, total_supply = sum(demand.values()), sum(supply.values())
    assert 0.7 <= total_supply / total_demand <= 1.1
    for crop_id, wanted in demand.items():
        lines = sum(1 for s in instance["supply"] if s["crop_id"] == crop_id)
        # a line offers at least 1 unit a week: a crop ordered by the kilogram is as coarse
        assert 0.6 * wanted <= supply[crop_id] <= max(1.5 * wanted, 12 * lines), crop_id


def test_scaled_instance_keeps_the_songkhla_mix() -> None:
    instance = scaled_instance(order_weeks=5000, groups=1000, seed=4)
    schemes = Counter(production_scheme(instance).values())
    total = sum(schemes.values())
    assert 0.4 <= schemes["THAI_GAP"] / total <= 0.6
    assert 0.3 <= schemes["PGS"] / total <= 0.5
    codes = {d.code for d in load_districts()}
    assert {g["district"] for g in instance["groups"]} <= codes
    assert len({g["id"] for g in instance["groups"]}) == 1000
    assert len({b["id"] for b in instance["buyers"]}) == len(instance["buyers"])


# --- the instances parse and clear ---------------------------------------------------------------


def test_demo_and_scaled_instances_parse() -> None:
    demo = parse_instance(songkhla_instance())
    assert len(demo.groups) >= 40
    assert len(demo.orders) > 100
    scaled = parse_instance(scaled_instance(order_weeks=1000, groups=200))
    assert len(scaled.groups) == 200
    assert sum(len(o.deliveries) for o in scaled.orders) == 1000


def test_demo_meets_every_reason_for_an_unfilled_quantity(demo: dict[str, Any]) -> None:
    solution = solve(parse_instance(demo))
    reasons = {u.reason.value for u in solution.unfilled}
    assert {
        "no_supply",
        "standard_not_met",
        "certificate_invalid",
        "crop_not_covered",
        "out_of_range",
        "price_too_high",
    } <= reasons
    assert solution.summary.filled > 0.5 * solution.summary.demand


def test_standards_of_the_demo_come_from_the_reference_relation(demo: dict[str, Any]) -> None:
    standards = load_standards()
    eu_able = [
        c
        for c in demo["certificates"]
        if c["scheme"] != "GMP" and standards.satisfies(Scheme(c["scheme"]), Tier.EU, c["scopes"])
    ]
    assert eu_able
