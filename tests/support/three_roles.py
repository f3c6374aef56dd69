"""One market, three roles, one browser: the whole round trip a kitchen and a farmer group make
through their own pages, run on either engine.

A coordinator (over the API) sets up a small market in Songkhla and invites a hospital kitchen;
the kitchen signs in through the link the SMTP server received, orders with one field wrong
(and is told so in Thai next to it), corrects it and sends it; the coordinator runs a round and
invites the farmer group the round proposed to; the group signs in on a phone from its e-mail,
sees the proposal and accepts it; the kitchen sees it accepted and confirms the first delivery,
sending part of it back with a reason; the group sees what came back and why. On the way each
role is shown the other's pages as not its own, another participant's data is refused (403),
and a change without the session's CSRF token is refused. Screenshots of each step are kept
(``FOODMATCH_SCREENSHOT_DIR``, by default ``.foodmatch/screenshots/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from playwright.sync_api import expect

from matcher.domain.weeks import iso_week
from tests.support.browser import Demo, Json, Portal, portal_tab, wait_for
from tests.support.labels import load_catalogue
from tests.support.market import buyer_body, certificate_body, group_body, supply_body
from tests.support.notify import Mailbox

LABELS = load_catalogue()
LINK = re.compile(r"https?://[^\s<>\"]+/signin/[A-Za-z0-9_-]+")

KITCHEN = "hosp-songkhla"
OTHER_KITCHEN = "hosp-ranot"
GROUP = "grp-hatyai"
OTHER_GROUP = "grp-sadao"
KITCHEN_MAIL = "nutrition@songkhla-hospital.test"
GROUP_MAIL = "leader@hatyai-coop.test"


def th(key: str) -> str:
    return LABELS[key]["th"]


def lead(key: str) -> str:
    """The words of a Thai label before its first placeholder."""
    return th(key).split("{")[0].strip()


def next_monday(weeks_ahead: int) -> date:
    today = date.today()
    return today + timedelta(days=7 * weeks_ahead - today.weekday())


@dataclass
class Coordinator:
    """The coordinator's side, over the API with a coordinator's key."""

    http: httpx.Client

    def call(self, method: str, path: str, body: Json | None = None) -> Any:
        answer = self.http.request(method, "/api/v1" + path, json=body)
        assert answer.status_code in (200, 201), (method, path, answer.status_code, answer.text)
        return answer.json()

    def set_up(self, days: list[date]) -> None:
        """Two groups (one with kale for the kitchen's weeks), two kitchens (the other with an
        order of its own), and e-mail contacts for the kitchen and the first group."""
        self.call("POST", "/groups", group_body(GROUP))
        self.call("POST", "/certificates", certificate_body("cert-hatyai", GROUP))
        sadao = {"name_th": "กลุ่มเกษตรกรสะเดา", "name_en": "Sadao Farmers", "district": "9009"}
        self.call("POST", "/groups", group_body(OTHER_GROUP, **sadao))
        weeks = {iso_week(d): 200 for d in days}
        self.call("POST", "/supply", supply_body("sup-kale-hatyai", GROUP, weeks=weeks))
        self.call("POST", "/buyers", buyer_body(KITCHEN))
        ranot = {"name_th": "โรงพยาบาลระโนด", "name_en": "Ranot Hospital", "district": "9003"}
        self.call("POST", "/buyers", buyer_body(OTHER_KITCHEN, **ranot))
        other_order = {
            "id": "ord-ranot", "buyer_id": OTHER_KITCHEN, "crop_id": "kale", "quantity": 10,
            "deliveries": [days[0].isoformat()], "min_tier": "SAFE",
        }  # fmt: skip
        self.call("POST", "/orders", other_order)
        for plural, who, mail in (("buyers", KITCHEN, KITCHEN_MAIL), ("groups", GROUP, GROUP_MAIL)):
            contact = {"email": mail, "language": "th", "channels": ["email"]}
            self.call("PUT", f"/{plural}/{who}/contacts", contact)

    def invite(self, participant: str, role: str) -> None:
        made = self.call(
            "POST", "/sign-in-links", {"participant_id": participant, "role": role, "send": True}
        )
        assert made["queued_notifications"], made


def link_sent_to(mailbox: Mailbox, address: str) -> str:
    """The sign-in link in the newest e-mail the SMTP server received for ``address``."""

    def found() -> str | None:
        for message in reversed(mailbox.messages):
            if str(message["To"]) == address and (link := LINK.search(text_of(message))):
                return link.group(0)
        return None

    link: str = wait_for(found, 30, f"a sign-in link e-mailed to {address}", pause=0.2)
    return link


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    return str(body.get_content()) if body is not None else str(message.get_content())


def api_status(tab: Portal, method: str, path: str, *, csrf: bool = True) -> int:
    """The status of a call the page's own session makes (with its CSRF token unless told)."""
    status: int = tab.page.evaluate(
        """async ([method, path, csrf]) => {
             const me = await (await fetch('/api/v1/session')).json();
             const headers = {'Content-Type': 'application/json'};
             if (csrf) { headers['X-CSRF-Token'] = me.csrf_token; }
             const init = {method, headers};
             if (method !== 'GET') { init.body = '{}'; }
             return (await fetch(path, init)).status;
           }""",
        [method, path, csrf],
    )
    return status


