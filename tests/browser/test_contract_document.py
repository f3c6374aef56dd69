"""The Thai contract document in Chromium, at a phone's width and at A4's: it reads in Thai,
nothing scrolls sideways on the phone, and it prints on A4 pages. The screenshots are the ones
the docs show (``docs/images/contract-th-*.png``, copied from the screenshot folder)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from matcher.documents import contract_html
from matcher.domain.contracts import Contract, ContractDelivery, ContractState, HistoryEntry
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    Crop,
    FarmerGroup,
    ForwardOrder,
    GroupKind,
    Location,
    Registry,
    Unit,
)
from matcher.domain.standards import Scheme, Tier
from matcher.reference import load_districts, load_standards
from tests.support.browser import launched_chromium, screenshot_dir

DAYS = (date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22), date(2026, 12, 29))
GROUP = FarmerGroup(
    id="grp-009",
    name_th="วิสาหกิจชุมชนไข่ไก่อารมณ์ดีควนเนียง",
    name_en="Khuan Niang Happy Hens Community Enterprise",
    location=Location(7.1683, 100.3985),
    members=18,
    kind=GroupKind.COMMUNITY_ENTERPRISE,
    district="9013",
    registry=Registry(
        subdistrict="ควนโส",
        farm_area_rai=26.0,
        contact_name="นางวันเพ็ญ ศรีสุข",
        contact_position="ประธานวิสาหกิจชุมชน",
        registration_no="4-90-13-03/1-0009",
        source_agency="สำนักงานเกษตรจังหวัดสงขลา (ทะเบียนวิสาหกิจชุมชน)",
        source_date=date(2026, 10, 9),
    ),
)
BUYER = Buyer(
    id="hosp-singhanakhon",
    name_th="โรงพยาบาลสิงหนคร",
    name_en="Singhanakhon Hospital",
    kind=BuyerKind.HOSPITAL,
    location=Location(7.2386, 100.5531),
    district="9015",
    registry=Registry(
        contact_name="นายประเสริฐ หนูแก้ว",
        contact_position="หัวหน้ากลุ่มงานโภชนศาสตร์",
        tax_id="0994000165501",
        source_agency="สำนักงานสาธารณสุขจังหวัดสงขลา",
        source_date=date(2026, 10, 2),
    ),
)
EGGS = Crop(id="eggs", name_th="ไข่ไก่", name_en="Hen eggs", unit=Unit.PIECE, group="egg")
CERT = Certificate(
    id="cert-0058",
    group_id=GROUP.id,
    scheme=Scheme.LIVESTOCK_GAP,
    valid_from=date(2024, 11, 13),
    valid_until=date(2027, 11, 12),
    crops=frozenset({"eggs"}),
    certifier="Department of Livestock Development",
)
CONTRACT = Contract(
    id="ctr-00042",
    round_id="rnd-0007",
    order_id="ord-00131",
    buyer_id=BUYER.id,
    group_id=GROUP.id,
    supply_id="sup-00077",
    crop_id="eggs",
    scheme=Scheme.LIVESTOCK_GAP,
    min_tier=Tier.SAFE,
    unit_price=350,
    deliveries=tuple(
        ContractDelivery(
            day=d, week=f"2026-W{d.isocalendar()[1]:02d}", quantity=900, distance_km=71.2
        )
        for d in DAYS
    ),
    pricing_policy="midpoint",
    reason="matched in a clearing round",
    state=ContractState.ACCEPTED,
    created_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
    history=(
        HistoryEntry(
            at=datetime(2026, 12, 1, 10, 12, tzinfo=UTC),
            actor=f"group:{GROUP.id}",
            action="accept",
            from_state="proposed",
            to_state="accepted",
        ),
    ),
)
ORDER = ForwardOrder(
    id="ord-00131",
    buyer_id=BUYER.id,
    crop_id="eggs",
    quantity=900,
    deliveries=DAYS,
    purchase_order_no="e-GP 69127000431",
)
SIZES = {"phone": {"width": 390, "height": 844}, "a4": {"width": 794, "height": 1123}}
"""A phone, and an A4 sheet at 96 dpi (210 mm)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


def page_html() -> str:
    return contract_html(
        CONTRACT,
        group=GROUP,
        buyer=BUYER,
        crop=EGGS,
        certificates=[CERT],
        lang="th",
        standards=load_standards(),
        order=ORDER,
        districts={d.code: (d.name_th, d.name_en) for d in load_districts()},
    )


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_thai_contract_at_phone_and_a4_width(browser: Any, size: str) -> None:
    context = browser.new_context(viewport=SIZES[size], locale="th-TH")
    try:
        page = context.new_page()
        page.set_content(page_html())

        assert page.locator("html").get_attribute("lang") == "th"
        assert page.locator("h1").inner_text().startswith("บันทึกข้อตกลงซื้อขายผลผลิตล่วงหน้า")
        body = page.locator("main").inner_text()
        for text in (
            "8 ธันวาคม 2569",
            "1 ธันวาคม 2569 เวลา 15.00 น.",
            "หนึ่งหมื่นสองพันหกร้อยบาทถ้วน",  # 3,600 eggs at 3.50 baht
            "ฟอง",
            "มกษ. 6909",
            "กรมปศุสัตว์",
            "e-GP 69127000431",
            "4-90-13-03/1-0009",
            "พยาน",
        ):
            assert text in body, text
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], "the page scrolls sideways"
        page.screenshot(path=str(screenshot_dir() / f"contract-th-{size}.png"), full_page=True)
    finally:
        context.close()
