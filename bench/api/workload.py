"""What ``foodmatch bench api`` asks of the API (pure): the run's market (groups, kitchens and
supply of a few crops, every id tagged with the run) and the calls of each phase: the setup's
stages, the orders and the contract reads, each with the key it is sent with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

CROPS = ("kale", "choy_sum", "morning_glory", "cucumber")
WEEKS = 5
"""Weeks of supply offered; each order has three weekly deliveries within them."""
HAT_YAI = (7.0167, 100.4681)
SONGKHLA_CITY = (7.1422, 100.5664)

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    kind: str
    method: str
    path: str
    token: str
    body: Json | None = None
    params: dict[str, str] | None = None
    idempotency_key: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.idempotency_key is not None:
            headers["Idempotency-Key"] = self.idempotency_key
        return headers


@dataclass(frozen=True, slots=True)
class Market:
    """The participants of one run: ids carry the run's tag."""

    tag: str
    groups: tuple[str, ...]
    kitchens: tuple[str, ...]
    crops: tuple[str, ...] = CROPS
    today: date = field(default_factory=date.today)

    @classmethod
    def of(
        cls, tag: str, groups: int = 20, kitchens: int = 20, today: date | None = None
    ) -> Market:
        return cls(
            tag,
            tuple(f"bgrp-{n:03d}-{tag}" for n in range(groups)),
            tuple(f"bkit-{n:03d}-{tag}" for n in range(kitchens)),
            today=today or date.today(),
        )

    @property
    def days(self) -> list[date]:
        """Delivery dates, one a week, from two weeks ahead."""
        start = self.today + timedelta(days=14)
        return [start + timedelta(weeks=n) for n in range(WEEKS)]

    def setup(self, token: str) -> list[tuple[str, list[Call]]]:
        """The setup's stages, in order (a stage's calls may run concurrently)."""
        from matcher.domain.weeks import iso_week

        weeks = {iso_week(d): 300 for d in self.days}
        people: list[Call] = []
        certificates: list[Call] = []
        supply: list[Call] = []
        for n, gid in enumerate(self.groups):
            body = {
                "id": gid,
                "name_th": f"วิสาหกิจชุมชนผักปลอดภัย {n}",
                "name_en": f"Bench safe vegetable group {n}",
                "lat": round(HAT_YAI[0] + 0.01 * (n % 7), 4),
                "lon": round(HAT_YAI[1] - 0.01 * (n % 5), 4),
                "members": 10 + n % 20,
                "kind": "community_enterprise",
                "district": "9011",
            }
            people.append(self._post("group", "/groups", token, body))
            certificates.append(
                self._post(
                    "certificate",
                    "/certificates",
                    token,
                    {
                        "id": f"bcert-{gid}",
                        "group_id": gid,
                        "scheme": "THAI_GAP",
                        "valid_from": (self.today - timedelta(days=30)).isoformat(),
                        "valid_until": (self.today + timedelta(days=365)).isoformat(),
                        "certifier": "Department of Agriculture",
                    },
                )
            )
            for crop in self.crops:
                supply.append(
                    self._post(
                        "supply",
                        "/supply",
                        token,
                        {
                            "id": f"bsup-{crop}-{gid}",
                            "group_id": gid,
                            "crop_id": crop,
                            "scheme": "THAI_GAP",
                            "weeks": weeks,
                            "asking_price": f"{22 + n % 5}.50",
                        },
                    )
                )
        for n, kid in enumerate(self.kitchens):
            body = {
                "id": kid,
                "name_th": f"โรงครัว {n}",
                "name_en": f"Bench kitchen {n}",
                "kind": ("hospital", "school", "prison")[n % 3],
                "lat": round(SONGKHLA_CITY[0] - 0.01 * (n % 6), 4),
                "lon": round(SONGKHLA_CITY[1] - 0.01 * (n % 4), 4),
                "district": "9001",
            }
            people.append(self._post("buyer", "/buyers", token, body))
        return [
            ("groups and kitchens", people),
            ("certificates", certificates),
            ("supply", supply),
        ]

    def orders(self, count: int, tokens: dict[str, str]) -> list[Call]:
        """``count`` distinct orders, each sent by its kitchen with its own Idempotency-Key."""
        days = self.days
        calls: list[Call] = []
        for n in range(count):
            kitchen = self.kitchens[n % len(self.kitchens)]
            crop = self.crops[(n // len(self.kitchens)) % len(self.crops)]
            first = n % (WEEKS - 2)
            body = {
                "id": f"bord-{n:06d}-{self.tag}",
                "buyer_id": kitchen,
                "crop_id": crop,
                "quantity": 10 + 10 * (n % 5),
                "deliveries": [d.isoformat() for d in days[first : first + 3]],
                "min_tier": "SAFE",
                "max_price": "30.00",
                "max_distance_km": 80,
            }
            calls.append(
                Call("order", "POST", "/orders", tokens[kitchen], body, None, f"order-{body['id']}")
            )
        return calls

    def reads(
        self,
        count: int,
        contracts: dict[str, list[str]],
        tokens: dict[str, str],
        coordinator: str,
    ) -> list[Call]:
        """Half the kitchens' lists, half single contracts (a kitchen's own), alternating; one in
        five with the coordinator's key. Kitchens without contracts get only list reads."""
        calls: list[Call] = []
        seen: dict[str, int] = {}
        for n in range(count):
            kitchen = self.kitchens[(n // 2) % len(self.kitchens)]
            token = coordinator if n % 5 == 4 else tokens[kitchen]
            mine = contracts.get(kitchen, [])
            if n % 2 == 0 or not mine:
                calls.append(Call("list", "GET", "/contracts", token, params={"buyer_id": kitchen}))
                continue
            index = seen.get(kitchen, 0)
            seen[kitchen] = index + 1
            calls.append(Call("get", "GET", f"/contracts/{mine[index % len(mine)]}", token))
        return calls

    def _post(self, kind: str, path: str, token: str, body: Json) -> Call:
        return Call(kind, "POST", path, token, body, None, f"setup-{kind}-{body['id']}")
