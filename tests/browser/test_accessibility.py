"""Every page the app serves, checked with axe-core (vendored in ``tests/browser/vendor/``) in
headless Chromium: the coordinator's dashboard, the kitchen portal and the group portal with each
of their routes, their forms open and showing their error messages, the key panels and refusals,
the sign-in link pages, a contract's document and the API's ``/docs``.

Each is looked at in Thai on a desktop (1280 x 800), on a phone (390 x 844) and at 200 % zoom (a
1280 x 800 screen zoomed twice: 640 x 400 CSS pixels), and once in English on a desktop. A page
passes when axe finds no serious or critical violation of WCAG 2.1 A/AA or its best practices,
every visible form field has a name, the document's language is the one shown, the page does not
scroll sideways and every control outside a scrolling box (and the skip link, shown when
focused) is within the screen's width."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from api.routes.signin_page import refusal_page
from matcher.sessions import LinkState
from tests.support.axe import Known, assert_accessible, visible_fields
from tests.support.browser import (
    Demo,
    Json,
    Portal,
    bank_key,
    participant_key,
    proposals_waiting,
    running_demo,
    watched_tab,
)

try:
    from playwright.sync_api import expect
except ImportError as missing:  # pragma: no cover - depends on the environment
    if os.environ.get("CI"):
        raise
    pytest.skip(f"the playwright package is not installed ({missing})", allow_module_level=True)

pytestmark = pytest.mark.browser

SIZES = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
    # 200 % zoom of a 1280 x 800 screen: the layout gets half the CSS pixels.
    "zoom": {"width": 640, "height": 400},
}
VIEWS = [("desktop", "th"), ("phone", "th"), ("zoom", "th"), ("desktop", "en")]
VIEW_IDS = [f"{size}-{lang}" for size, lang in VIEWS]
LANG_KEY = "foodmatch.lang"
# The pages stay still while axe reads them (the tests of the pages' refresh are elsewhere).
STILL_MS = 600_000

SWAGGER_UI_KNOWN: Known = (("nested-interactive", ".opblock-summary-control"),)
"""Swagger UI (vendored, unmodified) puts each operation's path link inside the button that
opens it (swagger-api/swagger-ui#9570, open upstream); the rest of /docs must pass."""

OUT_OF_REACH = """() => {
    const width = document.documentElement.clientWidth;
    const controls = document.querySelectorAll(
        "a[href], button, input, select, textarea, summary, [tabindex='0']");
    return [...controls].filter(el => el.getClientRects().length
            && !el.closest(".scroll, .leaflet-container, .skip"))
        .map(el => [el, el.getBoundingClientRect()])
        .filter(([el, box]) => box.width > 0 && (box.left < -1 || box.right > width + 1))
        .map(([el, box]) => (el.id ? "#" + el.id : el.tagName.toLowerCase())
            + " " + Math.round(box.left) + ".." + Math.round(box.right));
}"""


@dataclass(frozen=True)
class Market:
    """The demo, and who and what the pages are looked at with."""

    demo: Demo
    kitchen: str
    kitchen_key: str
    group: str
    group_key: str
    order: str
    """An order of the kitchen."""
    other_order: str
    """An order of another kitchen."""
    group_contract: str
    other_contract: str
    """A contract of another group."""
    delivery: tuple[str, str, int]
    """An accepted contract of the kitchen, the date and quantity of one of its deliveries."""


def accepted_delivery(demo: Demo, kitchen: str, group: str) -> tuple[str, str, int]:
    """A contract of ``kitchen`` with a delivery to come: accepted (by the coordinator for its
    group) when none is yet, leaving ``group``'s own proposals alone where it can."""
    contracts: list[Json] = demo.get("/contracts", buyer_id=kitchen, limit=1000)
    for c in contracts:
        coming = [d for d in c["deliveries"] if d["state"] == "scheduled" and d["quantity"] >= 2]
        if c["state"] == "accepted" and coming:
            return str(c["id"]), str(coming[0]["date"]), int(coming[0]["quantity"])
    proposed = [c for c in contracts if c["state"] == "proposed"]
    chosen = next((c for c in proposed if c["group_id"] != group), proposed[0])
    answer = demo.http.post(
        f"/api/v1/contracts/{chosen['id']}/accept", json={"actor": f"group:{chosen['group_id']}"}
    )
    assert answer.status_code == 200, answer.text
    line = chosen["deliveries"][0]
    return str(chosen["id"]), str(line["date"]), int(line["quantity"])


def make_market(demo: Demo) -> Market:
    contracts: list[Json] = demo.get("/contracts", limit=1000)
    proposed = [c for c in contracts if c["state"] == "proposed"]
    group = str(Counter(c["group_id"] for c in proposed).most_common(1)[0][0])
    kitchen = str(Counter(c["buyer_id"] for c in contracts).most_common(1)[0][0])
    orders: list[Json] = demo.get("/orders", limit=1000)
    return Market(
        demo=demo,
        kitchen=kitchen,
        kitchen_key=participant_key(demo, "kitchen", kitchen),
        group=group,
        group_key=participant_key(demo, "group", group),
        order=next(str(o["id"]) for o in orders if o["buyer_id"] == kitchen),
        other_order=next(str(o["id"]) for o in orders if o["buyer_id"] != kitchen),
        group_contract=next(str(c["id"]) for c in contracts if c["group_id"] == group),
        other_contract=next(str(c["id"]) for c in contracts if c["group_id"] != group),
        delivery=accepted_delivery(demo, kitchen, group),
    )


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    """The demo with ``--no-group-answers``: proposals wait for the groups, so the group's
    proposals page has cards to answer."""
    folder = tmp_path_factory.mktemp("accessibility")
    with running_demo(folder, "--no-group-answers") as (demo, process):
        proposals_waiting(demo, process)
        yield make_market(demo)


@contextmanager
def tab(
    browser: Any, market: Market, view: tuple[str, str], *, token: str = "", path: str = "/"
) -> Iterator[Portal]:
    """A watched tab (no other host asked, no error but the refusals the test provokes) of the
    view's size holding ``token``, showing the pages in the view's language."""
    size, lang = view

    def make(page: Any) -> Portal:
        return Portal(page=page, base=market.demo.base, path=path)

    with watched_tab(browser, SIZES[size], token, make) as opened:
        context = opened.page.context
        context.add_init_script(f"window.FOODMATCH_REFRESH_MS = {STILL_MS};")
        context.add_init_script(
            f"localStorage.setItem({json.dumps(LANG_KEY)}, {json.dumps(lang)});"
        )
        yield opened


def check(
    opened: Portal, view: tuple[str, str], where: str, *, lang: str = "", known: Known = ()
) -> None:
    """The page as it is now: axe (but the ``known`` violations), labelled fields, its language,
    no sideways scroll and every control within the screen's width."""
    page = opened.page
    size, shown = view
    label = f"{where} ({size}, {shown})"
    assert_accessible(page, label, known=known)
    expect(page.locator("html")).to_have_attribute("lang", lang or shown)
    width = SIZES[size]["width"]
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{label}: the page is {scrolled} px wide on a {width} px screen"
    outside: list[str] = page.evaluate(OUT_OF_REACH)
    assert outside == [], f"{label}: controls off the screen: {outside}"


def check_routes(opened: Portal, view: tuple[str, str], routes: list[str]) -> None:
    for route in routes:
        opened.open(route)
        check(opened, view, f"{opened.path}{route}")


@pytest.fixture(params=VIEWS, ids=VIEW_IDS)
def view(request: pytest.FixtureRequest) -> tuple[str, str]:
    """A screen size and the language the pages are shown in."""
    chosen: tuple[str, str] = request.param
    return chosen


# --- every route of the dashboard and of the two portals -----------------------------------


def test_every_dashboard_page(browser: Any, market: Market, view: tuple[str, str]) -> None:
    routes = ["#/", "#/map", "#/fill", "#/unmet", "#/groups", "#/kitchens", "#/planning"]
    routes += [f"#/kitchen/{market.kitchen}", f"#/group/{market.group}", "#/no-such-page"]
    with tab(browser, market, view, token=market.demo.token) as opened:
        check_routes(opened, view, routes)


def test_every_kitchen_portal_page(browser: Any, market: Market, view: tuple[str, str]) -> None:
    routes = [
        "#/",
        f"#/order/{market.order}",
        "#/new",
        "#/contracts",
        "#/days-off",
        "#/no-such-page",
    ]
    with tab(browser, market, view, token=market.kitchen_key, path="/kitchen/") as opened:
        check_routes(opened, view, routes)


def test_every_group_portal_page(browser: Any, market: Market, view: tuple[str, str]) -> None:
    routes = ["#/", "#/supply", "#/deliveries", "#/contracts", "#/certificates"]
    routes.append(f"#/contract/{market.group_contract}")
    with tab(browser, market, view, token=market.group_key, path="/group/") as opened:
        check_routes(opened, view, routes)


def test_every_bank_page(browser: Any, market: Market, view: tuple[str, str]) -> None:
    """The bank's page: the consented groups, one group's revenue, a group that has not
    consented (403), and the key panel."""
    consent = market.demo.http.put(f"/api/v1/groups/{market.group}/bank-consent", json={})
    assert consent.status_code == 200, consent.text
    other = market.demo.get(f"/contracts/{market.other_contract}")["group_id"]
    with tab(browser, market, view, token=bank_key(market.demo), path="/bank/") as opened:
        check_routes(opened, view, ["#/", f"#/group/{market.group}", "#/no-such-page"])
        opened.refusals.add(403)
        opened.open(f"#/group/{other}")
        expect(opened.page.get_by_test_id("bk-no-consent")).to_be_visible()
        check(opened, view, "/bank/ a group without consent")
    with tab(browser, market, view, path="/bank/") as opened:
        opened.refusals.add(401)
        opened.page.goto(market.demo.base + "/bank/")
        expect(opened.page.get_by_test_id("key-panel")).to_be_visible()
        check(opened, view, "/bank/ key panel")


# --- the forms, open and showing their messages --------------------------------------------


def shown_errors(opened: Portal, selector: str) -> None:
    """Waits until at least one of the form's error messages is shown."""
    expect(opened.page.locator(f"{selector}:not([hidden])").first).to_be_visible()


def test_the_new_order_form_with_its_messages(
    browser: Any, market: Market, view: tuple[str, str]
) -> None:
    with tab(browser, market, view, token=market.kitchen_key, path="/kitchen/") as opened:
        opened.refusals.add(422)  # the API's answer to the wrong quantity, shown by the page
        opened.open("#/new")
        page = opened.page
        assert visible_fields(page) >= 8
        page.get_by_test_id("kp-send").click()  # nothing filled in: the page names what is missing
        shown_errors(opened, "#kp-form .field-error")
        check(opened, view, "/kitchen/#/new, empty, sent")
        page.get_by_test_id("kp-crop").fill("kale")
        page.get_by_test_id("kp-quantity").fill("0")
        page.get_by_test_id("kp-send").click()
        expect(page.get_by_test_id("error-quantity")).to_be_visible()
        expect(page.get_by_test_id("kp-quantity")).to_have_attribute("aria-invalid", "true")
        check(opened, view, "/kitchen/#/new, quantity refused")


def test_the_confirm_and_cancel_forms_with_their_messages(
    browser: Any, market: Market, view: tuple[str, str]
) -> None:
    contract, day, quantity = market.delivery
    order = market.demo.get(f"/contracts/{contract}")["order_id"]
    with tab(browser, market, view, token=market.kitchen_key, path="/kitchen/") as opened:
        opened.refusals.add(422)
        page = opened.page
        page.clock.set_fixed_time(f"{day}T10:00:00")  # the day of the delivery
        opened.open(f"#/order/{order}")
        expect(page.get_by_test_id("kp-confirm")).to_be_visible()
        page.get_by_test_id("kp-confirm-which").select_option(f"{contract}|{day}")
        page.get_by_test_id("kp-confirm-refused").fill("1")
        page.get_by_test_id("kp-confirm-refusal_reason").select_option("other")
        expect(page.get_by_test_id("kp-confirm-refusal_note")).to_be_visible()
        check(opened, view, "/kitchen/ confirm form, all fields open")
        page.get_by_test_id("kp-confirm-received").fill(str(quantity + 5))
        page.get_by_test_id("kp-confirm-send").click()
        expect(page.get_by_test_id("error-received")).to_be_visible()
        page.get_by_test_id("kp-cancel-send").click()
        expect(page.get_by_test_id("error-reason")).to_be_visible()
        check(opened, view, "/kitchen/ confirm and cancel forms with their messages")


def test_the_supply_form_and_the_proposals_answers(
    browser: Any, market: Market, view: tuple[str, str]
) -> None:
    with tab(browser, market, view, token=market.group_key, path="/group/") as opened:
        opened.refusals.add(422)
        page = opened.page
        opened.open("#/supply")
        page.get_by_test_id("announce").click()  # nothing chosen: the page says what is missing
        shown_errors(opened, "#supply-form .gp-error")
        check(opened, view, "/group/#/supply, empty, sent")
        form = page.get_by_test_id("supply-form")
        form.locator("#sp-crop").select_option(index=1)
        form.locator("#sp-quantity").fill("50")
        form.locator("#sp-price").fill("-4")
        form.get_by_test_id("announce").click()
        expect(page.get_by_test_id("error-price")).to_be_visible()
        check(opened, view, "/group/#/supply, price refused")
        page.locator("#sp-price").fill("18.50")
        page.get_by_test_id("announce").click()
        expect(page.get_by_test_id("toast")).to_be_visible()
        page.get_by_test_id("withdraw").first.click()  # the announcement's two-tap withdrawal
        expect(page.get_by_test_id("withdraw-confirm")).to_be_visible()
        check(opened, view, "/group/#/supply, announced, being withdrawn")
        opened.open("#/")
        page.get_by_test_id("reject").first.click()
        expect(page.get_by_test_id("reasons").first).to_be_visible()
        check(opened, view, "/group/#/, the reasons to decline")


# --- keys, refusals and sign-in links ------------------------------------------------------


def wrong_key(opened: Portal, where: str, view: tuple[str, str]) -> None:
    """The key panel as first shown, then with the refusal of a wrong key."""
    page = opened.page
    expect(page.get_by_test_id("key-panel")).to_be_visible()
    check(opened, view, f"{where} key panel")
    page.locator("#key-input").fill("fm_0000000000000000_" + "x" * 43)
    page.locator("#key-form [type=submit]").click()
    expect(page.get_by_test_id("key-error")).to_be_visible()
    check(opened, view, f"{where} key panel, key refused")


@pytest.mark.parametrize("path", ["/", "/kitchen/"])
def test_the_key_panels(browser: Any, market: Market, view: tuple[str, str], path: str) -> None:
    with tab(browser, market, view, path=path) as opened:
        opened.refusals.add(401)
        opened.page.goto(market.demo.base + path)
        wrong_key(opened, path, view)


def test_the_group_key_panel(browser: Any, market: Market, view: tuple[str, str]) -> None:
    with tab(browser, market, view, path="/group/") as opened:
        opened.refusals.add(401)
        opened.page.goto(market.demo.base + "/group/")
        expect(opened.page.get_by_test_id("key-panel")).to_be_visible()
        assert visible_fields(opened.page) >= 1
        check(opened, view, "/group/ key panel")


def test_the_refusals(browser: Any, market: Market, view: tuple[str, str]) -> None:
    with tab(browser, market, view, token=market.demo.token, path="/kitchen/") as opened:
        opened.refusals.add(403)  # a coordinator on the kitchens' pages
        opened.page.goto(market.demo.base + "/kitchen/")
        expect(opened.page.get_by_test_id("kp-not-kitchen")).to_be_visible()
        check(opened, view, "/kitchen/ for a coordinator")
    with tab(browser, market, view, token=market.kitchen_key, path="/kitchen/") as opened:
        opened.refusals.add(403)
        opened.open(f"#/order/{market.other_order}")
        expect(opened.page.get_by_test_id("kp-order-forbidden")).to_be_visible()
        check(opened, view, "/kitchen/ another kitchen's order")
    with tab(browser, market, view, token=market.group_key, path="/group/") as opened:
        opened.refusals.add(403)
        opened.open(f"#/contract/{market.other_contract}")
        expect(opened.page.get_by_test_id("refused")).to_be_visible()
        check(opened, view, "/group/ another group's contract")


def sign_in_link(market: Market, participant: str, role: str) -> str:
    made = market.demo.http.post(
        "/api/v1/sign-in-links", json={"participant_id": participant, "role": role}
    )
    assert made.status_code == 201, made.text
    link: str = made.json()["link"]
    return link


def test_the_sign_in_pages(browser: Any, market: Market, view: tuple[str, str]) -> None:
    """A good link's page with its button, and the portal it signs in to; a used, an unknown
    and an expired link's pages saying so. These pages are in Thai then English: their
    document's language is Thai whichever the portal shows."""
    link = sign_in_link(market, market.kitchen, "kitchen")
    with tab(browser, market, view, path="/kitchen/") as opened:
        page = opened.page
        answer = page.goto(link)
        assert answer is not None
        assert answer.status == 200
        check(opened, view, "/signin/ (good)", lang="th")
        page.get_by_test_id("sign-in-th").click()
        opened.wait_loaded("#/")
        check(opened, view, "/signin/ (good) -> /kitchen/")
    with tab(browser, market, view) as opened:
        opened.refusals |= {404, 410}
        page = opened.page
        answer = page.goto(link)  # used before, in another browser
        assert answer is not None
        assert answer.status == 410
        check(opened, view, "/signin/ (used)", lang="th")
        answer = page.goto(market.demo.base + "/signin/" + "A" * 43)
        assert answer is not None
        assert answer.status == 404
        check(opened, view, "/signin/ (unknown)", lang="th")
        # An expired link's page is the same page with other words (the demo's links last days).
        page.set_content(refusal_page(LinkState.EXPIRED))
        check(opened, view, "/signin/ (expired)", lang="th")


def test_a_contract_document(browser: Any, market: Market, view: tuple[str, str]) -> None:
    contract = market.delivery[0]
    _, lang = view
    with tab(browser, market, view) as opened:
        opened.page.context.set_extra_http_headers(
            {"Authorization": f"Bearer {market.kitchen_key}"}
        )
        answer = opened.page.goto(
            f"{market.demo.base}/api/v1/contracts/{contract}/document?lang={lang}"
        )
        assert answer is not None
        assert answer.status == 200
        check(opened, view, "the contract's document")


def test_the_api_docs_page(browser: Any, market: Market, view: tuple[str, str]) -> None:
    with tab(browser, market, view) as opened:
        opened.page.goto(market.demo.base + "/docs")
        expect(opened.page.locator(".opblock").first).to_be_visible()
        check(opened, view, "/docs", lang="en", known=SWAGGER_UI_KNOWN)
