"""The coordinator's figures over hand-made market facts: fill, unmet demand, groups, map,
planning report, and their Prometheus gauges."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from matcher.adapters.catalogue import BY_NAME
from matcher.adapters.market_metrics import MarketCollector, market_families
from matcher.domain.contracts import (
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    MatchingRound,
    RoundStatus,
    UnfilledLine,
    latest_clearings,
)
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Crop,
    FarmerGroup,
    ForwardOrder,
    Location,
    SupplyAnnouncement,
    Unit,
)
from matcher.domain.standards import Scheme, Tier
from matcher.reference import load_districts
from matcher.service import stats
from matcher.service.planning import PlanningFilter, planning_csv, planning_lines
from matcher.service.stats import MarketFacts

W50, W51 = "2026-W50", "2026-W51"
D50, D51 = date(2026, 12, 9), date(2026, 12, 16)
TODAY = date(2026, 12, 1)

CROPS = {
    "kale": Crop("kale", "คะน้า", "Kale", Unit.KG),
    "eggs": Crop("eggs", "ไข่ไก่", "Hen eggs", Unit.PIECE),
}
GROUPS = {
    "g1": FarmerGroup("g1", "กลุ่มหนึ่ง", "Group one", Location(7.0, 100.47), 20, district="9011"),
    "g2": FarmerGroup("g2", "กลุ่มสอง", "Group two", Location(7.2, 100.6), 15, district="9001"),
    "g3": FarmerGroup("g3", "กลุ่มสาม", "Group three", Location(6.9, 100.7), 10, district="9003"),
}
BUYERS = {
    "h1": Buyer("h1", "โรงพยาบาลหนึ่ง", "Hospital one", BuyerKind.HOSPITAL,
                Location(7.01, 100.47), "9011"),
    "s1": Buyer("s1", "โรงเรียนหนึ่ง", "School one", BuyerKind.SCHOOL,
                Location(7.19, 100.59), "9001"),
}  # fmt: skip
ORDERS = [
    ForwardOrder("o1", "h1", "kale", 100, (D50, D51), Tier.SAFE, 6000, 50.0),
    ForwardOrder("o2", "s1", "kale", 40, (D50,), Tier.ORGANIC, 8000, None),
    ForwardOrder("o3", "s1", "eggs", 300, (D51,), Tier.SAFE, None, 30.0),
]
SUPPLY = [
    SupplyAnnouncement("s-g1", "g1", "kale", Scheme.THAI_GAP, {W50: 80, W51: 100}, 4500),
    SupplyAnnouncement("s-g2", "g2", "kale", Scheme.THAI_GAP, {W50: 50}, 5000),
    SupplyAnnouncement("s-g3", "g3", "eggs", Scheme.THAI_GAP, {W51: 200}, 400),
]


def contract(
    cid: str, order: str, buyer: str, group: str, supply: str, crop: str, **kw: Any
) -> Contract:
    deliveries = kw.pop("deliveries")
    return Contract(
        id=cid, round_id="r1", order_id=order, buyer_id=buyer, group_id=group, supply_id=supply,
        crop_id=crop, scheme=Scheme.THAI_GAP, min_tier=Tier.SAFE, deliveries=tuple(deliveries),
        **kw,
    )  # fmt: skip


LIVE = [
    contract("c1", "o1", "h1", "g1", "s-g1", "kale", unit_price=4500,
             deliveries=[ContractDelivery(D50, W50, 80, 2.0),
                         ContractDelivery(D51, W51, 100, 2.0)], state=ContractState.ACCEPTED),
    contract("c2", "o1", "h1", "g2", "s-g2", "kale", unit_price=5000,
             deliveries=[ContractDelivery(D50, W50, 20, 30.0)], state=ContractState.ACCEPTED),
    contract("c3", "o3", "s1", "g3", "s-g3", "eggs", unit_price=400,
             deliveries=[ContractDelivery(D51, W51, 200, 40.0),
                         ContractDelivery(D51, W51, 50, 40.0, DeliveryState.RELEASED)],
             state=ContractState.IN_DELIVERY),
]  # fmt: skip
# A proposal g2 has not answered yet: 30 of o2's 40 kg in W50.
PROPOSAL = contract("c4", "o2", "s1", "g2", "s-g2", "kale", unit_price=5000,
                    deliveries=[ContractDelivery(D50, W50, 30, 25.0)])  # fmt: skip
UNFILLED = [
    UnfilledLine("o2", "s1", "kale", D50, W50, 40, "standard_not_met", "no organic group"),
    UnfilledLine("o3", "s1", "eggs", D51, W51, 100, "insufficient_supply", "200 of 300"),
]


def facts(
    *,
    today: date = TODAY,
    orders: list[ForwardOrder] = ORDERS,
    contracts: list[Contract] = LIVE,
    unfilled: list[UnfilledLine] = UNFILLED,
    last_round: MatchingRound | None = None,
) -> MarketFacts:
    return stats.facts_of(
        today=today,
        crops=CROPS,
        districts={d.code: d for d in load_districts()},
        groups=GROUPS,
        buyers=BUYERS,
        orders=orders,
        supply=SUPPLY,
        contracts=contracts,
        unfilled=unfilled,
        last_round=last_round,
        generated_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
    )


def test_fill_counts_ordered_and_contracted_per_crop_and_week() -> None:
    out = stats.fill(facts())
    assert out["weeks"] == [W50, W51]
    assert (out["ordered"], out["contracted"]) == (540, 400)
    kale = next(c for c in out["crops"] if c["crop_id"] == "kale")
    assert kale["weeks"][W50] == {
        "ordered": 140,
        "contracted": 100,
        "proposed": 0,
        "fill_rate": 0.7143,
    }
    assert kale["weeks"][W51] == {
        "ordered": 100,
        "contracted": 100,
        "proposed": 0,
        "fill_rate": 1.0,
    }
    assert (kale["name_th"], kale["unit"]) == ("คะน้า", "kg")
    assert out["crops"][0]["crop_id"] == "eggs"  # the larger ordered quantity first


def with_proposal() -> MarketFacts:
    return facts(contracts=[*LIVE, PROPOSAL])


def test_fill_rate_counts_accepted_contracts_and_shows_proposals_apart() -> None:
    out = stats.fill(with_proposal())
    assert (out["ordered"], out["contracted"], out["proposed"]) == (540, 400, 30)
    assert out["fill_rate"] == stats.fill(facts())["fill_rate"] == round(400 / 540, 4)
    kale = next(c for c in out["crops"] if c["crop_id"] == "kale")
    assert kale["weeks"][W50] == {
        "ordered": 140,
        "contracted": 100,
        "proposed": 30,
        "fill_rate": 0.7143,
    }
    # the proposal holds its quantity: it is neither open demand nor free supply
    assert stats.open_demand(with_proposal())["kale"] == 10
    assert stats.supply_by_crop(with_proposal())["kale"] == (230, 200, 30)


def test_a_proposal_is_not_a_groups_contracted_volume_or_income() -> None:
    g2 = next(g for g in stats.group_figures(with_proposal()) if g["group_id"] == "g2")
    assert (g2["contracted"], g2["proposed"], g2["income_thb"]) == (20, 30, 20 * 50.0)
    assert g2["utilisation"] == 0.4  # 20 of 50 accepted; the proposal does not count
    the_map = stats.map_view(with_proposal())
    school = next(b for b in the_map["buyers"] if b["id"] == "s1")
    assert (school["contracted"], school["proposed"]) == (200, 30)
    link = next(x for x in the_map["links"] if (x["group_id"], x["buyer_id"]) == ("g2", "s1"))
    assert (link["quantity"], link["proposed"]) == (0, 30)


def test_proposed_quantity_has_its_own_gauge_next_to_contracted() -> None:
    registry = CollectorRegistry()
    registry.register(MarketCollector(with_proposal))
    samples = _samples(registry)
    cell = {"crop": "kale", "week": W50}
    assert (cell, 30.0) in samples["foodmatch_proposed_units"]
    assert (cell, 100.0) in samples["foodmatch_contracted_units"]
    assert (cell, 0.7143) in samples["foodmatch_fill_rate"]
    assert ({"crop": "kale"}, 0.0) in samples["foodmatch_free_supply_units"]


def test_open_demand_leaves_out_past_deliveries_and_contracted_quantity() -> None:
    assert stats.open_demand(facts()) == {"kale": 40, "eggs": 100}
    assert stats.open_demand(facts(today=date(2026, 12, 10))) == {"kale": 0, "eggs": 100}


def unmet_of(f: MarketFacts) -> list[tuple[str, int, str, str]]:
    return [(c.crop_id, c.quantity, c.reason, c.district) for c in f.unmet]


def test_unmet_cells_are_the_rounds_unfilled_quantities_still_open() -> None:
    assert unmet_of(facts()) == [
        ("eggs", 100, "insufficient_supply", "9001"),
        ("kale", 40, "standard_not_met", "9001"),
    ]
    # a contract made since covers part of the line; a cancelled order's line is gone
    since = contract("c5", "o3", "s1", "g3", "s-g3", "eggs", unit_price=400,
                     deliveries=[ContractDelivery(D51, W51, 60, 40.0)])  # fmt: skip
    later = facts(contracts=[*LIVE, since], orders=ORDERS[:1] + ORDERS[2:])
    assert unmet_of(later) == [("eggs", 40, "insufficient_supply", "9001")]
    # past deliveries are not unmet any more
    assert unmet_of(facts(today=date(2026, 12, 10))) == [
        ("eggs", 100, "insufficient_supply", "9001")
    ]


def test_lines_of_one_delivery_take_what_is_open_in_the_order_of_their_reasons() -> None:
    split = [
        UnfilledLine("o3", "s1", "eggs", D51, W51, 70, "out_of_range", "too far"),
        UnfilledLine("o3", "s1", "eggs", D51, W51, 50, "insufficient_supply", "short"),
    ]
    # 100 of o3's 300 are open on D51: the shortage (first by reason) takes 50, the rest 50
    cells = {c.reason: c for c in facts(unfilled=split).unmet}
    assert (cells["insufficient_supply"].quantity, cells["out_of_range"].quantity) == (50, 50)
    assert cells["out_of_range"].lines == 1
    assert cells["out_of_range"].dates == (D51,)


def test_one_buyers_cells_hold_only_its_orders() -> None:
    f = facts()
    assert [c.buyers for c in f.unmet_for("s1")] == [("s1",), ("s1",)]
    assert f.unmet_for("h1") == []
    assert f.unmet_for(None) == f.unmet


def test_unmet_summary_by_reason_crop_district_and_pending() -> None:
    out = stats.unmet(facts(unfilled=UNFILLED[:1]))
    assert out["total"] == 40
    assert out["pending"] == 100  # the eggs no round has explained yet
    assert out["by_reason"] == [{"reason": "standard_not_met", "quantity": 40, "lines": 1}]
    assert out["by_district"][0] | {} == {
        "district": "9001",
        "name_th": "เมืองสงขลา",
        "name_en": "Mueang Songkhla",
        "quantity": 40,
    }


def test_group_figures_income_utilisation_and_gini() -> None:
    groups = {g["group_id"]: g for g in stats.group_figures(facts())}
    assert groups["g1"]["contracted"] == 180
    assert groups["g1"]["income_thb"] == 180 * 45.0
    assert groups["g1"]["utilisation"] == 1.0
    assert groups["g2"]["utilisation"] == 0.4
    assert groups["g3"]["contracted"] == 200  # the released delivery is not counted
    assert groups["g3"]["income_thb"] == 800.0
    assert groups["g1"]["district_name_en"] == "Hat Yai"
    ginis = stats.ginis(list(groups.values()))
    assert 0 < ginis["volume"] < 1
    assert 0 < ginis["income"] < 1
    equal = [dict(g, contracted=10, income_thb=5.0, utilisation=0.5) for g in groups.values()]
    assert stats.ginis(equal) == {"volume": 0.0, "income": 0.0, "utilisation": 0.0}


def test_km_per_unit_weights_distance_by_quantity() -> None:
    assert stats.km_per_unit(facts()) == {"kale": round((180 * 2 + 20 * 30) / 200, 3), "eggs": 40.0}


def test_map_has_every_participant_and_one_line_per_pair() -> None:
    out = stats.map_view(facts())
    assert {g["id"] for g in out["groups"]} == {"g1", "g2", "g3"}
    assert {b["id"] for b in out["buyers"]} == {"h1", "s1"}
    links = {(x["group_id"], x["buyer_id"]): x for x in out["links"]}
    assert set(links) == {("g1", "h1"), ("g2", "h1"), ("g3", "s1")}
    assert links[("g1", "h1")]["quantity"] == 180
    assert links[("g1", "h1")]["crops"] == ["kale"]
    assert out["bounds"] == {"south": 6.9, "west": 100.47, "north": 7.2, "east": 100.7}
    assert next(b for b in out["buyers"] if b["id"] == "s1")["contracted"] == 200


def test_latest_clearings_takes_each_market_from_its_last_round() -> None:
    heads = [
        ("r3", {"markets": ["kale"]}),
        ("r2", {"markets": ["kale", "eggs"]}),
        ("r1", {}),  # an older round without the list cleared everything
    ]
    assert latest_clearings(heads, ["kale", "eggs", "rice"]) == {
        "r3": {"kale"},
        "r2": {"eggs"},
        "r1": {"rice"},
    }
    assert latest_clearings(heads[:1], ["eggs"]) == {}


def test_planning_lines_group_and_say_what_would_close_them() -> None:
    lines = planning_lines(facts())
    assert [(x["crop_id"], x["week"], x["reason"], x["quantity"]) for x in lines] == [
        ("eggs", W51, "insufficient_supply", 100),
        ("kale", W50, "standard_not_met", 40),
    ]
    kale = lines[1]
    assert (kale["min_tier"], kale["max_price_thb"], kale["within_km"]) == ("ORGANIC", 80.0, None)
    assert kale["district_name_th"] == "เมืองสงขลา"
    assert kale["buyers"] == ["s1"]
    assert kale["suggestion_en"].startswith("Certify groups for 40 kg of Kale certified ORGANIC")
    assert "Mueang Songkhla" in kale["suggestion_en"]
    assert "09 Dec" in kale["suggestion_en"]
    assert "คะน้า 40 กก." in kale["suggestion_th"]
    assert "9 ธ.ค." in kale["suggestion_th"]
    eggs = lines[0]
    assert "300" not in eggs["suggestion_en"]
    assert "100 pieces of Hen eggs" in eggs["suggestion_en"]
    assert "within 30 km" in eggs["suggestion_en"]
    assert "ฟอง" in eggs["suggestion_th"]
    assert planning_lines(facts(), PlanningFilter(crop_id="kale")) == [kale]
    assert planning_lines(facts(), PlanningFilter(week=W50, district="9011")) == []
    assert planning_lines(facts(), PlanningFilter(buyer_id="s1")) == lines
    assert planning_lines(facts(), PlanningFilter(buyer_id="h1")) == []


def test_planning_csv_has_one_row_per_line() -> None:
    lines = planning_lines(facts())
    rows = list(csv.DictReader(io.StringIO(planning_csv(lines))))
    assert len(rows) == 2
    assert rows[1]["crop_name_th"] == "คะน้า"
    assert rows[1]["quantity"] == "40"
    assert rows[1]["dates"] == "2026-12-09"
    assert rows[1]["within_km"] == ""
    assert rows[0]["within_km"] == "30.0"
    assert rows[0]["max_price_thb"] == ""


def _samples(registry: CollectorRegistry) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = generate_latest(registry).decode()
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def test_market_gauges_carry_the_catalogue_labels() -> None:
    last = MatchingRound(
        id="r1", trigger="debounce", started_at=datetime(2026, 12, 1, 7, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 7, 1, tzinfo=UTC), status=RoundStatus.COMPLETED,
        solver="flow", solver_status="optimal", summary={"fill_rate": 0.74, "gap": 0.0},
    )  # fmt: skip
    families = market_families(facts(last_round=last))
    for family in families:
        spec = BY_NAME[family.name]
        assert spec.kind == "gauge"
        assert spec.served_by == "api"
        for sample in family.samples:
            assert tuple(sample.labels) == spec.labels, family.name
    registry = CollectorRegistry()
    registry.register(MarketCollector(lambda: facts(last_round=last)))
    samples = _samples(registry)
    assert ({"crop": "kale", "week": W50}, 0.7143) in samples["foodmatch_fill_rate"]
    unmet = samples["foodmatch_unmet_demand_units"]
    assert ({"reason": "standard_not_met", "crop": "kale", "district": "9001"}, 40.0) in unmet
    assert ({"state": "accepted"}, 2.0) in samples["foodmatch_contracts"]
    assert ({"role": "group"}, 3.0) in samples["foodmatch_participants"]
    info = samples["foodmatch_last_round_info"]
    assert info == [({"solver": "flow", "solver_status": "optimal", "trigger": "debounce"}, 1.0)]
    assert samples["foodmatch_supply_utilisation"][0][0] == {"crop": "eggs"}
    assert {m for (m,) in [tuple(x[0].values()) for x in samples["foodmatch_gini"]]} == {
        "volume",
        "income",
        "utilisation",
    }


def test_the_collector_reads_at_most_once_per_cache_period_and_survives_errors() -> None:
    now = [0.0]
    calls = [0]

    def read() -> MarketFacts:
        calls[0] += 1
        if calls[0] == 2:
            raise ConnectionError("database down")
        return facts()

    collector = MarketCollector(read, cache_seconds=5, clock=lambda: now[0])
    first = list(collector.collect())
    assert first
    assert calls[0] == 1
    now[0] = 4.9
    assert [f.name for f in collector.collect()] == [f.name for f in first]
    assert calls[0] == 1
    now[0] = 5.0  # the read fails: the last figures stay
    assert [f.name for f in collector.collect()] == [f.name for f in first]
    assert calls[0] == 2
    now[0] = 10.0
    list(collector.collect())
    assert calls[0] == 3
    assert collector.reads == 2


@pytest.mark.parametrize("kind", ["counter", "gauge", "histogram"])
def test_the_catalogue_names_follow_prometheus_conventions(kind: str) -> None:
    for spec in (s for s in BY_NAME.values() if s.kind == kind):
        assert spec.name.startswith("foodmatch_")
        assert spec.name.endswith("_total") == (kind == "counter"), spec.name
        assert spec.help.endswith(".") or spec.help.endswith(")"), spec.name


def test_a_too_late_line_suggests_ordering_further_ahead() -> None:
    late = UnfilledLine("o2", "s1", "kale", D50, W50, 40, "too_late", "too close to propose")
    (line,) = planning_lines(facts(unfilled=[late]), PlanningFilter(crop_id="kale"))
    assert line["reason"] == "too_late"
    assert line["suggestion_en"].startswith("Order further ahead (too close to delivery")
    assert line["suggestion_th"].startswith("สั่งซื้อล่วงหน้าให้นานขึ้น")
