"""Contract documents (HTML, Thai and English) and the CSV exports of a group and a buyer."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher.documents import check_lang, format_date
from tests.support.market import API, Market, delivery_dates, weeks_of


@pytest.fixture
def matched(market: Market) -> dict[str, Any]:
    """One kitchen, one certified group, two kale orders: two contracts after a round."""
    days = delivery_dates(3)
    market.buyer()
    market.group_with_certificate()
    market.buyer("school-1", name_th="โรงเรียนมหาวชิราวุธ", name_en="Mahavajiravudh School")
    market.supply("sup-kale", weeks=weeks_of(days, 200))
    market.order("ord-hosp", deliveries=days, max_price="35.00")
    market.order("ord-school", "school-1", deliveries=days[:2], quantity=25)
    record = market.run_round()
    contracts = market.contracts()
    assert len(contracts) == 2, record
    return {"days": days, "contracts": {c["order_id"]: c for c in contracts}}


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "th",
            [
                "บันทึกข้อตกลงซื้อขายผลผลิตล่วงหน้า",
                "ผู้ขาย",
                "ผู้ซื้อ",
                "ราคาต่อหน่วย",
                "กำหนดส่งมอบ",
                "กรมวิชาการเกษตร",  # the certifier in Thai
            ],
        ),
        (
            "en",
            [
                "Forward Purchase Agreement for Farm Produce",
                "Seller",
                "Buyer",
                "Unit price",
                "Delivery schedule",
                "Department of Agriculture",
            ],
        ),
    ],
)
def test_contract_document_in_both_languages(
    client: TestClient, matched: dict[str, Any], lang: str, words: list[str]
) -> None:
    contract = matched["contracts"]["ord-hosp"]

    response = client.get(f"{API}/contracts/{contract['id']}/document", params={"lang": lang})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"<html lang='{lang}'>" in page
    for text in [
        *words,
        contract["id"],
        contract["round_id"],
        "โรงพยาบาลสงขลา",
        "Songkhla Hospital",
        "วิสาหกิจชุมชนผักปลอดภัยหาดใหญ่",
        "Hat Yai Safe Vegetable Community Enterprise",
        "คะน้า",
        "THAI_GAP",
        "SAFE",
        "cert-grp-hatyai",
        contract["unit_price"],
        contract["pricing_policy"],
    ]:
        assert text in page, text
    for delivery in contract["deliveries"]:
        assert format_date(date.fromisoformat(delivery["date"]), check_lang(lang)) in page
        assert delivery["week"] in page


def test_document_defaults_to_thai(client: TestClient, matched: dict[str, Any]) -> None:
    contract_id = matched["contracts"]["ord-hosp"]["id"]

    page = client.get(f"{API}/contracts/{contract_id}/document").text

    assert "<html lang='th'>" in page
    assert "href='?lang=en'" in page


def test_document_of_an_unknown_contract_or_language(
    client: TestClient, matched: dict[str, Any]
) -> None:
    contract_id = matched["contracts"]["ord-hosp"]["id"]

    missing = client.get(f"{API}/contracts/ctr-none/document")
    bad_lang = client.get(f"{API}/contracts/{contract_id}/document", params={"lang": "fr"})

    assert missing.status_code == 404
    assert "ctr-none" in missing.json()["detail"]
    assert bad_lang.status_code == 422
    assert bad_lang.json()["detail"][0]["loc"] == ["query", "lang"]


def test_group_csv_of_contracts_and_deliveries(client: TestClient, matched: dict[str, Any]) -> None:
    contracts = matched["contracts"]

    response = client.get(f"{API}/groups/grp-hatyai/contracts.csv")
    deliveries = client.get(f"{API}/groups/grp-hatyai/contracts.csv", params={"deliveries": "true"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "charset=utf-8" in response.headers["content-type"]
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="group-grp-hatyai-contracts.csv"'
    )
    lines = rows(response.content.decode("utf-8"))
    assert {r["contract_id"] for r in lines} == {c["id"] for c in contracts.values()}
    by_order = {r["order_id"]: r for r in lines}
    assert by_order["ord-school"]["buyer_name_th"] == "โรงเรียนมหาวชิราวุธ"
    assert by_order["ord-hosp"]["group_name_th"] == "วิสาหกิจชุมชนผักปลอดภัยหาดใหญ่"
    assert by_order["ord-hosp"]["crop_name_th"] == "คะน้า"
    assert by_order["ord-hosp"]["unit_price_thb"] == contracts["ord-hosp"]["unit_price"]
    assert by_order["ord-hosp"]["value_thb"] == contracts["ord-hosp"]["value"]
    assert int(by_order["ord-hosp"]["quantity"]) == contracts["ord-hosp"]["quantity"]

    assert deliveries.status_code == 200
    assert 'filename="group-grp-hatyai-deliveries.csv"' in deliveries.headers["content-disposition"]
    delivery_lines = rows(deliveries.content.decode("utf-8"))
    expected = sorted(
        (c["id"], d["date"], str(d["quantity"]))
        for c in contracts.values()
        for d in c["deliveries"]
    )
    assert sorted((r["contract_id"], r["date"], r["quantity"]) for r in delivery_lines) == expected
    assert len(delivery_lines) == 5
    assert {r["contract_state"] for r in delivery_lines} == {"proposed"}


def test_buyer_csv_holds_only_the_buyers_contracts(
    client: TestClient, matched: dict[str, Any]
) -> None:
    school = matched["contracts"]["ord-school"]

    contracts = rows(client.get(f"{API}/buyers/school-1/contracts.csv").text)
    deliveries = rows(
        client.get(f"{API}/buyers/school-1/contracts.csv", params={"deliveries": True}).text
    )
    empty = client.get(f"{API}/buyers/hosp-songkhla/contracts.csv", params={"deliveries": 1})

    assert [r["contract_id"] for r in contracts] == [school["id"]]
    assert contracts[0]["buyer_name_en"] == "Mahavajiravudh School"
    assert [r["date"] for r in deliveries] == [d["date"] for d in school["deliveries"]]
    assert len(rows(empty.text)) == 3


def test_csv_of_unknown_participants_is_404(client: TestClient, matched: dict[str, Any]) -> None:
    group = client.get(f"{API}/groups/grp-none/contracts.csv")
    buyer = client.get(f"{API}/buyers/nobody/contracts.csv")
    bad_flag = client.get(f"{API}/buyers/school-1/contracts.csv", params={"deliveries": "maybe"})

    assert group.status_code == 404
    assert "grp-none" in group.json()["detail"]
    assert buyer.status_code == 404
    assert "nobody" in buyer.json()["detail"]
    assert bad_flag.status_code == 422


def test_a_participant_without_contracts_gets_the_header_only(market: Market) -> None:
    market.buyer()

    response = market.client.get(f"{API}/buyers/hosp-songkhla/contracts.csv")

    assert response.status_code == 200
    assert response.text.startswith("contract_id,state,")
    assert rows(response.text) == []
