"""Webhooks end to end: a real HTTP receiver gets the embedded service's signed deliveries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.config import Settings
from tests.support.api_keys import sign_in
from tests.support.market import API, Market, delivery_dates, wait_for, weeks_of
from tests.support.webhooks import SECRET, Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=0.2,
        round_interval_seconds=0,
        webhook_poll_seconds=0.05,
        webhook_backoff_seconds=0.05,
        webhook_timeout_seconds=2,
    )


def test_the_group_gets_its_contract_proposal_once_despite_two_failures(
    settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        market = Market(client)
        days = delivery_dates(1)
        market.group_with_certificate("grp-hatyai")
        market.buyer("hosp-songkhla")
        hook = market.post(
            "/webhooks", {"participant_id": "grp-hatyai", "url": url, "secret": SECRET}
        )
        assert hook["secret"] == SECRET
        assert hook["id"].startswith("wh_")
        market.supply("sup-1", "grp-hatyai", weeks=weeks_of(days, 100))
        market.order("ord-1", "hosp-songkhla", deliveries=days)
        market.run_round(["kale"])
        [contract] = market.contracts(group_id="grp-hatyai")

        def proposed() -> list[dict[str, Any]]:
            with state.lock:
                return [d for d in state.accepted if d["event"] == "ContractProposed"]

        [event] = wait_for(proposed, seconds=15)
        assert event["payload"]["id"] == contract["id"]
        assert event["payload"]["group_id"] == "grp-hatyai"

        def settled() -> list[dict[str, Any]]:
            log: list[dict[str, Any]] = market.get(f"/webhooks/{hook['id']}/deliveries")
            return log if log and all(d["state"] == "delivered" for d in log) else []

        log = wait_for(settled, seconds=15)
        events = {d["event"] for d in log}
        assert "ContractProposed" in events
        assert "SupplyAnnounced" in events
        assert "OrderSubmitted" not in events  # the buyer's, not the group's
        assert all(d["attempts"] == 3 and d["last_status"] == 200 for d in log)

        listed = market.get("/webhooks", participant_id="grp-hatyai")
        assert [h["id"] for h in listed] == [hook["id"]]
        assert all("secret" not in h for h in listed)
        assert client.delete(f"{API}/webhooks/{hook['id']}").status_code == 204
        assert client.delete(f"{API}/webhooks/{hook['id']}").status_code == 404
        assert client.get(f"{API}/webhooks/{hook['id']}/deliveries").status_code == 404

    with state.lock:
        assert state.bad_signatures == 0
        accepted = Counter(d["delivery_id"] for d in state.accepted)
        assert set(accepted.values()) == {1}
        assert all(state.attempts[d] == 3 for d in accepted)


def test_registration_is_checked(client: TestClient) -> None:
    market = Market(client)
    market.buyer("hosp-songkhla")
    answer = client.post(
        f"{API}/webhooks", json={"participant_id": "nobody", "url": "http://127.0.0.1:9/x"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "participant_id"]
    answer = client.post(
        f"{API}/webhooks", json={"participant_id": "hosp-songkhla", "url": "ftp://x/y"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "url"]
    created = client.post(
        f"{API}/webhooks", json={"participant_id": "hosp-songkhla", "url": "https://k.test/h"}
    )
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert client.delete(f"{API}/webhooks/wh_missing").status_code == 404
