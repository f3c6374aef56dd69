"""The planning report of the Songkhla scenario: every unfilled quantity, with its reason, and the
supply that would close it; the same through the API, the CSV and ``foodmatch report planning``."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matcher.adapters.messages import scenario_messages, to_command
from matcher.bootstrap import Service, bootstrap
from matcher.cli import root_app
from matcher.config import Settings
from matcher.scenario import season_start, songkhla_instance
from matcher.service import stats
from matcher.service.commands import RunMatchingRound
from matcher.service.planning import CSV_COLUMNS, planning_report

app = root_app()

runner = CliRunner()


@pytest.fixture(scope="module")
def songkhla(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, str, Any]]:
    """The Songkhla scenario (3 weeks) through the embedded engine, and one round."""
    url = f"sqlite:///{tmp_path_factory.mktemp('planning')}/songkhla.db"
    settings = Settings(
        database_url=url, debounce_seconds=3600, max_debounce_seconds=3600, round_interval_seconds=0
    )
    service = bootstrap(settings)
    service.engine.start_sync()
    try:
        raw = songkhla_instance(weeks=3, seed=3, start=season_start(date.today()))
        for m in scenario_messages(raw, "planning", seed=3):
            service.engine.execute_sync(to_command(m.kind, m.body, m.message_id))
        outcome = service.engine.execute_sync(RunMatchingRound(message_id="planning-round"))
        yield service, url, outcome.value
    finally:
        service.engine.stop_sync()
        service.close()


def test_the_report_lists_every_unfilled_quantity_with_its_reason(
    songkhla: tuple[Service, str, Any],
) -> None:
    service, _, record = songkhla
    with service.read_uow_factory() as uow:
        facts = stats.read_facts(uow, service.context)
        buyers = {b.id: b for b in uow.buyers.list()}
        tiers = {r.order.id: r.order.min_tier.value for r in uow.orders.list()}
    report = planning_report(facts)

    assert record.unfilled, "the scenario leaves demand unfilled"
    expected: Counter[tuple[str, str, str, str, str]] = Counter()
    for u in record.unfilled:
        key = (u.crop_id, buyers[u.buyer_id].district, u.week, u.reason, tiers[u.order_id])
        expected[key] += u.quantity
    found = Counter(
        {
            (x["crop_id"], x["district"], x["week"], x["reason"], x["min_tier"]): x["quantity"]
            for x in report["lines"]
        }
    )
    assert found == expected
    assert report["total"] == record.summary["unfilled"]
    assert len(report["lines"]) == len(expected)
    reasons = {x["reason"] for x in report["lines"]}
    assert {"no_supply", "capacity_taken"} <= reasons
    for line in report["lines"]:
        assert line["quantity"] > 0
        assert line["orders"] >= 1
        assert line["dates"]
        assert line["crop_name_th"]
        assert line["district_name_en"] != line["district"]
        assert f"{line['quantity']:,}" in line["suggestion_en"]
        assert line["district_name_th"] in line["suggestion_th"]


def test_the_cli_writes_the_report_as_csv(
    songkhla: tuple[Service, str, Any], tmp_path: Path
) -> None:
    _, url, record = songkhla
    out = tmp_path / "planning.csv"

    result = runner.invoke(app, ["report", "planning", "--db", url, "-o", str(out)])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert sum(int(r["quantity"]) for r in rows) == record.summary["unfilled"]
    assert "units unmet" in result.output
    one = rows[0]
    narrowed = runner.invoke(
        app,
        ["report", "planning", "--db", url, "--crop", one["crop_id"], "--week", one["week"],
         "--district", one["district"], "--no-summary"],
    )  # fmt: skip
    assert narrowed.exit_code == 0, narrowed.output
    kept = list(csv.DictReader(io.StringIO(narrowed.output)))
    assert kept
    assert all(
        (r["crop_id"], r["week"], r["district"]) == (one["crop_id"], one["week"], one["district"])
        for r in kept
    )
    bad = runner.invoke(app, ["report", "planning", "--db", url, "--week", "2026-W60"])
    assert bad.exit_code == 2
    assert "ISO week" in bad.output
