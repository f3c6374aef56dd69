"""Access control: every /api/v1 route tried as each role, as another participant of the same
role, and without (or with a bad) key. 401 without credentials, 403 for another participant's
data, and no list leaks another participant's rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.auth import Role
from matcher.config import Settings
from matcher.domain.weeks import iso_week
from matcher.keys import create_key, revoke_key
from tests.support.market import (
    API,
    buyer_body,
    certificate_body,
    delivery_dates,
    group_body,
    order_body,
    supply_body,
)

Json = dict[str, Any]
ROLES = ("coordinator", "kitchen", "other_kitchen", "group", "other_group", "bank")


@dataclass
class World:
    client: TestClient
    keys: dict[str, str]
    ids: dict[str, str]

    def call(self, who: str | None, method: str, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.keys[who]}"
        return self.client.request(method, API + path, headers=headers, **kwargs)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/auth.db",
        auth=True,
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhooks_enabled=False,
    )
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        keys: dict[str, str] = {}
        _, keys["coordinator"] = create_key(service.uow_factory, Role.COORDINATOR, None, "ops", now)
        w = World(client, keys, {})

        def ok(path: str, body: Json) -> Json:
            r = w.call("coordinator", "POST", path, json=body)
            assert r.status_code in (200, 201), r.text
            answer: Json = r.json()
            return answer

        days = delivery_dates(2)
        for g, lat in (("grp-a", 7.02), ("grp-b", 6.9)):
            ok("/groups", group_body(g, lat=lat))
            ok("/certificates", certificate_body(f"cert-{g}", g))
        ok("/buyers", buyer_body("kit-a"))
        ok("/buyers", buyer_body("kit-b", lat=6.95))
        ok("/supply", supply_body("sup-a", "grp-a", weeks={iso_week(d): 500 for d in days}))
        ok(
            "/supply",
            supply_body("sup-a2", "grp-a", crop_id="cucumber", weeks={iso_week(days[0]): 50}),
        )
        mg = {iso_week(d): 500 for d in days}
        ok("/supply", supply_body("sup-b", "grp-b", crop_id="morning_glory", weeks=mg))
        ok("/orders", order_body("ord-a", "kit-a", deliveries=days))
        ok("/orders", order_body("ord-a2", "kit-a", deliveries=days[:1]))
        ok("/orders", order_body("ord-a3", "kit-a", crop_id="pumpkin", deliveries=days[:1]))
        ok("/orders", order_body("ord-b", "kit-b", crop_id="morning_glory", deliveries=days))
        round_id = ok("/rounds", {})["id"]
        for who, role, pid in (
            ("kitchen", Role.KITCHEN, "kit-a"),
            ("other_kitchen", Role.KITCHEN, "kit-b"),
            ("group", Role.GROUP, "grp-a"),
            ("other_group", Role.GROUP, "grp-b"),
        ):
            _, keys[who] = create_key(service.uow_factory, role, pid, who, now)
        _, keys["bank"] = create_key(service.uow_factory, Role.BANK, None, "ธ.ก.ส. หาดใหญ่", now)
        ok_consent = w.call("coordinator", "PUT", "/groups/grp-a/bank-consent", json={})
        assert ok_consent.status_code == 200, ok_consent.text
        contracts = w.call("coordinator", "GET", "/contracts").json()
        mine = sorted(c["id"] for c in contracts if c["buyer_id"] == "kit-a")
        assert len(mine) == 2
        assert {c["group_id"] for c in contracts} == {"grp-a", "grp-b"}
        theirs = [c["id"] for c in contracts if c["buyer_id"] == "kit-b"]
        w.ids = {
            "round": round_id,
            "contract": mine[0],
            "contract2": mine[1],
            "their_contract": theirs[0],
            "day": days[0].isoformat(),
        }
        yield w


# --- one case per route: who may, who may not ------------------------------------------------


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    allowed: frozenset[str]
    """Roles allowed (the others get 403); the success is checked as the first participant
    among them (alphabetically), or as the coordinator when no participant is allowed."""
    body: Callable[[World], Any] | None = None
    params: dict[str, str] | None = None
    accepted: bool = False
    """Accept the contract first (confirming and amending need a live contract)."""

    @property
    def ok_as(self) -> str:
        return min(self.allowed - {"coordinator"}, default="coordinator")


def case(
    method: str, path: str, allowed: str, body: Any = None, accepted: bool = False, **params: str
) -> Case:
    fn = body if callable(body) or body is None else (lambda _w, b=body: b)
    return Case(method, path, frozenset(allowed.split()), fn, params or None, accepted)


ALL = "coordinator kitchen other_kitchen group other_group"
KIT_OWN = "coordinator kitchen"
GRP_OWN = "coordinator group"
PARTIES = "coordinator kitchen group"

CASES: tuple[Case, ...] = (
    case("GET", "/crops", ALL),
    case("GET", "/calendar/holidays", ALL, year="2027"),
    case("GET", "/areas", ALL),
    case("POST", "/groups", "coordinator", group_body("grp-new")),
    case("GET", "/groups/grp-a", PARTIES),
    case("GET", "/groups/grp-a/certificates", PARTIES),
    case("POST", "/buyers", "coordinator", buyer_body("kit-new")),
    case("GET", "/buyers/kit-a", PARTIES),
    case("POST", "/certificates", GRP_OWN, certificate_body("cert-new", "grp-a")),
    case("POST", "/certificates/cert-grp-a/revoke", "coordinator",
         {"revoked_on": "2099-01-01", "reason": "audit"}),
    case("POST", "/supply", GRP_OWN, supply_body("sup-new", "grp-a")),
    case("GET", "/supply/sup-a", GRP_OWN),
    case("POST", "/supply/sup-a2/withdraw", GRP_OWN, {"reason": "hail"}),
    case("POST", "/orders", KIT_OWN, order_body("ord-new", "kit-a")),
    case("GET", "/orders/ord-a", KIT_OWN),
    case("POST", "/orders/ord-a3/cancel", KIT_OWN, {"reason": "menu changed"}),
    case("POST", "/orders/ord-a/deliveries/{day}/cancel", KIT_OWN, {"reason": "ward closed"}),
    case("GET", "/contracts/{contract}", PARTIES),
    case("GET", "/contracts/{contract}/history", PARTIES),
    case("GET", "/contracts/{contract}/document", PARTIES),
    case("POST", "/contracts/{contract}/accept", GRP_OWN, {}),
    case("POST", "/contracts/{contract2}/reject", GRP_OWN, {"reason": "no truck"}),
    case("POST", "/contracts/{contract}/deliveries/{day}/confirm", KIT_OWN,
         {"received": 40, "refused": 0}, accepted=True),
    case("POST", "/contracts/{contract}/amend", PARTIES,
         lambda w: {"agreed_by": "buyer:kit-a",
                    "deliveries": [{"date": w.ids["day"], "quantity": 30}]}, accepted=True),
    case("POST", "/contracts/{contract}/cancel", PARTIES, {"reason": "closing"}),
    case("GET", "/groups/grp-a/contracts.csv", GRP_OWN),
    case("GET", "/buyers/kit-a/contracts.csv", KIT_OWN),
    case("POST", "/rounds", "coordinator", {}),
    case("GET", "/rounds/{round}", "coordinator"),
    case("GET", "/markets/kale/book", "coordinator"),
    case("GET", "/overview", "coordinator"),
    case("GET", "/audit", "coordinator"),
    case("GET", "/stats/fill", "coordinator"),
    case("GET", "/stats/unmet", "coordinator"),
    case("GET", "/stats/groups", "coordinator"),
    case("GET", "/map", "coordinator"),
    case("GET", "/report/planning", "coordinator kitchen", buyer_id="kit-a"),
    case("GET", "/report/planning.csv", "coordinator kitchen", buyer_id="kit-a"),
    case("GET", "/report/planning-areas.csv", "coordinator"),
    case("POST", "/webhooks", GRP_OWN,
         {"participant_id": "grp-a", "url": "https://example.org/hook"}),
    case("GET", "/groups/grp-a/contacts", GRP_OWN),
    case("PUT", "/groups/grp-a/contacts", "coordinator",
         {"email": "leader@coop.test", "channels": ["email"]}),
    case("GET", "/buyers/kit-a/contacts", KIT_OWN),
    case("GET", "/buyers/kit-a/days-off", KIT_OWN),
    case("PUT", "/buyers/kit-a/days-off", KIT_OWN, {"non_delivery_weekdays": ["sun"]}),
    case("PUT", "/buyers/kit-a/contacts", "coordinator", {"language": "en"}),
    case("GET", "/notifications", "coordinator"),
    case("GET", "/session", ALL + " bank"),
    case("POST", "/sign-in-links", "coordinator", {"participant_id": "kit-a"}),
    case("GET", "/sessions", "coordinator"),
    case("GET", "/sign-ins", "coordinator"),
    case("PUT", "/groups/grp-a/bank-consent", GRP_OWN, {"bank": "baac"}),
    case("DELETE", "/groups/grp-a/bank-consent", GRP_OWN),
    case("GET", "/bank-consents", "coordinator group other_group bank"),
    case("GET", "/bank/groups", "coordinator bank"),
    case("GET", "/bank/groups/grp-a/revenue", "coordinator bank"),
    case("GET", "/bank/groups/grp-a/revenue.csv", "coordinator bank"),
    case("GET", "/road-distances", "coordinator"),
    case("PUT", "/road-distances", "coordinator",
         {"distances": [{"group_id": "grp-a", "buyer_id": "kit-a", "km": 31.5}]}),
    case("GET", "/road-distances/route", PARTIES, group_id="grp-a", buyer_id="kit-a"),
)  # fmt: skip
"""Lists (``GET /groups``, ``/orders``...) are checked for leaks below; webhooks' own routes too."""

