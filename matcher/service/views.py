"""The read side: what the API shows, as JSON-ready dicts, read through a unit of work."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from matcher.domain.contracts import BookState, UnfilledLine
from matcher.domain.errors import NotFound
from matcher.domain.model import ForwardOrder
from matcher.domain.weeks import iso_week
from matcher.service import codec
from matcher.service.ports import ContractFilter, OutboxEntry, UnitOfWork

if TYPE_CHECKING:
    from matcher.reference import District
    from matcher.service.stats import Facts

Json = dict[str, Any]


def _found(value: Any, kind: str, key: str) -> Any:
    if value is None:
        raise NotFound(kind, key)
    return value


def group(uow: UnitOfWork, group_id: str) -> Json:
    g = _found(uow.groups.get(group_id), "group", group_id)
    body = codec.dump_group(g)
    body["certificates"] = [codec.dump_certificate(c) for c in uow.certificates.list(group_id)]
    return body


def groups(uow: UnitOfWork) -> list[Json]:
    return [codec.dump_group(g) for g in uow.groups.list()]


def buyer(
    uow: UnitOfWork, buyer_id: str, *, districts: Mapping[str, District] | None = None
) -> Json:
    """A buyer with its district's names (null when the district is not in ``districts``)."""
    found = codec.dump_buyer(_found(uow.buyers.get(buyer_id), "buyer", buyer_id))
    return found | _district_names(found["district"], districts or {})


def buyers(uow: UnitOfWork, *, districts: Mapping[str, District] | None = None) -> list[Json]:
    """Every buyer, each with its district's names as :func:`buyer`."""
    dumped = (codec.dump_buyer(b) for b in uow.buyers.list())
    return [b | _district_names(b["district"], districts or {}) for b in dumped]


def _district_names(code: str | None, districts: Mapping[str, District]) -> Json:
    found = districts.get(code) if code else None
    return {
        "district_name_th": found.name_th if found else None,
        "district_name_en": found.name_en if found else None,
    }


def certificates(uow: UnitOfWork, group_id: str | None = None) -> list[Json]:
    return [codec.dump_certificate(c) for c in uow.certificates.list(group_id)]


def supply(uow: UnitOfWork, supply_id: str) -> Json:
    record = _found(uow.supply.get(supply_id), "supply", supply_id)
    bound = uow.contracts.bound_supply()
    body = codec.dump_supply(record.supply) | {"state": record.state.value}
    body["contracted"] = {w: bound.get((supply_id, w), 0) for w in sorted(record.supply.quantities)}
    return body


def supplies(
    uow: UnitOfWork,
    *,
    group_id: str | None = None,
    crop_id: str | None = None,
    state: BookState | None = None,
) -> list[Json]:
    records = uow.supply.list(state=state, group_id=group_id, crop_id=crop_id)
    return [codec.dump_supply(r.supply) | {"state": r.state.value} for r in records]


def order(
    uow: UnitOfWork, order_id: str, *, districts: Mapping[str, District] | None = None
) -> Json:
    """An order with each delivery's ordered, contracted and open quantity and, for one still
    open, why the last round left it so (see :func:`_last_round`); ``districts`` name the
    district of the alternative's group."""
    record = _found(uow.orders.get(order_id), "order", order_id)
    bound = uow.contracts.bound_demand()
    body = codec.dump_order(record.order) | {"state": record.state.value}
    body["delivery_status"] = [
        {
            "date": d.isoformat(),
            "week": iso_week(d),
            "ordered": record.order.quantity,
            "contracted": bound.get((order_id, d), 0),
            "open": record.order.quantity - bound.get((order_id, d), 0),
        }
        for d in record.order.deliveries
    ]
    body["cancelled_deliveries"] = [
        codec.dump_cancelled(c) | {"week": iso_week(c.day)} for c in record.cancelled
    ]
    _last_round(uow, record.order, body["delivery_status"], districts or {})
    return body


KITCHEN_MEASURES = frozenset(
    {
        "distance_km",
        "scheme",
        "certificate_valid_from",
        "certificate_valid_until",
        "certificate_revoked_on",
        "week",
        "suppliers",
        "min_lot",
    }
)
"""The measures of an alternative whose value the order's kitchen is shown. The others are
another participant's business and their value is null: a group's asking price
(``unit_price_thb``), how much it has free (``free_quantity``), its certificates' scope
(``crop_scope``) and credentials (``food_safety``), how many buyers it serves (``buyers``)."""


