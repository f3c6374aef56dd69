"""``foodmatch import``: good lines are imported, bad lines are listed with their reasons."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.cli_service import app

runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_keeps_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/market.db"
    start = date.today() + timedelta(days=14)
    buyers = write(
        tmp_path / "buyers.csv",
        "id,name_th,name_en,kind,lat,lon,district\n"
        "hosp-hatyai,โรงพยาบาลหาดใหญ่,Hat Yai Hospital,hospital,7.0167,100.4681,9011\n",
    )
    orders = write(
        tmp_path / "orders.csv",
        "id,buyer_id,crop_id,quantity,start,end,weekdays,min_tier,max_price\n"
        f"o1,hosp-hatyai,kale,80,{start},{start + timedelta(days=27)},mon;fri,SAFE,35\n"
        f"o2,hosp-hatyai,kale,0,{start},{start + timedelta(days=27)},mon,SAFE,35\n"
        f"o3,nobody,kale,10,{start},{start + timedelta(days=6)},mon,SAFE,35\n"
        f"o4,hosp-hatyai,kale,10,{start},{start + timedelta(days=6)},mon,ORGANIC,\n",
    )

    first = runner.invoke(app, ["import", "buyers", str(buyers), "--db", db])
    result = runner.invoke(app, ["import", "orders", str(orders), "--db", db])
    again = runner.invoke(app, ["import", "orders", str(orders), "--db", db])

    assert first.exit_code == 0, first.output
    assert "buyers: 1 imported" in first.output
    assert result.exit_code == 1
    assert "orders: 2 imported, 0 already there, 2 rejected" in result.output
    assert "line 3: quantity: 0 must be above 0" in result.output
    assert "line 4: buyer_id: no buyer with id 'nobody'" in result.output
    assert "orders: 0 imported, 2 already there, 2 rejected" in again.output
    with SqlUnitOfWork(make_session_factory(make_engine(db))) as uow:
        assert sorted(r.order.id for r in uow.orders.list()) == ["o1", "o4"]


def test_import_of_a_missing_file_or_unknown_kind_fails_clearly(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["import", "orders", str(tmp_path / "nope.csv")])
    unknown = runner.invoke(app, ["import", "tractors", str(tmp_path / "nope.csv")])

    assert missing.exit_code == 2 and "no such file" in missing.output
    assert unknown.exit_code == 2


def test_a_file_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    bad = write(tmp_path / "supply.csv", "id,crop_id\ns1,kale\n")
    result = runner.invoke(
        app, ["import", "supply", str(bad), "--db", f"sqlite:///{tmp_path}/m.db"]
    )
    assert result.exit_code == 2
    assert "missing column(s): group_id, scheme, weeks" in result.output
