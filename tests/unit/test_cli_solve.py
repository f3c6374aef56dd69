"""``foodmatch solve`` and ``foodmatch schema`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matcher.cli import root_app
from tests.support.builders import WEEK, InstanceBuilder

app = root_app()

runner = CliRunner()


def market() -> dict[str, Any]:
    """A hospital gets its kale; a school's eggs find no supply."""
    b = InstanceBuilder("cli").group("g1").certificate("g1", "THAI_GAP")
    b.buyer("h1", "hospital").buyer("s1", "school")
    b.supply("sup1", "g1", weeks={WEEK: 100}, ask="28.50")
    b.order("o1", "h1", quantity=60).order("o2", "s1", crop="eggs", quantity=300)
    return b.build()


def write(tmp_path: Path, doc: dict[str, Any] | str, name: str = "instance.json") -> Path:
    path = tmp_path / name
    text = doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    return path


def test_solve_prints_the_solution_as_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(write(tmp_path, market()))])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "optimal"
    assert body["solver"] == "flow"
    [allocation] = body["allocations"]
    assert allocation["order_id"] == "o1"
    assert allocation["quantity"] == 60
    assert allocation["unit_price"] == "28.50"
    assert allocation["distance_km"] > 0
    assert allocation["cost"]["goods"] == "1710.00"
    assert set(allocation["cost"]) == {"goods", "transport", "delivered"}
    delivered = float(allocation["cost"]["goods"]) + float(allocation["cost"]["transport"])
    assert float(allocation["cost"]["delivered"]) == pytest.approx(delivered, abs=0.011)
    [unfilled] = body["unfilled"]
    assert (unfilled["order_id"], unfilled["quantity"], unfilled["reason"]) == (
        "o2",
        300,
        "no_supply",
    )
    summary = body["summary"]
    assert summary["filled"] == 60
    assert summary["demand"] == 360
    assert summary["fill_rate"] == pytest.approx(60 / 360, abs=1e-6)
    assert summary["delivered_cost_thb"] == allocation["cost"]["delivered"]
    assert summary["unit_km"] == pytest.approx(60 * allocation["distance_km"], abs=0.01)
    assert summary["wall_seconds"] >= 0
    assert body["validation"] == {"ok": True, "violations": []}
    assert "filled 60 of 360" in result.stderr


def test_solve_with_the_greedy_solver(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(write(tmp_path, market())), "--solver", "greedy"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["solver"] == "greedy"
    assert body["status"] == "feasible"
    assert body["summary"]["filled"] == 60
    assert body["validation"]["ok"] is True


def test_solve_writes_to_a_file_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "solution.json"
    result = runner.invoke(app, ["solve", str(write(tmp_path, market())), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["filled"] == 60


def test_unknown_solver_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(write(tmp_path, market())), "--solver", "magic"])
    assert result.exit_code == 2
    assert "--solver must be one of" in result.stderr


def test_bad_json_exits_2_naming_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "name": "x",\n  "groups": [,]\n}\n')
    result = runner.invoke(app, ["solve", str(path)])
    assert result.exit_code == 2
    assert "line 3 column 14" in result.stderr
    assert result.stdout == ""


def test_invalid_quantity_exits_2_naming_its_place(tmp_path: Path) -> None:
    doc = market()
    doc["orders"][0]["quantity"] = 0
    result = runner.invoke(app, ["solve", str(write(tmp_path, doc))])
    assert result.exit_code == 2
    assert "orders[0].quantity" in result.stderr
    assert result.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(tmp_path / "nowhere.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    assert "nowhere.json" in result.stderr


def test_schema_prints_a_json_schema(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert {"groups", "buyers", "supply", "orders"} <= set(schema["properties"])
