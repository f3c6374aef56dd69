"""The fuzzed service: its settings, the small market seeded in it and the counts of what the
fuzzing sent (the fixture and the summary are in tests/fuzz/conftest.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from schemathesis.python.asgi import ASGIClient

from matcher.config import Settings
from tests.support.market import Market, delivery_dates

Json = dict[str, object]

SCHEMATHESIS = "schemathesis with a coordinator key"
CALLS: Counter[tuple[str, str, int]] = Counter()
"""Requests the fuzzing sent, by (pass, operation, status code): summed up after the run."""


def fuzz_settings(folder: Path) -> Settings:
    """No rounds of their own (only on request), no webhook deliveries, access control on."""
    return Settings(
        database_url=f"sqlite:///{folder}/f.db",
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhooks_enabled=False,
        auth=True,
        time_limit_seconds=2,
    )


@dataclass
class FuzzApi:
    """The running app, a schemathesis session on it (in-process, no lifespan of its own: the
    TestClient owns the app's lifespan), a coordinator's token and the seeded ids."""

    app: object
    client: TestClient
    session: ASGIClient
    token: str
    ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def seed_market(client: TestClient) -> dict[str, list[str]]:
    """Two groups with certificates, two kitchens, supply, orders, a round and its contracts
    (one accepted, so that amending and confirming have something to act on), a webhook."""
    market = Market(client)
    days = delivery_dates(3)
    market.group_with_certificate("grp-hatyai")
    market.group_with_certificate("grp-sadao", lat=6.64, lon=100.42)
    market.buyer("hosp-songkhla")
    market.buyer("school-hatyai", kind="school", lat=7.01, lon=100.47)
    market.supply("sup-kale-1", "grp-hatyai")
    market.supply("sup-kale-2", "grp-sadao")
    market.order("ord-kale-1", "hosp-songkhla", deliveries=days)
    market.order("ord-kale-2", "school-hatyai", deliveries=days, quantity=30)
    round_ = market.run_round()
    contracts = market.contracts()
    assert contracts, "the seeded round made no contract"
    first = contracts[0]
    market.post(f"/contracts/{first['id']}/accept", {"actor": f"group:{first['group_id']}"})
    hooks = [
        market.post("/webhooks", {"participant_id": owner, "url": "https://hooks.example/fm"})
        for owner in ("grp-hatyai", "hosp-songkhla")
    ]
    return {
        "group_id": ["grp-hatyai", "grp-sadao"],
        "buyer_id": ["hosp-songkhla", "school-hatyai"],
        "certificate_id": ["cert-grp-hatyai", "cert-grp-sadao"],
        "supply_id": ["sup-kale-1", "sup-kale-2"],
        "order_id": ["ord-kale-1", "ord-kale-2"],
        "contract_id": [str(c["id"]) for c in contracts],
        "round_id": [str(round_["id"])],
        "crop_id": ["kale", "morning_glory"],
        "webhook_id": [str(hooks[0]["id"])],
        # DELETE gets a webhook of its own: the others' delivery logs stay readable.
        "DELETE webhook_id": [str(hooks[1]["id"])],
        "day": [d.isoformat() for d in days],
    }
