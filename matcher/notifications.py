"""Notifications to people, the pure part: which event concerns whom, and what the message says.

An event recorded in the outbox becomes :class:`Notice` values (one per participant it
concerns, see :func:`notices_of`); the notifier (:mod:`matcher.adapters.notify`) turns each into
one :class:`~matcher.service.ports.Notification` per channel the participant wants, rendered in
its language: the template ``matcher/templates/notify_<kind>.txt.j2`` lays out the body's lines,
each a label of the catalogue (``notify_...``, with ``{placeholders}`` filled from the notice),
and the subject is the label ``notify_subject_<kind>``. A notification's id is a digest of its
key, the participant and the channel, so the same notice is queued once however often it is
looked at.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined

from matcher.domain.contracts import Contract, ContractState, DeliveryState
from matcher.domain.model import Certificate, thb
from matcher.labels import Lang, has_label, label
from matcher.thaidates import format_date, format_time

CHANNELS: tuple[str, ...] = ("email", "line")
LANGUAGES: tuple[Lang, ...] = ("th", "en")
KINDS: tuple[str, ...] = (
    "contract_proposed",
    "contract_accepted",
    "contract_rejected",
    "contract_cancelled",
    "delivery_refused",
    "delivery_cancelled",
    "sign_in_link",
    "proposal_lapsing",
    "delivery_tomorrow",
    "certificate_expiring",
)
STATES: tuple[str, ...] = ("pending", "sent", "failed")

# Contract transitions that concern both sides, by event name.
_BOTH = {
    "ContractAccepted": "contract_accepted",
    "ContractRejected": "contract_rejected",
    "ContractCancelled": "contract_cancelled",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """That ``participant_id`` should hear of ``kind`` (``key``: what it is about, once)."""

    key: str
    kind: str
    participant_id: str
    facts: Mapping[str, Any] = field(default_factory=dict)


class Names(Protocol):
    """What the texts name: crops (and their unit) and participants, in a language."""

    def crop(self, crop_id: str, lang: Lang) -> tuple[str, str]:
        """``(name, unit)`` of a crop, such as ``("คะน้า", "กก.")``."""
        ...

    def participant(self, participant_id: str, lang: Lang) -> str: ...


def notification_id(key: str, participant_id: str, channel: str) -> str:
    digest = hashlib.sha256(f"{key}|{participant_id}|{channel}".encode()).hexdigest()
    return "ntf_" + digest[:32]


def event_key(outbox_id: int) -> str:
    return f"event:{outbox_id}"


def sign_in_key(link: str) -> str:
    return "sign_in:" + hashlib.sha256(link.encode()).hexdigest()[:24]


def _contract_facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    deliveries = payload.get("deliveries") or []
    days = sorted(str(d.get("date")) for d in deliveries if isinstance(d, Mapping))
    change = payload.get("change") or {}
    return {
        "contract_id": payload.get("id"),
        "crop_id": payload.get("crop_id"),
        "buyer_id": payload.get("buyer_id"),
        "group_id": payload.get("group_id"),
        "quantity": payload.get("quantity"),
        "unit_price": payload.get("unit_price"),
        "value": payload.get("value"),
        "deliveries": len(days),
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "expires_at": payload.get("proposal_expires_at"),
        "reason": (change.get("reason") if isinstance(change, Mapping) else None) or "",
    }


def notices_of(outbox_id: int, event: str, payload: Mapping[str, Any]) -> list[Notice]:
    """The notices an outbox event gives: a new proposal to the group; an accepted, rejected
        or cancelled contract to both sides; a delivery sent back (in part) to the group, with the
    kitchen's reason; a delivery the kitchen cancelled to the group, with its reason.
        Other events concern nobody's inbox."""
    key = event_key(outbox_id)
    group, buyer = payload.get("group_id"), payload.get("buyer_id")
    if not isinstance(group, str) or not isinstance(buyer, str):
        return []
    facts = _contract_facts(payload)
    if event == "ContractProposed":
        return [Notice(key, "contract_proposed", group, facts)]
    if event in _BOTH:
        return [Notice(key, _BOTH[event], who, facts) for who in (group, buyer)]
    if event == "DeliveryConfirmed":
        change = payload.get("change") or {}
        details = change.get("details") if isinstance(change, Mapping) else None
        if isinstance(details, Mapping) and int(details.get("refused") or 0) > 0:
            names = ("date", "contracted", "received", "refused", "refusal_reason", "refusal_note")
            refused = {n: details.get(n) for n in names}
            return [Notice(key, "delivery_refused", group, facts | refused)]
    if event == "ContractDeliveryCancelled":
        return [Notice(key, "delivery_cancelled", group, facts | _cancelled_day(payload))]
    return []


