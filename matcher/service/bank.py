"""The bank's view: which groups let the bank (ธ.ก.ส.) see their forward revenue, and that revenue.

A farmer group consents, or a coordinator on its behalf, to one bank: ``baac`` (every bank key)
or one bank key's name (``ธ.ก.ส. สาขาหาดใหญ่``). A consent is revoked, never deleted: the consent
rows, with who granted and revoked them and when, are the audit trail.

The revenue of a group by month (:func:`revenue_by_month`) is a pure function of its contracts
and the buyers behind them: ``contracted`` is the value of the deliveries due in the month of the
contracts the group accepted (accepted, in delivery, completed), delivered ones included and
released ones not; ``delivered`` is what the kitchens received and ``refused`` what they refused,
at the contract's unit price. Money is whole satang.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from matcher.auth import Principal, Role
from matcher.domain.contracts import Contract, ContractState, DeliveryState
from matcher.domain.errors import Conflict, InvalidValue, NotFound
from matcher.domain.model import Buyer, FarmerGroup, Satang, thb
from matcher.service.ports import UnitOfWork

ALL_BANKS = "baac"
"""The consent that lets every bank key (ธ.ก.ส., any branch) read the group's revenue."""
BANK_NAME_LENGTH = 200
MAX_MONTHS = 36
"""The longest span of months one revenue answer covers."""
BOUND_STATES = frozenset(
    {ContractState.ACCEPTED, ContractState.IN_DELIVERY, ContractState.COMPLETED}
)
"""The contracts whose deliveries are revenue the group can count on."""
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True)
class BankConsent:
    """A group's consent that ``bank`` reads its forward revenue; revoked when ``revoked_at``."""

    group_id: str
    bank: str
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    id: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def lets(self, bank_name: str) -> bool:
        """Whether this (active) consent lets the bank key named ``bank_name`` read."""
        return self.active and self.bank in (ALL_BANKS, bank_name)


class BankConsentStore(Protocol):
    """The consents, revoked ones included (they are the audit trail)."""

    def add(self, consent: BankConsent) -> BankConsent: ...

    def revoke(self, consent_id: int, at: datetime, by: str) -> None: ...

    def list(self, *, group_id: str | None = None, active: bool = False) -> Sequence[BankConsent]:
        """Oldest grant first."""
        ...


class BankUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also holds the bank consents (the SQL one does)."""

    bank_consents: BankConsentStore


BankUowFactory = Callable[[], BankUnitOfWork]


def bank_of(value: str | None) -> str:
    """The bank a consent names: ``baac`` when none is given."""
    name = (value or "").strip() or ALL_BANKS
    if len(name) > BANK_NAME_LENGTH:
        raise InvalidValue("bank", f"at most {BANK_NAME_LENGTH} characters")
    return name


def grant(
    uow_factory: BankUowFactory, group_id: str, bank: str, *, actor: str, at: datetime
) -> BankConsent:
    """Record the group's consent to ``bank`` (idempotent: an active one is answered as is)."""
    with uow_factory() as uow:
        if uow.groups.get(group_id) is None:
            raise NotFound("group", group_id)
        for consent in uow.bank_consents.list(group_id=group_id, active=True):
            if consent.bank == bank:
                return consent
        made = uow.bank_consents.add(BankConsent(group_id, bank, at, actor))
        uow.commit()
    return made


def revoke(
    uow_factory: BankUowFactory, group_id: str, bank: str, *, actor: str, at: datetime
) -> BankConsent:
    """Revoke the group's active consent to ``bank``; 409 when there is none."""
    with uow_factory() as uow:
        if uow.groups.get(group_id) is None:
            raise NotFound("group", group_id)
        found = [
            c for c in uow.bank_consents.list(group_id=group_id, active=True) if c.bank == bank
        ]
        if not found or found[0].id is None:
            raise Conflict(f"group {group_id} has no active consent for the bank {bank!r}")
        uow.bank_consents.revoke(found[0].id, at, actor)
        uow.commit()
    return replace(found[0], revoked_at=at, revoked_by=actor)


def concerns(consent: BankConsent, caller: Principal) -> bool:
    """Whether the caller may see this consent row: coordinators all, a group its own, a bank
    those naming it (or every bank)."""
    if caller.coordinator:
        return True
    if caller.role is Role.GROUP:
        return consent.group_id == caller.participant_id
    if caller.role is Role.BANK:
        return consent.bank in (ALL_BANKS, caller.name)
    return False


def consented_groups(consents: Iterable[BankConsent], bank_name: str) -> list[str]:
    """The ids of the groups whose active consent lets ``bank_name`` read, sorted."""
    return sorted({c.group_id for c in consents if c.lets(bank_name)})


def may_read(consents: Iterable[BankConsent], group_id: str, caller: Principal) -> bool:
    """A coordinator always; a bank key when the group's active consent lets it."""
    if caller.coordinator:
        return True
    return caller.role is Role.BANK and group_id in consented_groups(consents, caller.name)


# --- months ----------------------------------------------------------------------------------


def parse_month(value: str, field_name: str) -> tuple[int, int]:
    found = MONTH.match(value.strip())
    if found is None:
        raise InvalidValue(field_name, f"{value!r} is not a month YYYY-MM")
    return int(found.group(1)), int(found.group(2))


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (YYYY-MM), both included."""
    year, month = parse_month(first, "from")
    end = parse_month(last, "to")
    if end < (year, month):
        raise InvalidValue("to", f"{last} is before {first}")
    found: list[str] = []
    while (year, month) <= end:
        if len(found) == MAX_MONTHS:
            raise InvalidValue("to", f"at most {MAX_MONTHS} months in one answer")
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


# --- revenue ---------------------------------------------------------------------------------


@dataclass(slots=True)
class MonthFigures:
    contracted: Satang = 0
    delivered: Satang = 0
    refused: Satang = 0
    buyers: dict[str, Satang] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Revenue:
    """A group's revenue by month (``months`` in order) and the buyers behind it."""

    group_id: str
    months: tuple[str, ...]
    figures: Mapping[str, MonthFigures]


