"""The kitchen portal at ``/kitchen/`` against a live demo, with a kitchen's API key: the
kitchen sees its orders with each delivery's state, orders ahead (a wrong field is named next
to it, in Thai, and the corrected order is sent and listed), cancels an order, or one delivery
of it, with a reason, finds its contracts' documents and CSV, and is told plainly that another
kitchen's order is not its own (the API answers 403)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.support.axe import assert_accessible
from tests.support.browser import Demo, Json, Portal, participant_key, portal_tab, wait_for
from tests.support.labels import load_catalogue

try:
    from playwright.sync_api import expect
except ImportError as missing:  # pragma: no cover - depends on the environment
    if os.environ.get("CI"):
        raise
    pytest.skip(f"the playwright package is not installed ({missing})", allow_module_level=True)

pytestmark = pytest.mark.browser

LABELS = load_catalogue()
REFUSAL_CODES = ("not_fresh", "residue_test_failed", "wrong_size", "late", "other")


def th(key: str, **values: object) -> str:
    text = LABELS[key]["th"]
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


class Kitchen:
    """The kitchen of the test: the demo's buyer with the most contracts, its key, and an HTTP
    client that calls the API with that key."""

    def __init__(self, demo: Demo) -> None:
        contracts = demo.get("/contracts", limit=1000)
        self.id = str(Counter(c["buyer_id"] for c in contracts).most_common(1)[0][0])
        self.buyer: Json = demo.get(f"/buyers/{self.id}")
        self.token = participant_key(demo, "kitchen", self.id)
        self.http = httpx.Client(
            base_url=demo.base + "/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.json()


@pytest.fixture(scope="module")
def kitchen(demo: Demo) -> Iterator[Kitchen]:
    made = Kitchen(demo)
    try:
        yield made
    finally:
        made.http.close()


@pytest.fixture
def portal(browser: Any, demo: Demo, kitchen: Kitchen) -> Iterator[Portal]:
    with portal_tab(browser, demo, kitchen.token) as tab:
        yield tab


def next_monday(weeks_ahead: int) -> date:
    today = date.today()
    return today + timedelta(days=7 * weeks_ahead + (7 - today.weekday()) % 7 or 7)


def new_order(kitchen: Kitchen, crop: str = "kale") -> Json:
    start = next_monday(3)
    body = {
        "id": f"ord-test-{kitchen.id}-{os.urandom(4).hex()}",
        "buyer_id": kitchen.id,
        "crop_id": crop,
        "quantity": 12,
        "schedule": {
            "start": start.isoformat(),
            "end": (start + timedelta(days=13)).isoformat(),
            "weekdays": ["tue"],
        },
    }
    response = kitchen.http.post("/orders", json=body)
    assert response.status_code == 201, response.text
    answer: Json = response.json()
    return answer


# --- the orders ----------------------------------------------------------------------------


def test_the_kitchen_sees_its_orders_and_each_delivery_state(
    portal: Portal, kitchen: Kitchen
) -> None:
    portal.open("#/")
    page = portal.page
    expect(page.get_by_test_id("kp-kitchen")).to_have_text(kitchen.buyer["name_th"])
    expect(page.locator("html")).to_have_attribute("lang", "th")
    orders = [o for o in kitchen.get("/orders", buyer_id=kitchen.id) if o["state"] == "open"]
    assert orders
    shown = page.eval_on_selector_all(
        "#kp-orders .order-card", "els => els.map(e => e.dataset.order)"
    )
    assert sorted(shown) == sorted(o["id"] for o in orders)
    contracts = kitchen.get("/contracts", buyer_id=kitchen.id, limit=1000)
    states: Counter[str] = Counter()
    for order in orders:
        detail = kitchen.get(f"/orders/{order['id']}")
        chips = page.locator(f'.order-card[data-order="{order["id"]}"] .dchip')
        expect(chips).to_have_count(len(detail["delivery_status"]))
        for delivery in detail["delivery_status"]:
            chip = page.locator(
                f'.order-card[data-order="{order["id"]}"] .dchip[data-date="{delivery["date"]}"]'
            )
            state = chip.get_attribute("data-state")
            assert state is not None
            states[state] += 1
            if delivery["open"] > 0:
                assert state == "unfilled", (order["id"], delivery)
                continue
            assert state != "unfilled", (order["id"], delivery)
            live = [
                c["state"]
                for c in contracts
                if c["order_id"] == order["id"]
                and any(d["date"] == delivery["date"] for d in c["deliveries"])
            ]
            assert live, (order["id"], delivery)
    assert states["accepted"] > 0
    if states["unfilled"]:
        # Each unfilled delivery says why, in the catalogue's Thai.
        reasons = page.locator("#kp-orders p.unfilled")
        assert reasons.count() > 0
        first = reasons.first
        code = first.get_attribute("data-reason")
        assert code
        assert th("reason_" + code) in first.inner_text()
    portal.shoot("kitchen-portal-orders")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    portal.shoot("kitchen-portal-orders-phone")


def test_one_order_shows_its_deliveries_groups_and_documents(
    portal: Portal, kitchen: Kitchen
) -> None:
    contracts = kitchen.get("/contracts", buyer_id=kitchen.id, limit=1000)
    contract = next(c for c in contracts if c["state"] == "accepted")
    route = f"#/order/{contract['order_id']}"
    portal.open(route)
    page = portal.page
    rows = page.locator('[data-testid="kp-deliveries"] tbody tr')
    detail = kitchen.get(f"/orders/{contract['order_id']}")
    expect(rows).to_have_count(len(detail["delivery_status"]))
    line = page.locator(f'[data-testid="kp-deliveries"] li[data-contract="{contract["id"]}"]').first
    expect(line).to_contain_text(th("kp_d_accepted"))
    row = page.locator(f'[data-testid="kp-order-contracts"] tr[data-contract="{contract["id"]}"]')
    href = row.locator('a[data-doc="th"]').get_attribute("href")
    assert href == f"/api/v1/contracts/{contract['id']}/document?lang=th"
    document = kitchen.http.get(href.removeprefix("/api/v1"))
    assert document.status_code == 200
    assert "text/html" in document.headers["content-type"]
    portal.shoot("kitchen-portal-order")


ALTERNATIVE_LABELS = {
    "distance_km": "kp_alt_distance",
    "scheme": "kp_alt_standard",
    "certificate_valid_until": "kp_alt_cert_until",
    "certificate_valid_from": "kp_alt_cert_from",
    "certificate_revoked_on": "kp_alt_cert_revoked",
    "crop_scope": "kp_alt_crop_scope",
    "food_safety": "kp_alt_food_safety",
    "unit_price_thb": "kp_alt_price",
    "week": "kp_alt_week",
    "suppliers": "kp_alt_suppliers",
    "min_lot": "kp_alt_min_lot",
    "buyers": "kp_alt_buyers",
}
"""The label that words each measure of an alternative (``free_quantity``: by its rule)."""


def alternative_label(alternative: Json) -> str:
    if alternative["measure"] == "free_quantity":
        return (
            "kp_alt_insufficient"
            if alternative["rule"] == "insufficient_supply"
            else "kp_alt_capacity"
        )
    return ALTERNATIVE_LABELS[alternative["measure"]]


def unfilled_with_alternative(demo: Demo) -> tuple[Json, Json]:
    """An open order of the demo and one of its deliveries that the last round left unfilled
    with a nearest alternative in a known district (the round's lines, read as the coordinator,
    point to the order; its detail, as the kitchen reads it, holds the alternative)."""
    seen: set[str] = set()
    for listed in demo.get("/rounds", limit=20):
        for line in demo.get(f"/rounds/{listed['id']}")["unfilled"]:
            if line["alternative"] is None or line["order_id"] in seen:
                continue
            seen.add(line["order_id"])
            order: Json = demo.get(f"/orders/{line['order_id']}")
            for delivery in order["delivery_status"]:
                alternative = (delivery["unfilled"] or {}).get("alternative")
                if alternative and alternative["district_name_th"]:
                    return order, delivery
    raise AssertionError("the demo left no delivery unfilled with an alternative")


def test_an_unfilled_delivery_says_where_the_nearest_alternative_is(
    browser: Any, demo: Demo
) -> None:
    order, delivery = unfilled_with_alternative(demo)
    alternative = delivery["unfilled"]["alternative"]
    key = participant_key(demo, "kitchen", order["buyer_id"])
    words = LABELS[alternative_label(alternative)]
    with portal_tab(browser, demo, key) as tab:
        tab.open(f"#/order/{order['id']}")
        row = tab.page.locator(f'[data-testid="kp-deliveries"] tr[data-date="{delivery["date"]}"]')
        expect(row).to_have_attribute("data-state", "unfilled")
        expect(row.locator("p.unfilled")).to_have_attribute(
            "data-reason", delivery["unfilled"]["reason"]
        )
        sentence = row.locator("p.alternative")
        expect(sentence).to_contain_text(words["th"].split("{")[0].strip())
        expect(sentence).to_contain_text("อำเภอ" + alternative["district_name_th"])
        tab.shoot("kitchen-portal-alternative")
        tab.page.get_by_test_id("lang-en").click()
        expect(sentence).to_contain_text(words["en"].split("{")[0].strip())
        expect(sentence).to_contain_text(alternative["district_name_en"] + " district")


def test_the_contracts_page_links_the_csv_export(portal: Portal, kitchen: Kitchen) -> None:
    portal.open("#/contracts")
    page = portal.page
    contracts = kitchen.get("/contracts", buyer_id=kitchen.id, limit=1000)
    expect(page.locator("#kp-contracts-body tr[data-contract]")).to_have_count(len(contracts))
    href = page.get_by_test_id("kp-csv").get_attribute("href")
    assert href == f"/api/v1/buyers/{kitchen.id}/contracts.csv"
    with page.expect_download() as download:
        page.get_by_test_id("kp-csv").click()
    saved = download.value.path()
    assert saved is not None
    text = saved.read_text(encoding="utf-8-sig")
    assert sum(1 for c in contracts if c["id"] in text) == len(contracts)


@pytest.mark.parametrize("route", ["#/", "#/new", "#/contracts", "#/days-off"])
def test_on_a_phone_no_page_scrolls_sideways(
    browser: Any, demo: Demo, kitchen: Kitchen, route: str
) -> None:
    with portal_tab(browser, demo, kitchen.token, size="phone") as tab:
        tab.open(route)
        # The contracts table scrolls in its own box; the page itself does not.
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        if route == "#/new":
            tab.shoot("kitchen-portal-new-phone")


# --- ordering ------------------------------------------------------------------------------


def test_an_order_with_a_wrong_field_is_named_in_thai_then_sent(
    portal: Portal, kitchen: Kitchen
) -> None:
    portal.refusals.add(422)  # the API's answer to the wrong field, which the page shows
    portal.open("#/new")
    page = portal.page
    kale = next(c for c in kitchen.get("/crops") if c["id"] == "kale")
    start = next_monday(2)
    end = start + timedelta(days=20)
    page.get_by_test_id("kp-crop").fill(kale["name_th"])
    expect(page.get_by_test_id("kp-unit")).to_have_text(LABELS["unit_kg"]["th"])
    page.get_by_test_id("kp-quantity").fill("0")
    page.get_by_test_id("kp-wd-thu").check()
    page.get_by_test_id("kp-start").fill(start.isoformat())
    page.get_by_test_id("kp-end").fill(end.isoformat())
    page.get_by_test_id("kp-price").fill("60")
    page.get_by_test_id("kp-distance").fill("40")
    page.get_by_test_id("kp-tier").select_option("ORGANIC")
    # The preview: every Monday and Thursday of the three weeks.
    expect(page.get_by_test_id("kp-preview-summary")).to_have_attribute("data-count", "6")
    expect(page.locator("#kp-preview-list li[data-date]")).to_have_count(6)
    page.get_by_test_id("kp-send").click()
    error = page.get_by_test_id("error-quantity")
    expect(error).to_be_visible()
    expect(error).to_have_text(th("kp_err_quantity_positive"))
    expect(page.locator('#kp-form .field[data-field="quantity"]')).to_have_class("field invalid")
    expect(page.get_by_test_id("kp-quantity")).to_have_attribute("aria-invalid", "true")
    for other in ("crop", "start", "end", "price", "distance", "tier", "weekdays"):
        expect(page.get_by_test_id(f"error-{other}")).to_be_hidden()
    assert all(o["quantity"] != 0 for o in kitchen.get("/orders", buyer_id=kitchen.id))
    portal.shoot("kitchen-portal-form-error")

    before = {o["id"] for o in kitchen.get("/orders", buyer_id=kitchen.id)}
    page.get_by_test_id("kp-quantity").fill("25")
    expect(page.get_by_test_id("kp-preview-summary")).to_contain_text("150")
    page.get_by_test_id("kp-send").click()
    portal.wait_loaded("#/")
    expect(page.get_by_test_id("kp-flash")).to_be_visible()
    added = wait_for(
        lambda: [o for o in kitchen.get("/orders", buyer_id=kitchen.id) if o["id"] not in before],
        10,
        "the new order",
    )
    assert len(added) == 1
    order = added[0]
    assert (order["crop_id"], order["quantity"], order["min_tier"]) == ("kale", 25, "ORGANIC")
    assert order["schedule"] == {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "weekdays": ["mon", "thu"],
    }
    assert float(order["max_price"]) == 60
    assert order["max_distance_km"] == 40
    card = page.locator(f'.order-card[data-order="{order["id"]}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text(kale["name_th"])
    expect(card.locator(".dchip")).to_have_count(6)
    expect(page.get_by_test_id("error-quantity")).to_be_hidden()


def test_the_preview_moves_a_songkran_delivery_to_the_working_day_before(
    portal: Portal, kitchen: Kitchen
) -> None:
    portal.open("#/new")
    page = portal.page
    page.get_by_test_id("kp-crop").fill("kale")
    page.get_by_test_id("kp-quantity").fill("10")
    page.get_by_test_id("kp-wd-mon").uncheck()
    page.get_by_test_id("kp-wd-tue").check()
    page.get_by_test_id("kp-wd-thu").check()
    page.get_by_test_id("kp-start").fill("2027-04-12")
    page.get_by_test_id("kp-end").fill("2027-04-16")
    # Tuesday 13 April (Songkran) moves to Monday 12; Thursday 15 (Songkran too) would move to
    # the same Monday, so it is dropped.
    moved = page.locator('#kp-preview-list li[data-date="2027-04-12"]')
    expect(moved).to_have_attribute("data-moved-from", "2027-04-13")
    expect(moved.locator(".moved")).to_contain_text("วันสงกรานต์")
    expect(moved.locator(".moved")).to_contain_text(th("kp_preview_moved", date="").split(" ")[0])
    expect(page.locator('#kp-preview-list li[data-dropped="2027-04-15"]')).to_contain_text(
        "วันสงกรานต์"
    )
    expect(page.get_by_test_id("kp-preview-summary")).to_have_attribute("data-count", "1")
    portal.shoot("kitchen-portal-preview-holiday")
    # The order's other choice: no delivery on a holiday (both Songkran dates are skipped).
    page.get_by_test_id("kp-on-holiday").select_option("refuse")
    expect(page.locator("#kp-preview-list li[data-dropped]")).to_have_count(2)
    expect(page.get_by_test_id("kp-preview-summary")).to_have_attribute("data-count", "0")
    page.get_by_test_id("kp-on-holiday").select_option("previous_working_day")


def test_the_crop_must_come_from_the_list(portal: Portal, kitchen: Kitchen) -> None:
    portal.refusals.add(422)
    portal.open("#/new")
    page = portal.page
    page.get_by_test_id("kp-crop").fill("ผักที่ไม่มีในรายการ")
    page.get_by_test_id("kp-quantity").fill("10")
    page.get_by_test_id("kp-send").click()
    expect(page.get_by_test_id("error-crop")).to_have_text(th("kp_err_crop_unknown"))
    expect(page.get_by_test_id("error-quantity")).to_be_hidden()


# --- cancelling ----------------------------------------------------------------------------


def test_the_kitchen_cancels_an_order_with_a_reason(portal: Portal, kitchen: Kitchen) -> None:
    order = new_order(kitchen)
    portal.open(f"#/order/{order['id']}")
    page = portal.page
    page.get_by_test_id("kp-cancel-send").click()
    expect(page.get_by_test_id("error-reason")).to_have_text(th("kp_err_reason"))
    assert kitchen.get(f"/orders/{order['id']}")["state"] == "open"
    page.get_by_test_id("kp-cancel-reason").fill("เมนูเปลี่ยน ไม่ใช้คะน้าช่วงนี้")
    page.get_by_test_id("kp-cancel-send").click()
    portal.wait_loaded("#/")
    expect(page.get_by_test_id("kp-flash")).to_have_text(th("kp_cancelled", id=order["id"]))
    assert kitchen.get(f"/orders/{order['id']}")["state"] == "cancelled"
    expect(page.locator(f'#kp-orders .order-card[data-order="{order["id"]}"]')).to_have_count(0)
    expect(page.locator(f'#kp-closed .order-card[data-order="{order["id"]}"]')).to_have_count(1)


def test_the_kitchen_cancels_one_future_delivery_with_a_reason(
    portal: Portal, kitchen: Kitchen
) -> None:
    """The second of two deliveries is cancelled from its row: the reason is required, then the
    row says it is cancelled and why, and the order keeps its first delivery."""
    order = new_order(kitchen)
    first, second = (d["date"] for d in order["delivery_status"])
    portal.open(f"#/order/{order['id']}")
    page = portal.page
    row = page.locator(f'[data-testid="kp-deliveries"] tr[data-date="{second}"]')
    form = page.get_by_test_id("kp-cancel-day")
    expect(form).to_be_hidden()
    row.get_by_test_id("kp-cancel-day-open").click()
    expect(form).to_be_visible()
    expect(page.get_by_test_id("kp-cancel-day-reason")).to_be_focused()
    page.get_by_test_id("kp-cancel-day-send").click()
    expect(page.get_by_test_id("error-cancel-day-reason")).to_have_text(th("kp_err_day_reason"))
    assert kitchen.get(f"/orders/{order['id']}")["cancelled_deliveries"] == []
    reason = "ผู้ป่วยในลดลงช่วงปีใหม่"
    page.get_by_test_id("kp-cancel-day-reason").fill(reason)
    page.get_by_test_id("kp-cancel-day-send").click()
    expect(page.get_by_test_id("kp-flash")).to_be_visible()
    expect(form).to_be_hidden()
    expect(row).to_have_attribute("data-state", "cancelled")
    expect(row).to_contain_text(th("kp_day_cancelled"))
    expect(row.get_by_test_id("kp-cancelled-reason")).to_have_text(
        th("kp_day_cancelled_reason", reason=reason)
    )
    expect(row.get_by_test_id("kp-cancel-day-open")).to_have_count(0)
    stored = kitchen.get(f"/orders/{order['id']}")
    assert [d["date"] for d in stored["delivery_status"]] == [first]
    assert [(c["date"], c["reason"]) for c in stored["cancelled_deliveries"]] == [(second, reason)]
    portal.shoot("kitchen-portal-delivery-cancelled")


# --- confirming a delivery -----------------------------------------------------------------


def test_the_kitchen_confirms_a_delivery_refusing_part_of_it(
    portal: Portal, kitchen: Kitchen
) -> None:
    """On the day of a delivery (the browser's clock is set to it), the kitchen records what it
    kept and what it sent back, and why; too much, and no reason for what was sent back, are
    named next to their fields, in Thai."""
    portal.refusals.add(422)
    contracts = kitchen.get("/contracts", buyer_id=kitchen.id, limit=1000)
    contract, line = next(
        (c, d)
        for c in sorted(contracts, key=lambda c: str(c["id"]))
        if c["state"] == "accepted"
        for d in c["deliveries"]
        if d["state"] == "scheduled" and d["quantity"] >= 4
    )
    due = date.fromisoformat(line["date"])
    portal.page.clock.set_fixed_time(f"{due.isoformat()}T10:00:00")
    portal.open(f"#/order/{contract['order_id']}")
    page = portal.page
    form = page.get_by_test_id("kp-confirm")
    expect(form).to_be_visible()
    page.get_by_test_id("kp-confirm-which").select_option(f"{contract['id']}|{line['date']}")
    expect(page.get_by_test_id("kp-confirm-received")).to_have_value(str(line["quantity"]))
    reason = page.get_by_test_id("kp-confirm-refusal_reason")
    expect(reason).to_be_hidden()  # nothing sent back, no reason asked
    page.get_by_test_id("kp-confirm-refused").fill("3")
    expect(reason).to_be_visible()
    expect(reason.locator("option")).to_have_text(
        [th("kp_confirm_reason_pick")] + [th(f"refusal_{code}") for code in REFUSAL_CODES]
    )
    page.get_by_test_id("kp-confirm-send").click()
    expect(page.get_by_test_id("error-received")).to_have_text(th("kp_err_more_than_contracted"))
    kept = line["quantity"] - 3
    page.get_by_test_id("kp-confirm-received").fill(str(kept))
    page.get_by_test_id("kp-confirm-send").click()
    expect(page.get_by_test_id("error-refusal_reason")).to_have_text(th("kp_err_reason_required"))
    expect(page.get_by_test_id("error-received")).to_be_hidden()
    note = page.get_by_test_id("kp-confirm-refusal_note")
    reason.select_option("other")
    expect(note).to_be_visible()
    reason.select_option("not_fresh")  # details go with "other" only
    expect(note).to_be_hidden()
    page.get_by_test_id("kp-confirm-send").click()
    expect(page.get_by_test_id("kp-flash")).to_be_visible()
    expect(page.get_by_test_id("error-refusal_reason")).to_be_hidden()
    stored = kitchen.get(f"/contracts/{contract['id']}")
    done = next(d for d in stored["deliveries"] if d["date"] == line["date"])
    assert (done["state"], done["received"], done["refused"]) == ("delivered", kept, 3)
    assert (done["refusal_reason"], done["refusal_note"]) == ("not_fresh", None)
    part = page.locator(
        f'[data-testid="kp-deliveries"] tr[data-date="{line["date"]}"] '
        f'li[data-contract="{contract["id"]}"]'
    )
    expect(part).to_contain_text(th("kp_d_delivered"))
    expect(part.locator(".short")).to_contain_text(th("refusal_not_fresh"))
    portal.shoot("kitchen-portal-confirmed")


# --- another kitchen's data ----------------------------------------------------------------


def test_another_kitchens_order_is_refused_with_a_clear_message(
    portal: Portal, kitchen: Kitchen, demo: Demo
) -> None:
    portal.refusals.add(403)
    other = next(o for o in demo.get("/orders", limit=1000) if o["buyer_id"] != kitchen.id)
    assert kitchen.http.get(f"/orders/{other['id']}").status_code == 403
    portal.open(f"#/order/{other['id']}")
    page = portal.page
    notice = page.get_by_test_id("kp-order-forbidden")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(th("kp_order_forbidden"))
    expect(page.get_by_test_id("kp-order")).to_be_empty()
    expect(page.get_by_test_id("kp-cancel")).to_be_hidden()
    portal.shoot("kitchen-portal-forbidden")


def test_a_kitchen_signed_in_by_a_link_orders_and_signs_out(
    browser: Any, demo: Demo, kitchen: Kitchen
) -> None:
    """With a session cookie instead of a key: the order goes with the session's CSRF token."""
    made = demo.http.post(
        "/api/v1/sign-in-links", json={"participant_id": kitchen.id, "role": "kitchen"}
    )
    assert made.status_code == 201, made.text
    with portal_tab(browser, demo, "") as tab:
        tab.refusals.add(401)  # after signing out
        page = tab.page
        tab.sign_in(made.json()["link"])
        expect(page.get_by_test_id("kp-kitchen")).to_have_text(kitchen.buyer["name_th"])
        expect(page.get_by_test_id("sign-out")).to_be_visible()
        expect(page.get_by_test_id("key-forget")).to_be_hidden()
        before = {o["id"] for o in kitchen.get("/orders", buyer_id=kitchen.id)}
        page.goto(f"{demo.base}/kitchen/#/new")
        tab.wait_loaded("#/new")
        page.get_by_test_id("kp-crop").fill("kale")
        page.get_by_test_id("kp-quantity").fill("8")
        page.get_by_test_id("kp-send").click()
        tab.wait_loaded("#/")
        added = [o for o in kitchen.get("/orders", buyer_id=kitchen.id) if o["id"] not in before]
        assert [(o["crop_id"], o["quantity"]) for o in added] == [("kale", 8)]
        page.get_by_test_id("sign-out").click()
        expect(page.get_by_test_id("key-panel")).to_be_visible()
        assert page.evaluate("fetch('/api/v1/session').then(r => r.status)") == 401


def test_without_a_key_the_page_asks_for_one_and_a_coordinator_is_sent_away(
    browser: Any, demo: Demo
) -> None:
    with portal_tab(browser, demo, "") as tab:
        tab.refusals.add(401)
        tab.page.goto(f"{demo.base}/kitchen/")
        expect(tab.page.get_by_test_id("key-panel")).to_be_visible()
        expect(tab.page.get_by_test_id("key-panel")).to_contain_text(th("kp_key_title"))
    with portal_tab(browser, demo, demo.token) as tab:
        tab.refusals.add(403)
        tab.page.goto(f"{demo.base}/kitchen/")
        expect(tab.page.get_by_test_id("kp-not-kitchen")).to_have_text(th("kp_not_kitchen"))


# --- the kitchen's own days off -----------------------------------------------------------


def kitchen_with_days_off(demo: Demo, closed: date) -> str:
    """A new kitchen (registered by the coordinator) that receives nothing on Saturdays and on
    ``closed``."""
    buyer_id = f"kit-daysoff-{os.urandom(4).hex()}"
    body = {
        "id": buyer_id,
        "name_th": "โรงพยาบาลทดสอบวันหยุดครัว",
        "name_en": "Days-off test hospital",
        "kind": "hospital",
        "lat": 7.0086,
        "lon": 100.4747,
        "district": "9011",
        "non_delivery_weekdays": ["sat"],
        "non_delivery_dates": [closed.isoformat()],
    }
    answer = demo.http.post("/api/v1/buyers", json=body)
    assert answer.status_code == 201, answer.text
    return buyer_id


def days_off_shown(page: Any, closed: date) -> None:
    """The form as the kitchen finds it: Saturdays and ``closed``, in Thai, and the rules."""
    expect(page.get_by_test_id("kp-days-off").locator("h2")).to_have_text(th("kp_days_off_title"))
    expect(page.get_by_test_id("kp-days-off-sat")).to_be_checked()
    expect(page.get_by_test_id("kp-days-off-sun")).not_to_be_checked()
    expect(page.locator('label:has([data-testid="kp-days-off-sat"])')).to_have_text("วันเสาร์")
    dates = page.get_by_test_id("kp-days-off-dates").locator("li[data-value]")
    expect(dates).to_have_count(1)
    expect(dates.nth(0)).to_have_attribute("data-value", closed.isoformat())
    expect(dates.nth(0)).to_contain_text(str(closed.year + 543))  # a Thai date
    rules = page.get_by_test_id("kp-days-off-rules")
    expect(rules).to_contain_text(th("kp_on_holiday_previous_working_day"))
    expect(rules).to_contain_text(th("kp_on_holiday_refuse"))
    expect(page.get_by_test_id("kp-days-off-choice")).to_have_text(
        th("kp_days_off_choice", field=th("kp_f_on_holiday"))
    )


def days_off_mistakes_named(page: Any) -> None:
    """No date chosen, and every weekday ticked, are named in Thai next to their field."""
    page.get_by_test_id("kp-days-off-add").click()
    expect(page.get_by_test_id("error-days-off-date")).to_have_text(th("kp_err_days_off_date"))
    for code in ("mon", "tue", "wed", "thu", "fri", "sun"):
        page.get_by_test_id(f"kp-days-off-{code}").check()
    error = page.get_by_test_id("error-days-off-weekdays")
    expect(error).to_have_text(th("kp_err_days_off_all_week"))
    page.get_by_test_id("kp-days-off-save").click()
    expect(error).to_be_visible()
    for code in ("mon", "tue", "wed", "thu", "fri"):
        page.get_by_test_id(f"kp-days-off-{code}").uncheck()
    expect(error).to_be_hidden()


def orders_follow_days_off(
    demo: Demo, token: str, buyer_id: str, opened: date, closed: date
) -> None:
    """Orders sent now: a delivery on ``closed`` comes the day before, as the page says, or the
    order is refused when it asks for that; ``opened`` is a delivery day again."""
    http = httpx.Client(
        base_url=demo.base + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    with http:
        order_id = f"ord-daysoff-{os.urandom(4).hex()}"
        order: Json = {
            "id": order_id,
            "buyer_id": buyer_id,
            "crop_id": "kale",
            "quantity": 10,
            "deliveries": [opened.isoformat(), closed.isoformat()],
        }
        moved = http.post("/orders", json=order)
        assert moved.status_code == 201, moved.text
        before = (closed - timedelta(days=1)).isoformat()
        assert moved.json()["deliveries"] == [opened.isoformat(), before]
        change = moved.json()["date_changes"][0]
        assert (change["asked"], change["delivery"], change["reason"]) == (
            closed.isoformat(),
            before,
            "non_delivery_day",
        )
        refused = http.post("/orders", json=order | {"id": order_id + "-r", "on_holiday": "refuse"})
        assert refused.status_code == 422, refused.text
        assert closed.isoformat() in refused.text


def test_the_kitchen_changes_its_days_off_on_a_phone_and_later_orders_follow_them(
    browser: Any, demo: Demo
) -> None:
    closed = next_monday(4) + timedelta(days=2)  # a Wednesday, no public holiday
    added = closed + timedelta(days=7)
    buyer_id = kitchen_with_days_off(demo, closed)
    token = participant_key(demo, "kitchen", buyer_id)
    with portal_tab(browser, demo, token, size="phone") as tab:
        tab.open("#/")
        page = tab.page
        page.locator('nav a[data-route="daysoff"]').click()
        tab.wait_loaded("#/days-off")
        days_off_shown(page, closed)
        assert_accessible(page, "kitchen portal #/days-off (phone)")
        days_off_mistakes_named(page)

        # Sundays too; the date moves a week on.
        page.get_by_test_id("kp-days-off-date").fill(added.isoformat())
        page.get_by_test_id("kp-days-off-add").click()
        page.get_by_test_id("kp-days-off-date").fill(added.isoformat())
        page.get_by_test_id("kp-days-off-add").click()
        expect(page.get_by_test_id("error-days-off-date")).to_have_text(
            th("kp_err_days_off_listed")
        )
        dates = page.get_by_test_id("kp-days-off-dates").locator("li[data-value]")
        dates.nth(0).locator("button").click()
        expect(dates).to_have_count(1)
        expect(dates.nth(0)).to_have_attribute("data-value", added.isoformat())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        tab.shoot("kitchen-portal-days-off-phone")
        page.get_by_test_id("kp-days-off-save").click()
        expect(page.get_by_test_id("kp-flash")).to_have_text(th("kp_days_off_saved"))
        stored = demo.get(f"/buyers/{buyer_id}/days-off")
        assert stored["non_delivery_weekdays"] == ["sat", "sun"]
        assert stored["non_delivery_dates"] == [added.isoformat()]

        page.reload()
        tab.wait_loaded("#/days-off")
        expect(page.get_by_test_id("kp-days-off-sun")).to_be_checked()
        expect(dates).to_have_count(1)
        expect(dates.nth(0)).to_have_attribute("data-value", added.isoformat())
        page.get_by_test_id("lang-en").click()
        expect(page.locator('label:has([data-testid="kp-days-off-sun"])')).to_have_text("Sunday")

    orders_follow_days_off(demo, token, buyer_id, closed, added)
