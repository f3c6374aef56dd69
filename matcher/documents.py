"""Readable contract documents (HTML, Thai and English) and CSV exports of contracts.

Pure: these functions take domain objects and return text; they write nothing and read only
their own package's files, on first use: the label catalogue (:mod:`matcher.labels`, every Thai
and English word of the page) and the page's template (``matcher/templates/contract.html.j2``,
autoescaped, with its stylesheet). :func:`contract_page` turns a contract into what its page
shows (:class:`ContractPage`, text in one language); the template lays it out. The page is
self-contained (inline CSS with an A4 print stylesheet, no external resources) and escapes every
piece of user text.

The Thai page is a forward purchase agreement (the catalogue's ``doc_title``) as a Thai
procurement officer files it: dates in the Buddhist era and Thai month names, times in Bangkok
(``doc_date_time``), the total in Thai words (:func:`baht_words`), the buyer's purchase-order
(e-GP) number, the seller's registration number and tax id, signatories with their positions
and two witnesses, and the clauses of :class:`ContractTerms` (late delivery, force majeure). The
English page says the same with Gregorian dates (``7 December 2026, 15:00 (Bangkok time)``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from typing import Any, Literal, Required, TypedDict, Unpack

from bahttext import bahttext
from jinja2 import Environment, PackageLoader, StrictUndefined

from matcher.domain.contracts import Contract
from matcher.domain.model import (
    Buyer,
    Certificate,
    Crop,
    FarmerGroup,
    ForwardOrder,
    Registry,
    Satang,
    SupplyAnnouncement,
    thb,
)
from matcher.domain.standards import StandardsRelation
from matcher.domain.weeks import iso_week
from matcher.labels import Lang, has_label, label
from matcher.thaidates import BANGKOK, BUDDHIST_ERA, format_date, format_time

__all__ = [
    "BANGKOK",
    "BUDDHIST_ERA_OFFSET",
    "CONTRACT_COLUMNS",
    "DELIVERY_COLUMNS",
    "ContractPage",
    "ContractTerms",
    "Lang",
    "baht_words",
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

BUDDHIST_ERA_OFFSET = BUDDHIST_ERA

TEMPLATE = "contract.html.j2"
"""The contract page's template in ``matcher/templates/`` (with its stylesheet ``contract.css``)."""

REASON_LABELS: dict[str, str] = {
    "matched in a clearing round": "doc_reason_clearing_round",
    "rejected by the group": "doc_reason_rejected_by_group",
    "proposal expired": "doc_reason_proposal_expired",
    "delivery refused for quality": "doc_reason_refused_quality",
    "delivery short": "doc_reason_short",
}
"""The catalogue's keys of the reasons the service itself records on contracts."""

REASON_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"no answer by (?P<date>\d{4}-\d{2}-\d{2})"), "doc_reason_no_answer"),
    (
        re.compile(r"(?P<scheme>[A-Z_]+) certificate not valid on (?P<date>\d{4}-\d{2}-\d{2})"),
        "doc_reason_certificate_lapsed",
    ),
    (re.compile(r"(?:delivery )?cancelled by (?P<party>[a-z]+)"), "doc_reason_cancelled_by"),
)
"""Reasons the service records with a date, a scheme or a party in them: the label's
``{date}``, ``{scheme}`` and ``{party}`` are filled from the match."""

CERTIFIER_LABELS: dict[str, str] = {
    "department of agriculture": "doc_certifier_doa",
    "department of livestock development": "doc_certifier_dld",
    "thai fda": "doc_certifier_fda",
    "act": "doc_certifier_act",
    "eu-recognised control body": "doc_certifier_eu",
    "usda-accredited certifier": "doc_certifier_usda",
    "cfia-accredited certifier": "doc_certifier_cfia",
}
"""Certifiers the reference data names in English, and their catalogue names (Thai in the Thai
document); any other certifier is printed as recorded."""


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