def _add(
    figures: MonthFigures, contract: Contract, quantity: int, received: int, refused: int
) -> None:
    price = contract.unit_price
    figures.contracted += quantity * price
    figures.delivered += received * price
    figures.refused += refused * price
    buyers = figures.buyers
    buyers[contract.buyer_id] = buyers.get(contract.buyer_id, 0) + quantity * price


def revenue_by_month(
    group_id: str, contracts: Iterable[Contract], months: Sequence[str] | None = None
) -> Revenue:
    """The group's contracted, delivered and refused value per month of delivery (see the
    module). ``months``: the months to answer (zeros where nothing is due); None: from the
    first to the last month with a delivery."""
    by_month: dict[str, MonthFigures] = {}
    for contract in contracts:
        if contract.group_id != group_id or contract.state not in BOUND_STATES:
            continue
        for d in contract.deliveries:
            if d.state is DeliveryState.RELEASED:
                continue
            figures = by_month.setdefault(month_of(d.day), MonthFigures())
            _add(figures, contract, d.quantity, d.received or 0, d.refused or 0)
    if months is None:
        months = months_between(min(by_month), max(by_month)) if by_month else []
    return Revenue(group_id, tuple(months), {m: by_month.get(m, MonthFigures()) for m in months})


def revenue_view(
    revenue: Revenue, group: FarmerGroup, buyers: Mapping[str, Buyer]
) -> dict[str, object]:
    """The JSON answer: months with THB amounts, and the buyers with their monthly values."""
    months = [
        {
            "month": m,
            "contracted": thb(revenue.figures[m].contracted),
            "delivered": thb(revenue.figures[m].delivered),
            "refused": thb(revenue.figures[m].refused),
        }
        for m in revenue.months
    ]
    totals = MonthFigures()
    for m in revenue.months:
        totals.contracted += revenue.figures[m].contracted
        totals.delivered += revenue.figures[m].delivered
        totals.refused += revenue.figures[m].refused
    return {
        "group_id": group.id,
        "name_th": group.name_th,
        "name_en": group.name_en,
        "district": group.district,
        "months": months,
        "total": {
            "contracted": thb(totals.contracted),
            "delivered": thb(totals.delivered),
            "refused": thb(totals.refused),
        },
        "buyers": _buyer_rows(revenue, buyers),
    }


def _buyer_rows(revenue: Revenue, buyers: Mapping[str, Buyer]) -> list[dict[str, object]]:
    """The buyers behind the revenue, the largest contracted value first."""
    ids = {b for m in revenue.months for b in revenue.figures[m].buyers}
    ranked: list[tuple[int, str, dict[str, object]]] = []
    for buyer_id in ids:
        values = [revenue.figures[m].buyers.get(buyer_id, 0) for m in revenue.months]
        buyer = buyers.get(buyer_id)
        row: dict[str, object] = {
            "buyer_id": buyer_id,
            "name_th": buyer.name_th if buyer else "",
            "name_en": buyer.name_en if buyer else "",
            "kind": buyer.kind.value if buyer else "",
            "contracted": thb(sum(values)),
            "months": [
                {"month": m, "contracted": thb(v)}
                for m, v in zip(revenue.months, values, strict=True)
            ],
        }
        ranked.append((-sum(values), buyer_id, row))
    return [row for _, _, row in sorted(ranked, key=lambda r: (r[0], r[1]))]


# --- CSV -------------------------------------------------------------------------------------

CSV_COLUMNS = ("month", "buyer_id", "buyer_name_th", "buyer_name_en", "buyer_kind",
               "contracted_thb", "delivered_thb", "refused_thb")  # fmt: skip
CSV_THAI = {
    "month": "เดือน",
    "buyer_id": "รหัสผู้ซื้อ",
    "buyer_name_th": "ชื่อผู้ซื้อ",
    "buyer_name_en": "ชื่อผู้ซื้อ (อังกฤษ)",
    "buyer_kind": "ประเภทผู้ซื้อ",
    "contracted_thb": "มูลค่าตามสัญญา (บาท)",
    "delivered_thb": "มูลค่าที่ส่งมอบแล้ว (บาท)",
    "refused_thb": "มูลค่าที่ถูกปฏิเสธ (บาท)",
}
"""The Thai header line of the CSV (``lang=th``); the rows are the same."""


def revenue_csv(revenue: Revenue, buyers: Mapping[str, Buyer], *, lang: str = "en") -> str:
    """One line per month (the group's totals, no buyer) and one per buyer and month with a
    contracted value (delivered and refused are the group's, per month, so they stay empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([CSV_THAI[c] for c in CSV_COLUMNS] if lang == "th" else CSV_COLUMNS)
    for m in revenue.months:
        f = revenue.figures[m]
        writer.writerow([m, "", "", "", "", thb(f.contracted), thb(f.delivered), thb(f.refused)])
        for buyer_id, value in sorted(f.buyers.items()):
            buyer = buyers.get(buyer_id)
            names = (
                (_cell(buyer.name_th), _cell(buyer.name_en), buyer.kind.value)
                if buyer
                else ("", "", "")
            )
            writer.writerow([m, _cell(buyer_id), *names, thb(value), "", ""])
    return out.getvalue()


def _cell(text: str) -> str:
    """User text for a spreadsheet: a leading formula character is neutralised with ``'``."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_filename(group_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", group_id).strip(".") or "group"
    return f"bank-{safe}-revenue.csv"
