"""The round trigger of the in-process engine: debounce, its cap, and the schedule."""

from __future__ import annotations

from matcher.engine.inprocess import RoundTrigger, Timing


def test_a_round_is_due_the_debounce_interval_after_the_last_change() -> None:
    trigger = RoundTrigger(Timing(2.0, 10.0, 0.0), now=0.0)
    trigger.changed(0.0)
    trigger.changed(1.5)

    assert trigger.take(3.0) is None
    assert trigger.take(3.5) == "debounce"


def test_a_steady_stream_of_changes_still_gets_a_round_after_the_cap() -> None:
    trigger = RoundTrigger(Timing(2.0, 5.0, 0.0), now=0.0)
    for t in range(0, 6):
        trigger.changed(float(t))

    assert trigger.take(5.0) == "debounce"


def test_after_a_round_nothing_is_due_until_the_next_change() -> None:
    trigger = RoundTrigger(Timing(1.0, 5.0, 0.0), now=0.0)
    trigger.changed(0.0)
    trigger.ran(1.0)

    assert trigger.take(100.0) is None
    assert trigger.wait(100.0) == 1.0


def test_scheduled_rounds_come_every_interval() -> None:
    trigger = RoundTrigger(Timing(1.0, 5.0, 60.0), now=0.0)

    assert trigger.take(59.0) is None
    assert trigger.take(60.0) == "schedule"
    assert trigger.take(61.0) is None
    assert trigger.take(125.0) == "schedule"
    assert trigger.wait(125.0) == 55.0
