"""The market end to end over HTTP on the in-process engine: orders, supply, rounds, contracts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from matcher.bootstrap import bootstrap
from matcher.config import Settings
from matcher.domain.weeks import iso_week
from tests.support.api_keys import sign_in
from tests.support.market import (
    API,
    Market,
    buyer_body,
    delivery_dates,
    supply_body,
    wait_for,
    weeks_of,
)


def _kale_market(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.order()
    market.supply()


def test_kitchen_and_group_both_see_the_contract_after_a_round(market: Market) -> None:
    _kale_market(market)
    market.run_round()

    for_buyer = market.contracts(buyer_id="hosp-songkhla")
    for_group = market.contracts(group_id="grp-hatyai")
    assert len(for_buyer) == 1
    assert for_buyer == for_group
    contract = for_buyer[0]
    assert contract["group_id"] == "grp-hatyai"
    assert contract["order_id"] == "ord-kale-1"
    assert contract["crop_id"] == "kale"
    assert contract["unit_price"] == "24.50"
    assert contract["state"] == "proposed"
    days = [d.isoformat() for d in delivery_dates()]
    assert [d["date"] for d in contract["deliveries"]] == days
    assert [d["quantity"] for d in contract["deliveries"]] == [40, 40, 40]
    assert market.get(f"/contracts/{contract['id']}") == contract


def test_order_view_shows_contracted_quantity_per_delivery(market: Market) -> None:
    _kale_market(market)
    market.run_round()

    order = market.get("/orders/ord-kale-1")

    assert order["state"] == "open"
    assert [(d["ordered"], d["contracted"], d["open"]) for d in order["delivery_status"]] == [
        (40, 40, 0)
    ] * 3
    supply = market.get("/supply/sup-kale-1")
    assert supply["contracted"] == weeks_of(delivery_dates(), 40)


def test_a_second_round_adds_no_contract_for_quantity_already_contracted(market: Market) -> None:
    _kale_market(market)
    market.run_round()
    before = market.contracts(order_id="ord-kale-1")

    second = market.run_round()

    assert second["contract_ids"] == []
    assert second["unfilled"] == []
    assert market.contracts(order_id="ord-kale-1") == before
    assert sum(c["quantity"] for c in before) == 120


def test_a_round_over_a_book_fully_under_contract_completes_with_no_open_demand(
    market: Market,
) -> None:
    _kale_market(market)
    market.run_round()

    second = market.run_round()

    assert (second["status"], second["solver_status"]) == ("completed", "optimal"), second
    assert second["contract_ids"] == []
    assert second["notes"] == []
    summary = second["summary"]
    assert (summary["demand"], summary["filled"], summary["unfilled"]) == (0, 0, 0)
    assert summary["contracts"] == 0


def test_requested_round_returns_its_record(market: Market) -> None:
    _kale_market(market)

    record = market.run_round(["kale"])

    assert record["trigger"] == "request"
    assert record["status"] == "completed"
    assert market.get(f"/rounds/{record['id']}") == record
    assert record["id"] in {r["id"] for r in market.get("/rounds", limit=5)}


def test_order_larger_than_the_supply_is_partly_filled_with_a_reason(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.order(quantity=150)  # more than the 100 announced per week
    market.supply()
    market.run_round()

    contracts = market.contracts(order_id="ord-kale-1")
    assert sum(c["quantity"] for c in contracts) == 300
    order = market.get("/orders/ord-kale-1")
    assert [d["open"] for d in order["delivery_status"]] == [50, 50, 50]
    matching = market.get(f"/rounds/{contracts[0]['round_id']}")
    assert {(u["reason"], u["quantity"]) for u in matching["unfilled"]} == {
        ("insufficient_supply", 50)
    }


def test_organic_order_with_only_gap_supply_is_unfilled_for_the_standard(market: Market) -> None:
    market.buyer()
    market.group_with_certificate(scheme="THAI_GAP")
    market.supply()
    market.order("ord-organic", min_tier="ORGANIC")

    record = market.run_round()

    lines = [u for u in record["unfilled"] if u["order_id"] == "ord-organic"]
    assert len(lines) == 3
    assert {u["reason"] for u in lines} == {"standard_not_met"}
    assert all(u["quantity"] == 40 and u["detail"] for u in lines)
    assert market.contracts(order_id="ord-organic") == []


def test_order_for_a_crop_nobody_announced_is_unfilled_for_no_supply(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.supply()  # kale only
    market.order("ord-eggs", crop_id="eggs", quantity=300, max_price="5.00")

    record = market.run_round()

    reasons = {u["reason"] for u in record["unfilled"] if u["order_id"] == "ord-eggs"}
    assert reasons == {"no_supply"}
    assert market.contracts(order_id="ord-eggs") == []
    assert market.get("/supply/sup-kale-1")["contracted"] == weeks_of(delivery_dates(), 0)


def test_round_limited_to_one_crop_leaves_the_other_markets_open(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.order("ord-eggs", crop_id="eggs", quantity=300, max_price="5.00")

    record = market.run_round(["kale"])

    assert record["unfilled"] == []
    assert record["summary"]["demand"] == 0


def test_a_debounced_round_follows_changes_without_being_asked(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.order()
    market.supply()

    contracts = wait_for(lambda: market.contracts(buyer_id="hosp-songkhla"))

    round_id = contracts[0]["round_id"]
    record = market.get(f"/rounds/{round_id}")
    assert record["trigger"] == "debounce"
    assert set(record["contract_ids"]) == {c["id"] for c in contracts}
    assert round_id in {r["id"] for r in market.get("/rounds")}


def test_cancelled_order_leaves_the_open_book(market: Market) -> None:
    market.buyer()
    market.order()

    cancelled = market.post("/orders/ord-kale-1/cancel", {"reason": "menu changed"})

    assert cancelled["state"] == "cancelled"
    assert market.get("/orders", state="open") == []
    assert [o["id"] for o in market.get("/orders", state="cancelled")] == ["ord-kale-1"]
    assert market.get("/markets/kale/book")["orders"] == []


def test_withdrawn_supply_is_not_matched(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.supply()

    withdrawn = market.post("/supply/sup-kale-1/withdraw", {"reason": "flooded fields"})
    market.order()
    record = market.run_round()

    assert withdrawn["state"] == "withdrawn"
    assert market.contracts(order_id="ord-kale-1") == []
    assert {u["reason"] for u in record["unfilled"]} == {"no_supply"}


def test_group_view_lists_its_certificates(market: Market) -> None:
    market.group_with_certificate(scheme="PGS")

    group = market.get("/groups/grp-hatyai")
    certificates = market.get("/groups/grp-hatyai/certificates")

    assert [c["scheme"] for c in group["certificates"]] == ["PGS"]
    assert certificates == group["certificates"]
    assert [g["id"] for g in market.get("/groups")] == ["grp-hatyai"]


def test_lists_filter_supply_and_orders(market: Market) -> None:
    market.buyer()
    market.buyer("school-1", name_en="Songkhla School", kind="school")
    market.group_with_certificate()
    market.supply()
    market.supply("sup-eggs", crop_id="eggs", weeks=weeks_of(delivery_dates(), 500))
    market.order()
    market.order("ord-school", "school-1", crop_id="eggs", quantity=200)

    assert [s["id"] for s in market.get("/supply", crop_id="eggs")] == ["sup-eggs"]
    assert len(market.get("/supply", group_id="grp-hatyai", state="open")) == 2
    assert [o["id"] for o in market.get("/orders", buyer_id="school-1")] == ["ord-school"]
    assert [o["id"] for o in market.get("/orders", crop_id="kale")] == ["ord-kale-1"]
    assert [b["id"] for b in market.get("/buyers")] == ["hosp-songkhla", "school-1"]


def test_open_book_shows_open_demand_and_free_supply_per_week(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    days = delivery_dates(1, first_in_days=21)
    market.order(deliveries=days, min_tier="ORGANIC")  # GAP supply never serves it
    market.supply(weeks=weeks_of(days, 100))

    book = market.get("/markets/kale/book")

    week = iso_week(days[0])
    assert book["crop_id"] == "kale"
    assert book["weeks"] == {week: {"demand_open": 40, "supply_free": 100}}
    assert [(o["order_id"], o["open"], o["min_tier"]) for o in book["orders"]] == [
        ("ord-kale-1", 40, "ORGANIC")
    ]
    assert [(s["supply_id"], s["free"]) for s in book["supply"]] == [("sup-kale-1", 100)]
    assert market.get("/markets/eggs/book")["weeks"] == {}


def test_overview_counts_participants_book_and_fill_rate(market: Market) -> None:
    _kale_market(market)
    market.run_round()

    overview = market.get("/overview")

    assert overview["groups"] == 1
    assert overview["buyers"] == 1
    assert overview["orders_open"] == 1
    assert overview["supply_open"] == 1
    assert overview["contracts"] == 1
    assert (overview["proposed"], overview["fill_rate"]) == (120, 0.0)  # not accepted yet
    assert overview["rounds"] >= 1
    assert overview["engine"]["running"] is True
    (contract,) = market.contracts()
    market.post(f"/contracts/{contract['id']}/accept", {"actor": "group:grp-hatyai"})
    assert market.get("/overview")["fill_rate"] == 1.0


def test_contracts_survive_a_restart_of_the_app(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        market = Market(client)
        _kale_market(market)
        market.run_round()
        first = market.contracts()

    with TestClient(create_app(settings)) as client:
        sign_in(client)
        again = Market(client).contracts()
        assert again == first
        assert len(again) == 1


def test_engine_stops_cleanly_when_the_app_shuts_down(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        sign_in(client)
        response = client.post(f"{API}/buyers", json=buyer_body())
        service = app.state.service
        assert response.status_code == 201
        assert service.engine.status()["running"] is True

    status = service.engine.status()
    assert status["running"] is False
    assert status["queue_depth"] == 0


def test_supply_body_example_is_accepted_as_is(market: Market) -> None:
    market.group_with_certificate()

    stored = market.supply()

    assert stored == market.get("/supply/sup-kale-1")
    assert stored["weeks"] == supply_body()["weeks"]
    assert stored["asking_price"] == "24.50"


def test_app_runs_on_a_given_service_and_stops_its_engine(settings: Settings) -> None:
    service = bootstrap(settings)
    try:
        with TestClient(create_app(service=service)) as client:
            sign_in(client)
            response = client.post(f"{API}/buyers", json=buyer_body())
            assert response.status_code == 201
            assert service.engine.status()["running"] is True
        assert service.engine.status()["running"] is False
        with service.uow_factory() as uow:
            assert [b.id for b in uow.buyers.list()] == ["hosp-songkhla"]
    finally:
        service.close()
