"""Readable contract documents (HTML, Thai and English) and CSV exports of contracts.

Pure: these functions take domain objects and return text; they write nothing and read only
their own package's files, on first use: the label catalogue (:mod:`matcher.labels`, every Thai
and English word of the page) and the page's template (``matcher/templates/contract.html.j2``,
autoescaped, with its stylesheet). :func:`contract_page` turns a contract into what its page
shows (:class:`ContractPage`, text in one language); the template lays it out. The page is
self-contained (inline CSS with an A4 print stylesheet, no external resources) and escapes every
piece of user text. Dates are ISO (``2026-12-07``); the Thai page adds the Buddhist-era year to
each (``2026-12-07 (BE 2569)``, with BE in Thai).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, partial
from typing import Any, Literal, Required, TypedDict, Unpack

from jinja2 import Environment, PackageLoader, StrictUndefined

from matcher.domain.contracts import Contract
from matcher.domain.model import Buyer, Certificate, Crop, FarmerGroup, Satang, thb
from matcher.domain.standards import StandardsRelation
from matcher.domain.weeks import iso_week
from matcher.labels import Lang, has_label, label

__all__ = [
    "BUDDHIST_ERA_OFFSET",
    "CONTRACT_COLUMNS",
    "DELIVERY_COLUMNS",
    "ContractPage",
    "Lang",
    "check_lang",
    "contract_html",
    "contract_page",
    "contracts_csv",
    "deliveries_csv",
    "export_filename",
    "format_date",
    "format_time",
    "money",
    "relevant_certificates",
    "render_page",
]

BUDDHIST_ERA_OFFSET = 543

TEMPLATE = "contract.html.j2"
"""The contract page's template in ``matcher/templates/`` (with its stylesheet ``contract.css``)."""

REASON_LABELS: dict[str, str] = {
    "matched in a clearing round": "doc_reason_clearing_round",
}
"""The catalogue's keys of the reasons the service itself records on contracts."""


def _named(prefix: str, code: str, lang: Lang) -> str:
    """The catalogue's name of a code (``state_`` + ``proposed``), or the code itself when the
    catalogue does not know it."""
    key = prefix + code
    return label(key, lang) if has_label(key) else code


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


def _era(year: int, lang: Lang) -> str:
    """The Buddhist-era year after a Thai date; nothing in English."""
    if lang != "th":
        return ""
    return f" ({label('doc_be', lang)} {year + BUDDHIST_ERA_OFFSET})"


def format_date(day: date, lang: Lang) -> str:
    """ISO date; in Thai followed by the Buddhist-era year."""
    return day.isoformat() + _era(day.year, lang)


def format_time(at: datetime, lang: Lang) -> str:
    """ISO date and time to the minute (with its UTC offset); in Thai the Buddhist-era year."""
    return at.isoformat(sep=" ", timespec="minutes") + _era(at.year, lang)


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


# --- the HTML document: a view of the contract, rendered by the template ---------------------

FactStyle = Literal["plain", "strong", "state"]


@dataclass(frozen=True, slots=True)
class Fact:
    """One row of a two-column table: a label and its value, all plain text (the template
    escapes it). ``after`` follows the value (its unit), ``code`` a muted code in brackets."""

    label: str
    text: str
    style: FactStyle = "plain"
    after: str = ""
    code: str = ""


@dataclass(frozen=True, slots=True)
class CertificateRow:
    id: str
    certifier: str
    valid_from: str
    valid_until: str
    revoked_on: str
    scope: str


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    date: str
    week: str
    quantity: str
    distance: str
    state: str


@dataclass(frozen=True, slots=True)
class HistoryRow:
    time: str
    actor: str
    action: str
    reason: str


@dataclass(frozen=True, slots=True)
class ContractPage:
    """What the contract page shows, in one language, as text; the labels of the headings come
    from the catalogue in the template."""

    lang: Lang
    other_lang: Lang
    alternate_href: str | None
    contract_id: str
    header: tuple[Fact, ...]
    seller: tuple[Fact, ...]
    buyer: tuple[Fact, ...]
    product: tuple[Fact, ...]
    standard: tuple[Fact, ...]
    certificates: tuple[CertificateRow, ...]
    certificates_needed: bool
    unit: str
    schedule: tuple[ScheduleRow, ...]
    total_quantity: str
    price: tuple[Fact, ...]
    place: tuple[Fact, ...]
    payment_terms: str
    history: tuple[HistoryRow, ...]
    seller_name: str
    buyer_name: str


