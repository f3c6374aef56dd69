"""Every list route tells the total (``X-Total-Count``) and links the neighbouring pages (RFC 8288
``Link``, ``rel="next"`` / ``rel="prev"``, the other query parameters kept); the total counts
only what the caller may see.

The list routes are read from the app's OpenAPI document (every ``GET`` answering a JSON
array), so a new list route without the headers fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.auth import Role
from matcher.config import Settings
from tests.support.api_keys import new_token, sign_in
from tests.support.market import API, Market, delivery_dates, wait_for, weeks_of

LINK = re.compile(r'<([^>]*)>;\s*rel="([^"]+)"')
UNREACHABLE = "http://127.0.0.1:9/hooks"  # nothing listens: deliveries are logged as failed
KNOWN_LISTS = {
    "/groups",
    "/groups/{group_id}/certificates",
    "/buyers",
    "/supply",
    "/orders",
    "/contracts",
    "/contracts/{contract_id}/history",
    "/rounds",
    "/crops",
    "/audit",
    "/webhooks",
    "/webhooks/{webhook_id}/deliveries",
    "/notifications",
    "/sessions",
    "/sign-ins",
    "/bank-consents",
    "/bank/groups",
    "/road-distances",
}


def list_routes(client: TestClient) -> list[str]:
    """The paths (below /api/v1) of every GET operation whose 200 answer is a JSON array, read
    from the app's OpenAPI document."""
    spec = client.get("/openapi.json").json()
    found = []
    for path, item in spec["paths"].items():
        answer = item.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            found.append(path.removeprefix(API))
    return sorted(found)


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhook_poll_seconds=0.05,
        webhook_backoff_seconds=60,
        webhook_timeout_seconds=1,
        notify_poll_seconds=0.05,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        yield client


@pytest.fixture
def ids(client: TestClient) -> dict[str, str]:
    """A market with at least two items in every list; the ids the list paths need."""
    market = Market(client)
    days = delivery_dates(2)
    for group_id in ("grp-a", "grp-b"):
        market.group_with_certificate(group_id)
        market.post(
            "/certificates",
            {
                "id": f"cert-organic-{group_id}",
                "group_id": group_id,
                "scheme": "ORGANIC_THAILAND",
                "valid_from": days[0].replace(year=days[0].year - 1).isoformat(),
                "valid_until": days[-1].replace(year=days[-1].year + 1).isoformat(),
                "certifier": "ACT",
            },
        )
    hooks = [
        market.post("/webhooks", {"participant_id": "grp-a", "url": UNREACHABLE})["id"]
        for _ in range(2)
    ]
    # No mail server: each notice is logged as failed at once, which is enough for the log.
    client.put(f"{API}/groups/grp-a/contacts", json={"email": "a@coop.test", "channels": ["email"]})
    for n, group_id in enumerate(("grp-a", "grp-b", "grp-a")):
        market.supply(f"sup-{n}", group_id, weeks=weeks_of(days, 60))
    for buyer_id in ("hosp-1", "hosp-2"):
        market.buyer(buyer_id)
        for n in range(2):
            market.order(f"ord-{buyer_id}-{n}", buyer_id, deliveries=days, quantity=50)
    market.run_round(["kale"])
    market.run_round(["kale"])
    wait_for(lambda: len(market.get(f"/webhooks/{hooks[0]}/deliveries")) >= 2, seconds=15)
    wait_for(lambda: len(market.get("/notifications")) >= 2, seconds=15)
    for participant in ("grp-a", "hosp-1"):  # two sessions, and their sign-ins in the log
        link = market.post("/sign-in-links", {"participant_id": participant})["link"]
        opened = TestClient(client.app).post(urlsplit(link).path, follow_redirects=False)
        assert opened.status_code == 303, opened.text
    for group_id in ("grp-a", "grp-b"):  # two consents, two groups the bank may read
        consent = client.put(f"{API}/groups/{group_id}/bank-consent", json={})
        assert consent.status_code == 200, consent.text
    roads = [{"group_id": g, "buyer_id": "hosp-1", "km": 30.0} for g in ("grp-a", "grp-b")]
    assert client.put(f"{API}/road-distances", json={"distances": roads}).status_code == 200
    [contract] = market.contracts(group_id="grp-a", limit=1)  # two entries in its history
    market.post(f"/contracts/{contract['id']}/accept", {"actor": "group:grp-a"})
    market.post(f"/contracts/{contract['id']}/cancel", {"actor": "group:grp-a", "reason": "hail"})
    return {"group_id": "grp-a", "webhook_id": hooks[0], "contract_id": contract["id"]}


def test_the_list_routes_are_found_in_the_app(client: TestClient) -> None:
    assert set(list_routes(client)) >= KNOWN_LISTS


def test_every_list_route_documents_its_total_and_link_headers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in list_routes(client):
        answer = spec["paths"][API + path]["get"]["responses"]["200"]
        assert {"X-Total-Count", "Link"} <= set(answer.get("headers", {})), path
        params = {p["name"] for p in spec["paths"][API + path]["get"].get("parameters", [])}
        assert {"limit", "offset"} <= params, path