def _cancelled_day(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The date and quantity of the one delivery the kitchen cancelled (the quantity is that
    delivery's, not the contract's)."""
    change = payload.get("change") or {}
    details = change.get("details") if isinstance(change, Mapping) else None
    if not isinstance(details, Mapping):
        return {}
    return {"date": details.get("date"), "quantity": details.get("quantity")}


def sign_in_notice(participant_id: str, link: str, expires_at: datetime) -> Notice:
    return Notice(
        sign_in_key(link),
        "sign_in_link",
        participant_id,
        {"link": link, "expires_at": expires_at.isoformat()},
    )


# -- notices that come with time: a periodic scan, each notice keyed so that it is sent once --

LAPSE_WARNING = timedelta(hours=24)
"""A proposal not answered yet is recalled this long before it lapses."""
CERTIFICATE_WARNINGS: tuple[int, ...] = (60, 30, 7)
"""Days before a certificate's last valid day at which its group is told."""
MARKET_OFFSET = timedelta(hours=7)
DATE_FACTS = ("date", "first_day", "last_day", "valid_until")
"""The facts that are days, written out in the notice's language."""
"""The market's clock (Thailand, UTC+7): "tomorrow" is the next day there."""
_DELIVERING = frozenset({ContractState.ACCEPTED, ContractState.IN_DELIVERY})


def market_day(now: datetime) -> date:
    return (now + MARKET_OFFSET).date()


def facts_of_contract(contract: Contract) -> dict[str, Any]:
    days = sorted(d.day for d in contract.deliveries)
    expires = contract.proposal_expires_at
    return {
        "contract_id": contract.id,
        "crop_id": contract.crop_id,
        "buyer_id": contract.buyer_id,
        "group_id": contract.group_id,
        "quantity": contract.quantity,
        "unit_price": thb(contract.unit_price),
        "value": thb(contract.value),
        "deliveries": len(days),
        "first_day": days[0].isoformat() if days else None,
        "last_day": days[-1].isoformat() if days else None,
        "expires_at": expires.isoformat() if expires is not None else None,
        "reason": "",
    }


def lapsing_notices(now: datetime, contracts: Iterable[Contract]) -> list[Notice]:
    """A proposal still unanswered within :data:`LAPSE_WARNING` of its deadline: to the group."""
    found = []
    for c in contracts:
        expires = c.proposal_expires_at
        if c.state is not ContractState.PROPOSED or expires is None:
            continue
        if expires - LAPSE_WARNING <= now < expires:
            facts = facts_of_contract(c)
            found.append(Notice(f"lapsing:{c.id}", "proposal_lapsing", c.group_id, facts))
    return found


WorkingDay = Callable[[date], bool]
"""Whether a day of the market's calendar is a working day (see :func:`working_days`)."""
REMINDER_HOUR = 8
"""The hour (Thailand's clock) from which a delivery's reminder goes out on its day."""
_LOOKBACK_DAYS = 31


def weekdays(day: date) -> bool:
    """Monday to Friday: the calendar without holidays."""
    return day.weekday() < 5


def working_days(holidays: Collection[date]) -> WorkingDay:
    """Monday to Friday except ``holidays`` (the notifier passes Thailand's public holidays)."""
    off = frozenset(holidays)

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in off

    return working


def reminder_day(delivery_day: date, is_working_day: WorkingDay = weekdays) -> date:
    """The last working day before a delivery: the day before on a working day, Friday for a
    Monday, the last working day before a run of holidays (at most a month back; a calendar
    without a working day in that month gives the day before)."""
    day = delivery_day - timedelta(days=1)
    for _ in range(_LOOKBACK_DAYS):
        if is_working_day(day):
            return day
        day -= timedelta(days=1)
    return delivery_day - timedelta(days=1)


def reminder_due(
    now: datetime,
    delivery_day: date,
    is_working_day: WorkingDay = weekdays,
    hour: int = REMINDER_HOUR,
) -> bool:
    """Whether a delivery's reminder is due at ``now``: from ``hour`` o'clock on
    :func:`reminder_day` (Thailand's clock) until the delivery day begins, so a scan that
    missed the working day (the service was down) still sends it before the day."""
    local = (now + MARKET_OFFSET).replace(tzinfo=None)
    starts = datetime.combine(reminder_day(delivery_day, is_working_day), time(hour))
    return starts <= local < datetime.combine(delivery_day, time(0))


def tomorrow_notices(
    now: datetime,
    contracts: Iterable[Contract],
    *,
    is_working_day: WorkingDay = weekdays,
    hour: int = REMINDER_HOUR,
) -> list[Notice]:
    """A scheduled delivery of a live contract whose reminder is due (:func:`reminder_due`:
    on the last working day before it): to both sides."""
    today = market_day(now)
    found = []
    for c in contracts:
        if c.state not in _DELIVERING:
            continue
        for d in c.deliveries:
            if d.state is not DeliveryState.SCHEDULED:
                continue
            if not reminder_due(now, d.day, is_working_day, hour):
                continue
            ahead = (d.day - today).days
            facts = facts_of_contract(c) | {
                "date": d.day.isoformat(),
                "due": d.quantity,
                "days_ahead": ahead,
            }
            key = f"tomorrow:{c.id}:{d.day.isoformat()}"
            sides = (c.group_id, c.buyer_id)
            found += [Notice(key, "delivery_tomorrow", who, facts) for who in sides]
    return found


def certificate_notices(now: datetime, certificates: Iterable[Certificate]) -> list[Notice]:
    """A certificate within 60, 30 or 7 days of its last valid day: to its group, once per
    threshold (the nearest one passed, so a scan that missed a day still tells it)."""
    today = market_day(now)
    found = []
    for cert in certificates:
        if cert.revoked_on is not None and cert.revoked_on <= today:
            continue
        left = (cert.valid_until - today).days
        passed = [days for days in CERTIFICATE_WARNINGS if 0 <= left <= days]
        if not passed:
            continue
        facts = {
            "certificate_id": cert.id,
            "scheme": cert.scheme.value,
            "valid_until": cert.valid_until.isoformat(),
            "days_left": left,
        }
        key = f"certificate:{cert.id}:{min(passed)}"
        found.append(Notice(key, "certificate_expiring", cert.group_id, facts))
    return found


def timed_notices(
    now: datetime,
    contracts: Iterable[Contract],
    certificates: Iterable[Certificate],
    *,
    is_working_day: WorkingDay = weekdays,
    hour: int = REMINDER_HOUR,
) -> list[Notice]:
    live = list(contracts)
    return (
        lapsing_notices(now, live)
        + tomorrow_notices(now, live, is_working_day=is_working_day, hour=hour)
        + certificate_notices(now, certificates)
    )


def language_of(value: str | None) -> Lang:
    return "en" if value == "en" else "th"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("matcher", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # plain text: an e-mail body and a LINE message
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _when(value: Any, lang: Lang) -> str:
    """An ISO timestamp as people in Thailand read it: ``8 ธันวาคม 2569 เวลา 15.00 น.`` (Thailand's
    clock, Buddhist-era year), ``8 December 2026, 15:00 (Bangkok time)``; anything else as it is."""
    text = str(value or "")
    if "T" not in text:
        return text
    return format_time(datetime.fromisoformat(text), lang)


def _day(value: Any, lang: Lang) -> Any:
    """An ISO date as written in the language (``8 ธันวาคม 2569``, ``8 December 2026``);
    anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return format_date(date.fromisoformat(value), lang)
    except ValueError:
        return value


def _baht(value: Any) -> str:
    """``"3600.00"`` (as the wire writes baht) as ``3,600.00``; anything else as it is."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value or "")


def _when_delivered(facts: Mapping[str, Any], lang: Lang) -> str:
    """ "Tomorrow", or the delivery's weekday when the reminder goes out earlier (a Friday's
    reminder of a Monday's delivery)."""
    day = facts.get("date")
    if facts.get("days_ahead", 1) == 1 or not isinstance(day, str):
        return label("notify_when_tomorrow", lang)
    return label(f"notify_when_{date.fromisoformat(day).weekday()}", lang)


def context_of(notice: Notice, lang: Lang, names: Names) -> dict[str, Any]:
    facts = dict(notice.facts)
    context: dict[str, Any] = dict(facts)
    for key in DATE_FACTS:
        if key in context:
            context[key] = _day(context[key], lang)
    crop_id = facts.get("crop_id")
    crop, unit = names.crop(crop_id, lang) if isinstance(crop_id, str) else ("", "")
    context.update(crop=crop, unit=unit, expires=_when(facts.get("expires_at"), lang))
    context.update(unit_price=_baht(facts.get("unit_price")), value=_baht(facts.get("value")))
    for side in ("buyer", "group"):
        who = facts.get(f"{side}_id")
        context[side] = names.participant(who, lang) if isinstance(who, str) else ""
    context["name"] = names.participant(notice.participant_id, lang)
    refusal = facts.get("refusal_reason")
    if isinstance(refusal, str) and has_label(f"refusal_{refusal}"):
        note = facts.get("refusal_note")
        reason = label(f"refusal_{refusal}", lang)
        context["reason"] = f"{reason} ({note})" if note else reason
    context["when"] = _when_delivered(facts, lang)
    scheme = facts.get("scheme")
    if isinstance(scheme, str):
        key = f"scheme_{scheme}"
        context["scheme"] = label(key, lang) if has_label(key) else scheme
    return context


def render(notice: Notice, lang: Lang, names: Names) -> tuple[str, str]:
    """``(subject, body)`` of a notice in ``lang``."""
    context = context_of(notice, lang, names)

    def t(key: str) -> str:
        return label(key, lang).format(**context)

    template = _environment().get_template(f"notify_{notice.kind}.txt.j2")
    return t(f"notify_subject_{notice.kind}"), template.render(t=t, **context).strip() + "\n"
