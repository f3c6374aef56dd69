"""The fuzzed service: the API on a temporary SQLite database, with a small market in it.

One service per test module: schemathesis runs many cases per operation, and a fresh database
for each would cost more than the cases themselves. The seeded market gives the routes that take
an id real ids to find (see :data:`FuzzApi.ids`), so the fuzzer reaches past the 404s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from schemathesis.python.asgi import ASGIClient

from api.app import create_app
from matcher.auth import Role
from matcher.config import Settings
from tests.api_keys import new_token
from tests.e2e.market import Market, delivery_dates

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


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzApi]:
    app = create_app(fuzz_settings(tmp_path_factory.mktemp("fuzz")))
    with TestClient(app) as client:
        service = app.state.service
        client.headers["Authorization"] = f"Bearer {new_token(service, Role.COORDINATOR)}"
        ids = seed_market(client)
        token = new_token(service, Role.COORDINATOR)
        # Not entered: entering would start a second lifespan (a second service) on the app.
        session = ASGIClient(cast(Any, app))
        try:
            yield FuzzApi(app=app, client=client, session=session, token=token, ids=ids)
        finally:
            session.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many cases each schemathesis pass sent, what they were answered, and which operations
    never answered 2xx (what the fuzzing did not get past)."""
    for name in sorted({key[0] for key in CALLS}):
        calls = {key: n for key, n in CALLS.items() if key[0] == name}
        operations = {key[1] for key in calls}
        statuses: Counter[int] = Counter()
        for (_, _, status), n in calls.items():
            statuses[status] += n
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        terminalreporter.write_line(
            f"fuzzing, {name}: {sum(calls.values())} cases over {len(operations)} "
            f"operations ({shown})"
        )
        never = sorted(
            op for op in operations if not any(200 <= key[2] < 300 for key in calls if key[1] == op)
        )
        if never and name == SCHEMATHESIS:
            terminalreporter.write_line(f"  never 2xx: {', '.join(never)}")