def kitchen_orders(tab: Portal, days: list[date], engine: str) -> str:
    """The kitchen orders kale for two Mondays: first with a quantity of 0, which the page names
    in Thai next to the field, then with 20 kg; returns the new order's id."""
    tab.refusals.add(422)
    tab.open("#/new")
    page = tab.page
    page.get_by_test_id("kp-crop").fill("คะน้า")
    page.get_by_test_id("kp-quantity").fill("0")
    page.get_by_test_id("kp-start").fill(days[0].isoformat())
    page.get_by_test_id("kp-end").fill(days[-1].isoformat())
    page.get_by_test_id("kp-price").fill("40")
    page.get_by_test_id("kp-distance").fill("80")
    expect(page.get_by_test_id("kp-preview-summary")).to_have_attribute(
        "data-count", str(len(days))
    )
    page.get_by_test_id("kp-send").click()
    error = page.get_by_test_id("error-quantity")
    expect(error).to_have_text(th("kp_err_quantity_positive"))
    expect(page.get_by_test_id("kp-quantity")).to_have_attribute("aria-invalid", "true")
    tab.shoot(f"three-roles-{engine}-1-kitchen-order-error-1280")
    page.get_by_test_id("kp-quantity").fill("20")
    page.get_by_test_id("kp-send").click()
    tab.wait_loaded("#/")
    expect(page.get_by_test_id("kp-flash")).to_be_visible()
    card = page.locator(".order-card").filter(has_text="คะน้า")
    expect(card).to_have_count(1)
    return str(card.get_attribute("data-order"))


def group_accepts(tab: Portal, contract_id: str, engine: str) -> None:
    tab.open("#/")
    card = tab.page.locator(f'[data-testid=proposal][data-contract="{contract_id}"]')
    expect(card).to_be_visible()
    expect(card.get_by_test_id("buyer")).to_have_text("โรงพยาบาลสงขลา")
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
    tab.shoot(f"three-roles-{engine}-3-group-proposal-390")
    card.get_by_test_id("accept").click()
    expect(tab.page.get_by_test_id("toast")).to_contain_text(lead("gp_accepted"))
    expect(card).to_have_count(0)


def kitchen_confirms(tab: Portal, order_id: str, contract: Json, engine: str) -> Json:
    """On the day of the first delivery (the page's clock set to it) the kitchen keeps all but
    5 kg and sends 5 kg back because the residue test failed; returns the delivery."""
    line = contract["deliveries"][0]
    tab.page.clock.set_fixed_time(f"{line['date']}T10:00:00")
    tab.open(f"#/order/{order_id}")
    page = tab.page
    row = page.locator(f'[data-testid="kp-deliveries"] tr[data-date="{line["date"]}"]')
    expect(row).to_have_attribute("data-state", "accepted")
    page.get_by_test_id("kp-confirm-which").select_option(f"{contract['id']}|{line['date']}")
    page.get_by_test_id("kp-confirm-received").fill(str(line["quantity"] - 5))
    page.get_by_test_id("kp-confirm-refused").fill("5")
    page.get_by_test_id("kp-confirm-refusal_reason").select_option("residue_test_failed")
    page.get_by_test_id("kp-confirm-send").click()
    expect(page.get_by_test_id("kp-flash")).to_be_visible()
    part = row.locator(f'li[data-contract="{contract["id"]}"]')
    expect(part).to_contain_text(th("kp_d_delivered"))
    expect(part.locator(".short")).to_contain_text(th("refusal_residue_test_failed"))
    tab.shoot(f"three-roles-{engine}-4-kitchen-confirmed-1280")
    done: Json = line
    return done


