"""Webhooks end to end: a real HTTP receiver gets the embedded service's signed deliveries."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher import webhooks as wh
from matcher.config import Settings
from tests.api_keys import sign_in
from tests.e2e.market import API, Market, delivery_dates, wait_for, weeks_of

SECRET = "whsec_e2e_receiver_secret_0123"


class Receiver:
    """Answers 500 to the first two attempts of every delivery, then 200."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            delivery = self.headers.get(wh.DELIVERY_HEADER, "")
            signed = wh.verify(SECRET, body, self.headers.get(wh.SIGNATURE_HEADER, ""))
            with state.lock:
                if not signed:
                    state.bad_signatures += 1
                    status = 400
                else:
                    state.attempts[delivery] += 1
                    status = 500 if state.attempts[delivery] <= 2 else 200
                    if status == 200:
                        state.accepted.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


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
        assert hook["secret"] == SECRET and hook["id"].startswith("wh_")
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
        assert "ContractProposed" in events and "SupplyAnnounced" in events
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
