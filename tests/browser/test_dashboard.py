"""The coordinator dashboard at ``/`` against a live demo: every page shows what the API says, in
Thai and English, refreshes itself, and asks nothing of any other host."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import (
    Dashboard,
    Demo,
    Json,
    dashboard_tab,
    screenshot_dir,
    wait_for,
)

try:
    from playwright.sync_api import expect
except ImportError as missing:  # pragma: no cover - depends on the environment
    if os.environ.get("CI"):
        raise
    pytest.skip(f"the playwright package is not installed ({missing})", allow_module_level=True)

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "api" / "static"

CARD_FIELDS = (
    "groups",
    "buyers",
    "orders_open",
    "supply_open",
    "open_demand",
    "free_supply",
    "rounds",
    "contracts",
    "proposed",
)
ROUTES = (
    "#/",
    "#/map",
    "#/fill",
    "#/unmet",
    "#/groups",
    "#/kitchens",
    "#/planning",
)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def attribute_list(dashboard: Dashboard, selector: str, name: str) -> list[str]:
    values: list[str] = dashboard.page.eval_on_selector_all(
        selector, "(els, name) => els.map(e => e.getAttribute(name))", name
    )
    return values


def card_values(dashboard: Dashboard) -> dict[str, str]:
    found: dict[str, str] = dashboard.page.eval_on_selector_all(
        "#page-overview [data-field]",
        "els => Object.fromEntries(els.map(e => [e.dataset.field, e.dataset.value]))",
    )
    return found


def most_contracts(demo: Demo, key: str) -> str:
    contracts = demo.get("/contracts", limit=1000)
    party, _ = Counter(c[key] for c in contracts).most_common(1)[0]
    return str(party)


# --- the overview --------------------------------------------------------------------------


def test_overview_cards_show_the_api_counts_and_the_rounds(
    dashboard: Dashboard, demo: Demo
) -> None:
    dashboard.open("#/")
    page = dashboard.page

    def matching() -> Json | None:
        api = demo.get("/overview")
        shown = card_values(dashboard)
        same = all(shown.get(f) == str(api[f]) for f in CARD_FIELDS)
        return api if same else None

    api = wait_for(matching, 10, "the cards show the API's counts", pause=0.5)
    for name in CARD_FIELDS:
        text = page.locator(f'[data-testid="card-{name}"] .value').inner_text()
        assert digits(text) == str(api[name]), (name, text, api[name])
    assert float(card_values(dashboard)["fill_rate"]) == pytest.approx(api["fill_rate"])
    assert api["contracts"] > 0
    assert api["rounds"] > 0

    rounds = demo.get("/rounds", limit=10)
    expect(page.locator('[data-testid="rounds-table"] tbody tr[data-round]')).to_have_count(
        len(rounds)
    )
    shown_rounds = attribute_list(
        dashboard, '[data-testid="rounds-table"] tr[data-round]', "data-round"
    )
    assert set(shown_rounds) & {r["id"] for r in rounds}

    def same_states() -> set[str] | None:
        """The page's states of contracts are the API's (the demo's groups answer meanwhile, so
        both are read again until a refresh of the page has caught up)."""
        by_state = {s for s, n in demo.get("/overview")["contracts_by_state"].items() if n}
        shown = attribute_list(
            dashboard, '[data-testid="contracts-by-state"] tr[data-state]', "data-state"
        )
        return by_state if set(shown) == by_state else None

    assert wait_for(same_states, 10, "the states of contracts shown are the API's", pause=0.5)
    assert page.locator("html").get_attribute("lang") == "th"
    dashboard.shoot("overview-th")


def test_overview_shows_the_last_round_that_made_contracts_and_the_empty_rounds_after_it(
    dashboard: Dashboard, demo: Demo
) -> None:
    for _ in range(3):  # a round over the settled market finds nothing new to match
        response = demo.http.post("/api/v1/rounds", json={})
        assert response.status_code == 201, response.text
        if not response.json()["contract_ids"]:
            break
    api = demo.get("/overview")
    latest = demo.get("/rounds", limit=1)[0]
    assert api["last_round"]["id"] != latest["id"]
    assert api["last_round"]["summary"]["contracts"]
    assert api["empty_rounds_since"] >= 1
    assert api["fill_rate"] > 0  # the demo's groups accepted proposals

    page = dashboard.page
    page.set_viewport_size({"width": 390, "height": 844})
    dashboard.open("#/")
    shown = page.locator('[data-testid="last-round"] [data-fact="id"]')
    expect(shown).to_have_text(api["last_round"]["id"])
    empty = page.get_by_test_id("empty-rounds")
    expect(empty).to_be_visible()
    count = str(empty.get_attribute("data-count"))
    assert int(count) >= api["empty_rounds_since"]
    expect(empty).to_contain_text("ไม่มีรายการใหม่ให้จับคู่")
    expect(page.get_by_test_id("card-proposed")).to_contain_text("รอกลุ่มตอบรับ")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    dashboard.shoot("overview-th-phone")
    page.get_by_test_id("lang-en").click()
    expect(empty).to_contain_text("found nothing new to match")
    expect(page.locator("#page-overview h3").nth(1)).to_have_text("Last round that made contracts")


def test_language_switch_translates_and_is_remembered(dashboard: Dashboard, demo: Demo) -> None:
    page = dashboard.page
    dashboard.open("#/")
    heading = page.locator("#page-overview h2")
    assert page.locator("html").get_attribute("lang") == "th"
    expect(heading).to_have_text("ภาพรวมตลาด")
    expect(page.locator('[data-testid="card-contracts"] .label')).to_have_text("สัญญา")

    page.get_by_test_id("lang-en").click()
    expect(heading).to_have_text("Market overview")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator('nav a[data-route="map"]')).to_have_text("Map")
    expect(page.locator('[data-testid="card-contracts"] .label')).to_have_text("Contracts")
    expect(page.get_by_test_id("lang-en")).to_have_attribute("aria-pressed", "true")
    dashboard.shoot("overview-en")

    page.reload()
    dashboard.wait_loaded("#/")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(heading).to_have_text("Market overview")

    # Names follow the language: crops on the fill page, a kitchen's name on its page.
    fill = demo.get("/stats/fill")
    first = fill["crops"][0]
    dashboard.open("#/fill")
    first_row = page.locator('[data-testid="fill-table"] tbody tr[data-crop]').first
    expect(first_row.locator("th")).to_contain_text(first["name_en"])

    page.get_by_test_id("lang-th").click()
    assert page.locator("html").get_attribute("lang") == "th"
    expect(first_row.locator("th")).to_contain_text(first["name_th"])
    expect(page.locator("#page-fill h2")).to_have_text("สัดส่วนที่จัดหาได้ ตามสินค้าและสัปดาห์")
    page.reload()
    dashboard.wait_loaded("#/fill")
    assert page.locator("html").get_attribute("lang") == "th"


# --- the map -------------------------------------------------------------------------------


def test_map_draws_groups_kitchens_and_contract_lines(dashboard: Dashboard, demo: Demo) -> None:
    api = demo.get("/map")
    dashboard.open("#/map")
    page = dashboard.page
    expect(page.locator("#map path.fm-group")).to_have_count(len(api["groups"]))
    expect(page.locator("#map path.fm-buyer")).to_have_count(len(api["buyers"]))
    expect(page.locator("#map path.fm-link")).to_have_count(len(api["links"]))
    assert api["links"], "the demo made no contract lines"
    assert page.locator("#map img.leaflet-tile").count() == 0, "no tile server is used"

    # The coast and the lakes (vendored OpenStreetMap outlines), credited, from this server only.
    water = json.loads(
        (STATIC / "vendor" / "geo" / "songkhla-water.geojson").read_text(encoding="utf-8")
    )
    kinds = [f["properties"]["kind"] for f in water["features"]]
    expect(page.locator("#map path.fm-sea")).to_have_count(1)
    expect(page.locator("#map path.fm-land")).to_have_count(kinds.count("land"))
    expect(page.locator("#map path.fm-lake")).to_have_count(kinds.count("lake"))
    expect(page.locator("#map .leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    assert "/static/vendor/geo/songkhla-water.geojson" in " ".join(dashboard.requests)
    assert dashboard.foreign_requests() == []
    dashboard.shoot("map-water")

    # Lines follow the road model's places where it routes round the lake or along the coast.
    routed = [link for link in api["links"] if link["via"]]
    assert routed, "no contract line follows a road route"
    link = max(routed, key=lambda link: link["quantity"])
    line = page.locator(
        f'#map path.fm-link[data-group="{link["group_id"]}"][data-buyer="{link["buyer_id"]}"]'
    )
    expect(line).to_have_attribute("data-via", str(len(link["via"])))

    # Lines grow with quantity.
    widths = page.eval_on_selector_all(
        "#map path.fm-link",
        "els => els.map(e => [Number(e.dataset.quantity), Number(e.getAttribute('stroke-width'))])",
    )
    smallest = min(widths)
    largest = max(widths)
    assert largest[0] > smallest[0]
    assert largest[1] > smallest[1]

    # A kitchen's popup names it and links to its page.
    buyer = max(api["buyers"], key=lambda b: b["contracted"])
    page.locator(f'#map path.fm-buyer[data-id="{buyer["id"]}"]').dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(buyer["name_th"])
    expect(popup.locator(f'a[href="#/kitchen/{buyer["id"]}"]')).to_have_count(1)

    # The refresh updates the layers in place: the same map, the same marker elements.
    page.evaluate("document.querySelector('#map path.fm-group').dataset.probe = 'kept'")
    dashboard.next_refresh()
    expect(page.locator('#map path.fm-group[data-probe="kept"]')).to_have_count(1)
    expect(page.locator("#map.leaflet-container")).to_have_count(1)

    popup.locator(f'a[href="#/kitchen/{buyer["id"]}"]').click()
    dashboard.wait_loaded(f"#/kitchen/{buyer['id']}")
    expect(page.get_by_test_id("kitchen-name")).to_have_text(buyer["name_th"])
    dashboard.open("#/map")
    dashboard.shoot("map")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.locator("#map path.fm-lake").first).to_be_visible()
    dashboard.shoot("map-phone")


# --- one kitchen, one group ----------------------------------------------------------------


def test_kitchen_page_lists_its_orders_contracts_and_unmet_lines(
    dashboard: Dashboard, demo: Demo
) -> None:
    buyer_id = most_contracts(demo, "buyer_id")
    buyer = demo.get(f"/buyers/{buyer_id}")
    orders = demo.get("/orders", buyer_id=buyer_id)
    contracts = demo.get("/contracts", buyer_id=buyer_id, limit=1000)
    unmet = demo.get("/report/planning", buyer_id=buyer_id)
    dashboard.open(f"#/kitchen/{buyer_id}")
    page = dashboard.page

    expect(page.get_by_test_id("kitchen-name")).to_have_text(buyer["name_th"])
    expect(page.locator('[data-testid="kitchen-details"] [data-fact="id"]')).to_have_text(buyer_id)
    expect(page.get_by_test_id("kitchen-select")).to_have_value(buyer_id)

    rows = '[data-testid="kitchen-contracts"] tr[data-contract]'
    expect(page.locator(rows)).to_have_count(len(contracts))
    assert set(attribute_list(dashboard, rows, "data-contract")) == {c["id"] for c in contracts}

    order_rows = '[data-testid="kitchen-orders"] tr[data-order]'
    assert set(attribute_list(dashboard, order_rows, "data-order")) == {o["id"] for o in orders}
    detail = demo.get(f"/orders/{orders[0]['id']}")
    for delivery in detail["delivery_status"]:
        row = page.locator(
            f'[data-testid="kitchen-orders"] tr[data-order="{detail["id"]}"]'
            f'[data-date="{delivery["date"]}"]'
        )
        cells = row.locator("td.num")
        expect(cells.nth(1)).to_have_attribute("data-value", str(delivery["contracted"]))
        expect(cells.nth(2)).to_have_attribute("data-value", str(delivery["open"]))

    first = contracts[0]["id"]
    links = page.locator(
        f'[data-testid="kitchen-contracts"] tr[data-contract="{first}"] a[data-doc]'
    )
    hrefs = sorted(links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    assert hrefs == [
        f"/api/v1/contracts/{first}/document?lang=en",
        f"/api/v1/contracts/{first}/document?lang=th",
    ]
    document = demo.http.get(hrefs[1])
    assert document.status_code == 200
    assert "text/html" in document.headers["content-type"]
    # The link opens the document in a new tab (fetched with the key when the API needs one).
    with page.context.expect_page() as opened:
        links.nth(0).click()
    tab = opened.value
    tab.wait_for_load_state()
    expect(tab.locator("body")).to_contain_text(first)
    tab.close()

    expect(page.locator('[data-testid="kitchen-unmet"] tbody tr[data-crop]')).to_have_count(
        len(unmet["lines"])
    )
    dashboard.shoot("kitchen")


def test_kitchen_page_names_the_days_the_kitchen_takes_no_delivery(
    dashboard: Dashboard, demo: Demo
) -> None:
    buyer_id = most_contracts(demo, "buyer_id")
    path = f"/api/v1/buyers/{buyer_id}/days-off"
    kept = demo.get(f"/buyers/{buyer_id}/days-off")
    body = {"non_delivery_weekdays": ["sun"], "non_delivery_dates": ["2031-01-02"]}
    assert demo.http.put(path, json=body).status_code == 200
    try:
        dashboard.open(f"#/kitchen/{buyer_id}")
        fact = dashboard.page.locator('[data-testid="kitchen-details"] [data-fact="days_off"]')
        expect(fact).to_have_text("วันอาทิตย์, 2 ม.ค. 2574")
        dashboard.page.get_by_test_id("lang-en").click()
        expect(fact).to_contain_text("Sunday")
    finally:
        restored = {k: kept[k] for k in ("non_delivery_weekdays", "non_delivery_dates")}
        assert demo.http.put(path, json=restored).status_code == 200


def test_group_page_lists_certificates_supply_and_allocations(
    dashboard: Dashboard, demo: Demo
) -> None:
    group_id = most_contracts(demo, "group_id")
    group = demo.get(f"/groups/{group_id}")
    supply = demo.get("/supply", group_id=group_id)
    contracts = demo.get("/contracts", group_id=group_id, limit=1000)
    figures = next(g for g in demo.get("/stats/groups")["groups"] if g["group_id"] == group_id)
    dashboard.open(f"#/group/{group_id}")
    page = dashboard.page

    expect(page.get_by_test_id("group-name")).to_have_text(group["name_th"])
    certificates = '[data-testid="group-certificates"] tr[data-certificate]'
    expect(page.locator(certificates)).to_have_count(len(group["certificates"]))
    assert set(attribute_list(dashboard, certificates, "data-certificate")) == {
        c["id"] for c in group["certificates"]
    }
    assert group["certificates"], "the busiest group holds a certificate"

    supplies = '[data-testid="group-supply"] tr[data-supply]'
    expect(page.locator(supplies)).to_have_count(len(supply))
    assert set(attribute_list(dashboard, supplies, "data-supply")) == {s["id"] for s in supply}

    rows = '[data-testid="group-contracts"] tr[data-contract]'
    expect(page.locator(rows)).to_have_count(len(contracts))
    assert set(attribute_list(dashboard, rows, "data-contract")) == {c["id"] for c in contracts}
    deliveries = sum(len(c["deliveries"]) for c in contracts)
    expect(page.locator('[data-testid="group-contracts"] li[data-date]')).to_have_count(deliveries)

    income = page.get_by_test_id("group-income").locator(".value")
    assert float(str(income.get_attribute("data-value"))) == pytest.approx(figures["income_thb"])
    # The central database's details, with the agency that supplied the record.
    details = page.get_by_test_id("group-details")
    assert group["source_agency"], "the demo's groups say where their record came from"
    expect(details.locator('[data-fact="source"]')).to_contain_text(group["source_agency"])
    expect(details.locator('[data-fact="contact"]')).to_contain_text(group["contact_name"])
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("group-name")).to_have_text(group["name_en"])
    dashboard.shoot("group")


# --- fill, unmet, groups, kitchens, planning -----------------------------------------------


def test_fill_page_shows_crop_by_week_heat_map(dashboard: Dashboard, demo: Demo) -> None:
    api = demo.get("/stats/fill")
    dashboard.open("#/fill")
    page = dashboard.page
    rows = '[data-testid="fill-table"] tbody tr[data-crop]'
    expect(page.locator(rows)).to_have_count(len(api["crops"]))
    assert attribute_list(dashboard, rows, "data-crop") == [c["crop_id"] for c in api["crops"]]
    assert (
        attribute_list(dashboard, '[data-testid="fill-table"] thead th[data-week]', "data-week")
        == (api["weeks"])
    )
    for crop in api["crops"][:3]:
        for week, cell in crop["weeks"].items():
            if not cell["ordered"]:
                continue
            row = f'[data-testid="fill-table"] tr[data-crop="{crop["crop_id"]}"]'
            shown = page.locator(f'{row} td[data-week="{week}"]')
            assert float(str(shown.get_attribute("data-rate"))) == pytest.approx(cell["fill_rate"])
    assert page.get_by_test_id("fill-chart").bounding_box() is not None
    dashboard.shoot("fill")


def test_unmet_page_shows_reasons_crops_and_districts(dashboard: Dashboard, demo: Demo) -> None:
    api = demo.get("/stats/unmet")
    dashboard.open("#/unmet")
    page = dashboard.page
    expect(page.locator("#unmet-total")).to_have_attribute("data-value", str(api["total"]))
    reasons = '[data-testid="unmet-reason-table"] tr[data-reason]'
    expect(page.locator(reasons)).to_have_count(len(api["by_reason"]))
    assert attribute_list(dashboard, reasons, "data-reason") == [
        r["reason"] for r in api["by_reason"]
    ]
    assert attribute_list(dashboard, f"{reasons} td[data-value]", "data-value") == [
        str(r["quantity"]) for r in api["by_reason"]
    ]
    crops = '[data-testid="unmet-crop-table"] tr[data-crop]'
    assert attribute_list(dashboard, crops, "data-crop") == [c["crop_id"] for c in api["by_crop"]]
    districts = '[data-testid="unmet-district-table"] tr[data-district]'
    assert attribute_list(dashboard, districts, "data-district") == [
        d["district"] for d in api["by_district"]
    ]
    if api["by_reason"]:
        top = api["by_reason"][0]["reason"]
        page.get_by_test_id("lang-en").click()
        label = page.locator(f'[data-testid="unmet-reason-table"] tr[data-reason="{top}"] td').first
        expect(label).to_contain_text(top)
        expect(page.locator("#page-unmet h2")).to_have_text("Unmet demand")
    dashboard.shoot("unmet")


def test_groups_page_shows_gini_figures_and_every_group(dashboard: Dashboard, demo: Demo) -> None:
    api = demo.get("/stats/groups")
    dashboard.open("#/groups")
    page = dashboard.page
    for name in ("volume", "income", "utilisation"):
        value = page.locator(f"#gini-{name}").get_attribute("data-value")
        assert float(str(value)) == pytest.approx(api["gini"][name])
    rows = '[data-testid="groups-table"] tr[data-group]'
    expect(page.locator(rows)).to_have_count(len(api["groups"]))
    assert attribute_list(dashboard, rows, "data-group") == [g["group_id"] for g in api["groups"]]
    first = api["groups"][0]
    link = page.locator(f'[data-testid="groups-table"] tr[data-group="{first["group_id"]}"] a')
    expect(link).to_have_text(first["name_th"])
    link.click()
    dashboard.wait_loaded(f"#/group/{first['group_id']}")
    dashboard.open("#/groups")
    dashboard.shoot("groups")

    buyers = demo.get("/map")["buyers"]
    dashboard.open("#/kitchens")
    kitchens = '[data-testid="kitchens-table"] tr[data-buyer]'
    expect(page.locator(kitchens)).to_have_count(len(buyers))
    assert set(attribute_list(dashboard, kitchens, "data-buyer")) == {b["id"] for b in buyers}
    dashboard.shoot("kitchens")


def test_planning_page_lists_lines_filters_and_links_the_csv(
    dashboard: Dashboard, demo: Demo
) -> None:
    api = demo.get("/report/planning")
    assert api["lines"], "the demo leaves unmet demand to plan for"
    dashboard.open("#/planning")
    page = dashboard.page
    rows = '[data-testid="planning-table"] tbody tr[data-crop]'
    expect(page.locator(rows)).to_have_count(len(api["lines"]))
    expect(page.get_by_test_id("planning-csv")).to_have_attribute(
        "href", "/api/v1/report/planning.csv"
    )

    crop = Counter(line["crop_id"] for line in api["lines"]).most_common(1)[0][0]
    filtered = demo.get("/report/planning", crop_id=crop)
    page.get_by_test_id("filter-crop").select_option(crop)
    dashboard.wait_loaded(f"#/planning?crop_id={crop}")
    expect(page.locator(rows)).to_have_count(len(filtered["lines"]))
    assert set(attribute_list(dashboard, rows, "data-crop")) == {crop}
    csv_link = page.get_by_test_id("planning-csv")
    expect(csv_link).to_have_attribute("href", f"/api/v1/report/planning.csv?crop_id={crop}")
    answer = demo.http.get(str(csv_link.get_attribute("href")))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    with page.expect_download() as saved:
        csv_link.click()
    assert saved.value.suggested_filename == "planning.csv"
    text = Path(saved.value.path()).read_text(encoding="utf-8")
    assert text == answer.text
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(filtered["lines"])
    assert {row["crop_id"] for row in table} == {crop}

    week = filtered["lines"][0]["week"]
    page.get_by_test_id("filter-week").select_option(week)
    dashboard.wait_loaded(f"#/planning?crop_id={crop}&week={week}")
    both = demo.get("/report/planning", crop_id=crop, week=week)
    expect(page.locator(rows)).to_have_count(len(both["lines"]))
    assert set(attribute_list(dashboard, rows, "data-week")) == {week}
    dashboard.shoot("planning")


# --- offline, requests, console ------------------------------------------------------------


def test_planning_page_shows_supply_by_district_and_sub_district_on_a_phone(
    dashboard: Dashboard, demo: Demo
) -> None:
    area = demo.get("/report/planning")["supply_by_area"]
    assert len(area["by_district"]) >= 2, "the demo's groups farm in several districts"
    assert any(r["subdistrict"] for r in area["by_subdistrict"]), "sub-districts are recorded"
    page = dashboard.page
    page.set_viewport_size({"width": 390, "height": 844})
    dashboard.open("#/planning")
    section = page.get_by_test_id("planning-areas")
    expect(section.locator("h3")).to_have_text("ผลผลิตของกลุ่มเกษตรกรตามพื้นที่")
    expect(section.locator("h4").nth(0)).to_have_text("ผลผลิตตามอำเภอ")
    expect(section.locator("h4").nth(1)).to_have_text("ผลผลิตตามตำบล")
    districts = page.locator('[data-testid="area-district-table"] tbody tr[data-district]')
    expect(districts).to_have_count(len(area["by_district"]))
    subdistricts = page.locator('[data-testid="area-subdistrict-table"] tbody tr[data-subdistrict]')
    expect(subdistricts).to_have_count(len(area["by_subdistrict"]))
    heads = page.locator('[data-testid="area-district-table"] thead th').all_inner_texts()
    assert heads == ["อำเภอ", "กลุ่ม", "สมาชิก (ราย)", "พื้นที่ (ไร่)", "เสนอขาย", "ทำสัญญาแล้ว"]
    first = area["by_district"][0]
    cells = districts.nth(0).locator("th, td").all_inner_texts()
    assert cells[0] == first["district_name_th"]
    assert [digits(c) for c in cells[1:3]] == [str(first["groups"]), str(first["members"])]
    assert digits(cells[4]) == str(first["announced"])
    assert digits(cells[5]) == str(first["contracted"])
    named = next(r for r in area["by_subdistrict"] if r["subdistrict"])
    row = page.locator(
        f'[data-testid="area-subdistrict-table"] tbody tr[data-district="{named["district"]}"]'
        f'[data-subdistrict="{named["subdistrict_code"]}"]'
    )
    district_th = next(
        r["district_name_th"] for r in area["by_district"] if r["district"] == named["district"]
    )
    expect(row.locator("th")).to_contain_text(named["subdistrict"])
    expect(row.locator("th")).to_contain_text("อำเภอ" + district_th)
    expect(section).to_contain_text("ไข่ไก่นับเป็นฟอง")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the page above holds every planning line: the pictures are of the two tables
    section.screenshot(path=str(screenshot_dir() / "planning-areas-th-phone.png"))
    section.locator("h4").nth(1).scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir() / "planning-subdistricts-th-phone.png"))

    csv_link = page.get_by_test_id("planning-areas-csv")
    expect(csv_link).to_have_text("ดาวน์โหลด CSV ตามพื้นที่")
    with page.expect_download() as saved:
        csv_link.click()
    assert saved.value.suggested_filename == "planning-areas.csv"
    table = list(csv.DictReader(io.StringIO(Path(saved.value.path()).read_text(encoding="utf-8"))))
    levels = Counter(r["level"] for r in table)
    assert levels == {
        "district": len(area["by_district"]),
        "subdistrict": len(area["by_subdistrict"]),
    }
    assert table[0]["district_name_th"] == first["district_name_th"]
    assert sum(int(r["groups"]) for r in table if r["level"] == "subdistrict") == sum(
        r["groups"] for r in area["by_district"]
    )

    page.get_by_test_id("lang-en").click()
    expect(section.locator("h4").nth(1)).to_have_text("By sub-district")
    expect(districts.nth(0).locator("th")).to_have_text(first["district_name_en"])


def test_every_page_stays_on_the_server_without_console_errors(
    dashboard: Dashboard, demo: Demo
) -> None:
    """Every page, reached through the navigation bar, asks only this server and logs no
    error (each test's tab is checked the same way when it closes; this one sees them all)."""
    dashboard.open("#/")
    page = dashboard.page
    for route in ROUTES:
        page.locator(f'nav a[href="{route}"]').click()
        dashboard.wait_loaded(route)
        expect(page.locator("main .page:not([hidden])")).to_have_count(1)
        expect(page.locator("nav a[aria-current=page]")).to_have_attribute("href", route)
    dashboard.open("#/kitchen/no-such-kitchen")
    expect(page.get_by_test_id("kitchen-missing")).to_be_visible()
    dashboard.errors = [e for e in dashboard.errors if "404" not in e]
    assert dashboard.requests, "the page made requests"
    assert dashboard.foreign_requests() == []
    assert any("/static/vendor/leaflet-1.9.4/leaflet.js" in url for url in dashboard.requests)
    assert any("/static/vendor/chart.js-4.4.9/chart.umd.js" in url for url in dashboard.requests)
    assert dashboard.errors == []


def test_status_line_shows_offline_when_the_server_does_not_answer(dashboard: Dashboard) -> None:
    dashboard.open("#/")
    page = dashboard.page
    offline = page.get_by_test_id("offline")
    expect(page.get_by_test_id("engine-state")).to_have_attribute("data-running", "true")
    expect(offline).to_be_hidden()
    page.route("**/api/v1/overview", lambda route: route.abort())
    expect(offline).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("status")).to_have_attribute("data-state", "offline")
    page.unroute("**/api/v1/overview")
    expect(offline).to_be_hidden(timeout=10_000)
    # The aborted requests are logged by Chromium as failed loads: expected here.
    dashboard.errors = [e for e in dashboard.errors if "Failed to load resource" not in e]


