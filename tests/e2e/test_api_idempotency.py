"""The Idempotency-Key header: the same key twice has one effect, the repeat says so."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.market import API, Market, buyer_body, order_body, supply_body


def test_same_key_twice_submits_one_order(market: Market, client: TestClient) -> None:
    market.buyer()
    headers = {"Idempotency-Key": "kitchen-42-order-1"}

    first = client.post(f"{API}/orders", json=order_body(), headers=headers)
    second = client.post(f"{API}/orders", json=order_body(), headers=headers)

    assert first.status_code == 201
    assert "Idempotent-Replay" not in first.headers
    assert second.status_code == 200
    assert second.headers["Idempotent-Replay"] == "true"
    assert second.json()["id"] == first.json()["id"] == "ord-kale-1"
    assert second.json()["quantity"] == 40
    assert len(market.get("/orders", buyer_id="hosp-songkhla")) == 1


def test_repeated_key_counts_as_a_duplicate_in_the_metrics(client: TestClient) -> None:
    headers = {"Idempotency-Key": "buyer-once"}

    client.post(f"{API}/buyers", json=buyer_body(), headers=headers)
    client.post(f"{API}/buyers", json=buyer_body(), headers=headers)

    metrics = client.get("/metrics").text
    assert 'foodmatch_commands_total{command="RegisterBuyer",outcome="duplicate"} 1.0' in metrics
    assert 'foodmatch_commands_total{command="RegisterBuyer",outcome="ok"} 1.0' in metrics


def test_same_key_for_another_object_answers_409(market: Market, client: TestClient) -> None:
    market.buyer()
    headers = {"Idempotency-Key": "reused"}
    client.post(f"{API}/orders", json=order_body("ord-a"), headers=headers)

    response = client.post(f"{API}/orders", json=order_body("ord-b"), headers=headers)

    assert response.status_code == 409
    assert "reused" in response.json()["detail"]
    assert [o["id"] for o in market.get("/orders")] == ["ord-a"]


def test_repeated_cancel_with_the_same_key_is_answered_as_a_replay(
    market: Market, client: TestClient
) -> None:
    market.buyer()
    market.order()
    headers = {"Idempotency-Key": "cancel-1"}
    path = f"{API}/orders/ord-kale-1/cancel"

    first = client.post(path, json={"reason": "menu changed"}, headers=headers)
    second = client.post(path, json={"reason": "menu changed"}, headers=headers)

    assert first.status_code == 200
    assert second.status_code == 200
    assert second.headers["Idempotent-Replay"] == "true"
    assert second.json()["state"] == first.json()["state"] == "cancelled"


def test_repeated_withdrawal_with_the_same_key_is_answered_as_a_replay(
    market: Market, client: TestClient
) -> None:
    market.group_with_certificate()
    market.supply()
    headers = {"Idempotency-Key": "withdraw-1"}
    path = f"{API}/supply/sup-kale-1/withdraw"

    first = client.post(path, headers=headers)
    second = client.post(path, headers=headers)

    assert first.json()["state"] == "withdrawn"
    assert (second.status_code, second.headers["Idempotent-Replay"]) == (200, "true")


def test_same_supply_key_twice_announces_once(market: Market, client: TestClient) -> None:
    market.group_with_certificate()
    headers = {"Idempotency-Key": "supply-once"}

    client.post(f"{API}/supply", json=supply_body(), headers=headers)
    second = client.post(f"{API}/supply", json=supply_body(), headers=headers)

    assert second.status_code == 200
    assert second.json()["weeks"] == supply_body()["weeks"]
    assert len(market.get("/supply")) == 1


def test_repeated_round_request_runs_one_round(market: Market, client: TestClient) -> None:
    headers = {"Idempotency-Key": "round-monday"}

    first = client.post(f"{API}/rounds", json={}, headers=headers)
    second = client.post(f"{API}/rounds", json={}, headers=headers)

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replay"] == "true"
    requested = [r for r in market.get("/rounds") if r["trigger"] == "request"]
    assert [r["id"] for r in requested] == [first.json()["id"]]


def test_requests_without_a_key_are_each_new(market: Market, client: TestClient) -> None:
    market.buyer()
    client.post(f"{API}/orders", json=order_body("ord-a"))

    response = client.post(f"{API}/orders", json=order_body("ord-b"))

    assert response.status_code == 201
    assert [o["id"] for o in market.get("/orders")] == ["ord-a", "ord-b"]


def test_same_key_for_the_same_object_with_other_values_answers_409_and_the_first_stands(
    market: Market, client: TestClient
) -> None:
    market.buyer()
    headers = {"Idempotency-Key": "changed-mind"}
    client.post(f"{API}/orders", json=order_body(), headers=headers)

    response = client.post(f"{API}/orders", json=order_body() | {"quantity": 55}, headers=headers)

    assert response.status_code == 409
    assert "changed-mind" in response.json()["detail"]
    assert "reused with a different body" in response.json()["detail"]
    assert [o["quantity"] for o in market.get("/orders")] == [40]
