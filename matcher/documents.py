"""Readable contract documents (HTML, Thai and English) and CSV exports of contracts.

Pure: these functions take domain objects and return text; they read and write nothing. The
HTML page is self-contained (inline CSS with an A4 print stylesheet, no external resources) and
escapes every piece of user text. Dates are ISO (``2026-12-07``); the Thai page adds the
Buddhist-era year to each (``2026-12-07 (พ.ศ. 2569)``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any, Literal

from matcher.domain.contracts import Contract
from matcher.domain.model import Buyer, Certificate, Crop, FarmerGroup, Satang, thb
from matcher.domain.standards import StandardsRelation
from matcher.domain.weeks import iso_week

Lang = Literal["th", "en"]
LANGS: tuple[Lang, ...] = ("th", "en")

BUDDHIST_ERA_OFFSET = 543

# Every label in both languages: (Thai, English).
LABELS: dict[str, tuple[str, str]] = {
    "title": ("สัญญาซื้อขายล่วงหน้า", "Forward contract"),
    "subtitle": (
        "สัญญาซื้อขายสินค้าเกษตรปลอดภัยล่วงหน้า จังหวัดสงขลา",
        "Forward purchase agreement for safe food, Songkhla province",
    ),
    "contract_id": ("เลขที่สัญญา", "Contract no."),
    "state": ("สถานะ", "State"),
    "made_on": ("วันที่ทำสัญญา", "Date made"),
    "round": ("รอบการจับคู่", "Matching round"),
    "reason": ("ที่มาของสัญญา", "How it was made"),
    "order": ("คำสั่งซื้อล่วงหน้า", "Forward order"),
    "supply": ("ประกาศผลผลิต", "Supply announcement"),
    "expires": ("ต้องตอบรับภายใน", "Accept before"),
    "parties": ("คู่สัญญา", "Parties"),
    "seller": ("ผู้ขาย", "Seller"),
    "buyer": ("ผู้ซื้อ", "Buyer"),
    "name_th": ("ชื่อ (ภาษาไทย)", "Name (Thai)"),
    "name_en": ("ชื่อ (ภาษาอังกฤษ)", "Name (English)"),
    "kind": ("ประเภท", "Kind"),
    "district": ("รหัสอำเภอ", "District code"),
    "members": ("จำนวนสมาชิก", "Members"),
    "location": ("ที่ตั้ง (ละติจูด, ลองจิจูด)", "Location (latitude, longitude)"),
    "id": ("รหัส", "Id"),
    "product": ("สินค้า", "Product"),
    "crop": ("ชนิดสินค้า", "Crop"),
    "unit": ("หน่วย", "Unit"),
    "standard": ("มาตรฐานสินค้า", "Quality standard"),
    "min_tier": ("มาตรฐานขั้นต่ำที่ผู้ซื้อกำหนด", "Minimum standard required by the buyer"),
    "scheme": ("มาตรฐานการผลิตของผู้ขาย", "Seller's production standard"),
    "certificates": ("ใบรับรองมาตรฐาน", "Certificates"),
    "certificate": ("เลขที่ใบรับรอง", "Certificate no."),
    "certifier": ("หน่วยรับรอง", "Certifier"),
    "validity": ("อายุใบรับรอง", "Valid"),
    "scope": ("ขอบเขตการรับรอง", "Scope"),
    "whole_farm": ("ทั้งฟาร์ม (ทุกชนิดพืช)", "whole farm (every crop)"),
    "no_certificate": (
        "ไม่พบใบรับรองมาตรฐานนี้ที่มีผลในช่วงสัญญา",
        "no certificate of this scheme valid over the contract's dates",
    ),
    "not_needed": ("ไม่ต้องมีใบรับรอง", "no certificate needed"),
    "revoked": ("เพิกถอนเมื่อ", "revoked on"),
    "to": ("ถึง", "to"),
    "schedule": ("กำหนดส่งมอบ", "Delivery schedule"),
    "date": ("วันที่ส่งมอบ", "Date"),
    "week": ("สัปดาห์ (ISO)", "ISO week"),
    "quantity": ("ปริมาณ", "Quantity"),
    "distance": ("ระยะทาง (กม.)", "Distance (km)"),
    "delivery_state": ("สถานะการส่งมอบ", "Delivery state"),
    "total": ("รวม", "Total"),
    "price": ("ราคา", "Price"),
    "unit_price": ("ราคาต่อหน่วย", "Unit price"),
    "pricing_policy": ("หลักการกำหนดราคา", "Pricing policy"),
    "total_value": ("มูลค่ารวมตามสัญญา", "Total value"),
    "baht": ("บาท", "THB"),
    "per": ("ต่อ", "per"),
    "place": ("สถานที่ส่งมอบ", "Delivery place"),
    "deliver_to": ("ส่งมอบที่", "Deliver to"),
    "coordinates": ("พิกัด", "Coordinates"),
    "payment": ("เงื่อนไขการชำระเงิน", "Payment terms"),
    "history": ("ประวัติ", "History"),
    "no_history": ("ยังไม่มีการเปลี่ยนแปลง", "No changes yet"),
    "time": ("เวลา", "Time"),
    "actor": ("ผู้ดำเนินการ", "Actor"),
    "action": ("การดำเนินการ", "Action"),
    "why": ("เหตุผล", "Reason"),
    "signatures": ("ลงนาม", "Signatures"),
    "signature": ("ลงชื่อ", "Signed"),
    "signed_date": ("วันที่", "Date"),
    "for_seller": ("ผู้ขาย", "for the seller"),
    "for_buyer": ("ผู้ซื้อ", "for the buyer"),
    "print": ("พิมพ์", "Print"),
    "other_lang": ("English", "ภาษาไทย"),
    "be": ("พ.ศ.", "BE"),
}

DEFAULT_PAYMENT_TERMS: dict[Lang, str] = {
    "th": (
        "ผู้ซื้อชำระเงินภายใน 30 วันนับจากวันที่รับมอบสินค้าแต่ละงวดที่ผ่านการตรวจรับ โดยโอนเงินเข้าบัญชีธนาคารของผู้ขาย"
    ),
    "en": (
        "Payment within 30 days of each accepted delivery, by bank transfer to the seller's "
        "account."
    ),
}

STATES: dict[str, tuple[str, str]] = {
    "proposed": ("เสนอแล้ว รอการตอบรับ", "proposed"),
    "accepted": ("ตอบรับแล้ว", "accepted"),
    "rejected": ("ถูกปฏิเสธ", "rejected"),
    "expired": ("หมดอายุ", "expired"),
    "in_delivery": ("อยู่ระหว่างส่งมอบ", "in delivery"),
    "completed": ("เสร็จสิ้น", "completed"),
    "cancelled": ("ยกเลิก", "cancelled"),
}

DELIVERY_STATES: dict[str, tuple[str, str]] = {
    "scheduled": ("ตามกำหนด", "scheduled"),
    "delivered": ("ส่งมอบแล้ว", "delivered"),
    "released": ("ยกเลิกงวดนี้", "released"),
}

BUYER_KINDS: dict[str, tuple[str, str]] = {
    "hospital": ("โรงพยาบาล", "hospital"),
    "school": ("โรงเรียน", "school"),
    "prison": ("เรือนจำ", "prison"),
    "factory": ("โรงงาน", "factory"),
    "hotel": ("โรงแรม", "hotel"),
    "restaurant": ("ร้านอาหาร", "restaurant"),
    "other": ("อื่น ๆ", "other"),
}

GROUP_KINDS: dict[str, tuple[str, str]] = {
    "cooperative": ("สหกรณ์", "cooperative"),
    "community_enterprise": ("วิสาหกิจชุมชน", "community enterprise"),
    "farmer_group": ("กลุ่มเกษตรกร", "farmer group"),
}

UNITS: dict[str, tuple[str, str]] = {
    "kg": ("กิโลกรัม", "kg"),
    "piece": ("ชิ้น", "piece"),
}

TIERS: dict[str, tuple[str, str]] = {
    "ANY": ("ไม่กำหนดมาตรฐาน", "any produce"),
    "SAFE": ("ผักผลไม้ปลอดภัย (GAP ขึ้นไป)", "safe produce (GAP or better)"),
    "ORGANIC": ("เกษตรอินทรีย์ (รวม PGS)", "organic (PGS or better)"),
    "ORGANIC_CERTIFIED": (
        "เกษตรอินทรีย์ที่มีใบรับรองจากหน่วยรับรอง",
        "organic, third-party certified",
    ),
    "EU": ("เกษตรอินทรีย์มาตรฐานสหภาพยุโรป", "EU organic"),
    "USDA": ("เกษตรอินทรีย์มาตรฐานสหรัฐอเมริกา", "USDA organic"),
    "COR": ("เกษตรอินทรีย์มาตรฐานแคนาดา", "Canada organic"),
}

SCHEMES: dict[str, tuple[str, str]] = {
    "NONE": ("ไม่มีใบรับรอง", "no certificate"),
    "THAI_GAP": ("มาตรฐาน GAP (มกษ. 9001)", "Thai GAP (TAS 9001)"),
    "ORGANIC_CONVERSION": ("อยู่ระหว่างปรับเปลี่ยนเป็นเกษตรอินทรีย์", "organic in conversion"),
    "PGS": ("เกษตรอินทรีย์แบบมีส่วนร่วม (PGS)", "PGS organic (participatory guarantee)"),
    "ORGANIC_THAILAND": ("เกษตรอินทรีย์ Organic Thailand (มกษ. 9000)", "Organic Thailand"),
    "ACT_IFOAM": ("เกษตรอินทรีย์ มกท. (ACT-IFOAM)", "ACT organic (IFOAM-accredited)"),
    "EU_ORGANIC": ("เกษตรอินทรีย์มาตรฐานสหภาพยุโรป", "EU organic"),
    "USDA_NOP": ("เกษตรอินทรีย์มาตรฐานสหรัฐอเมริกา", "USDA organic (NOP)"),
    "COR": ("เกษตรอินทรีย์มาตรฐานแคนาดา", "Canada Organic Regime"),
    "GMP": ("หลักเกณฑ์วิธีการที่ดีในการผลิตอาหาร (GMP)", "GMP (Thai FDA)"),
}

POLICIES: dict[str, tuple[str, str]] = {
    "ask": (
        "ราคาที่ผู้ขายเสนอ: ราคาเสนอขายของกลุ่มเกษตรกร",
        "ask: the group's asking price",
    ),
    "buyer_max": (
        "ราคาสูงสุดของผู้ซื้อ: ราคาสูงสุดที่ผู้ซื้อกำหนดในคำสั่งซื้อ",
        "buyer_max: the buyer's maximum price in the order",
    ),
    "midpoint": (
        "ราคากึ่งกลาง: กึ่งกลางระหว่างราคาเสนอขายและราคาสูงสุดของผู้ซื้อ",
        "midpoint: half way between the group's ask and the buyer's maximum price",
    ),
    "reference": (
        "ราคาอ้างอิง: ราคาอ้างอิงของสินค้าและมาตรฐาน ไม่ต่ำกว่าราคาเสนอขาย และไม่เกินราคาสูงสุดของผู้ซื้อ",
        "reference: the reference price of the crop and standard, raised to the ask and "
        "capped at the buyer's maximum price",
    ),
}

REASONS: dict[str, tuple[str, str]] = {
    "matched in a clearing round": ("จับคู่ในรอบการจับคู่ของตลาด", "matched in a clearing round"),
}
"""Translations of the reasons the service itself records on contracts."""

ACTIONS: dict[str, tuple[str, str]] = {
    "propose": ("เสนอสัญญา", "proposed"),
    "accept": ("ตอบรับ", "accepted"),
    "reject": ("ปฏิเสธ", "rejected"),
    "expire": ("หมดอายุ", "expired"),
    "cancel": ("ยกเลิก", "cancelled"),
    "confirm_delivery": ("ยืนยันการรับมอบ", "delivery confirmed"),
    "amend": ("แก้ไขกำหนดส่งมอบ", "schedule amended"),
    "release": ("ปล่อยปริมาณคืน", "quantities released"),
}


def label(key: str, lang: Lang) -> str:
    """A label in ``lang``."""
    th, en = LABELS[key]
    return th if lang == "th" else en


def _pick(table: Mapping[str, tuple[str, str]], key: str, lang: Lang) -> str:
    """The translation of a code, or the code itself when the table does not know it."""
    pair = table.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "th" else pair[1]


def check_lang(lang: str) -> Lang:
    if lang == "th":
        return "th"
    if lang == "en":
        return "en"
    raise ValueError(f"lang must be th or en, not {lang!r}")


# --- formatting ------------------------------------------------------------------------------


def money(amount: Satang) -> str:
    """Satang as THB with thousands separators: ``280000`` -> ``2,800.00``."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def format_date(day: date, lang: Lang) -> str:
    """ISO date; in Thai followed by the Buddhist-era year."""
    text = day.isoformat()
    if lang == "th":
        text += f" (พ.ศ. {day.year + BUDDHIST_ERA_OFFSET})"
    return text