def _last_round(
    uow: UnitOfWork, order: ForwardOrder, statuses: list[Json], districts: Mapping[str, District]
) -> None:
    """Set each delivery's ``unfilled``: for a delivery still open, the reason the last round
    that cleared the order's market gave and its nearest alternative for the kitchen
    (:func:`_for_kitchen`); null when nothing is open or that round did not leave it unfilled
    (it came later, or a contract fell away since)."""
    lines: dict[str, UnfilledLine] = {}
    for unfilled in uow.rounds.latest_unfilled([order.crop_id]):
        if unfilled.order_id == order.id:
            lines.setdefault(unfilled.day.isoformat(), unfilled)
    for status in statuses:
        line = lines.get(status["date"]) if status["open"] > 0 else None
        status["unfilled"] = (
            None
            if line is None
            else {
                "reason": line.reason,
                "quantity": line.quantity,
                "alternative": _for_kitchen(uow, line.alternative, districts),
            }
        )


def _for_kitchen(
    uow: UnitOfWork, alternative: Mapping[str, Any] | None, districts: Mapping[str, District]
) -> Json | None:
    """A round's alternative reduced to what the order's kitchen may see: the rule, the measure,
    its value (for :data:`KITCHEN_MEASURES` only) and the limit, and the district of the
    candidate group, never the group, its supply or its price."""
    if alternative is None:
        return None
    measure = str(alternative.get("measure", ""))
    group = uow.groups.get(str(alternative.get("group_id", "")))
    code = group.district if group is not None and group.district else None
    return {
        "rule": str(alternative.get("rule", "")),
        "measure": measure,
        "value": alternative.get("value") if measure in KITCHEN_MEASURES else None,
        "limit": alternative.get("limit"),
        "district": code,
    } | _district_names(code, districts)


def orders(
    uow: UnitOfWork,
    *,
    buyer_id: str | None = None,
    crop_id: str | None = None,
    state: BookState | None = None,
) -> list[Json]:
    records = uow.orders.list(state=state, buyer_id=buyer_id, crop_id=crop_id)
    return [codec.dump_order(r.order) | {"state": r.state.value} for r in records]


def contract(uow: UnitOfWork, contract_id: str) -> Json:
    return codec.dump_contract(_found(uow.contracts.get(contract_id), "contract", contract_id))


def contracts(uow: UnitOfWork, where: ContractFilter) -> list[Json]:
    return [codec.dump_contract(c) for c in uow.contracts.list(where)]


def matching_round(uow: UnitOfWork, round_id: str) -> Json:
    """A round with its unfilled lines, each with its nearest alternative (or null)."""
    record = _found(uow.rounds.get(round_id), "round", round_id)
    body = codec.dump_round(record)
    for line, unfilled in zip(body["unfilled"], record.unfilled, strict=True):
        line["alternative"] = unfilled.alternative
    return body


def rounds(uow: UnitOfWork, *, limit: int = 50, offset: int = 0) -> list[Json]:
    return [
        codec.dump_round(r, with_unfilled=False)
        for r in uow.rounds.list(limit=limit, offset=offset, unfilled=False)
    ]


def open_book(uow: UnitOfWork, crop_id: str, *, since: date | None = None) -> Json:
    """The open book of one market: open demand and free supply per week, and their lines."""
    weeks: dict[str, dict[str, int]] = defaultdict(lambda: {"demand_open": 0, "supply_free": 0})
    order_lines: list[Json] = []
    for d in uow.figures.open_deliveries(crop_id, since):
        weeks[iso_week(d.day)]["demand_open"] += d.open
        order_lines.append(
            {
                "order_id": d.order_id,
                "buyer_id": d.buyer_id,
                "date": d.day.isoformat(),
                "open": d.open,
                "min_tier": d.min_tier.value,
            }
        )
    supply_lines: list[Json] = []
    for w in uow.figures.free_weeks(crop_id):
        weeks[w.week]["supply_free"] += w.free
        supply_lines.append(
            {
                "supply_id": w.supply_id,
                "group_id": w.group_id,
                "week": w.week,
                "free": w.free,
                "scheme": w.scheme.value,
            }
        )
    return {
        "crop_id": crop_id,
        "weeks": {w: weeks[w] for w in sorted(weeks)},
        "orders": order_lines,
        "supply": supply_lines,
    }