def test_the_page_says_so_while_its_labels_cannot_be_read_and_recovers(
    browser: Any, demo: Demo
) -> None:
    with dashboard_tab(browser, demo) as board:
        page = board.page
        page.route("**/labels.json", lambda route: route.abort())
        page.goto(f"{board.base}/#/map")
        failed = page.get_by_test_id("labels-failed")
        expect(failed).to_be_visible(timeout=10_000)
        expect(failed).to_contain_text("/labels.json")

        page.unroute("**/labels.json")
        board.wait_loaded("#/map")
        expect(failed).to_be_hidden()
        expect(page.locator('nav a[data-route="map"]')).to_have_text("แผนที่")
        # The aborted requests are logged by Chromium as failed loads: expected here.
        board.errors = [e for e in board.errors if "Failed to load resource" not in e]


def test_the_key_comes_from_the_link_and_a_bad_key_is_refused(browser: Any, demo: Demo) -> None:
    assert demo.token, "the demo serves with access control on and prints its key"
    with dashboard_tab(browser, demo, with_key=False) as board:
        page = board.page
        page.goto(f"{board.base}/#/fill")
        panel = page.get_by_test_id("key-panel")
        expect(panel).to_be_visible()
        expect(page.get_by_test_id("status")).to_have_attribute("data-state", "key-needed")
        expect(page.get_by_test_id("key-error")).to_be_hidden()

        page.get_by_test_id("key-input").fill("fm_0000000000000000_" + "x" * 43)
        page.get_by_test_id("key-save").click()
        expect(page.get_by_test_id("key-error")).to_be_visible()

        page.get_by_test_id("key-input").fill(demo.token)
        page.get_by_test_id("key-save").click()
        board.wait_loaded("#/fill")
        expect(panel).to_be_hidden()
        expect(page.locator('[data-testid="fill-table"] tbody tr[data-crop]').first).to_be_visible()

        # The link the demo prints: the key is taken, and taken out of the address.
        page.evaluate("sessionStorage.clear()")
        page.goto(f"{board.base}/#key={demo.token}")
        board.wait_loaded("#/")
        assert page.evaluate("location.hash") == "#/"
        assert demo.token not in page.url
        expect(panel).to_be_hidden()
        page.reload()
        board.wait_loaded("#/")
        expect(page.get_by_test_id("key-forget")).to_be_visible()
        # 401 answers are logged by Chromium as failed loads: expected here.
        board.errors = [e for e in board.errors if "401" not in e]


