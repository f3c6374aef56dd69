"""Cancelling one delivery of a forward order: the date leaves the order's demand, the contract
deliveries of that day are released with a history entry, the group hears of it, and what cannot
be cancelled is refused. On the in-memory fakes and the pure domain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from matcher import notifications as nt
from matcher.domain.contracts import (
    BookState,
    ContractState,
    DeliveryState,
    OrderRecord,
    cancel_delivery,
)
from matcher.domain.errors import Conflict, InvalidValue, NotFound
from matcher.domain.lifecycle import Actor, Party, Settled, confirm_delivery, release_day
from matcher.domain.model import ForwardOrder
from matcher.domain.standards import Tier
from matcher.labels import Lang
from matcher.optimiser.schema import parse_instance
from matcher.service import commands, events
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store
from tests.support.lifecycle_store import BUYER, T0, WED_50, WED_51, WED_52, contract
from tests.support.participants import DAY, register_market, supply

THU, FRI = DAY + timedelta(days=1), DAY + timedelta(days=2)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def bus(store: Store, clock: FixedClock) -> MessageBus:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(crops=catalogue.crops, standards=catalogue.standards, clock=clock)
    return MessageBus(lambda: FakeUnitOfWork(store), context)


def three_days(oid: str = "o1") -> ForwardOrder:
    return ForwardOrder(oid, "h1", "kale", 60, (DAY, THU, FRI), Tier.SAFE, max_price=3000)


def matched(bus: MessageBus, store: Store) -> str:
    """An order of three deliveries, under one proposed contract; the contract's id."""
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply(qty=300)))
    bus.handle(commands.SubmitOrder(order=three_days()))
    (contract_id,) = bus.handle(commands.RunMatchingRound()).value.contract_ids
    assert [d.day for d in store.contracts[contract_id].deliveries] == [DAY, THU, FRI]
    return str(contract_id)


def cancel(day: date, reason: str = "ward closed for cleaning", **kw: str) -> commands.Command:
    return commands.CancelDelivery(order_id="o1", day=day, reason=reason, **kw)


def test_cancelling_a_delivery_releases_only_that_days_contract_delivery(
    bus: MessageBus, store: Store, clock: FixedClock
) -> None:
    contract_id = matched(bus, store)

    outcome = bus.handle(cancel(THU, actor="buyer:h1"))

    record = store.orders["o1"]
    assert record.state is BookState.OPEN
    assert record.order.deliveries == (DAY, FRI)
    (gone,) = record.cancelled
    assert (gone.day, gone.reason, gone.actor, gone.at) == (
        THU,
        "ward closed for cleaning",
        "buyer:h1",
        clock.now(),
    )
    after = store.contracts[contract_id]
    states = {d.day: d.state for d in after.deliveries}
    assert states == {
        DAY: DeliveryState.SCHEDULED,
        THU: DeliveryState.RELEASED,
        FRI: DeliveryState.SCHEDULED,
    }
    assert after.state is ContractState.PROPOSED
    entry = after.history[-1]
    assert (entry.actor, entry.action, entry.reason) == (
        "buyer:h1",
        "cancel_delivery",
        "ward closed for cleaning",
    )
    assert entry.details == {"date": THU.isoformat(), "quantity": 60}
    names = [e.name for e in outcome.events]
    assert names == ["OrderDeliveryCancelled", "ContractDeliveryCancelled"]
    logged = [(r.release.order_id, r.release.day, r.release.demand) for r in store.releases]
    assert logged == [("o1", THU, 60)]


def test_the_next_round_does_not_offer_the_cancelled_day_again(
    bus: MessageBus, store: Store
) -> None:
    matched(bus, store)
    bus.handle(cancel(THU))

    again = bus.handle(commands.RunMatchingRound())

    assert again.value.contract_ids == ()
    assert [u.day for u in again.value.unfilled] == []


def test_a_coordinator_is_named_as_itself_in_the_contracts_history(
    bus: MessageBus, store: Store
) -> None:
    contract_id = matched(bus, store)

    bus.handle(cancel(FRI, "road closed", actor="coordinator:ops"))

    assert store.contracts[contract_id].history[-1].actor == "coordinator:ops"
    assert store.orders["o1"].cancelled[0].actor == "coordinator:ops"


def test_an_order_without_contract_loses_the_date_and_nothing_else_happens(
    bus: MessageBus, store: Store
) -> None:
    register_market(bus)
    bus.handle(commands.SubmitOrder(order=three_days()))

    outcome = bus.handle(cancel(DAY))

    assert [e.name for e in outcome.events] == ["OrderDeliveryCancelled"]
    assert store.orders["o1"].order.deliveries == (THU, FRI)


def test_the_same_message_twice_cancels_once(bus: MessageBus, store: Store) -> None:
    matched(bus, store)

    first = bus.handle(cancel(THU, message_id="m-7"))
    again = bus.handle(cancel(THU, message_id="m-7"))

    assert not first.duplicate
    assert again.duplicate
    assert len(store.orders["o1"].cancelled) == 1
    assert sum(1 for e in store.outbox if e.event == "OrderDeliveryCancelled") == 1


def test_submitting_the_same_order_again_is_still_a_repeat(bus: MessageBus, store: Store) -> None:
    matched(bus, store)
    bus.handle(cancel(THU))

    repeat = bus.handle(commands.SubmitOrder(order=three_days()))

    assert not repeat.events
    assert store.orders["o1"].order.deliveries == (DAY, FRI)


