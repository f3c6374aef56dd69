"""``foodmatch contracts document`` and ``foodmatch contracts export`` on a service database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.cli import root_app
from matcher.domain.contracts import Contract, ContractDelivery, OrderRecord, SupplyRecord
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    FarmerGroup,
    ForwardOrder,
    Location,
    SupplyAnnouncement,
)
from matcher.domain.standards import Scheme, Tier

app = root_app()

runner = CliRunner()
DAYS = (date(2026, 12, 7), date(2026, 12, 14))


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A service database holding one contract between a group and a hospital."""
    url = f"sqlite:///{tmp_path}/service.db"
    engine = make_engine(url)
    upgrade(engine)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        uow.groups.add(
            FarmerGroup(
                id="grp-1",
                name_th="วิสาหกิจชุมชนผักปลอดภัยหาดใหญ่",
                name_en="Hat Yai Safe Vegetables",
                location=Location(7.0, 100.47),
                members=20,
            )
        )
        uow.buyers.add(
            Buyer(
                id="hosp-1",
                name_th="โรงพยาบาลสงขลา",
                name_en="Songkhla Hospital",
                kind=BuyerKind.HOSPITAL,
                location=Location(7.14, 100.57),
            )
        )
        uow.certificates.add(
            Certificate(
                id="cert-1",
                group_id="grp-1",
                scheme=Scheme.THAI_GAP,
                valid_from=date(2026, 1, 1),
                valid_until=date(2027, 12, 31),
            )
        )
        uow.supply.add(
            SupplyRecord(
                SupplyAnnouncement(
                    id="sup-1",
                    group_id="grp-1",
                    crop_id="kale",
                    scheme=Scheme.THAI_GAP,
                    quantities={"2026-W50": 100, "2026-W51": 100},
                    asking_price=3500,
                )
            )
        )
        uow.orders.add(
            OrderRecord(
                ForwardOrder(
                    id="ord-1", buyer_id="hosp-1", crop_id="kale", quantity=40, deliveries=DAYS
                )
            )
        )
        uow.contracts.add(
            Contract(
                id="ctr-1",
                round_id="rnd-1",
                order_id="ord-1",
                buyer_id="hosp-1",
                group_id="grp-1",
                supply_id="sup-1",
                crop_id="kale",
                scheme=Scheme.THAI_GAP,
                min_tier=Tier.SAFE,
                unit_price=3500,
                deliveries=tuple(
                    ContractDelivery(day=d, week=w, quantity=40, distance_km=21.0)
                    for d, w in zip(DAYS, ("2026-W50", "2026-W51"), strict=True)
                ),
                created_at=datetime(2026, 11, 25, 8, tzinfo=UTC),
            )
        )
        uow.commit()
    engine.dispose()
    return url


def test_document_to_stdout_and_to_a_file(db: str, tmp_path: Path) -> None:
    out = tmp_path / "ctr-1.html"

    thai = runner.invoke(app, ["contracts", "document", "ctr-1", "--db", db])
    english = runner.invoke(
        app, ["contracts", "document", "ctr-1", "--lang", "en", "--output", str(out), "--db", db]
    )

    assert thai.exit_code == 0, thai.output
    assert "บันทึกข้อตกลงซื้อขายผลผลิตล่วงหน้า" in thai.stdout
    assert "โรงพยาบาลสงขลา" in thai.stdout
    assert "35.00" in thai.stdout
    assert "cert-1" in thai.stdout
    assert english.exit_code == 0, english.output
    page = out.read_text(encoding="utf-8")
    assert "<html lang='en'>" in page
    assert "Forward Purchase Agreement for Farm Produce" in page
    assert "Songkhla Hospital" in page
    assert "14 December 2026" in page


def test_export_of_a_group_and_a_buyer(db: str, tmp_path: Path) -> None:
    out = tmp_path / "bank.csv"

    group = runner.invoke(app, ["contracts", "export", "--group", "grp-1", "--db", db])
    buyer = runner.invoke(
        app,
        ["contracts", "export", "--buyer", "hosp-1", "--deliveries", "-o", str(out), "--db", db],
    )

    assert group.exit_code == 0, group.output
    [line] = list(csv.DictReader(io.StringIO(group.stdout)))
    assert line["contract_id"] == "ctr-1"
    assert line["group_name_th"].startswith("วิสาหกิจ")
    assert line["value_thb"] == "2800.00"
    assert line["crop_name_th"] == "คะน้า"
    assert buyer.exit_code == 0, buyer.output
    lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["date"], r["quantity"]) for r in lines] == [
        ("2026-12-07", "40"),
        ("2026-12-14", "40"),
    ]


def test_unknown_ids_and_bad_options_fail_clearly(db: str) -> None:
    missing = runner.invoke(app, ["contracts", "document", "ctr-none", "--db", db])
    bad_lang = runner.invoke(app, ["contracts", "document", "ctr-1", "--lang", "fr", "--db", db])
    nobody = runner.invoke(app, ["contracts", "export", "--group", "grp-none", "--db", db])
    neither = runner.invoke(app, ["contracts", "export", "--db", db])
    both = runner.invoke(app, ["contracts", "export", "--group", "g", "--buyer", "b", "--db", db])

    assert missing.exit_code == 1
    assert "no contract with id 'ctr-none'" in missing.output
    assert bad_lang.exit_code == 2
    assert nobody.exit_code == 1
    assert "no group with id 'grp-none'" in nobody.output
    assert neither.exit_code == 2
    assert both.exit_code == 2
