"""Health, metrics, the catalogue, the API documentation, the coordinator page and the portals."""

from __future__ import annotations

import posixpath
import re

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST

from api.routes import ops
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


DASHBOARD = "/static/js/main.js"
PORTALS = {
    "/kitchen/": "/static/js/kitchen/main.js",
    "/group/": "/static/js/group/main.js",
    "/bank/": "/static/js/bank/main.js",
}
"""The participants' pages and their entry modules (over the dashboard's shared ones)."""
IMPORT = re.compile(r'^import [^;]* from "(\.{1,2}/[^"]+)";', re.MULTILINE)
JAVASCRIPT = {"text/javascript", "application/javascript"}


def dashboard_modules(client: TestClient, entry: str = DASHBOARD) -> dict[str, str]:
    """The dashboard's ES modules as served, by path: main.js and whatever it imports, in turn."""
    found: dict[str, str] = {}
    waiting = [entry]
    while waiting:
        path = waiting.pop()
        if path in found:
            continue
        answer = client.get(path)
        assert answer.status_code == 200, path
        # A module script is run only when served with a JavaScript MIME type.
        assert answer.headers["content-type"].split(";")[0] in JAVASCRIPT, path
        found[path] = answer.text
        folder = path.rsplit("/", 1)[0]
        for target in IMPORT.findall(answer.text):
            waiting.append(posixpath.normpath(f"{folder}/{target}"))
    return found


def test_coordinator_page_is_served_with_its_assets(client: TestClient) -> None:
    page = client.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "foodmatch" in page.text
    assert f'<script type="module" src="{DASHBOARD}"></script>' in page.text
    assert "/static/app.css" in page.text
    assert client.get("/static/app.css").status_code == 200
    # Every module on disk is reached from main.js or a portal's (none is left behind, none is
    # missing).
    scripts = ops.STATIC / "js"
    on_disk = {f"/static/js/{p.relative_to(scripts).as_posix()}" for p in scripts.rglob("*.js")}
    reached = set(dashboard_modules(client))
    for entry in PORTALS.values():
        reached |= set(dashboard_modules(client, entry))
    assert reached == on_disk


@pytest.mark.parametrize("page", sorted(PORTALS))
def test_portal_pages_are_served_with_their_modules(client: TestClient, page: str) -> None:
    answer = client.get(page)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert f'<script type="module" src="{PORTALS[page]}"></script>' in answer.text
    assert "/static/app.css" in answer.text
    modules = dashboard_modules(client, PORTALS[page])
    assert "/static/js/labels.js" in modules  # the dashboard's shared modules, not copies
    assert "/static/js/api.js" in modules
    for source in [answer.text, *modules.values()]:
        assert not re.search(r"(src|href)=\"https?://", source)
        assert not re.search(r"fetch\(\s*[\"']https?://", source)


def test_coordinator_page_fetches_nothing_from_elsewhere(client: TestClient) -> None:
    modules = dashboard_modules(client)
    sources = [client.get(p).text for p in ("/", "/static/app.css")] + list(modules.values())

    for source in sources:
        assert not re.search(r"(src|href)=\"https?://", source)
        assert not re.search(r"fetch\(\s*[\"']https?://", source)
        assert "@import" not in source
    script = "\n".join(modules.values())
    assert "/overview" in script
    assert "/crops" in script
    # Its words come from the label catalogue, served here without a key.
    assert '"/labels.json"' in script
    labels = client.get("/labels.json")
    assert labels.status_code == 200
    assert labels.json()["nav_overview"]["th"] == "ภาพรวม"


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
