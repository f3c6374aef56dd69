"""Webhook fan-out and delivery on a real database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from matcher import webhooks as wh
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.adapters.webhook_dispatch import WebhookDispatcher
from matcher.domain.contracts import MatchingRound, RoundStatus
from matcher.service import events
from matcher.service.ports import Webhook
from tests.support.lifecycle_store import contract

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SECRET = "whsec_integration_test_secret"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


class Receiver:
    """A fake endpoint: answers 500 to the first ``fail`` attempts of each delivery."""

    def __init__(self, fail: int = 2) -> None:
        self.fail = fail
        self.attempts: Counter[str] = Counter()
        self.accepted: list[dict[str, object]] = []
        self.bad_signatures = 0

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        delivery = headers[wh.DELIVERY_HEADER]
        if not wh.verify(SECRET, body, headers[wh.SIGNATURE_HEADER]):
            self.bad_signatures += 1
            return 400
        self.attempts[delivery] += 1
        if self.attempts[delivery] <= self.fail:
            return 500
        document = json.loads(body)
        assert document["delivery_id"] == delivery
        assert document["event"] == headers[wh.EVENT_HEADER]
        self.accepted.append(document)
        return 200


def contract_event(contract_id: str, group: str = "grp-a", buyer: str = "hosp-a") -> events.Event:
    proposed = replace(contract(contract_id, group_id=group), buyer_id=buyer)
    return events.ContractProposed(contract=proposed)


def round_event(round_id: str) -> events.Event:
    record = MatchingRound(
        id=round_id,
        trigger="request",
        started_at=T0,
        finished_at=T0,
        status=RoundStatus.COMPLETED,
        solver="flow",
        solver_status="optimal",
        summary={},
    )
    return events.RoundCompleted(round=record)


def setup(uow_factory: Callable[[], SqlUnitOfWork]) -> None:
    with uow_factory() as uow:
        uow.webhooks.add(Webhook("wh_group", "grp-a", "http://example.test/g", SECRET, T0))
        uow.webhooks.add(Webhook("wh_other", "grp-b", "http://example.test/b", SECRET, T0))
        uow.outbox.add(contract_event("c-1"), T0)
        uow.outbox.add(contract_event("c-2"), T0)
        uow.outbox.add(round_event("r-1"), T0)
        uow.commit()


def test_fan_out_is_idempotent_and_marks_the_events(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    setup(uow_factory)
    clock = Clock()
    dispatcher = WebhookDispatcher(uow_factory, post=Receiver(0), now=clock, batch=2)
    assert dispatcher.fan_out() == 2  # two contract events for grp-a; nothing for grp-b
    assert dispatcher.fan_out() == 0
    with uow_factory() as uow:
        assert uow.webhooks.unfanned() == []
        ids = {d.id for d in uow.webhooks.deliveries("wh_group")}
        assert uow.webhooks.deliveries("wh_other") == []
        # A repeat of an existing delivery writes nothing.
        first = uow.webhooks.deliveries("wh_group")[0]
        assert uow.webhooks.add_delivery(first) is False
        uow.outbox.add(contract_event("c-3", group="grp-b"), T0)
        uow.commit()
    assert ids == {wh.delivery_id(1, "wh_group"), wh.delivery_id(2, "wh_group")}
    assert dispatcher.fan_out() == 1
    with uow_factory() as uow:
        assert [d.event for d in uow.webhooks.deliveries("wh_other")] == ["ContractProposed"]


def test_a_receiver_failing_twice_gets_each_event_once_on_the_third_attempt(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    setup(uow_factory)
    clock = Clock()
    receiver = Receiver(fail=2)
    dispatcher = WebhookDispatcher(
        uow_factory, post=receiver, now=clock, max_attempts=5, backoff_seconds=1.0
    )
    dispatcher.run_once()  # first attempts fail
    with uow_factory() as uow:
        log = uow.webhooks.deliveries("wh_group")
    assert {(d.state, d.attempts, d.last_status) for d in log} == {("pending", 1, 500)}
    assert {d.next_attempt_at for d in log} == {T0 + timedelta(seconds=1)}
    assert {d.last_error for d in log} == {"HTTP 500"}

    assert dispatcher.deliver_due() == 0  # not due yet
    clock.at = T0 + timedelta(seconds=1)
    assert dispatcher.deliver_due() == 2  # second attempts fail, next in 2 s
    clock.at = T0 + timedelta(seconds=2)
    assert dispatcher.deliver_due() == 0
    clock.at = T0 + timedelta(seconds=3)
    assert dispatcher.deliver_due() == 2  # third attempts succeed
    clock.at = T0 + timedelta(hours=1)
    dispatcher.run_once()  # nothing more to do
    assert dispatcher.deliver_due() == 0

    assert receiver.bad_signatures == 0
    assert sorted(str(d["delivery_id"]) for d in receiver.accepted) == sorted(receiver.attempts)
    assert Counter(str(d["delivery_id"]) for d in receiver.accepted) == Counter(
        {wh.delivery_id(1, "wh_group"): 1, wh.delivery_id(2, "wh_group"): 1}
    )
    assert all(n == 3 for n in receiver.attempts.values())
    with uow_factory() as uow:
        log = uow.webhooks.deliveries("wh_group")
    assert {(d.state, d.attempts, d.last_status, d.last_error) for d in log} == {
        ("delivered", 3, 200, None)
    }
    assert {d.delivered_at for d in log} == {T0 + timedelta(seconds=3)}


def test_a_delivery_fails_after_the_last_attempt_and_errors_are_logged(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    setup(uow_factory)
    clock = Clock()

    def unreachable(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        raise ConnectionRefusedError("connection refused")

    dispatcher = WebhookDispatcher(
        uow_factory, post=unreachable, now=clock, max_attempts=2, backoff_seconds=1.0
    )
    dispatcher.run_once()
    clock.at = T0 + timedelta(seconds=5)
    dispatcher.run_once()
    clock.at = T0 + timedelta(hours=1)
    assert dispatcher.deliver_due() == 0
    with uow_factory() as uow:
        log = uow.webhooks.deliveries("wh_group")
    assert {(d.state, d.attempts, d.next_attempt_at, d.last_status) for d in log} == {
        ("failed", 2, None, None)
    }
    assert all("connection refused" in (d.last_error or "") for d in log)


def test_deleted_webhooks_get_no_new_deliveries(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    setup(uow_factory)
    with uow_factory() as uow:
        assert uow.webhooks.deactivate("wh_group") is True
        assert uow.webhooks.deactivate("wh_group") is False
        uow.commit()
    dispatcher = WebhookDispatcher(uow_factory, post=Receiver(0), now=Clock())
    assert dispatcher.fan_out() == 0
    with uow_factory() as uow:
        assert uow.webhooks.get("wh_group") is None
        assert [h.id for h in uow.webhooks.list()] == ["wh_other"]


def test_an_event_committed_after_a_higher_id_is_still_fanned_out(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    setup(uow_factory)
    clock = Clock()
    dispatcher = WebhookDispatcher(uow_factory, post=Receiver(0), now=clock)
    assert dispatcher.fan_out() == 2
    # A late commit: an event with a lower id than the newest one appears after the fan-out.
    with uow_factory() as uow:
        uow.outbox.add(contract_event("c-9"), T0)
        uow.outbox.add(contract_event("c-10"), T0)
        uow.commit()
    with uow_factory() as uow:
        [late, newest] = uow.webhooks.unfanned()
        uow.webhooks.mark_fanned([newest.id], clock())
        uow.commit()
    assert dispatcher.fan_out() == 1
    with uow_factory() as uow:
        events_seen = {d.outbox_id for d in uow.webhooks.deliveries("wh_group")}
    assert late.id in events_seen