def format_time(at: datetime, lang: Lang) -> str:
    """ISO date and time to the minute (with its UTC offset); in Thai the Buddhist-era year."""
    text = at.isoformat(sep=" ", timespec="minutes")
    if lang == "th":
        text += f" (พ.ศ. {at.year + BUDDHIST_ERA_OFFSET})"
    return text


def _e(value: object) -> str:
    return escape(str(value), quote=True)


# --- certificates ----------------------------------------------------------------------------


def relevant_certificates(
    contract: Contract, certificates: Iterable[Certificate], crop: Crop | None = None
) -> list[Certificate]:
    """The group's certificates of the contract's scheme valid on some of its delivery dates
    (and covering its crop, when known), sorted by id."""
    days = [d.day for d in contract.deliveries]
    out = []
    for cert in certificates:
        if cert.group_id != contract.group_id or cert.scheme != contract.scheme:
            continue
        if days and not any(cert.valid_on(day) for day in days):
            continue
        if crop is not None and not cert.covers(crop):
            continue
        out.append(cert)
    return sorted(out, key=lambda c: c.id)


def _scope(cert: Certificate, lang: Lang) -> str:
    parts = sorted(cert.crops) + sorted(cert.crop_groups)
    text = ", ".join(parts) if parts else label("whole_farm", lang)
    if cert.scopes:
        text += " · " + ", ".join(sorted(cert.scopes))
    return text