def audit(
    uow: UnitOfWork,
    *,
    event: str | None = None,
    key: str | None = None,
    subject: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Json]:
    """Every recorded change, newest first: when, what, by whom, on what, and why.

    ``subject`` keeps the entries about one object (a contract, order, supply, group, buyer or
    certificate id), looked up in the entries' payloads.
    """
    page, _ = audit_page(uow, event=event, key=key, subject=subject, limit=limit, offset=offset)
    return page


def audit_page(
    uow: UnitOfWork,
    *,
    event: str | None = None,
    key: str | None = None,
    subject: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Json], int]:
    """One page of :func:`audit` and how many entries match over every page. With a
    ``subject`` the matching entries are picked from every recorded event of the filters, so
    pages are full and the total exact."""
    if subject is None:
        entries = uow.outbox.history(event=event, key=key, limit=limit, offset=offset)
        found = [_audit_entry(e) for e in entries]
        return found, uow.outbox.history_count(event=event, key=key)
    everything = uow.outbox.history(
        event=event, key=key, limit=uow.outbox.history_count(event=event, key=key), offset=0
    )
    about = [_audit_entry(e) for e in everything if subject in _ids(e.payload)]
    return about[offset : offset + limit], len(about)


def _ids(payload: dict[str, object]) -> set[str]:
    return {str(v) for k, v in payload.items() if (k == "id" or k.endswith("_id")) and v}


def _audit_entry(entry: OutboxEntry) -> Json:
    p = entry.payload
    raw = p.get("change")
    change: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "id": entry.id,
        "at": entry.created_at.isoformat(),
        "event": entry.event,
        "key": entry.key,
        "subject": p.get("id"),
        "actor": change.get("actor") or p.get("actor") or "system",
        "reason": change.get("reason") or p.get("reason") or "",
        "state": p.get("state"),
    }


def overview(uow: UnitOfWork, today: date, *, facts: Facts | None = None) -> Json:
    """Counts for the live summary: participants, book, rounds, contracts, fill rate.

    ``open_demand``: ordered quantity of deliveries from ``today`` on neither under contract nor
    proposed; ``free_supply``: announced quantity neither under contract nor proposed.
    ``contracted``: ordered quantity under contracts the groups have accepted (accepted, in
    delivery, completed), the fill rate's part; ``proposed``: under proposals not answered yet.
    ``last_round``: the newest round that made a contract; ``empty_rounds_since``: the rounds
    run after it (none made a contract), the newest of which finished at ``last_empty_round_at``.
    With ``facts`` (of the same state), the sums they hold are taken from them.
    """
    demand = facts.demand if facts is not None else uow.figures.demand_days()
    supply = facts.supply if facts is not None else uow.figures.supply_cells()
    ordered = sum(d.ordered for d in demand)
    contracted = sum(d.contracted for d in demand)
    cleared = uow.rounds.latest_with_contracts()
    empty_rounds, last_empty = uow.rounds.after(cleared)
    counts = facts.contracts_by_state if facts is not None else uow.figures.contracts_by_state()
    return {
        **uow.figures.participants_and_book(),
        "open_demand": sum(d.open for d in demand if d.day >= today),
        "free_supply": sum(c.announced - c.contracted - c.proposed for c in supply),
        "rounds": uow.rounds.count(),
        "contracts": sum(counts.values()),
        "contracts_by_state": {k: v for k, v in counts.items() if v},
        "ordered": ordered,
        "contracted": contracted,
        "proposed": sum(d.proposed for d in demand),
        "fill_rate": round(contracted / ordered, 4) if ordered else 0.0,
        "last_round": codec.dump_round(cleared, with_unfilled=False) if cleared else None,
        "empty_rounds_since": empty_rounds,
        "last_empty_round_at": last_empty.isoformat() if last_empty is not None else None,
    }
