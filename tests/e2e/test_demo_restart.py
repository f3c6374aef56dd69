"""The live demo killed with SIGKILL while it streams, then started again on the same database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import RELEASED_STATES
from matcher.scenario import season_start, songkhla_instance
from matcher.service.ports import ContractFilter
from tests.support.ports import free_port

WEEKS = 4


def start_demo(db: Path, port: int, rate: float) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "matcher", "demo",
        "--db", str(db), "--port", str(port), "--weeks", str(WEEKS),
        "--rate", str(rate), "--no-live", "--exit-when-done",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def overview(port: int, key_file: Path) -> dict[str, Any] | None:
    """The overview, with the demo's coordinator key (None until the demo has written it)."""
    if not key_file.exists():
        return None
    headers = {"Authorization": f"Bearer {key_file.read_text().strip()}"}
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/overview", headers=headers, timeout=5)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def wait_for(check: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {seconds} s")


def test_a_killed_demo_loses_nothing_accepted_and_duplicates_no_contract(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    port = free_port()
    first = start_demo(db, port, rate=60)
    try:
        seen = wait_for(
            lambda: (o := overview(port, db.with_suffix(".key"))) and o["orders_open"] >= 20 and o,
            120,
        )
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
    assert first.returncode == -signal.SIGKILL

    sessions = make_session_factory(make_engine(f"sqlite:///{db}"))
    with SqlUnitOfWork(sessions) as uow:
        assert len(uow.orders.list()) >= seen["orders_open"]
        assert len(uow.supply.list()) >= seen["supply_open"]

    second = start_demo(db, free_port(), rate=500)
    output, _ = second.communicate(timeout=300)
    assert second.returncode == 0, output.decode(errors="replace")[-2000:]

    expected = songkhla_instance(
        weeks=WEEKS, seed=1, start=season_start(date.today()), disruptions=True
    )
    # a flood week in the season announces the flooded lines again under new ids
    again = {
        line["replacement_id"]
        for flood in expected["disruptions"]
        for line in flood["supply"]
        if line["replacement_id"] is not None
    }
    with SqlUnitOfWork(sessions) as uow:
        assert {r.order.id for r in uow.orders.list()} == {o["id"] for o in expected["orders"]}
        supply_ids = {r.supply.id for r in uow.supply.list()}
        assert supply_ids == {s["id"] for s in expected["supply"]} | again
        flooded = [line["supply_id"] for f in expected["disruptions"] for line in f["supply"]]
        withdrawn = {r.supply.id for r in uow.supply.list() if r.state.value == "withdrawn"}
        assert withdrawn == set(flooded)
        contracts = uow.contracts.list(ContractFilter(limit=1_000_000))
        orders = {r.order.id: r.order for r in uow.orders.list()}
        supplies = {r.supply.id: r.supply for r in uow.supply.list()}
    assert contracts, "the rounds made no contract"
    assert len({c.id for c in contracts}) == len(contracts)
    per_delivery: dict[tuple[str, date], int] = defaultdict(int)
    per_supply_week: dict[tuple[str, str], int] = defaultdict(int)
    for contract in contracts:
        if contract.state in RELEASED_STATES:
            continue  # a proposal the demo's groups rejected: its quantity went back to the book
        for d in contract.deliveries:
            per_delivery[(contract.order_id, d.day)] += d.quantity
            per_supply_week[(contract.supply_id, d.week)] += d.quantity
    for (order_id, _), quantity in per_delivery.items():
        assert quantity <= orders[order_id].quantity
    for (supply_id, week), quantity in per_supply_week.items():
        assert quantity <= supplies[supply_id].quantities[week]
