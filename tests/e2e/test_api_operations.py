"""Health, metrics, the catalogue, the API documentation and the coordinator page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST

from tests.support.market import API, Market


def test_health_reports_engine_and_database(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "engine": {"name": "inprocess", "running": True},
        "database": "ok",
    }


def test_metrics_count_commands_and_rounds(market: Market, client: TestClient) -> None:
    market.buyer()
    market.run_round()

    response = client.get("/metrics")

    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    text = response.text
    assert 'foodmatch_commands_total{command="RegisterBuyer",outcome="ok"} 1.0' in text
    assert re.search(r'foodmatch_rounds_total\{status="completed",trigger="request"\} 1\.0', text)
    assert "foodmatch_engine_queue_depth" in text


def test_refused_commands_are_counted_as_rejected(client: TestClient) -> None:
    refused = client.post(f"{API}/certificates", json={
        "id": "c-ghost", "group_id": "ghost", "scheme": "PGS",
        "valid_from": "2026-01-01", "valid_until": "2027-01-01",
    })  # fmt: skip

    text = client.get("/metrics").text

    assert refused.status_code == 422
    assert 'foodmatch_commands_total{command="RegisterCertificate",outcome="rejected"} 1.0' in text


def test_crop_catalogue_has_thai_and_english_names(client: TestClient) -> None:
    crops = {c["id"]: c for c in client.get(f"{API}/crops").json()}

    assert crops["kale"] == {
        "id": "kale",
        "name_th": "คะน้า",
        "name_en": "Chinese kale",
        "unit": "kg",
        "group": "leafy",
    }
    assert crops["eggs"]["unit"] == "piece"


def test_overview_includes_the_engine_status(client: TestClient) -> None:
    overview = client.get(f"{API}/overview").json()

    assert overview["groups"] == overview["buyers"] == 0
    assert overview["engine"]["engine"] == "inprocess"
    assert overview["engine"]["running"] is True


def test_coordinator_page_is_served_with_its_assets(client: TestClient) -> None:
    page = client.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "foodmatch" in page.text
    for asset in ("/static/app.js", "/static/app.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200


def test_coordinator_page_fetches_nothing_from_elsewhere(client: TestClient) -> None:
    sources = [client.get(p).text for p in ("/", "/static/app.js", "/static/app.css")]

    for source in sources:
        assert not re.search(r"(src|href)=\"https?://", source)
        assert not re.search(r"fetch\(\s*[\"']https?://", source)
        assert "@import" not in source
    script = sources[1]
    assert "/overview" in script
    assert "/crops" in script
    assert "ภาษา" in script or "กลุ่มเกษตรกร" in script


def test_api_documentation_is_served(client: TestClient) -> None:
    docs = client.get("/docs")
    schema = client.get("/openapi.json").json()

    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert schema["info"]["title"] == "foodmatch"
    assert schema["info"]["description"]
    assert {t["name"] for t in schema["tags"]} >= {"orders", "supply", "contracts", "rounds"}
    assert f"{API}/orders" in schema["paths"]
    assert "/health" in schema["paths"]