LIST_ROUTES = {
    ("GET", "/groups"),
    ("GET", "/buyers"),
    ("GET", "/supply"),
    ("GET", "/orders"),
    ("GET", "/contracts"),
    ("GET", "/rounds"),
    ("GET", "/webhooks"),
    ("DELETE", "/webhooks/{webhook_id}"),
    ("GET", "/webhooks/{webhook_id}/deliveries"),
    # a person's session: signing out and revocation (tests/e2e/test_sign_in.py)
    ("POST", "/session/sign-out"),
    ("POST", "/sessions/{session_id}/revoke"),
    # resending a given-up notification (tests/e2e/test_notifications_e2e.py)
    ("POST", "/notifications/{notification_id}/retry"),
}


def _template(path: str) -> str:
    """The route template a case's path stands for (ids become their parameter names)."""
    swaps = {
        "grp-a": "{group_id}",
        "kit-a": "{buyer_id}",
        "cert-grp-a": "{certificate_id}",
        "sup-a": "{supply_id}",
        "sup-a2": "{supply_id}",
        "ord-a": "{order_id}",
        "ord-a3": "{order_id}",
        "kale": "{crop_id}",
        "{contract}": "{contract_id}",
        "{contract2}": "{contract_id}",
        "{day}": "{day}",
        "{round}": "{round_id}",
    }
    return "/".join(swaps.get(part, part) for part in path.split("/"))