def baht_words(amount: Satang) -> str:
    """An amount in Thai words as written on Thai contracts and receipts:
    ``123450``: one thousand two hundred and thirty-four baht fifty satang, ``2100``: twenty-one
    baht exactly (the Thai words end with "baht thuan"), by the ``bahttext`` package."""
    if amount < 0:
        raise ValueError("an amount in words is not negative")
    return str(bahttext(float(Decimal(amount) / 100)))


# --- the clauses -----------------------------------------------------------------------------


def _percent(rate: Decimal) -> str:
    """A rate as Thai contracts write it: two decimals (``0.20``), more only when it has more."""
    cents = rate.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == rate else f"{rate.normalize():f}"


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """The configurable clauses of the document (settings ``FOODMATCH_DOCUMENT_*``).

    ``late_penalty_percent``: the daily penalty for late delivery, in percent of the value of
    what is late (``0``: no penalty clause). ``penalty_clause`` and ``force_majeure_clause``
    replace the catalogue's wording (with ``{rate}`` for the rate) when not empty;
    ``force_majeure`` off leaves that clause out.
    """

    late_penalty_percent: Decimal = Decimal("0.20")
    penalty_clause: str = ""
    force_majeure: bool = True
    force_majeure_clause: str = ""

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.late_penalty_percent <= Decimal(100):
            raise ValueError("late_penalty_percent must be from 0 to 100")

    def clauses(self, lang: Lang) -> tuple[str, ...]:
        out: list[str] = []
        if self.late_penalty_percent > 0:
            rate = _percent(self.late_penalty_percent)
            text = self.penalty_clause or label("doc_clause_late_delivery", lang)
            out.append(text.replace("{rate}", rate))
        if self.force_majeure:
            out.append(self.force_majeure_clause or label("doc_clause_force_majeure", lang))
        return tuple(out)


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


def _crop_name(crop_id: str, crops: Mapping[str, Crop], lang: Lang) -> str:
    crop = crops.get(crop_id)
    if crop is None:
        return crop_id
    return crop.name_th if lang == "th" else crop.name_en


def _scope(cert: Certificate, crops: Mapping[str, Crop], lang: Lang) -> str:
    parts = [_crop_name(c, crops, lang) for c in sorted(cert.crops)]
    parts += [_named("cropgroup_", g, lang) for g in sorted(cert.crop_groups)]
    text = ", ".join(parts) if parts else label("whole_farm", lang)
    if cert.scopes:
        text += " · " + ", ".join(_named("scope_", s, lang) for s in sorted(cert.scopes))
    return text


def _certifier(name: str, lang: Lang) -> str:
    key = CERTIFIER_LABELS.get(name.strip().lower())
    if key is not None:
        return label(key, lang)
    return name or "—"


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


def _reason(text: str, lang: Lang) -> str:
    """A reason the service recorded, in the page's language; a person's own words as written."""
    key = REASON_LABELS.get(text.strip())
    if key is not None:
        return label(key, lang)
    for pattern, key in REASON_PATTERNS:
        found = pattern.fullmatch(text.strip())
        if found is not None:
            parts = found.groupdict()
            if "date" in parts:
                parts["date"] = format_date(date.fromisoformat(parts["date"]), lang)
            if "party" in parts:
                parts["party"] = _named("party_", parts["party"], lang)
            if "scheme" in parts:
                parts["scheme"] = _named("scheme_", parts["scheme"], lang)
            return label(key, lang).format(**parts)
    return text or "—"


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
class Signatory:
    """A signature block: the role (buyer, seller, witness), for whom, and the person's name and
    position (empty: a dotted line to fill in by hand)."""

    role: str
    party: str
    name: str
    position: str


@dataclass(frozen=True, slots=True)
class ContractPage:
    """What the contract page shows, in one language, as text; the labels of the headings come
    from the catalogue in the template."""

    lang: Lang
    other_lang: Lang
    alternate_href: str | None
    contract_id: str
    preamble: str
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
    clauses: tuple[str, ...]
    history: tuple[HistoryRow, ...]
    signatories: tuple[Signatory, ...]
    seller_name: str
    buyer_name: str


