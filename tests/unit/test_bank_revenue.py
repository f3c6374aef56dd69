"""The bank's figures: a group's contracted, delivered and refused value by month, the buyers
behind it, and who may read it (consents)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from matcher.auth import Principal, Role, new_key, principal_of
from matcher.domain.contracts import Contract, ContractDelivery, ContractState, DeliveryState
from matcher.domain.errors import InvalidValue
from matcher.domain.model import Buyer, BuyerKind, FarmerGroup, Location
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week
from matcher.service.bank import (
    BankConsent,
    consented_groups,
    may_read,
    months_between,
    revenue_by_month,
    revenue_csv,
    revenue_view,
)

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HOSPITAL = Buyer("hosp-1", "โรงพยาบาลหาดใหญ่", "Hat Yai Hospital", BuyerKind.HOSPITAL,
                 Location(7.0, 100.47))  # fmt: skip
SCHOOL = Buyer("school-1", "โรงเรียนบ้านพรุ", "Ban Phru School", BuyerKind.SCHOOL,
               Location(6.95, 100.47))  # fmt: skip
GROUP = FarmerGroup("grp-1", "วิสาหกิจชุมชนผักปลอดภัยคลองแห", "Khlong Hae Safe Vegetables",
                    Location(7.03, 100.5), 20, district="9011")  # fmt: skip


def delivery(day: date, quantity: int, received: int | None = None, refused: int | None = None,
             state: DeliveryState = DeliveryState.SCHEDULED) -> ContractDelivery:  # fmt: skip
    if received is not None:
        state = DeliveryState.DELIVERED
    return ContractDelivery(day, iso_week(day), quantity, 10.0, state, received, refused)


def contract(
    cid: str,
    buyer: str,
    price: int,
    deliveries: tuple[ContractDelivery, ...],
    state: ContractState = ContractState.ACCEPTED,
    group: str = "grp-1",
) -> Contract:
    return Contract(
        id=cid, round_id="r-1", order_id=f"o-{cid}", buyer_id=buyer, group_id=group,
        supply_id="s-1", crop_id="kale", scheme=Scheme.THAI_GAP, min_tier=Tier.SAFE,
        unit_price=price, deliveries=deliveries, state=state,
    )  # fmt: skip


CONTRACTS = (
    # 35 THB a kilo to the hospital: December delivered with 10 refused, January scheduled
    contract("c-1", "hosp-1", 3500, (
        delivery(date(2026, 12, 14), 40, received=30, refused=10),
        delivery(date(2027, 1, 4), 40),
    ), ContractState.IN_DELIVERY),
    # 20 THB to the school in January; the February date was released (cancelled by the kitchen)
    contract("c-2", "school-1", 2000, (
        delivery(date(2027, 1, 11), 25),
        delivery(date(2027, 2, 1), 25, state=DeliveryState.RELEASED),
    )),
    # neither a proposal, nor a rejected contract, nor another group's counts
    contract("c-3", "hosp-1", 9900, (delivery(date(2027, 1, 4), 100),), ContractState.PROPOSED),
    contract("c-4", "hosp-1", 9900, (delivery(date(2027, 1, 4), 100),), ContractState.REJECTED),
    contract("c-5", "hosp-1", 9900, (delivery(date(2027, 1, 4), 100),), group="grp-2"),
)  # fmt: skip


def test_revenue_by_month_counts_contracted_delivered_and_refused_value() -> None:
    revenue = revenue_by_month("grp-1", CONTRACTS)

    assert revenue.months == ("2026-12", "2027-01")
    december, january = (revenue.figures[m] for m in revenue.months)
    assert (december.contracted, december.delivered, december.refused) == (140_000, 105_000, 35_000)
    assert (january.contracted, january.delivered, january.refused) == (190_000, 0, 0)
    assert december.buyers == {"hosp-1": 140_000}
    assert january.buyers == {"hosp-1": 140_000, "school-1": 50_000}


def test_the_view_has_thb_amounts_totals_and_the_buyers_largest_first() -> None:
    view = revenue_view(
        revenue_by_month("grp-1", CONTRACTS), GROUP, {b.id: b for b in (HOSPITAL, SCHOOL)}
    )

    assert view["months"] == [
        {"month": "2026-12", "contracted": "1400.00", "delivered": "1050.00", "refused": "350.00"},
        {"month": "2027-01", "contracted": "1900.00", "delivered": "0.00", "refused": "0.00"},
    ]
    assert view["total"] == {"contracted": "3300.00", "delivered": "1050.00", "refused": "350.00"}
    assert view["district"] == "9011"
    buyers = view["buyers"]
    assert isinstance(buyers, list)
    assert [(b["buyer_id"], b["kind"], b["contracted"]) for b in buyers] == [
        ("hosp-1", "hospital", "2800.00"),
        ("school-1", "school", "500.00"),
    ]
    assert buyers[1]["months"] == [
        {"month": "2026-12", "contracted": "0.00"},
        {"month": "2027-01", "contracted": "500.00"},
    ]


def test_asked_months_get_a_line_each_even_with_nothing_due() -> None:
    revenue = revenue_by_month("grp-1", CONTRACTS, months_between("2026-11", "2027-01"))

    assert revenue.months == ("2026-11", "2026-12", "2027-01")
    assert revenue.figures["2026-11"].contracted == 0
    assert revenue_by_month("grp-1", ()).months == ()


@pytest.mark.parametrize(
    ("first", "last"), [("2027-03", "2027-01"), ("2027-13", "2027-14"), ("2024-01", "2027-01")]
)
def test_a_bad_range_of_months_is_refused(first: str, last: str) -> None:
    with pytest.raises(InvalidValue):
        months_between(first, last)


def test_the_csv_has_a_line_per_month_and_per_buyer_and_month_with_thai_headers() -> None:
    revenue = revenue_by_month("grp-1", CONTRACTS)
    text = revenue_csv(revenue, {b.id: b for b in (HOSPITAL, SCHOOL)}, lang="th")

    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["เดือน", "รหัสผู้ซื้อ"]
    assert rows[1:] == [
        ["2026-12", "", "", "", "", "1400.00", "1050.00", "350.00"],
        ["2026-12", "hosp-1", "โรงพยาบาลหาดใหญ่", "Hat Yai Hospital", "hospital", "1400.00", "", ""],
        ["2027-01", "", "", "", "", "1900.00", "0.00", "0.00"],
        ["2027-01", "hosp-1", "โรงพยาบาลหาดใหญ่", "Hat Yai Hospital", "hospital", "1400.00", "", ""],
        ["2027-01", "school-1", "โรงเรียนบ้านพรุ", "Ban Phru School", "school", "500.00", "", ""],
    ]
    english = revenue_csv(revenue, {}, lang="en").splitlines()[0]
    assert english.startswith("month,buyer_id,")


def test_only_an_active_consent_to_this_bank_or_to_every_bank_lets_it_read() -> None:
    branch = Principal(Role.BANK, None, "k-1", "ธ.ก.ส. สาขาหาดใหญ่")
    consents = [
        BankConsent("grp-1", "baac", AT, "group:grp-1"),
        BankConsent("grp-2", "ธ.ก.ส. สาขาสะเดา", AT, "group:grp-2"),
        BankConsent("grp-3", "ธ.ก.ส. สาขาหาดใหญ่", AT, "coordinator:ops"),
        BankConsent("grp-4", "baac", AT, "group:grp-4", revoked_at=AT, revoked_by="group:grp-4"),
    ]

    assert consented_groups(consents, branch.name) == ["grp-1", "grp-3"]
    assert may_read(consents, "grp-3", branch)
    assert not may_read(consents, "grp-4", branch)
    assert not may_read(consents, "grp-1", Principal(Role.GROUP, "grp-1", "k-2"))
    assert may_read([], "grp-1", Principal(Role.COORDINATOR, None, "k-3", "ops"))


def test_a_bank_key_names_the_bank_and_no_participant() -> None:
    key, token = new_key(Role.BANK, None, " ธ.ก.ส. สาขาหาดใหญ่ ", AT)
    assert (key.role, key.participant_id, key.name) == (Role.BANK, None, "ธ.ก.ส. สาขาหาดใหญ่")
    assert token.startswith("fm_")
    assert principal_of(key).actor == "bank:ธ.ก.ส. สาขาหาดใหญ่"
    with pytest.raises(InvalidValue, match="names no participant"):
        new_key(Role.BANK, "grp-1", "ธ.ก.ส.", AT)
    with pytest.raises(InvalidValue, match="bank's name"):
        new_key(Role.BANK, None, "  ", AT)