def test_every_route_has_a_case() -> None:
    spec = create_app(Settings(database_url="sqlite://")).openapi()
    routes = {
        (method.upper(), path.removeprefix(API))
        for path, operations in spec["paths"].items()
        if path.startswith(API)
        for method in operations
    }
    covered = {(c.method, _template(c.path)) for c in CASES} | LIST_ROUTES
    assert routes - covered == set(), "routes without an access-control case"
    assert covered - routes == set(), "cases for routes that do not exist"


def _path(w: World, c: Case) -> str:
    return c.path.format(**w.ids)


@pytest.mark.parametrize("c", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_each_role_gets_its_answer(world: World, c: Case) -> None:
    path = _path(world, c)
    if c.accepted:
        answer = world.call("group", "POST", f"/contracts/{world.ids['contract']}/accept", json={})
        assert answer.status_code == 200, answer.text
    body = c.body(world) if c.body is not None else None
    kwargs: dict[str, Any] = {"params": c.params} if c.params else {}
    if body is not None:
        kwargs["json"] = body

    anonymous = world.call(None, c.method, path, **kwargs)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"].startswith("Bearer")

    owners = {"kitchen": "kit-a", "group": "grp-a"}
    for role in (r for r in ROLES if r not in c.allowed):  # before anything changes
        answer = world.call(role, c.method, path, **kwargs)
        assert answer.status_code == 403, (role, answer.status_code, answer.text)
        detail = str(answer.json()["detail"])
        for owner_role, owner in owners.items():  # the message names only the caller
            if owner_role != role:
                assert owner not in detail, (role, detail)
    answer = world.call(c.ok_as, c.method, path, **kwargs)
    assert 200 <= answer.status_code < 300, (c.ok_as, answer.status_code, answer.text)


def test_bad_keys_are_refused(world: World) -> None:
    for header in (
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + world.keys["kitchen"][:-2] + "xx"},
        {"X-API-Key": "fm_0000000000000000_" + "a" * 43},
    ):
        answer = world.client.get(API + "/crops", headers=header)
        assert answer.status_code == 401, (header, answer.text)
    assert world.client.get(API + "/crops", headers={"X-API-Key": world.keys["group"]}).is_success


def test_a_revoked_key_stops_working(world: World) -> None:
    service = world.client.app.state.service  # type: ignore[attr-defined]
    assert world.call("kitchen", "GET", "/orders").status_code == 200
    key_id = world.keys["kitchen"].split("_")[1]
    revoke_key(service.uow_factory, key_id, datetime.now(UTC))
    assert world.call("kitchen", "GET", "/orders").status_code == 401


def test_health_metrics_and_the_dashboard_page_need_no_key(world: World) -> None:
    for path in ("/health", "/metrics", "/", "/static/js/main.js"):
        assert world.client.get(path).status_code == 200, path


