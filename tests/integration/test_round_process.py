"""Rounds in a process of their own (consumers/round_process.py): the child builds its own
service from the worker's settings and runs the round on the same database."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from consumers.round_process import RoundProcess
from matcher.bootstrap import bootstrap
from matcher.config import load_settings
from matcher.domain.weeks import iso_week
from matcher.service import commands
from matcher.service.messagebus import Outcome
from tests.support.participants import order, register_market, supply


def test_a_round_run_in_its_own_process_writes_its_contracts_and_returns_its_events(
    tmp_path: Path,
) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/rounds.db")
    service = bootstrap(settings)
    register_market(service.bus)
    day = date.today() + timedelta(days=21)  # the service's own clock: well ahead of today
    week = {iso_week(day): 100}
    service.bus.handle(commands.AnnounceSupply(supply=replace(supply(), quantities=week)))
    service.bus.handle(commands.SubmitOrder(order=replace(order(), deliveries=(day,))))
    rounds = RoundProcess(settings)

    async def run() -> Outcome:
        await rounds.start()
        return await rounds.run(commands.RunMatchingRound(trigger="request"))

    try:
        outcome = asyncio.run(run())
    finally:
        rounds.close()

    record = outcome.value
    assert len(record.contract_ids) == 1
    names = [event.name for event in outcome.events]
    assert names == ["ContractProposed", "RoundCompleted"]
    with service.read_uow_factory() as uow:
        stored = uow.contracts.get(record.contract_ids[0])
        assert stored is not None
        assert stored.order_id == "o1"
        assert uow.rounds.get(record.id) is not None
