"""Translation between rows of :mod:`matcher.adapters.db.tables` and the domain dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from matcher.adapters.db.tables import (
    BuyerRow,
    CertificateRow,
    ContractDeliveryRow,
    ContractHistoryRow,
    ContractRow,
    GroupRow,
    OrderDeliveryCancellationRow,
    OrderDeliveryRow,
    OrderRow,
    RoundRow,
    RoundUnfilledRow,
    SupplyRow,
    SupplyWeekRow,
)
from matcher.domain.calendar import ClosedDay, ClosedKind, DateChange, OnHoliday
from matcher.domain.contracts import (
    BookState,
    CancelledDelivery,
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    HistoryEntry,
    MatchingRound,
    OrderRecord,
    RefusalReason,
    RoundStatus,
    SupplyRecord,
    UnfilledLine,
)
from matcher.domain.model import (
    NO_REGISTRY,
    REGISTRY_FIELDS,
    Buyer,
    BuyerKind,
    Certificate,
    FarmerGroup,
    ForwardOrder,
    GroupKind,
    Location,
    Registry,
    SupplyAnnouncement,
    WeeklySchedule,
)
from matcher.domain.standards import Scheme, Tier


def group_row(g: FarmerGroup) -> GroupRow:
    return GroupRow(
        id=g.id,
        name_th=g.name_th,
        name_en=g.name_en,
        kind=g.kind.value,
        district=g.district,
        lat=g.location.lat,
        lon=g.location.lon,
        members=g.members,
        min_lot=g.min_lot,
        max_buyers_per_week=g.max_buyers_per_week,
        details=registry_json(g.registry),
    )


def registry_json(r: Registry) -> dict[str, Any] | None:
    """A group's or buyer's registry details as stored (null when it has none)."""
    if r == NO_REGISTRY:
        return None
    body: dict[str, Any] = {}
    for name in REGISTRY_FIELDS:
        value = getattr(r, name)
        if value not in ("", None):
            body[name] = value.isoformat() if isinstance(value, date) else value
    return body


def registry_of(raw: dict[str, Any] | None) -> Registry:
    if not raw:
        return NO_REGISTRY
    source = raw.get("source_date")
    return Registry(
        **{k: v for k, v in raw.items() if k in REGISTRY_FIELDS and k != "source_date"},
        source_date=date.fromisoformat(source) if source else None,
    )


def group_of(row: GroupRow) -> FarmerGroup:
    return FarmerGroup(
        id=row.id,
        name_th=row.name_th,
        name_en=row.name_en,
        location=Location(row.lat, row.lon),
        members=row.members,
        kind=GroupKind(row.kind),
        district=row.district,
        min_lot=row.min_lot,
        max_buyers_per_week=row.max_buyers_per_week,
        registry=registry_of(row.details),
    )


def buyer_row(b: Buyer) -> BuyerRow:
    return BuyerRow(
        id=b.id,
        name_th=b.name_th,
        name_en=b.name_en,
        kind=b.kind.value,
        district=b.district,
        lat=b.location.lat,
        lon=b.location.lon,
        details=registry_json(b.registry),
        non_delivery_weekdays=list(b.non_delivery_weekdays) or None,
        non_delivery_dates=[d.isoformat() for d in b.non_delivery_dates] or None,
    )


def buyer_of(row: BuyerRow) -> Buyer:
    return Buyer(
        id=row.id,
        name_th=row.name_th,
        name_en=row.name_en,
        kind=BuyerKind(row.kind),
        location=Location(row.lat, row.lon),
        district=row.district,
        registry=registry_of(row.details),
        non_delivery_weekdays=tuple(row.non_delivery_weekdays or ()),
        non_delivery_dates=tuple(date.fromisoformat(d) for d in row.non_delivery_dates or ()),
    )


def date_changes_json(changes: tuple[DateChange, ...]) -> list[dict[str, Any]] | None:
    """An order's calendar changes as stored (null when none)."""
    return [
        {
            "asked": c.asked.isoformat(),
            "delivery": c.delivery.isoformat() if c.delivery else None,
            "kind": c.closed.kind.value,
            "name_th": c.closed.name_th,
            "name_en": c.closed.name_en,
        }
        for c in changes
    ] or None


def date_changes_of(raw: list[dict[str, Any]] | None) -> tuple[DateChange, ...]:
    return tuple(
        DateChange(
            date.fromisoformat(c["asked"]),
            date.fromisoformat(c["delivery"]) if c["delivery"] else None,
            ClosedDay(ClosedKind(c["kind"]), c["name_th"], c["name_en"]),
        )
        for c in raw or ()
    )


def certificate_row(c: Certificate) -> CertificateRow:
    return CertificateRow(
        id=c.id,
        group_id=c.group_id,
        scheme=c.scheme.value,
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        crops=sorted(c.crops),
        crop_groups=sorted(c.crop_groups),
        scopes=sorted(c.scopes),
        certifier=c.certifier,
        revoked_on=c.revoked_on,
    )


