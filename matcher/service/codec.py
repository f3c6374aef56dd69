"""JSON forms of domain values: the shapes of the instance format, used by events and the API.

``dump_*`` render a domain value; ``load_*`` parse one, reporting problems with their field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from matcher.domain.calendar import DateChange
from matcher.domain.contracts import CancelledDelivery, Contract, HistoryEntry, MatchingRound
from matcher.domain.errors import InvalidValue
from matcher.domain.lifecycle import Release
from matcher.domain.model import (
    Buyer,
    Certificate,
    FarmerGroup,
    ForwardOrder,
    Registry,
    SupplyAnnouncement,
    thb,
)
from matcher.optimiser import schema

Json = dict[str, Any]


def dump_group(g: FarmerGroup) -> Json:
    return {
        "id": g.id,
        "name_th": g.name_th,
        "name_en": g.name_en,
        "kind": g.kind.value,
        "district": g.district,
        "lat": g.location.lat,
        "lon": g.location.lon,
        "members": g.members,
        "min_lot": g.min_lot,
        "max_buyers_per_week": g.max_buyers_per_week,
        **dump_registry(g.registry),
    }


def dump_registry(r: Registry) -> Json:
    """The central database's details of a group or buyer, flat beside its other fields."""
    return {
        "subdistrict_code": r.subdistrict_code,
        "subdistrict": r.subdistrict,
        "farm_area_rai": r.farm_area_rai,
        "contact_name": r.contact_name,
        "contact_position": r.contact_position,
        "registration_no": r.registration_no,
        "tax_id": r.tax_id,
        "source_agency": r.source_agency,
        "source_date": r.source_date.isoformat() if r.source_date else None,
    }


def dump_buyer(b: Buyer) -> Json:
    return {
        "id": b.id,
        "name_th": b.name_th,
        "name_en": b.name_en,
        "kind": b.kind.value,
        "district": b.district,
        "lat": b.location.lat,
        "lon": b.location.lon,
        **dump_registry(b.registry),
        "non_delivery_weekdays": list(b.non_delivery_weekdays),
        "non_delivery_dates": [d.isoformat() for d in b.non_delivery_dates],
    }


def dump_certificate(c: Certificate) -> Json:
    return {
        "id": c.id,
        "group_id": c.group_id,
        "scheme": c.scheme.value,
        "valid_from": c.valid_from.isoformat(),
        "valid_until": c.valid_until.isoformat(),
        "crops": sorted(c.crops),
        "crop_groups": sorted(c.crop_groups),
        "scopes": sorted(c.scopes),
        "certifier": c.certifier,
        "revoked_on": c.revoked_on.isoformat() if c.revoked_on else None,
    }


def dump_supply(s: SupplyAnnouncement) -> Json:
    return {
        "id": s.id,
        "group_id": s.group_id,
        "crop_id": s.crop_id,
        "scheme": s.scheme.value,
        "weeks": dict(sorted(s.quantities.items())),
        "asking_price": thb(s.asking_price) if s.asking_price is not None else None,
        "fda_no": s.fda_no,
    }


def dump_order(o: ForwardOrder) -> Json:
    body: Json = {
        "id": o.id,
        "buyer_id": o.buyer_id,
        "crop_id": o.crop_id,
        "quantity": o.quantity,
        "min_tier": o.min_tier.value,
        "max_price": thb(o.max_price) if o.max_price is not None else None,
        "max_distance_km": o.max_distance_km,
        "max_suppliers": o.max_suppliers,
        "purchase_order_no": o.purchase_order_no,
        "price_includes_transport": o.price_includes_transport,
        "on_holiday": o.on_holiday.value,
    }
    if o.schedule is not None:
        body["schedule"] = {
            "start": o.schedule.start.isoformat(),
            "end": o.schedule.end.isoformat(),
            "weekdays": list(o.schedule.weekdays),
        }
    else:
        body["deliveries"] = [d.isoformat() for d in o.deliveries]
    if o.date_changes:  # the calendar moved dates: the deliveries are no longer the schedule's
        body["deliveries"] = [d.isoformat() for d in o.deliveries]
        body["date_changes"] = [dump_date_change(c) for c in o.date_changes]
    return body


def dump_date_change(c: DateChange) -> Json:
    return {
        "asked": c.asked.isoformat(),
        "delivery": c.delivery.isoformat() if c.delivery else None,
        "reason": c.closed.kind.value,
        "name_th": c.closed.name_th,
        "name_en": c.closed.name_en,
    }