def group_sees_refusal(tab: Portal, contract_id: str, day: str, engine: str) -> None:
    tab.open(f"#/contract/{contract_id}")
    item = tab.page.locator(f'[data-testid=contract-delivery][data-date="{day}"]')
    sent_back = item.get_by_test_id("sent-back")
    expect(sent_back).to_have_attribute("data-reason", "residue_test_failed")
    expect(sent_back).to_contain_text(th("refusal_residue_test_failed"))
    tab.shoot(f"three-roles-{engine}-5-group-sent-back-390")


def each_role_keeps_to_its_own(
    kitchen: Portal, group: Portal, order_id: str, contract_id: str
) -> None:
    """The other role's pages say they are not for this participant; another participant's data
    and the other role's actions are 403; a change without the CSRF token is 403."""
    assert api_status(kitchen, "GET", "/api/v1/orders/ord-ranot") == 403
    assert api_status(kitchen, "POST", f"/api/v1/contracts/{contract_id}/accept") == 403
    assert api_status(kitchen, "GET", f"/api/v1/groups/{GROUP}/contacts") == 403
    assert api_status(kitchen, "POST", f"/api/v1/orders/{order_id}/cancel", csrf=False) == 403
    assert api_status(group, "GET", f"/api/v1/orders/{order_id}") == 403
    assert api_status(group, "GET", f"/api/v1/buyers/{KITCHEN}/contacts") == 403
    assert api_status(group, "GET", f"/api/v1/groups/{OTHER_GROUP}/contacts") == 403
    assert api_status(group, "POST", f"/api/v1/contracts/{contract_id}/reject", csrf=False) == 403
    kitchen.page.goto(f"{kitchen.base}/group/")
    expect(kitchen.page.get_by_test_id("problem")).to_have_text(th("gp_not_a_group"))
    group.page.goto(f"{group.base}/kitchen/")
    expect(group.page.get_by_test_id("kp-not-kitchen")).to_have_text(th("kp_not_kitchen"))


def three_roles(browser: Any, site: Demo, mailbox: Mailbox, engine: str) -> None:
    """The round trip (see the module's text) on the market served at ``site.base``; the
    screenshots' names carry ``engine``."""
    coordinator = Coordinator(site.http)
    days = [next_monday(2), next_monday(3)]
    coordinator.set_up(days)
    coordinator.invite(KITCHEN, "kitchen")
    with (
        portal_tab(browser, site, "", path="/kitchen/", size="desktop") as kitchen,
        portal_tab(browser, site, "", path="/group/", size="phone") as group,
    ):
        kitchen.refusals |= {403}
        group.refusals |= {403}
        kitchen.sign_in(link_sent_to(mailbox, KITCHEN_MAIL))
        expect(kitchen.page.get_by_test_id("kp-kitchen")).to_have_text("โรงพยาบาลสงขลา")
        order_id = kitchen_orders(kitchen, days, engine)

        coordinator.call("POST", "/rounds", {})
        [contract] = wait_for(
            lambda: coordinator.call("GET", f"/contracts?order_id={order_id}"), 30, "a contract"
        )
        assert contract["group_id"] == GROUP
        assert [d["date"] for d in contract["deliveries"]] == [d.isoformat() for d in days]
        kitchen.open(f"#/order/{order_id}")
        row = kitchen.page.locator(f'[data-testid="kp-deliveries"] tr[data-date="{days[0]}"]')
        expect(row).to_have_attribute("data-state", "proposed")
        kitchen.shoot(f"three-roles-{engine}-2-kitchen-proposed-1280")

        coordinator.invite(GROUP, "group")
        group.sign_in(link_sent_to(mailbox, GROUP_MAIL))
        group_accepts(group, contract["id"], engine)
        accepted = coordinator.call("GET", f"/contracts/{contract['id']}")
        assert accepted["state"] == "accepted"

        line = kitchen_confirms(kitchen, order_id, contract, engine)
        stored = coordinator.call("GET", f"/contracts/{contract['id']}")
        first = stored["deliveries"][0]
        assert (first["state"], first["received"], first["refused"]) == (
            "delivered", line["quantity"] - 5, 5,
        )  # fmt: skip
        assert first["refusal_reason"] == "residue_test_failed"
        group_sees_refusal(group, contract["id"], line["date"], engine)
        each_role_keeps_to_its_own(kitchen, group, order_id, contract["id"])
