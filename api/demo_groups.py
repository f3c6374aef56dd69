"""The farmer groups' side of the live demo: proposals answered as groups would answer them.

Each proposal gets one answer, decided from the demo's seed and the contract's id alone (so a
rerun answers the same way): most are accepted, some rejected with a reason, each after a delay
of up to ``answer_within`` seconds. Answers go through the API like a group's own (the demo's
coordinator key acts for the group, ``"actor": "group:<id>"``); a rejection sends the quantity
back to the book and the next round re-matches it, so the demo's figures move as a real
market's would.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

REJECTIONS: tuple[str, ...] = (
    "ไม่มีรถขนส่งสัปดาห์นั้น (no truck that week)",
    "ผลผลิตออกน้อยกว่าที่คาด (the harvest came in short)",
    "สมาชิกขายให้พ่อค้าไปแล้ว (members sold the crop to a trader)",
    "ราคาต่ำเกินไปสำหรับกลุ่ม (the price is too low for the group)",
)
"""Why a group turns a proposal down (Thai for the coordinator, English in brackets)."""

_PAGE = 1000


@dataclass(frozen=True, slots=True)
class GroupAnswers:
    """How the demo's groups answer proposals."""

    enabled: bool = True
    accept_share: float = 0.85
    """Share of proposals accepted (the rest are rejected with a reason)."""
    answer_within: float = 120.0
    """Seconds: each answer comes between a sixth of this and this long after it is seen."""
    seed: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.accept_share <= 1.0:
            raise ValueError("accept_share must be from 0 to 1")
        if self.answer_within < 0:
            raise ValueError("answer_within must not be negative")

    @property
    def poll_seconds(self) -> float:
        """How often the proposals are listed: often enough for the shortest answers."""
        return min(2.0, max(0.1, self.answer_within / 10))


@dataclass(frozen=True, slots=True)
class Answer:
    accept: bool
    delay: float
    """Seconds after the proposal is seen."""
    reason: str = ""


def decide(contract_id: str, options: GroupAnswers) -> Answer:
    """The answer to one proposal: the same for the same seed and contract, whenever asked."""
    rng = random.Random(f"{options.seed}:{contract_id}")
    accept = rng.random() < options.accept_share
    delay = rng.uniform(options.answer_within / 6, options.answer_within)
    return Answer(accept, round(delay, 3), "" if accept else rng.choice(REJECTIONS))


@dataclass
class Tally:
    accepted: int = 0
    rejected: int = 0
    missed: int = 0
    """Proposals that could not be answered any more (expired, cancelled, taken meanwhile)."""


@dataclass
class GroupResponder:
    """Lists the open proposals, schedules each one's answer and sends the answers when due."""

    client: httpx.AsyncClient
    options: GroupAnswers
    clock: Callable[[], float] = time.monotonic
    tally: Tally = field(default_factory=Tally)
    due: dict[str, tuple[float, str, Answer]] = field(default_factory=dict)
    """Contract id -> (when, group id, answer)."""
    done: set[str] = field(default_factory=set)

    async def look(self) -> None:
        """Schedule an answer for every proposal not seen yet."""
        now = self.clock()
        offset = 0
        while True:
            response = await self.client.get(
                "/api/v1/contracts",
                params={"state": "proposed", "limit": _PAGE, "offset": offset},
                timeout=30,
            )
            if response.status_code != 200:
                return
            page: list[dict[str, Any]] = response.json()
            for contract in page:
                cid = str(contract["id"])
                if cid not in self.due and cid not in self.done:
                    answer = decide(cid, self.options)
                    self.due[cid] = (now + answer.delay, str(contract["group_id"]), answer)
            if len(page) < _PAGE:
                return
            offset += _PAGE

    async def answer_due(self) -> int:
        """Send the answers whose time has come; returns how many were sent."""
        now = self.clock()
        ready = sorted((at, cid) for cid, (at, _, _) in self.due.items() if at <= now)
        for _, cid in ready:
            _, group_id, answer = self.due.pop(cid)
            self.done.add(cid)
            body = {"actor": f"group:{group_id}"}
            action = "accept" if answer.accept else "reject"
            if not answer.accept:
                body["reason"] = answer.reason
            response = await self.client.post(
                f"/api/v1/contracts/{cid}/{action}", json=body, timeout=30
            )
            if response.status_code == 200:
                if answer.accept:
                    self.tally.accepted += 1
                else:
                    self.tally.rejected += 1
            else:
                self.tally.missed += 1
                log.info("demo group could not %s %s: %s", action, cid, response.text[:200])
        return len(ready)

    async def run(self) -> None:
        while True:
            try:
                await self.look()
                await self.answer_due()
            except httpx.HTTPError:
                log.debug("demo groups: the API did not answer", exc_info=True)
            await asyncio.sleep(self.options.poll_seconds)