def _header(contract: Contract, lang: Lang) -> tuple[Fact, ...]:
    made = format_time(contract.created_at, lang) if contract.created_at else "—"
    reason = REASON_LABELS.get(contract.reason)
    rows = [
        Fact(label("doc_contract_id", lang), contract.id, style="strong"),
        Fact(label("doc_state", lang), _named("state_", contract.state.value, lang), "state"),
        Fact(label("doc_made_on", lang), made),
        Fact(label("doc_round", lang), contract.round_id),
        Fact(label("doc_reason", lang), label(reason, lang) if reason else contract.reason),
        Fact(label("doc_order", lang), contract.order_id),
        Fact(label("doc_supply", lang), contract.supply_id),
    ]
    if contract.proposal_expires_at is not None and contract.state.value == "proposed":
        expires = format_time(contract.proposal_expires_at, lang)
        rows.append(Fact(label("doc_expires", lang), expires))
    return tuple(rows)


def _location(lat: float, lon: float) -> str:
    return f"{lat:.5f}, {lon:.5f}"


def _seller(contract: Contract, group: FarmerGroup | None, lang: Lang) -> tuple[Fact, ...]:
    if group is None:
        return (Fact(label("doc_id", lang), contract.group_id),)
    return (
        Fact(label("doc_id", lang), group.id),
        Fact(label("doc_name_th", lang), group.name_th),
        Fact(label("doc_name_en", lang), group.name_en),
        Fact(label("doc_kind", lang), _named("kind_", group.kind.value, lang)),
        Fact(label("doc_district", lang), group.district or "—"),
        Fact(label("doc_members", lang), f"{group.members:,}"),
        Fact(label("doc_location", lang), _location(group.location.lat, group.location.lon)),
    )


def _buyer(contract: Contract, buyer: Buyer | None, lang: Lang) -> tuple[Fact, ...]:
    if buyer is None:
        return (Fact(label("doc_id", lang), contract.buyer_id),)
    return (
        Fact(label("doc_id", lang), buyer.id),
        Fact(label("doc_name_th", lang), buyer.name_th),
        Fact(label("doc_name_en", lang), buyer.name_en),
        Fact(label("doc_kind", lang), _named("kind_", buyer.kind.value, lang)),
        Fact(label("doc_district", lang), buyer.district or "—"),
    )


def _product(contract: Contract, crop: Crop | None, unit: str, lang: Lang) -> tuple[Fact, ...]:
    rows = [Fact(label("doc_id", lang), contract.crop_id)]
    if crop is not None:
        rows += [
            Fact(label("doc_name_th", lang), crop.name_th),
            Fact(label("doc_name_en", lang), crop.name_en),
            Fact(label("doc_unit", lang), f"{unit} ({crop.unit.value})" if lang == "th" else unit),
        ]
    return tuple(rows)


def _scheme_name(code: str, lang: Lang, standards: StandardsRelation | None) -> str:
    if standards is not None:
        rule = next((r for s, r in standards.rules.items() if s.value == code), None)
        if rule is not None:
            name = rule.name_th if lang == "th" else rule.name_en
            if name and name != code:
                return name
    return _named("scheme_", code, lang)


def _standard(
    contract: Contract, lang: Lang, standards: StandardsRelation | None
) -> tuple[Fact, ...]:
    tier = contract.min_tier.value
    scheme = contract.scheme.value
    return (
        Fact(label("doc_min_tier", lang), _named("tier_", tier, lang), code=tier),
        Fact(label("doc_scheme", lang), _scheme_name(scheme, lang, standards), code=scheme),
    )


def _certificate_rows(
    certificates: Iterable[Certificate], lang: Lang
) -> tuple[CertificateRow, ...]:
    return tuple(
        CertificateRow(
            id=cert.id,
            certifier=cert.certifier or "—",
            valid_from=format_date(cert.valid_from, lang),
            valid_until=format_date(cert.valid_until, lang),
            revoked_on=format_date(cert.revoked_on, lang) if cert.revoked_on else "",
            scope=_scope(cert, lang),
        )
        for cert in certificates
    )


def _schedule(contract: Contract, lang: Lang) -> tuple[ScheduleRow, ...]:
    return tuple(
        ScheduleRow(
            date=format_date(d.day, lang),
            week=d.week or iso_week(d.day),
            quantity=f"{d.quantity:,}",
            distance=f"{d.distance_km:,.1f}",
            state=_named("delivery_", d.state.value, lang),
        )
        for d in sorted(contract.deliveries, key=lambda d: d.day)
    )