def certificate_of(row: CertificateRow) -> Certificate:
    return Certificate(
        id=row.id,
        group_id=row.group_id,
        scheme=Scheme(row.scheme),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        crops=frozenset(row.crops),
        crop_groups=frozenset(row.crop_groups),
        scopes=frozenset(row.scopes),
        certifier=row.certifier,
        revoked_on=row.revoked_on,
    )


def supply_row(record: SupplyRecord) -> SupplyRow:
    s = record.supply
    return SupplyRow(
        id=s.id,
        group_id=s.group_id,
        crop_id=s.crop_id,
        scheme=s.scheme.value,
        asking_price=s.asking_price,
        fda_no=s.fda_no,
        state=record.state.value,
        created_at=record.created_at,
        weeks=[SupplyWeekRow(week=w, quantity=q) for w, q in sorted(s.quantities.items())],
    )


def supply_of(row: SupplyRow) -> SupplyRecord:
    return supply_from(row, {w.week: w.quantity for w in row.weeks})


def supply_from(row: Any, quantities: dict[str, int]) -> SupplyRecord:
    """A supply record from a row of the ``supply`` table (an ORM row or a plain one) and its
    weeks' quantities."""
    supply = SupplyAnnouncement(
        id=row.id,
        group_id=row.group_id,
        crop_id=row.crop_id,
        scheme=Scheme(row.scheme),
        quantities=quantities,
        asking_price=row.asking_price,
        fda_no=row.fda_no or "",
    )
    return SupplyRecord(supply, BookState(row.state), row.created_at)


def _schedule_json(schedule: WeeklySchedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "weekdays": list(schedule.weekdays),
    }


def _schedule_of(raw: dict[str, Any] | None) -> WeeklySchedule | None:
    if raw is None:
        return None
    return WeeklySchedule(
        start=date.fromisoformat(raw["start"]),
        end=date.fromisoformat(raw["end"]),
        weekdays=tuple(raw["weekdays"]),
    )


def order_row(record: OrderRecord) -> OrderRow:
    o = record.order
    return OrderRow(
        id=o.id,
        buyer_id=o.buyer_id,
        crop_id=o.crop_id,
        quantity=o.quantity,
        min_tier=o.min_tier.value,
        max_price=o.max_price,
        max_distance_km=o.max_distance_km,
        schedule=_schedule_json(o.schedule),
        max_suppliers=o.max_suppliers,
        purchase_order_no=o.purchase_order_no,
        price_includes_transport=o.price_includes_transport,
        on_holiday=o.on_holiday.value,
        date_changes=date_changes_json(o.date_changes),
        state=record.state.value,
        created_at=record.created_at,
        deliveries=[OrderDeliveryRow(day=d, quantity=o.quantity) for d in o.deliveries],
    )


def order_of(row: OrderRow) -> OrderRecord:
    cancelled = tuple(cancelled_of(c) for c in row.cancelled)
    return order_from(row, tuple(d.day for d in row.deliveries), cancelled)


def cancelled_row(order_id: str, c: CancelledDelivery) -> OrderDeliveryCancellationRow:
    return OrderDeliveryCancellationRow(
        order_id=order_id, day=c.day, reason=c.reason, actor=c.actor, cancelled_at=c.at
    )


def cancelled_of(row: Any) -> CancelledDelivery:
    """A cancelled delivery from a row of ``order_delivery_cancellations`` (ORM or plain)."""
    return CancelledDelivery(row.day, row.reason, row.actor, row.cancelled_at)


def order_from(
    row: Any, deliveries: tuple[date, ...], cancelled: tuple[CancelledDelivery, ...] = ()
) -> OrderRecord:
    """An order record from a row of the ``orders`` table (an ORM row or a plain one), its
    delivery dates in order and its cancelled ones."""
    order = ForwardOrder(
        id=row.id,
        buyer_id=row.buyer_id,
        crop_id=row.crop_id,
        quantity=row.quantity,
        deliveries=deliveries,
        min_tier=Tier(row.min_tier),
        max_price=row.max_price,
        max_distance_km=row.max_distance_km,
        schedule=_schedule_of(row.schedule),
        max_suppliers=row.max_suppliers,
        purchase_order_no=row.purchase_order_no or "",
        price_includes_transport=row.price_includes_transport is not False,
        on_holiday=OnHoliday(row.on_holiday or OnHoliday.PREVIOUS_WORKING_DAY),
        date_changes=date_changes_of(row.date_changes),
    )
    return OrderRecord(order, BookState(row.state), row.created_at, cancelled)


def contract_row(c: Contract) -> ContractRow:
    return ContractRow(
        id=c.id,
        round_id=c.round_id,
        order_id=c.order_id,
        buyer_id=c.buyer_id,
        group_id=c.group_id,
        supply_id=c.supply_id,
        crop_id=c.crop_id,
        scheme=c.scheme.value,
        min_tier=c.min_tier.value,
        unit_price=c.unit_price,
        state=c.state.value,
        pricing_policy=c.pricing_policy,
        reason=c.reason,
        created_at=c.created_at,
        proposal_expires_at=c.proposal_expires_at,
        deliveries=[delivery_row(d) for d in c.deliveries],
        history=[history_row(n, e) for n, e in enumerate(c.history)],
    )