def _registry(r: Registry, lang: Lang) -> list[Fact]:
    """The registry details a party has (none of the empty ones)."""
    rows: list[Fact] = []
    if r.subdistrict or r.subdistrict_code:
        rows.append(
            Fact(label("doc_subdistrict", lang), r.subdistrict or "—", code=r.subdistrict_code)
        )
    if r.registration_no:
        rows.append(Fact(label("doc_registration_no", lang), r.registration_no))
    if r.tax_id:
        rows.append(Fact(label("doc_tax_id", lang), r.tax_id))
    if r.contact_name:
        rows.append(Fact(label("doc_contact", lang), _person(r, lang)))
    return rows


def _person(r: Registry, lang: Lang) -> str:
    if r.contact_position:
        return f"{r.contact_name} ({label('doc_position', lang)} {r.contact_position})"
    return r.contact_name


def _provenance(r: Registry, lang: Lang) -> list[Fact]:
    if not r.source_agency:
        return []
    text = r.source_agency
    if r.source_date is not None:
        text += " · " + format_date(r.source_date, lang)
    return [Fact(label("doc_source", lang), text)]


def _header(contract: Contract, order: ForwardOrder | None, lang: Lang) -> tuple[Fact, ...]:
    made = format_time(contract.created_at, lang) if contract.created_at else "—"
    po = order.purchase_order_no if order is not None else ""
    rows = [
        Fact(label("doc_contract_id", lang), contract.id, style="strong"),
        Fact(label("doc_state", lang), _named("state_", contract.state.value, lang), "state"),
        Fact(label("doc_made_on", lang), made),
        Fact(label("doc_purchase_order", lang), po or label("doc_not_given", lang)),
        Fact(label("doc_round", lang), contract.round_id),
        Fact(label("doc_reason", lang), _reason(contract.reason, lang)),
        Fact(label("doc_order", lang), contract.order_id),
        Fact(label("doc_supply", lang), contract.supply_id),
    ]
    if contract.proposal_expires_at is not None and contract.state.value == "proposed":
        expires = format_time(contract.proposal_expires_at, lang)
        rows.append(Fact(label("doc_expires", lang), expires))
    return tuple(rows)


def _location(lat: float, lon: float) -> str:
    return f"{lat:.5f}, {lon:.5f}"


def _district(code: str, districts: Mapping[str, tuple[str, str]], lang: Lang) -> Fact:
    names = districts.get(code)
    if names is None:
        return Fact(label("doc_district", lang), code or "—")
    return Fact(label("doc_district", lang), names[0 if lang == "th" else 1], code=code)


def _seller(
    contract: Contract,
    group: FarmerGroup | None,
    districts: Mapping[str, tuple[str, str]],
    lang: Lang,
) -> tuple[Fact, ...]:
    if group is None:
        return (Fact(label("doc_id", lang), contract.group_id),)
    r = group.registry
    area = []
    if r.farm_area_rai is not None:
        area = [
            Fact(
                label("doc_farm_area", lang),
                f"{r.farm_area_rai:,.1f}",
                after=label("unit_rai", lang),
            )
        ]
    return (
        Fact(label("doc_name_th", lang), group.name_th),
        Fact(label("doc_name_en", lang), group.name_en),
        Fact(label("doc_kind", lang), _named("kind_", group.kind.value, lang)),
        *_registry(r, lang),
        _district(group.district, districts, lang),
        Fact(label("doc_members", lang), f"{group.members:,}"),
        *area,
        Fact(label("doc_location", lang), _location(group.location.lat, group.location.lon)),
        Fact(label("doc_id", lang), group.id),
        *_provenance(r, lang),
    )


def _buyer(
    contract: Contract,
    buyer: Buyer | None,
    districts: Mapping[str, tuple[str, str]],
    lang: Lang,
) -> tuple[Fact, ...]:
    if buyer is None:
        return (Fact(label("doc_id", lang), contract.buyer_id),)
    return (
        Fact(label("doc_name_th", lang), buyer.name_th),
        Fact(label("doc_name_en", lang), buyer.name_en),
        Fact(label("doc_kind", lang), _named("kind_", buyer.kind.value, lang)),
        *_registry(buyer.registry, lang),
        _district(buyer.district, districts, lang),
        Fact(label("doc_id", lang), buyer.id),
        *_provenance(buyer.registry, lang),
    )