def dump_contract(c: Contract) -> Json:
    return {
        "id": c.id,
        "round_id": c.round_id,
        "order_id": c.order_id,
        "buyer_id": c.buyer_id,
        "group_id": c.group_id,
        "supply_id": c.supply_id,
        "crop_id": c.crop_id,
        "scheme": c.scheme.value,
        "min_tier": c.min_tier.value,
        "unit_price": thb(c.unit_price),
        "pricing_policy": c.pricing_policy,
        "quantity": c.quantity,
        "value": thb(c.value),
        "state": c.state.value,
        "reason": c.reason,
        "created_at": c.created_at.isoformat() if c.created_at else None,
        "proposal_expires_at": (
            c.proposal_expires_at.isoformat() if c.proposal_expires_at else None
        ),
        "deliveries": [
            {
                "date": d.day.isoformat(),
                "week": d.week,
                "quantity": d.quantity,
                "distance_km": d.distance_km,
                "state": d.state.value,
                "received": d.received,
                "refused": d.refused,
                "refusal_reason": d.refusal_reason.value if d.refusal_reason else None,
                "refusal_note": d.refusal_note,
            }
            for d in c.deliveries
        ],
        "history": [dump_history_entry(e) for e in c.history],
    }


def dump_history_entry(e: HistoryEntry) -> Json:
    return {
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "reason": e.reason,
        "details": e.details,
    }


def dump_cancelled(c: CancelledDelivery) -> Json:
    """A cancelled delivery date of an order: when it was, why, by whom and when."""
    return {
        "date": c.day.isoformat(),
        "reason": c.reason,
        "actor": c.actor,
        "cancelled_at": c.at.isoformat(),
    }


def dump_release(r: Release) -> Json:
    return {
        "contract_id": r.contract_id,
        "order_id": r.order_id,
        "date": r.day.isoformat(),
        "supply_id": r.supply_id,
        "week": r.week,
        "demand": r.demand,
        "supply": r.supply,
        "cause": r.cause,
    }


def dump_round(r: MatchingRound, *, with_unfilled: bool = True) -> Json:
    body: Json = {
        "id": r.id,
        "trigger": r.trigger,
        "status": r.status.value,
        "solver": r.solver,
        "solver_status": r.solver_status,
        "started_at": r.started_at.isoformat(),
        "finished_at": r.finished_at.isoformat(),
        "summary": r.summary,
        "contract_ids": list(r.contract_ids),
        "notes": list(r.notes),
    }
    if with_unfilled:
        body["unfilled"] = [
            {
                "order_id": u.order_id,
                "buyer_id": u.buyer_id,
                "crop_id": u.crop_id,
                "date": u.day.isoformat(),
                "week": u.week,
                "quantity": u.quantity,
                "reason": u.reason,
                "detail": u.detail,
            }
            for u in r.unfilled
        ]
    return body


ROUND_EVENT_VERSION = 2
"""Version of the ``round.completed`` body: 2 carries counts and references instead of every
contract id (version 1 listed them, and a round of 100,000 contracts made an event of 3 MB)."""
ROUND_EVENT_NOTES = 20
ROUND_EVENT_NOTE_CHARS = 1_000


def dump_round_event(r: MatchingRound, *, api_prefix: str = "/api/v1") -> Json:
    """The body of a ``round.completed`` event: the round's figures and where to read its
    contracts (``contracts_url``, paged) and the round itself (``round_url``). Its size does not
    grow with the round: notes are cut to :data:`ROUND_EVENT_NOTES` of at most
    :data:`ROUND_EVENT_NOTE_CHARS` characters each."""
    notes = [
        n if len(n) <= ROUND_EVENT_NOTE_CHARS else n[: ROUND_EVENT_NOTE_CHARS - 1] + "…"
        for n in r.notes[:ROUND_EVENT_NOTES]
    ]
    return {
        "id": r.id,
        "trigger": r.trigger,
        "status": r.status.value,
        "solver": r.solver,
        "solver_status": r.solver_status,
        "started_at": r.started_at.isoformat(),
        "finished_at": r.finished_at.isoformat(),
        "summary": r.summary,
        "contracts": len(r.contract_ids),
        "unfilled_lines": len(r.unfilled),
        "round_url": f"{api_prefix}/rounds/{r.id}",
        "contracts_url": f"{api_prefix}/contracts?round_id={r.id}",
        "notes": notes,
    }


M = TypeVar("M", bound=BaseModel)
D = TypeVar("D")


def _load(model: type[M], build: Callable[[M], D], raw: Any) -> D:
    try:
        parsed = model.model_validate(raw)
    except PydanticError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(body)"
        raise InvalidValue(field, first["msg"]) from None
    return build(parsed)


def load_group(raw: Any) -> FarmerGroup:
    return _load(schema.GroupIn, schema.group_from, raw)


def load_buyer(raw: Any) -> Buyer:
    return _load(schema.BuyerIn, schema.buyer_from, raw)


def load_certificate(raw: Any) -> Certificate:
    return _load(schema.CertificateIn, schema.certificate_from, raw)


def load_supply(raw: Any) -> SupplyAnnouncement:
    return _load(schema.SupplyIn, schema.supply_from, raw)


def load_order(raw: Any) -> ForwardOrder:
    return _load(schema.OrderIn, schema.order_from, raw)