def identities(items: list[Any]) -> list[Any]:
    """What names each item: its id where it has one (a webhook delivery's attempts change
    while the dispatcher works in the background, its id does not), else the item itself."""
    return [item["id"] if isinstance(item, dict) and "id" in item else item for item in items]


def test_every_list_route_pages_with_total_and_links(
    client: TestClient, ids: dict[str, str]
) -> None:
    for template in list_routes(client):
        path = API + re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)
        everything = client.get(path, params={"limit": 1000})
        assert everything.status_code == 200, (path, everything.text)
        items = everything.json()
        total = len(items)
        assert total >= 2, (path, "the fixture needs two items in every list")
        assert everything.headers["X-Total-Count"] == str(total), path
        assert "link" not in everything.headers, path  # one page holds everything

        first = client.get(path, params={"limit": 1, "kept": "yes"})
        assert first.headers["X-Total-Count"] == str(total), path
        assert identities(first.json()) == identities(items[:1]), path
        assert set(links(first)) == {"next"}, (path, first.headers.get("link"))
        following = links(first)["next"]
        assert urlsplit(following).path == path
        assert query_of(following) == {"limit": "1", "kept": "yes", "offset": "1"}, path

        seen = list(first.json())
        page = first
        while "next" in links(page):
            page = client.get(links(page)["next"])
            assert page.status_code == 200, path
            assert page.headers["X-Total-Count"] == str(total), path
            previous = query_of(links(page)["prev"])
            assert int(previous["offset"]) == len(seen) - 1, path
            seen.extend(page.json())
        assert identities(seen) == identities(items), path
        assert query_of(links(page)["prev"])["kept"] == "yes"


def test_the_links_keep_the_filters_of_the_list(client: TestClient, ids: dict[str, str]) -> None:
    filters = {"buyer_id": "hosp-1", "state": "proposed"}
    proposed = client.get(f"{API}/contracts", params=filters | {"limit": 1000}).json()
    assert len(proposed) >= 2
    page = client.get(f"{API}/contracts", params=filters | {"limit": 1})
    assert page.headers["X-Total-Count"] == str(len(proposed))
    nxt = query_of(links(page)["next"])
    assert nxt == {"buyer_id": "hosp-1", "state": "proposed", "limit": "1", "offset": "1"}


def test_a_page_past_the_end_is_empty_and_links_back(
    client: TestClient, ids: dict[str, str]
) -> None:
    total = int(client.get(f"{API}/orders").headers["X-Total-Count"])
    late = client.get(f"{API}/orders", params={"limit": 2, "offset": total + 5})
    assert late.json() == []
    assert late.headers["X-Total-Count"] == str(total)
    assert set(links(late)) == {"prev"}
    assert query_of(links(late)["prev"])["offset"] == str(max(0, total - 2))


def test_the_contract_list_says_there_is_more_than_its_default_page(client: TestClient) -> None:
    market = Market(client)
    days = delivery_dates(1)
    market.group_with_certificate("grp-a")
    market.buyer("hosp-1")
    market.supply("sup-1", "grp-a", weeks=weeks_of(days, 10_000))
    for n in range(105):
        market.order(f"ord-{n}", "hosp-1", deliveries=days, quantity=10)
    market.run_round(["kale"])
    page = client.get(f"{API}/contracts")
    assert len(page.json()) == 100
    assert page.headers["X-Total-Count"] == "105"
    assert query_of(links(page)["next"]) == {"limit": "100", "offset": "100"}
    rest = client.get(links(page)["next"])
    assert len(rest.json()) == 5
    assert "next" not in links(rest)


def test_the_totals_count_only_the_callers_rows(client: TestClient, ids: dict[str, str]) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]
    everything = {
        path: int(client.get(API + path).headers["X-Total-Count"])
        for path in ("/contracts", "/orders", "/buyers", "/groups", "/supply")
    }
    own = client.get(f"{API}/contracts", params={"buyer_id": "hosp-1", "limit": 1000}).json()
    groups_of_hosp_1 = {c["group_id"] for c in own}
    kitchen = TestClient(client.app)  # the app has started: no second lifespan
    kitchen.headers["Authorization"] = f"Bearer {new_token(service, Role.KITCHEN, 'hosp-1')}"
    contracts = kitchen.get(f"{API}/contracts", params={"limit": 1})
    assert contracts.headers["X-Total-Count"] == str(len(own))
    assert len(own) < everything["/contracts"]
    assert "next" in links(contracts)
    orders = kitchen.get(f"{API}/orders")
    assert orders.headers["X-Total-Count"] == "2"
    assert everything["/orders"] == 4
    assert kitchen.get(f"{API}/buyers").headers["X-Total-Count"] == "1"
    groups = kitchen.get(f"{API}/groups")
    assert groups.headers["X-Total-Count"] == str(len(groups_of_hosp_1))
    assert int(groups.headers["X-Total-Count"]) <= everything["/groups"]
    group = TestClient(client.app)
    group.headers["Authorization"] = f"Bearer {new_token(service, Role.GROUP, 'grp-b')}"
    supply = group.get(f"{API}/supply")
    assert supply.headers["X-Total-Count"] == "1"
    assert everything["/supply"] == 3
    assert group.get(f"{API}/webhooks").headers["X-Total-Count"] == "0"