def delivery_row(d: ContractDelivery) -> ContractDeliveryRow:
    row = ContractDeliveryRow(day=d.day)
    set_delivery(row, d)
    return row


def set_delivery(row: ContractDeliveryRow, d: ContractDelivery) -> None:
    """Write a delivery's schedule, state and confirmation into its row (the day is the key)."""
    row.week = d.week
    row.quantity = d.quantity
    row.distance_km = d.distance_km
    row.state = d.state.value
    row.received = d.received
    row.refused = d.refused
    row.refusal_reason = d.refusal_reason.value if d.refusal_reason else None
    row.refusal_note = d.refusal_note


def history_row(seq: int, e: HistoryEntry) -> ContractHistoryRow:
    return ContractHistoryRow(
        seq=seq,
        at=e.at,
        actor=e.actor,
        action=e.action,
        from_state=e.from_state,
        to_state=e.to_state,
        reason=e.reason,
        details=dict(e.details),
    )


def delivery_of(row: Any) -> ContractDelivery:
    return ContractDelivery(
        row.day,
        row.week,
        row.quantity,
        row.distance_km,
        DeliveryState(row.state),
        row.received,
        row.refused,
        RefusalReason(row.refusal_reason) if row.refusal_reason else None,
        row.refusal_note,
    )


def history_of(row: Any) -> HistoryEntry:
    return HistoryEntry(
        at=row.at,
        actor=row.actor,
        action=row.action,
        from_state=row.from_state,
        to_state=row.to_state,
        reason=row.reason,
        details=dict(row.details),
    )


def contract_of(row: ContractRow) -> Contract:
    return contract_from(
        row,
        tuple(delivery_of(d) for d in row.deliveries),
        tuple(history_of(h) for h in row.history),
    )


def contract_from(
    row: Any, deliveries: tuple[ContractDelivery, ...], history: tuple[HistoryEntry, ...]
) -> Contract:
    """A contract from a row of the ``contracts`` table (an ORM row or a plain one), its
    deliveries by date and its history in order."""
    return Contract(
        id=row.id,
        round_id=row.round_id,
        order_id=row.order_id,
        buyer_id=row.buyer_id,
        group_id=row.group_id,
        supply_id=row.supply_id,
        crop_id=row.crop_id,
        scheme=Scheme(row.scheme),
        min_tier=Tier(row.min_tier),
        unit_price=row.unit_price,
        deliveries=deliveries,
        state=ContractState(row.state),
        pricing_policy=row.pricing_policy,
        reason=row.reason,
        created_at=row.created_at,
        proposal_expires_at=row.proposal_expires_at,
        history=history,
    )


def round_row(r: MatchingRound) -> RoundRow:
    ahead = _ahead(r.unfilled)
    return RoundRow(
        id=r.id,
        trigger=r.trigger,
        started_at=r.started_at,
        finished_at=r.finished_at,
        status=r.status.value,
        solver=r.solver,
        solver_status=r.solver_status,
        summary=r.summary,
        notes=list(r.notes),
        contract_ids=list(r.contract_ids),
        unfilled=[
            RoundUnfilledRow(
                line=n,
                order_id=u.order_id,
                buyer_id=u.buyer_id,
                crop_id=u.crop_id,
                day=u.day,
                week=u.week,
                quantity=u.quantity,
                reason=u.reason,
                detail=u.detail,
                alternative=dict(u.alternative) if u.alternative is not None else None,
                ahead=ahead[n],
            )
            for n, u in enumerate(r.unfilled)
        ],
    )


def _ahead(lines: Sequence[UnfilledLine]) -> list[int]:
    """For each line, the quantity of the lines of the same delivery before it (by reason, then
    position): what they take first of what is open of the delivery."""
    out = [0] * len(lines)
    asked: dict[tuple[str, date], int] = {}
    for n in sorted(range(len(lines)), key=lambda n: (lines[n].reason, n)):
        key = (lines[n].order_id, lines[n].day)
        out[n] = asked.get(key, 0)
        asked[key] = out[n] + lines[n].quantity
    return out


def round_of(row: RoundRow, *, with_unfilled: bool = True) -> MatchingRound:
    """The round of a row; ``with_unfilled=False`` leaves its lines unread (and empty)."""
    return MatchingRound(
        id=row.id,
        trigger=row.trigger,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=RoundStatus(row.status),
        solver=row.solver,
        solver_status=row.solver_status,
        summary=dict(row.summary),
        contract_ids=tuple(row.contract_ids),
        unfilled=tuple(unfilled_of(u) for u in row.unfilled) if with_unfilled else (),
        notes=tuple(row.notes),
    )


def unfilled_of(u: Any) -> UnfilledLine:
    return UnfilledLine(
        u.order_id,
        u.buyer_id,
        u.crop_id,
        u.day,
        u.week,
        u.quantity,
        u.reason,
        u.detail,
        dict(u.alternative) if u.alternative is not None else None,
    )