def test_lists_hold_only_the_callers_rows(world: World) -> None:
    def ids(who: str, path: str, **params: str) -> set[str]:
        answer = world.call(who, "GET", path, params=params)
        assert answer.status_code == 200, (who, path, answer.text)
        return {row["id"] for row in answer.json()}

    everyone = ids("coordinator", "/contracts")
    assert len(everyone) == 3
    assert ids("kitchen", "/contracts") == {world.ids["contract"], world.ids["contract2"]}
    assert ids("other_kitchen", "/contracts") == {world.ids["their_contract"]}
    assert ids("group", "/contracts") == {world.ids["contract"], world.ids["contract2"]}
    assert ids("kitchen", "/contracts", group_id="grp-b") == set()
    assert ids("kitchen", "/orders") == {"ord-a", "ord-a2", "ord-a3"}
    assert ids("other_kitchen", "/orders") == {"ord-b"}
    assert ids("group", "/supply") == {"sup-a", "sup-a2"}
    assert ids("other_group", "/supply") == {"sup-b"}
    # participants see themselves and their counterparties only
    assert ids("kitchen", "/groups") == {"grp-a"}
    assert ids("other_kitchen", "/groups") == {"grp-b"}
    assert ids("group", "/groups") == {"grp-a"}
    assert ids("group", "/buyers") == {"kit-a"}
    assert ids("other_group", "/buyers") == {"kit-b"}
    assert ids("coordinator", "/groups") == {"grp-a", "grp-b"}
    for who, path, params in (
        ("kitchen", "/contracts", {"buyer_id": "kit-b"}),
        ("group", "/contracts", {"group_id": "grp-b"}),
        ("kitchen", "/orders", {"buyer_id": "kit-b"}),
        ("group", "/supply", {"group_id": "grp-b"}),
        ("kitchen", "/supply", {}),
        ("group", "/orders", {}),
        ("kitchen", "/rounds", {}),
        ("group", "/rounds", {}),
        ("kitchen", "/report/planning", {"buyer_id": "kit-b"}),
    ):
        answer = world.call(who, "GET", path, params=params)
        assert answer.status_code == 403, (who, path, params, answer.text)
    planning = world.call("kitchen", "GET", "/report/planning").json()
    assert all(line["buyers"] == ["kit-a"] for line in planning["lines"])


def test_webhooks_belong_to_their_participant(world: World) -> None:
    made = world.call("group", "POST", "/webhooks",
                      json={"participant_id": "grp-a", "url": "https://example.org/a"})  # fmt: skip
    assert made.status_code == 201, made.text
    hook = made.json()["id"]
    theirs = world.call(
        "other_group", "POST", "/webhooks",
        json={"participant_id": "grp-b", "url": "https://example.org/b"},
    )  # fmt: skip
    assert theirs.status_code == 201
    listed = world.call("group", "GET", "/webhooks").json()
    assert [h["id"] for h in listed] == [hook]
    assert (
        world.call("group", "GET", "/webhooks", params={"participant_id": "grp-b"}).status_code
        == 403
    )
    assert len(world.call("coordinator", "GET", "/webhooks").json()) == 2
    for who in ("other_group", "kitchen"):
        assert world.call(who, "GET", f"/webhooks/{hook}/deliveries").status_code == 403
        assert world.call(who, "DELETE", f"/webhooks/{hook}").status_code == 403
    assert world.call("group", "GET", f"/webhooks/{hook}/deliveries").status_code == 200
    assert world.call("group", "DELETE", f"/webhooks/{hook}").status_code == 204


def test_a_participant_acts_only_as_itself(world: World) -> None:
    contract = world.ids["contract"]
    posing = world.call("group", "POST", f"/contracts/{contract}/accept",
                        json={"actor": "group:grp-b"})  # fmt: skip
    assert posing.status_code == 403
    accepted = world.call("group", "POST", f"/contracts/{contract}/accept", json={})
    assert accepted.status_code == 200
    assert accepted.json()["history"][-1]["actor"] == "group:grp-a"
    on_behalf = world.call("coordinator", "POST", f"/contracts/{world.ids['contract2']}/reject",
                           json={"actor": "group:grp-a", "reason": "phoned in"})  # fmt: skip
    assert on_behalf.status_code == 200
    assert on_behalf.json()["history"][-1]["actor"] == "group:grp-a"


def test_idempotency_keys_are_each_participants_own(world: World) -> None:
    days = delivery_dates(1)
    key = {"Idempotency-Key": "same-key"}
    first = world.call("kitchen", "POST", "/orders", headers=key,
                       json=order_body("ord-k1", "kit-a", deliveries=days))  # fmt: skip
    second = world.call("other_kitchen", "POST", "/orders", headers=key,
                        json=order_body("ord-k2", "kit-b", deliveries=days))  # fmt: skip
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["buyer_id"] == "kit-b"
    again = world.call("kitchen", "POST", "/orders", headers=key,
                       json=order_body("ord-k1", "kit-a", deliveries=days))  # fmt: skip
    assert again.status_code == 200
    assert again.headers["idempotent-replay"] == "true"