# --- history ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    time: datetime | date | str | None
    actor: str
    action: str
    reason: str
    from_state: str
    to_state: str


def _attr(entry: Any, *names: str) -> Any:
    for name in names:
        if isinstance(entry, Mapping):
            if name in entry:
                return entry[name]
        elif hasattr(entry, name):
            return getattr(entry, name)
    return None


def _entry(entry: Any) -> _Entry:
    """A history entry from a dict or any object with time (or ``at``), actor, action and
    reason (and optionally ``from_state``, ``to_state``)."""
    return _Entry(
        time=_attr(entry, "time", "at"),
        actor=str(_attr(entry, "actor") or ""),
        action=str(_attr(entry, "action") or ""),
        reason=str(_attr(entry, "reason") or ""),
        from_state=str(_attr(entry, "from_state") or ""),
        to_state=str(_attr(entry, "to_state") or ""),
    )


def _when(value: datetime | date | str | None, lang: Lang) -> str:
    if isinstance(value, datetime):
        return format_time(value, lang)
    if isinstance(value, date):
        return format_date(value, lang)
    return "" if value is None else str(value)


# --- the HTML document -----------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "Sarabun", "TH Sarabun New", "Noto Sans Thai", "Leelawadee UI", Tahoma,
  "Helvetica Neue", Arial, sans-serif; color: #111; background: #eef0f2; margin: 0;
  line-height: 1.5; font-size: 11pt; }