def test_what_cannot_be_cancelled_is_refused_and_nothing_changes(
    bus: MessageBus, store: Store, clock: FixedClock
) -> None:
    contract_id = matched(bus, store)
    bus.handle(cancel(THU))
    before = (store.orders["o1"], store.contracts[contract_id])

    with pytest.raises(Conflict, match="already cancelled"):
        bus.handle(cancel(THU))
    with pytest.raises(InvalidValue, match="not a delivery date") as caught:
        bus.handle(cancel(DAY + timedelta(days=3)))
    assert caught.value.field == "day"
    with pytest.raises(InvalidValue, match="say why") as empty:
        bus.handle(cancel(FRI, "   "))
    assert empty.value.field == "reason"
    with pytest.raises(InvalidValue, match="at most 500"):
        bus.handle(cancel(FRI, "x" * 501))
    with pytest.raises(NotFound):
        bus.handle(commands.CancelDelivery(order_id="nope", day=FRI, reason="x"))
    clock.at = datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=9)
    with pytest.raises(Conflict, match="not in the future"):
        bus.handle(cancel(DAY))

    assert (store.orders["o1"], store.contracts[contract_id]) == before


def test_the_last_delivery_left_is_refused_cancel_the_order_instead(
    bus: MessageBus, store: Store
) -> None:
    matched(bus, store)
    bus.handle(cancel(THU))
    bus.handle(cancel(FRI))

    with pytest.raises(Conflict, match="last delivery left"):
        bus.handle(cancel(DAY))


def test_a_delivered_day_and_a_cancelled_order_are_refused(bus: MessageBus, store: Store) -> None:
    contract_id = matched(bus, store)
    bus.handle(commands.AcceptContract(contract_id=contract_id, actor="group:g1"))
    bus.handle(
        commands.ConfirmDelivery(contract_id=contract_id, day=FRI, received=60, actor="buyer:h1")
    )

    with pytest.raises(Conflict, match="already delivered"):
        bus.handle(cancel(FRI))
    assert store.orders["o1"].cancelled == ()

    bus.handle(commands.CancelOrder(order_id="o1", reason="menu changed"))
    with pytest.raises(Conflict, match="is cancelled"):
        bus.handle(cancel(THU))


# The domain ---------------------------------------------------------------------------------


def test_the_order_record_puts_a_cancelled_date_aside() -> None:
    record = OrderRecord(three_days(), BookState.OPEN, T0)

    after, gone = cancel_delivery(
        record, THU, today=T0.date(), at=T0, actor="buyer:h1", reason="  closed  "
    )

    assert after.order.deliveries == (DAY, FRI)
    assert gone.reason == "closed"
    assert after.submitted == record.order
    assert record.order.deliveries == (DAY, THU, FRI)


def test_releasing_a_day_keeps_the_contract_live_while_deliveries_remain() -> None:
    offered = contract("c1", state=ContractState.ACCEPTED)

    change = release_day(offered, BUYER, T0, WED_51, "ward closed")

    assert change.contract.state is ContractState.ACCEPTED
    assert [r.day for r in change.released] == [WED_51]
    assert change.released[0].cause == "delivery cancelled by buyer"


def test_releasing_the_last_scheduled_day_completes_or_cancels_the_contract() -> None:
    two = contract("c1", days=(WED_50, WED_51), state=ContractState.ACCEPTED)
    delivered = confirm_delivery(two, BUYER, T0, WED_50, Settled(received=40, refused=0))
    alone = contract("c2", days=(WED_52,))

    completed = release_day(delivered.contract, BUYER, T0, WED_51, "closed")
    cancelled = release_day(alone, Actor(Party.COORDINATOR, "ops"), T0, WED_52, "closed")

    assert completed.contract.state is ContractState.COMPLETED
    assert cancelled.contract.state is ContractState.CANCELLED


def test_only_the_buyer_or_a_coordinator_releases_a_scheduled_day() -> None:
    offered = contract("c1")

    with pytest.raises(Conflict, match="by the buyer or coordinator only"):
        release_day(offered, Actor(Party.GROUP, "g1"), T0, WED_51, "closed")
    with pytest.raises(Conflict, match="not a party"):
        release_day(offered, Actor(Party.BUYER, "other"), T0, WED_51, "closed")
    with pytest.raises(Conflict, match="no scheduled delivery"):
        release_day(offered, BUYER, T0, date(2026, 12, 10), "closed")


# The group's notice ---------------------------------------------------------------------------


class Names:
    def crop(self, crop_id: str, lang: Lang) -> tuple[str, str]:
        return ("คะน้า", "กก.") if lang == "th" else ("kale", "kg")

    def participant(self, participant_id: str, lang: Lang) -> str:
        return {"b1": "โรงพยาบาลหาดใหญ่" if lang == "th" else "Hat Yai Hospital"}.get(
            participant_id, participant_id
        )


def test_the_group_is_told_which_delivery_was_cancelled_and_why() -> None:
    change = release_day(contract("c1"), BUYER, T0, WED_51, "ห้องครัวปิดปรับปรุง")
    payload = events.ContractDeliveryCancelled(change=change).payload

    (notice,) = nt.notices_of(5, "ContractDeliveryCancelled", payload)
    th_subject, th_body = nt.render(notice, "th", Names())
    en_subject, en_body = nt.render(notice, "en", Names())

    assert (notice.kind, notice.participant_id) == ("delivery_cancelled", "g1")
    assert th_subject == "โรงพยาบาลหาดใหญ่ ยกเลิกรอบส่งคะน้าวันที่ 16 ธันวาคม 2569"
    assert "(40 กก.)" in th_body
    assert "เหตุผล: ห้องครัวปิดปรับปรุง\n" in th_body
    assert en_subject == "Hat Yai Hospital cancelled the kale delivery of 16 December 2026"
    assert "The other deliveries of the contract stay as agreed." in en_body
