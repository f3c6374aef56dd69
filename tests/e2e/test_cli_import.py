"""``foodmatch import``: good lines are imported, bad lines are listed with their reasons."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.cli import root_app

app = root_app()

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

    assert missing.exit_code == 2
    assert "no such file" in missing.output
    assert unknown.exit_code == 2


def test_a_file_without_the_required_columns_is_refused(tmp_path: Path) -> None:
    bad = write(tmp_path / "supply.csv", "id,crop_id\ns1,kale\n")
    result = runner.invoke(
        app, ["import", "supply", str(bad), "--db", f"sqlite:///{tmp_path}/m.db"]
    )
    assert result.exit_code == 2
    assert "missing column(s): group_id, scheme, weeks" in result.output


def test_import_stores_the_sourcing_limits_of_groups_and_orders(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/market.db"
    start = date.today() + timedelta(days=14)
    groups = write(
        tmp_path / "groups.csv",
        "id,name_th,name_en,lat,lon,members,min_lot,max_buyers_per_week\n"
        "g1,กลุ่มหนึ่ง,Group one,6.98,100.41,14,25,2\n"
        "g2,กลุ่มสอง,Group two,6.98,100.41,9,,\n"
        "g3,กลุ่มสาม,Group three,6.98,100.41,9,0,\n",
    )
    buyers = write(
        tmp_path / "buyers.csv",
        "id,name_th,name_en,kind,lat,lon\nh1,โรงพยาบาล,Hospital,hospital,7.0167,100.4681\n",
    )
    orders = write(
        tmp_path / "orders.csv",
        "id,buyer_id,crop_id,quantity,deliveries,max_suppliers\n"
        f"o1,h1,kale,80,{start},1\n"
        f"o2,h1,kale,80,{start},\n",
    )

    imported = [
        runner.invoke(app, ["import", kind, str(path), "--db", db])
        for kind, path in (("groups", groups), ("buyers", buyers), ("orders", orders))
    ]

    assert imported[0].exit_code == 1
    assert "groups: 2 imported, 0 already there, 1 rejected" in imported[0].output
    assert "line 4: min_lot:" in imported[0].output
    assert [r.exit_code for r in imported[1:]] == [0, 0], [r.output for r in imported]
    with SqlUnitOfWork(make_session_factory(make_engine(db))) as uow:
        limits = [(g.id, g.min_lot, g.max_buyers_per_week) for g in uow.groups.list()]
        assert limits == [("g1", 25, 2), ("g2", None, None)]
        suppliers = [(r.order.id, r.order.max_suppliers) for r in uow.orders.list()]
        assert sorted(suppliers) == [("o1", 1), ("o2", None)]