# --- live refresh (changes the market: last) -----------------------------------------------


def test_new_order_and_round_appear_without_a_reload(dashboard: Dashboard, demo: Demo) -> None:
    dashboard.open("#/")
    page = dashboard.page
    page.evaluate("window.__fmProbe = 'same page'")
    page.evaluate("window.scrollTo(0, 250)")
    scroll = page.evaluate("window.scrollY")
    assert scroll > 0

    cards = card_values(dashboard)
    before_orders = int(cards["orders_open"])
    before_rounds = int(cards["rounds"])
    order_id = f"ord-browser-{uuid.uuid4().hex[:8]}"
    first = date.today() + timedelta(days=14)
    body = {
        "id": order_id,
        "buyer_id": demo.get("/buyers")[0]["id"],
        "crop_id": "kale",
        "quantity": 40,
        "deliveries": [first.isoformat(), (first + timedelta(weeks=1)).isoformat()],
        "min_tier": "SAFE",
        "max_price": "30.00",
        "max_distance_km": 80,
    }
    answer = demo.http.post(
        "/api/v1/orders", json=body, headers={"Idempotency-Key": f"browser-{order_id}"}
    )
    assert answer.status_code == 201, answer.text
    orders_card = page.locator("#page-overview [data-field='orders_open']")
    expect(orders_card).to_have_attribute("data-value", str(before_orders + 1), timeout=10_000)

    ran = demo.http.post("/api/v1/rounds", headers={"Idempotency-Key": f"browser-round-{order_id}"})
    assert ran.status_code in (200, 201), ran.text
    wait_for(
        lambda: int(card_values(dashboard)["rounds"]) >= before_rounds + 1,
        10,
        "the rounds card counts the new round",
    )
    newest = demo.get("/rounds", limit=1)[0]["id"]
    expect(page.locator(f'[data-testid="rounds-table"] tr[data-round="{newest}"]')).to_have_count(
        1, timeout=10_000
    )
    assert page.evaluate("window.__fmProbe") == "same page", "the page was reloaded"
    assert page.evaluate("window.scrollY") == scroll, "the refresh moved the page"


