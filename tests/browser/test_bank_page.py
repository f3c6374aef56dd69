"""The bank's page at ``/bank/`` against a live demo, with a bank's API key: the bank sees the
groups that consented, in Thai first, and for one group its revenue by month in a table and a
bar chart with the CSV link; a group that has not consented is refused plainly (403); English is
one click away; nothing scrolls sideways on a 390 px phone, and no request leaves the server."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.browser import BANK_NAME, Demo, Portal, bank_key, participant_key, portal_tab
from tests.support.labels import load_catalogue

try:
    from playwright.sync_api import expect
except ImportError as missing:  # pragma: no cover - depends on the environment
    if os.environ.get("CI"):
        raise
    pytest.skip(f"the playwright package is not installed ({missing})", allow_module_level=True)

pytestmark = pytest.mark.browser

LABELS = load_catalogue()


class Bank:
    """The demo's group with the most contracts, consented to the bank by the coordinator, one
    group without consent, the bank's key and an HTTP client with it."""

    def __init__(self, demo: Demo) -> None:
        contracts = demo.get("/contracts", limit=1000)
        ranked = Counter(c["group_id"] for c in contracts).most_common()
        self.group = str(ranked[0][0])
        self.refused_group = str(ranked[-1][0])
        assert self.group != self.refused_group
        consent = demo.http.put(f"/api/v1/groups/{self.group}/bank-consent", json={})
        assert consent.status_code == 200, consent.text
        self.token = bank_key(demo)
        self.http = httpx.Client(
            base_url=demo.base + "/api/v1",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
        )

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response.json()


@pytest.fixture(scope="module")
def bank(demo: Demo) -> Iterator[Bank]:
    made = Bank(demo)
    try:
        yield made
    finally:
        made.http.close()


def no_sideways_scroll(tab: Portal, width: int) -> None:
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width + 1


@pytest.mark.parametrize(("size", "width"), [("desktop", 1280), ("phone", 390)])
def test_the_bank_sees_the_consented_groups_and_one_groups_revenue(
    browser: Any, demo: Demo, bank: Bank, size: str, width: int
) -> None:
    with portal_tab(browser, demo, bank.token, path="/bank/", size=size) as tab:
        tab.open("#/")
        page = tab.page
        expect(page.locator("html")).to_have_attribute("lang", "th")
        expect(page.get_by_test_id("bk-bank")).to_have_text(BANK_NAME)
        [group] = bank.get("/bank/groups")
        rows = page.get_by_test_id("bk-groups").locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(group["name_th"])
        no_sideways_scroll(tab, width)

        rows.first.locator("a").click()
        tab.wait_loaded(f"#/group/{bank.group}")
        revenue = bank.get(f"/bank/groups/{bank.group}/revenue")
        assert revenue["months"], "the demo's group has contracted deliveries"
        expect(page.get_by_test_id("bk-group-name")).to_contain_text(revenue["name_th"])
        expect(page.get_by_test_id("bk-months").locator("tbody tr")).to_have_count(
            len(revenue["months"])
        )
        expect(page.get_by_test_id("bk-buyers").locator("tbody tr")).to_have_count(
            len(revenue["buyers"])
        )
        expect(page.get_by_test_id("bk-chart")).to_be_visible()
        assert page.evaluate("!!Chart.getChart(document.getElementById('bk-chart'))")
        csv = page.get_by_test_id("bk-csv")
        expect(csv).to_have_text(LABELS["bk_csv"]["th"])
        href = str(csv.get_attribute("href"))
        assert href == f"/api/v1/bank/groups/{bank.group}/revenue.csv?lang=th"
        no_sideways_scroll(tab, width)
        tab.shoot(f"bank-revenue-{size}")

        page.get_by_test_id("lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(csv).to_have_text(LABELS["bk_csv"]["en"])
        assert str(csv.get_attribute("href")).endswith("?lang=en")


def test_a_group_that_has_not_consented_is_refused_plainly(
    browser: Any, demo: Demo, bank: Bank
) -> None:
    with portal_tab(browser, demo, bank.token, path="/bank/") as tab:
        tab.refusals = {403}
        tab.open(f"#/group/{bank.refused_group}")
        notice = tab.page.get_by_test_id("bk-no-consent")
        expect(notice).to_be_visible()
        expect(notice).to_have_text(LABELS["bk_no_consent"]["th"])
        expect(tab.page.get_by_test_id("bk-months")).to_be_hidden()


def test_a_group_gives_and_withdraws_its_consent_in_its_portal(
    browser: Any, demo: Demo, bank: Bank
) -> None:
    token = participant_key(demo, "group", bank.refused_group)
    revenue = f"/bank/groups/{bank.refused_group}/revenue"
    with portal_tab(browser, demo, token, path="/group/", size="phone") as tab:
        tab.open("#/contracts")
        page = tab.page
        state = page.get_by_test_id("gp-bank-state")
        toggle = page.get_by_test_id("gp-bank-toggle")
        expect(state).to_have_attribute("data-on", "false")
        expect(toggle).to_have_text(LABELS["gp_bank_grant"]["th"])
        assert bank.http.get(revenue).status_code == 403

        toggle.click()
        expect(state).to_have_attribute("data-on", "true")
        expect(page.get_by_test_id("toast")).to_have_text(LABELS["gp_bank_granted"]["th"])
        assert bank.http.get(revenue).status_code == 200
        no_sideways_scroll(tab, 390)

        toggle.click()
        expect(state).to_have_attribute("data-on", "false")
        expect(page.get_by_test_id("toast")).to_have_text(LABELS["gp_bank_revoked"]["th"])
        assert bank.http.get(revenue).status_code == 403
    audit = demo.get("/bank-consents", group_id=bank.refused_group)
    assert [(c["granted_by"], c["revoked_by"]) for c in audit] == [
        (f"group:{bank.refused_group}", f"group:{bank.refused_group}")
    ]