def _price(contract: Contract, unit_code: str, unit: str, lang: Lang) -> tuple[Fact, ...]:
    per_unit = "doc_baht_per_" + unit_code
    currency = label(per_unit if unit_code and has_label(per_unit) else "baht", lang)
    policy = contract.pricing_policy
    return (
        Fact(label("doc_unit_price", lang), money(contract.unit_price), "strong", currency),
        Fact(label("doc_pricing_policy", lang), _named("policy_", policy, lang), code=policy),
        Fact(label("doc_quantity", lang), f"{contract.quantity:,} {unit}".strip()),
        Fact(label("doc_total_value", lang), money(contract.value), "strong", label("baht", lang)),
    )


def _place(contract: Contract, buyer: Buyer | None, lang: Lang) -> tuple[Fact, ...]:
    if buyer is None:
        return (Fact(label("doc_deliver_to", lang), contract.buyer_id),)
    return (
        Fact(label("doc_deliver_to", lang), buyer.name_th if lang == "th" else buyer.name_en),
        Fact(label("doc_coordinates", lang), _location(buyer.location.lat, buyer.location.lon)),
        Fact(label("doc_district", lang), buyer.district or "—"),
    )


def _action(entry: _Entry, lang: Lang) -> str:
    action = _named("action_", entry.action, lang)
    if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
        before = _named("state_", entry.from_state, lang)
        after = _named("state_", entry.to_state, lang)
        action += f" ({before} → {after})"
    return action


def _history(entries: Iterable[_Entry], lang: Lang) -> tuple[HistoryRow, ...]:
    return tuple(
        HistoryRow(
            time=_when(h.time, lang), actor=h.actor, action=_action(h, lang), reason=h.reason or "—"
        )
        for h in entries
    )


def _name(party: FarmerGroup | Buyer | None, fallback: str, lang: Lang) -> str:
    if party is None:
        return fallback
    return party.name_th if lang == "th" else party.name_en


def contract_page(
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
) -> ContractPage:
    """What :func:`contract_html` shows of ``contract`` in ``lang`` (same arguments)."""
    lang = check_lang(lang)
    unit_code = crop.unit.value if crop is not None else ""
    unit = _named("unit_", unit_code, lang) if unit_code else ""
    entries = [_entry(h) for h in (list(history) or list(contract.history))]
    return ContractPage(
        lang=lang,
        other_lang="en" if lang == "th" else "th",
        alternate_href=alternate_href or None,
        contract_id=contract.id,
        header=_header(contract, lang),
        seller=_seller(contract, group, lang),
        buyer=_buyer(contract, buyer, lang),
        product=_product(contract, crop, unit, lang),
        standard=_standard(contract, lang, standards),
        certificates=_certificate_rows(relevant_certificates(contract, certificates, crop), lang),
        certificates_needed=contract.scheme.value != "NONE",
        unit=unit,
        schedule=_schedule(contract, lang),
        total_quantity=f"{contract.quantity:,}",
        price=_price(contract, unit_code, unit, lang),
        place=_place(contract, buyer, lang),
        payment_terms=payment_terms
        if payment_terms is not None
        else label("doc_payment_terms", lang),
        history=_history(entries, lang),
        seller_name=_name(group, contract.group_id, lang),
        buyer_name=_name(buyer, contract.buyer_id, lang),
    )


@cache
def _environment() -> Environment:
    """The templates of ``matcher/templates/``, read on first use (never at import time)."""
    return Environment(
        loader=PackageLoader("matcher", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_page(page: ContractPage) -> str:
    """The HTML of a contract page, its labels from the catalogue in the page's language."""
    return _environment().get_template(TEMPLATE).render(doc=page, t=partial(label, lang=page.lang))


class PageParts(TypedDict, total=False):
    """What a contract page shows beside the contract: :func:`contract_page`'s keywords."""

    group: Required[FarmerGroup | None]
    buyer: Required[Buyer | None]
    crop: Required[Crop | None]
    certificates: Iterable[Certificate]
    lang: Lang
    history: Iterable[Any]
    payment_terms: str | None
    standards: StandardsRelation | None
    alternate_href: str | None


def contract_html(contract: Contract, **parts: Unpack[PageParts]) -> str:
    """One self-contained HTML page of ``contract`` in ``lang`` (``th`` or ``en``).

    ``certificates`` may hold all of the group's certificates: the page shows those of the
    contract's scheme valid on its dates. ``history`` defaults to the contract's own history;
    ``payment_terms`` to the catalogue's ``doc_payment_terms``. ``alternate_href`` links the
    page in the other language from the (screen-only) navigation bar.
    """
    return render_page(contract_page(contract, **parts))


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