def _product(
    contract: Contract,
    crop: Crop | None,
    supply: SupplyAnnouncement | None,
    unit: str,
    lang: Lang,
) -> tuple[Fact, ...]:
    rows = [Fact(label("doc_id", lang), contract.crop_id)]
    if crop is not None:
        rows += [
            Fact(label("doc_name_th", lang), crop.name_th),
            Fact(label("doc_name_en", lang), crop.name_en),
            Fact(label("doc_unit", lang), unit, code=crop.unit.value if lang == "th" else ""),
        ]
        if crop.processed:
            fda = supply.fda_no if supply is not None and supply.fda_no else ""
            rows.append(Fact(label("doc_fda_no", lang), fda or label("doc_not_given", lang)))
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
    certificates: Iterable[Certificate], crops: Mapping[str, Crop], lang: Lang
) -> tuple[CertificateRow, ...]:
    return tuple(
        CertificateRow(
            id=cert.id,
            certifier=_certifier(cert.certifier, lang),
            valid_from=format_date(cert.valid_from, lang),
            valid_until=format_date(cert.valid_until, lang),
            revoked_on=format_date(cert.revoked_on, lang) if cert.revoked_on else "",
            scope=_scope(cert, crops, lang),
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


def _price(
    contract: Contract, order: ForwardOrder | None, unit_code: str, unit: str, lang: Lang
) -> tuple[Fact, ...]:
    per_unit = "doc_baht_per_" + unit_code
    currency = label(per_unit if unit_code and has_label(per_unit) else "baht", lang)
    policy = contract.pricing_policy
    transport = order.price_includes_transport if order is not None else True
    return (
        Fact(label("doc_unit_price", lang), money(contract.unit_price), "strong", currency),
        Fact(label("doc_transport", lang), label(f"doc_transport_{str(transport).lower()}", lang)),
        Fact(label("doc_pricing_policy", lang), _named("policy_", policy, lang), code=policy),
        Fact(label("doc_quantity", lang), f"{contract.quantity:,} {unit}".strip()),
        Fact(label("doc_total_value", lang), money(contract.value), "strong", label("baht", lang)),
        Fact(label("doc_total_words", lang), f"({baht_words(contract.value)})"),
    )


def _place(contract: Contract, buyer: Buyer | None, lang: Lang) -> tuple[Fact, ...]:
    if buyer is None:
        return (Fact(label("doc_deliver_to", lang), contract.buyer_id),)
    return (
        Fact(label("doc_deliver_to", lang), buyer.name_th if lang == "th" else buyer.name_en),
        Fact(label("doc_coordinates", lang), _location(buyer.location.lat, buyer.location.lon)),
    )


def _action(entry: _Entry, lang: Lang) -> str:
    action = _named("action_", entry.action, lang)
    if entry.from_state and entry.to_state and entry.from_state != entry.to_state:
        before = _named("state_", entry.from_state, lang)
        after = _named("state_", entry.to_state, lang)
        action += f" ({before} → {after})"
    return action


@dataclass(frozen=True, slots=True)
class _Parties:
    group: FarmerGroup | None
    buyer: Buyer | None


def _actor(text: str, parties: _Parties, lang: Lang) -> str:
    """``group:grp-1`` as the role and the group's name (``seller: <name>``), ``system`` as the
    system's name."""
    party, _, key = text.partition(":")
    role = _named("party_", party.strip(), lang)
    known: FarmerGroup | Buyer | None = None
    if party == "group" and parties.group is not None and parties.group.id == key:
        known = parties.group
    elif party == "buyer" and parties.buyer is not None and parties.buyer.id == key:
        known = parties.buyer
    if known is not None:
        return f"{role}: {_name(known, key, lang)}"
    return f"{role}: {key}" if key else role


def _history(entries: Iterable[_Entry], parties: _Parties, lang: Lang) -> tuple[HistoryRow, ...]:
    return tuple(
        HistoryRow(
            time=_when(h.time, lang),
            actor=_actor(h.actor, parties, lang),
            action=_action(h, lang),
            reason=_reason(h.reason, lang),
        )
        for h in entries
    )


def _name(party: FarmerGroup | Buyer | None, fallback: str, lang: Lang) -> str:
    if party is None:
        return fallback
    return party.name_th if lang == "th" else party.name_en


def _signatories(parties: _Parties, seller: str, buyer: str, lang: Lang) -> tuple[Signatory, ...]:
    def of(party: FarmerGroup | Buyer | None) -> tuple[str, str]:
        r = party.registry if party is not None else Registry()
        return r.contact_name, r.contact_position

    witness = label("doc_witness", lang)
    return (
        Signatory(label("doc_for_buyer", lang), buyer, *of(parties.buyer)),
        Signatory(label("doc_for_seller", lang), seller, *of(parties.group)),
        Signatory(witness, "", "", ""),
        Signatory(witness, "", "", ""),
    )


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
    order: ForwardOrder | None = None,
    supply: SupplyAnnouncement | None = None,
    terms: ContractTerms | None = None,
    crops: Mapping[str, Crop] | None = None,
    districts: Mapping[str, tuple[str, str]] | None = None,
) -> ContractPage:
    """What :func:`contract_html` shows of ``contract`` in ``lang`` (same arguments)."""
    lang = check_lang(lang)
    unit_code = crop.unit.value if crop is not None else ""
    unit = _named("unit_", unit_code, lang) if unit_code else ""
    entries = [_entry(h) for h in (list(history) or list(contract.history))]
    parties = _Parties(group, buyer)
    seller_name = _name(group, contract.group_id, lang)
    buyer_name = _name(buyer, contract.buyer_id, lang)
    known_crops = dict(crops or {}) | ({crop.id: crop} if crop is not None else {})
    made = contract.created_at.astimezone(BANGKOK).date() if contract.created_at else None
    return ContractPage(
        lang=lang,
        other_lang="en" if lang == "th" else "th",
        alternate_href=alternate_href or None,
        contract_id=contract.id,
        preamble=label("doc_preamble", lang).format(
            date=format_date(made, lang) if made else "—", buyer=buyer_name, seller=seller_name
        ),
        header=_header(contract, order, lang),
        seller=_seller(contract, group, districts or {}, lang),
        buyer=_buyer(contract, buyer, districts or {}, lang),
        product=_product(contract, crop, supply, unit, lang),
        standard=_standard(contract, lang, standards),
        certificates=_certificate_rows(
            relevant_certificates(contract, certificates, crop), known_crops, lang
        ),
        certificates_needed=contract.scheme.value != "NONE",
        unit=unit,
        schedule=_schedule(contract, lang),
        total_quantity=f"{contract.quantity:,}",
        price=_price(contract, order, unit_code, unit, lang),
        place=_place(contract, buyer, lang),
        payment_terms=payment_terms
        if payment_terms is not None
        else label("doc_payment_terms", lang),
        clauses=(terms or ContractTerms()).clauses(lang),
        history=_history(entries, parties, lang),
        signatories=_signatories(parties, seller_name, buyer_name, lang),
        seller_name=seller_name,
        buyer_name=buyer_name,
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
    order: ForwardOrder | None
    supply: SupplyAnnouncement | None
    terms: ContractTerms | None
    crops: Mapping[str, Crop] | None
    districts: Mapping[str, tuple[str, str]] | None


def contract_html(contract: Contract, **parts: Unpack[PageParts]) -> str:
    """One self-contained HTML page of ``contract`` in ``lang`` (``th`` or ``en``).

    ``certificates`` may hold all of the group's certificates: the page shows those of the
    contract's scheme valid on its dates. ``history`` defaults to the contract's own history;
    ``payment_terms`` to the catalogue's ``doc_payment_terms``. ``alternate_href`` links the
    page in the other language from the (screen-only) navigation bar. ``order`` gives the
    purchase-order number and whether the price includes transport; ``supply`` the Thai FDA number
    of a processed product; ``terms`` the clauses; ``crops`` the names of the crops in a
    certificate's scope; ``districts`` the (Thai, English) names of district codes.
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
