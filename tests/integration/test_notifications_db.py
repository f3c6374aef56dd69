"""Contacts, the notification outbox and its log on a real database (SQLite, and PostgreSQL in
CI), checked against the in-memory store the unit tests use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.service import events
from matcher.service.ports import (
    Contact,
    Notification,
    NotificationFilter,
    NotificationStore,
    OutboxEntry,
)
from tests.support.fakes import FakeNotificationStore
from tests.support.lifecycle_store import contract

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def notification(number: int, **changes: Any) -> Notification:
    base = Notification(
        id=f"ntf_{number:02d}",
        key=f"event:{number}",
        kind="contract_proposed",
        participant_id="g1" if number % 2 else "b1",
        channel="email" if number % 3 else "line",
        address="someone@example.test",
        language="th",
        subject="ข้อเสนอซื้อคะน้าใหม่",
        body="เรียน กลุ่ม\n\nรายละเอียด\n",
        state="pending",
        attempts=0,
        next_attempt_at=T0 + timedelta(minutes=number),
        last_error=None,
        sent_at=None,
        created_at=T0 + timedelta(seconds=number),
    )
    return replace(base, **changes)


def exercise(store: NotificationStore) -> list[Any]:
    """Every call of the port, in order, and what each gave."""
    seen: list[Any] = []
    assert store.contact("g1") is None
    contact = Contact("g1", "g1@example.test", "U123", "0812345678", "th", ("email", "line"), T0)
    store.put_contact(contact)
    store.put_contact(replace(contact, language="en", channels=("line",)))
    seen.append(store.contact("g1"))
    seen.append([store.add(notification(n)) for n in range(1, 8)])
    seen.append(store.add(notification(3, subject="again")))
    seen.append(store.get("ntf_03"))
    seen.append([n.id for n in store.due(T0 + timedelta(minutes=4))])
    store.update(notification(2, state="sent", attempts=1, next_attempt_at=None, sent_at=T0))
    store.update(
        notification(4, state="pending", attempts=2, last_error="HTTP 500", next_attempt_at=T0)
    )
    seen.append([n.id for n in store.due(T0 + timedelta(minutes=4), limit=3)])
    seen.append(store.get("ntf_04"))
    seen.append([n.id for n in store.log(NotificationFilter())])
    seen.append([n.id for n in store.log(NotificationFilter(), limit=2, offset=1)])
    for where in (
        NotificationFilter(participant_id="g1"),
        NotificationFilter(state="sent"),
        NotificationFilter(channel="line", participant_id="b1"),
        NotificationFilter(kind="sign_in_link"),
    ):
        seen.append(([n.id for n in store.log(where)], store.count(where)))
    return seen


def test_the_sql_store_answers_as_the_in_memory_one(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    with uow_factory() as uow:
        sql = exercise(uow.notifications)
        uow.commit()
    fake = exercise(FakeNotificationStore())

    assert sql == fake
    assert sql[1] == [True] * 7
    assert sql[2] is False
    assert sql[3].subject == "ข้อเสนอซื้อคะน้าใหม่"
    assert sql[5] == ["ntf_04", "ntf_01", "ntf_03"]
    with uow_factory() as uow:
        assert uow.notifications.count(NotificationFilter()) == 7
        assert uow.notifications.get("ntf_02") == notification(
            2, state="sent", attempts=1, next_attempt_at=None, sent_at=T0
        )


def test_the_notify_cursor_reads_each_event_once_and_skips_those_before_it(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    with uow_factory() as uow:
        for number in (1, 2, 3):
            uow.outbox.add(events.ContractProposed(contract=contract(f"c-{number}")), T0)
        uow.commit()
    with uow_factory() as uow:
        entries = uow.notifications.unnotified(2)
        uow.notifications.mark_notified([entries[0].id], T0)
        uow.notifications.mark_notified([entries[0].id], T0)  # twice is harmless
        uow.commit()
    fake = FakeNotificationStore(
        [OutboxEntry(e.id, e.event, e.key, e.payload, e.created_at) for e in entries]
    )
    fake.mark_notified([entries[0].id], T0)

    with uow_factory() as uow:
        left = uow.notifications.unnotified()
        assert [e.payload["id"] for e in left] == ["c-2", "c-3"]
        assert [e.id for e in fake.unnotified()] == [e.id for e in left][:1]
        uow.notifications.mark_notified([e.id for e in left], T0)
        uow.commit()
    with uow_factory() as uow:
        assert uow.notifications.unnotified() == []