def test_names_from_users_are_shown_as_text_not_markup(dashboard: Dashboard, demo: Demo) -> None:
    group_id = f"grp-markup-{uuid.uuid4().hex[:6]}"
    name = '<img src="x" onerror="window.__fmInjected = 1"><b>Krua & Co</b>'
    body = {
        "id": group_id,
        "name_th": name,
        "name_en": name,
        "lat": 7.0167,
        "lon": 100.4681,
        "members": 5,
        "kind": "community_enterprise",
        "district": "9011",
    }
    answer = demo.http.post("/api/v1/groups", json=body, headers={"Idempotency-Key": group_id})
    assert answer.status_code == 201, answer.text

    dashboard.open(f"#/group/{group_id}")
    page = dashboard.page
    expect(page.get_by_test_id("group-name")).to_have_text(name)
    expect(page.locator(f'[data-testid="group-select"] option[value="{group_id}"]')).to_have_text(
        name
    )
    dashboard.open("#/map")
    marker = page.locator(f'#map path.fm-group[data-id="{group_id}"]')
    expect(marker).to_have_count(1)
    marker.dispatch_event("click")
    expect(page.locator(".leaflet-popup-content")).to_contain_text(name)
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("main b, .leaflet-popup-content b").count() == 0
    assert page.evaluate("window.__fmInjected") is None