nav { background: #1f4e3d; color: #fff; padding: 0.5rem 1rem; display: flex; gap: 1rem;
  align-items: center; }
nav a, nav button { color: #fff; background: transparent; border: 1px solid #fff;
  border-radius: 4px; padding: 0.2rem 0.8rem; font: inherit; cursor: pointer;
  text-decoration: none; }
main { background: #fff; max-width: 210mm; margin: 1rem auto; padding: 16mm 18mm;
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.2); }
h1 { font-size: 18pt; margin: 0; }
h2 { font-size: 12.5pt; border-bottom: 1px solid #1f4e3d; color: #1f4e3d;
  margin: 1.2rem 0 0.4rem; padding-bottom: 0.1rem; }
h3 { font-size: 11pt; margin: 0.4rem 0; }
.subtitle { color: #444; margin: 0.2rem 0 0.8rem; }
table { border-collapse: collapse; width: 100%; margin: 0.3rem 0; }
th, td { border: 1px solid #bbb; padding: 0.15rem 0.4rem; text-align: left;
  vertical-align: top; }
th { background: #f1f4f2; font-weight: 600; }
table.facts th { width: 38%; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: 700; }
.parties { display: grid; grid-template-columns: 1fr 1fr; gap: 0.8rem; }
.signatures { display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; margin-top: 2.5rem; }
.signature p { margin: 0.3rem 0; }
.line { border-bottom: 1px dotted #333; display: inline-block; min-width: 60%; height: 1.4rem; }
.muted { color: #555; }
.state { display: inline-block; border: 1px solid #1f4e3d; border-radius: 3px;
  padding: 0 0.4rem; }
section { break-inside: avoid; page-break-inside: avoid; }
@page { size: A4; margin: 15mm 15mm 18mm; }
@media print {
  nav, .no-print { display: none !important; }
  body { background: #fff; font-size: 10.5pt; }
  main { box-shadow: none; margin: 0; padding: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""


def _facts(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table of (label, already escaped value)."""
    body = "".join(f"<tr><th scope='row'>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='facts'><tbody>{body}</tbody></table>"


def _scheme_name(code: str, lang: Lang, standards: StandardsRelation | None) -> str:
    if standards is not None:
        rule = next((r for s, r in standards.rules.items() if s.value == code), None)
        if rule is not None:
            name = rule.name_th if lang == "th" else rule.name_en
            if name and name != code:
                return name
    return _pick(SCHEMES, code, lang)


def contract_html(
    contract: Contract,
    *,
    group: FarmerGroup | None,
    buyer: Buyer | None,
    crop: Crop | None,
    certificates: Iterable[Certificate] = (),
    lang: Lang = "th",
    history: Iterable[Any] = (),
    payment_terms: str | None = None,
    standards: StandardsRelation | None = None,
    alternate_href: str | None = None,
) -> str:
    """One self-contained HTML page of ``contract`` in ``lang`` (``th`` or ``en``).

    ``certificates`` may hold all of the group's certificates: the page shows those of the
    contract's scheme valid on its dates. ``history`` defaults to the contract's own history;
    ``payment_terms`` to :data:`DEFAULT_PAYMENT_TERMS`. ``alternate_href`` links the page in the
    other language from the (screen-only) navigation bar.
    """
    lang = check_lang(lang)

    def t(key: str) -> str:
        return label(key, lang)

    unit_code = crop.unit.value if crop is not None else ""
    unit = _pick(UNITS, unit_code, lang) if unit_code else ""
    state = _pick(STATES, contract.state.value, lang)

    # Title and header facts.
    header_rows = [
        (t("contract_id"), f"<strong>{_e(contract.id)}</strong>"),
        (t("state"), f"<span class='state'>{_e(state)}</span>"),
        (
            t("made_on"),
            _e(format_time(contract.created_at, lang)) if contract.created_at else "—",
        ),
        (t("round"), _e(contract.round_id)),
        (t("reason"), _e(_pick(REASONS, contract.reason, lang))),
        (t("order"), _e(contract.order_id)),
        (t("supply"), _e(contract.supply_id)),
    ]
    if contract.proposal_expires_at is not None and contract.state.value == "proposed":
        header_rows.append((t("expires"), _e(format_time(contract.proposal_expires_at, lang))))

    # Parties.
    if group is not None:
        seller = _facts(
            [
                (t("id"), _e(group.id)),
                (t("name_th"), _e(group.name_th)),
                (t("name_en"), _e(group.name_en)),
                (t("kind"), _e(_pick(GROUP_KINDS, group.kind.value, lang))),
                (t("district"), _e(group.district or "—")),
                (t("members"), _e(f"{group.members:,}")),
                (
                    t("location"),
                    _e(f"{group.location.lat:.5f}, {group.location.lon:.5f}"),
                ),
            ]
        )
    else:
        seller = _facts([(t("id"), _e(contract.group_id))])
    if buyer is not None:
        purchaser = _facts(
            [
                (t("id"), _e(buyer.id)),
                (t("name_th"), _e(buyer.name_th)),
                (t("name_en"), _e(buyer.name_en)),
                (t("kind"), _e(_pick(BUYER_KINDS, buyer.kind.value, lang))),
                (t("district"), _e(buyer.district or "—")),
            ]
        )
    else:
        purchaser = _facts([(t("id"), _e(contract.buyer_id))])

    # Product.
    product_rows = [(t("id"), _e(contract.crop_id))]
    if crop is not None:
        product_rows += [
            (t("name_th"), _e(crop.name_th)),
            (t("name_en"), _e(crop.name_en)),
            (t("unit"), _e(f"{unit} ({crop.unit.value})" if lang == "th" else unit)),
        ]

    # Quality standard and certificates.
    tier = contract.min_tier.value
    scheme = contract.scheme.value
    standard_rows = [
        (t("min_tier"), f"{_e(_pick(TIERS, tier, lang))} <span class='muted'>({_e(tier)})</span>"),
        (
            t("scheme"),
            f"{_e(_scheme_name(scheme, lang, standards))} "
            f"<span class='muted'>({_e(scheme)})</span>",
        ),
    ]
    certs = relevant_certificates(contract, certificates, crop)
    if certs:
        rows = []
        for cert in certs:
            validity = (
                f"{_e(format_date(cert.valid_from, lang))} {_e(t('to'))} "
                f"{_e(format_date(cert.valid_until, lang))}"
            )
            if cert.revoked_on is not None:
                validity += f"; {_e(t('revoked'))} {_e(format_date(cert.revoked_on, lang))}"
            rows.append(
                f"<tr><td>{_e(cert.id)}</td><td>{_e(cert.certifier or '—')}</td>"
                f"<td>{validity}</td><td>{_e(_scope(cert, lang))}</td></tr>"
            )
        cert_table = (
            f"<table><thead><tr><th>{_e(t('certificate'))}</th><th>{_e(t('certifier'))}</th>"
            f"<th>{_e(t('validity'))}</th><th>{_e(t('scope'))}</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    elif scheme == "NONE":
        cert_table = f"<p class='muted'>{_e(t('not_needed'))}</p>"
    else:
        cert_table = f"<p class='muted'>{_e(t('no_certificate'))}</p>"

    # Schedule.
    schedule_rows = []
    for d in sorted(contract.deliveries, key=lambda d: d.day):
        schedule_rows.append(
            f"<tr><td>{_e(format_date(d.day, lang))}</td><td>{_e(d.week or iso_week(d.day))}</td>"
            f"<td class='num'>{_e(f'{d.quantity:,}')}</td>"
            f"<td class='num'>{_e(f'{d.distance_km:,.1f}')}</td>"
            f"<td>{_e(_pick(DELIVERY_STATES, d.state.value, lang))}</td></tr>"
        )
    quantity_head = f"{t('quantity')} ({unit})" if unit else t("quantity")
    schedule = (
        f"<table><thead><tr><th>{_e(t('date'))}</th><th>{_e(t('week'))}</th>"
        f"<th class='num'>{_e(quantity_head)}</th><th class='num'>{_e(t('distance'))}</th>"
        f"<th>{_e(t('delivery_state'))}</th></tr></thead>"
        f"<tbody>{''.join(schedule_rows)}</tbody>"
        f"<tfoot><tr><td colspan='2'>{_e(t('total'))}</td>"
        f"<td class='num'>{_e(f'{contract.quantity:,}')}</td><td></td><td></td></tr></tfoot>"
        "</table>"
    )

    # Price.
    per_unit = (f"{t('per')}{unit}" if lang == "th" else f" {t('per')} {unit}") if unit else ""
    price_rows = [
        (
            t("unit_price"),
            f"<strong>{_e(money(contract.unit_price))}</strong> {_e(t('baht'))}{_e(per_unit)}",
        ),
        (
            t("pricing_policy"),
            f"{_e(_pick(POLICIES, contract.pricing_policy, lang))} "
            f"<span class='muted'>({_e(contract.pricing_policy)})</span>",
        ),
        (t("quantity"), _e(f"{contract.quantity:,} {unit}".strip())),
        (t("total_value"), f"<strong>{_e(money(contract.value))}</strong> {_e(t('baht'))}"),
    ]

    # Delivery place.
    if buyer is not None:
        name = buyer.name_th if lang == "th" else buyer.name_en
        place_rows = [
            (t("deliver_to"), _e(name)),
            (t("coordinates"), _e(f"{buyer.location.lat:.5f}, {buyer.location.lon:.5f}")),
            (t("district"), _e(buyer.district or "—")),
        ]
    else:
        place_rows = [(t("deliver_to"), _e(contract.buyer_id))]

    terms = payment_terms if payment_terms is not None else DEFAULT_PAYMENT_TERMS[lang]

    # History.
    entries = [_entry(h) for h in (list(history) or list(contract.history))]
    if entries:
        lines = []
        for h in entries:
            action = _pick(ACTIONS, h.action, lang)
            if h.from_state and h.to_state and h.from_state != h.to_state:
                action += (
                    f" ({_pick(STATES, h.from_state, lang)} → {_pick(STATES, h.to_state, lang)})"
                )
            lines.append(
                f"<tr><td>{_e(_when(h.time, lang))}</td><td>{_e(h.actor)}</td>"
                f"<td>{_e(action)}</td><td>{_e(h.reason or '—')}</td></tr>"
            )
        history_html = (
            f"<table><thead><tr><th>{_e(t('time'))}</th><th>{_e(t('actor'))}</th>"
            f"<th>{_e(t('action'))}</th><th>{_e(t('why'))}</th></tr></thead>"
            f"<tbody>{''.join(lines)}</tbody></table>"
        )
    else:
        history_html = f"<p class='muted'>{_e(t('no_history'))}</p>"

    # Signatures.
    def signature(role: str, name: str) -> str:
        return (
            f"<div class='signature'><h3>{_e(t(role))}</h3>"
            f"<p>{_e(t('signature'))} <span class='line'></span></p>"
            f"<p>({_e(name)})</p>"
            f"<p>{_e(t('signed_date'))} <span class='line'></span></p></div>"
        )

    seller_name = (group.name_th if lang == "th" else group.name_en) if group else contract.group_id
    buyer_name = (buyer.name_th if lang == "th" else buyer.name_en) if buyer else contract.buyer_id

    other = "en" if lang == "th" else "th"
    alternate = (
        f"<a href='{_e(alternate_href)}' hreflang='{other}'>{_e(t('other_lang'))}</a>"
        if alternate_href
        else ""
    )
    title = f"{t('title')} {contract.id}"
    return (
        "<!DOCTYPE html>\n"
        f"<html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<nav class='no-print'><button type='button' onclick='window.print()'>"
        f"{_e(t('print'))}</button>{alternate}</nav>"
        "<main>"
        f"<header><h1>{_e(t('title'))} <span class='muted'>{_e(contract.id)}</span></h1>"
        f"<p class='subtitle'>{_e(t('subtitle'))}</p>{_facts(header_rows)}</header>"
        f"<section><h2>{_e(t('parties'))}</h2><div class='parties'>"
        f"<div><h3>{_e(t('seller'))}</h3>{seller}</div>"
        f"<div><h3>{_e(t('buyer'))}</h3>{purchaser}</div></div></section>"
        f"<section><h2>{_e(t('product'))}</h2>{_facts(product_rows)}</section>"
        f"<section><h2>{_e(t('standard'))}</h2>{_facts(standard_rows)}"
        f"<h3>{_e(t('certificates'))}</h3>{cert_table}</section>"
        f"<section><h2>{_e(t('schedule'))}</h2>{schedule}</section>"
        f"<section><h2>{_e(t('price'))}</h2>{_facts(price_rows)}</section>"
        f"<section><h2>{_e(t('place'))}</h2>{_facts(place_rows)}</section>"
        f"<section><h2>{_e(t('payment'))}</h2><p>{_e(terms)}</p></section>"
        f"<section><h2>{_e(t('history'))}</h2>{history_html}</section>"
        f"<section><h2>{_e(t('signatures'))}</h2><div class='signatures'>"
        f"{signature('for_seller', seller_name)}{signature('for_buyer', buyer_name)}"
        "</div></section>"
        "</main></body></html>\n"
    )


# --- CSV exports -----------------------------------------------------------------------------

CONTRACT_COLUMNS = (
    "contract_id",
    "state",
    "order_id",
    "round_id",
    "created_at",
    "buyer_id",
    "buyer_name_th",
    "buyer_name_en",
    "group_id",
    "group_name_th",
    "group_name_en",
    "crop_id",
    "crop_name_th",
    "crop_name_en",
    "unit",
    "scheme",
    "min_tier",
    "unit_price_thb",
    "pricing_policy",
    "quantity",
    "value_thb",
    "first_delivery",
    "last_delivery",
    "deliveries",
)

DELIVERY_COLUMNS = (
    "contract_id",
    "contract_state",
    "order_id",
    "buyer_id",
    "buyer_name_th",
    "buyer_name_en",
    "group_id",
    "group_name_th",
    "group_name_en",
    "crop_id",
    "crop_name_th",
    "crop_name_en",
    "unit",
    "date",
    "week",
    "quantity",
    "distance_km",
    "delivery_state",
    "unit_price_thb",
    "value_thb",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """User text for a spreadsheet: a leading formula character is neutralised with ``'``."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _names(
    contract: Contract,
    groups: Mapping[str, FarmerGroup],
    buyers: Mapping[str, Buyer],
    crops: Mapping[str, Crop],
) -> dict[str, str]:
    group = groups.get(contract.group_id)
    buyer = buyers.get(contract.buyer_id)
    crop = crops.get(contract.crop_id)
    return {
        "buyer_id": _cell(contract.buyer_id),
        "buyer_name_th": _cell(buyer.name_th) if buyer else "",
        "buyer_name_en": _cell(buyer.name_en) if buyer else "",
        "group_id": _cell(contract.group_id),
        "group_name_th": _cell(group.name_th) if group else "",
        "group_name_en": _cell(group.name_en) if group else "",
        "crop_id": _cell(contract.crop_id),
        "crop_name_th": _cell(crop.name_th) if crop else "",
        "crop_name_en": _cell(crop.name_en) if crop else "",
        "unit": crop.unit.value if crop else "",
    }


def _write(columns: tuple[str, ...], rows: Iterable[Mapping[str, object]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def contracts_csv(
    contracts: Iterable[Contract],
    *,
    groups: Mapping[str, FarmerGroup],
    buyers: Mapping[str, Buyer],
    crops: Mapping[str, Crop],
) -> str:
    """One line per contract, with a header (columns :data:`CONTRACT_COLUMNS`)."""
    rows = []
    for c in contracts:
        rows.append(
            {
                "contract_id": _cell(c.id),
                "state": c.state.value,
                "order_id": _cell(c.order_id),
                "round_id": _cell(c.round_id),
                "created_at": c.created_at.isoformat() if c.created_at else "",
                **_names(c, groups, buyers, crops),
                "scheme": c.scheme.value,
                "min_tier": c.min_tier.value,
                "unit_price_thb": thb(c.unit_price),
                "pricing_policy": c.pricing_policy,
                "quantity": c.quantity,
                "value_thb": thb(c.value),
                "first_delivery": c.first_day.isoformat() if c.deliveries else "",
                "last_delivery": c.last_day.isoformat() if c.deliveries else "",
                "deliveries": len(c.deliveries),
            }
        )
    return _write(CONTRACT_COLUMNS, rows)


def deliveries_csv(
    contracts: Iterable[Contract],
    *,
    groups: Mapping[str, FarmerGroup],
    buyers: Mapping[str, Buyer],
    crops: Mapping[str, Crop],
) -> str:
    """One line per delivery of each contract, with a header (columns
    :data:`DELIVERY_COLUMNS`)."""
    rows = []
    for c in contracts:
        names = _names(c, groups, buyers, crops)
        for d in sorted(c.deliveries, key=lambda d: d.day):
            rows.append(
                {
                    "contract_id": _cell(c.id),
                    "contract_state": c.state.value,
                    "order_id": _cell(c.order_id),
                    **names,
                    "date": d.day.isoformat(),
                    "week": d.week or iso_week(d.day),
                    "quantity": d.quantity,
                    "distance_km": f"{d.distance_km:.2f}",
                    "delivery_state": d.state.value,
                    "unit_price_thb": thb(c.unit_price),
                    "value_thb": thb(d.quantity * c.unit_price),
                }
            )
    return _write(DELIVERY_COLUMNS, rows)


def export_filename(kind: str, participant_id: str, *, deliveries: bool = False) -> str:
    """A safe file name such as ``group-grp-1-contracts.csv``."""
    safe = "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "_" for ch in participant_id
    )
    what = "deliveries" if deliveries else "contracts"
    return f"{kind}-{safe.strip('.') or 'unknown'}-{what}.csv"
