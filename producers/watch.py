"""Watching a running worker's outbound topics on a thread, and waiting on what it did."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from matcher.adapters.kafka.broker import tail
from matcher.adapters.topics import Topic
from matcher.config import KafkaSettings
from producers.observe import Key, Observations

WATCHED = (Topic.EVENTS, Topic.CONTRACTS, Topic.DEAD_LETTERS)


class Watcher:
    """Reads the outbound topics from their current end into :class:`Observations`.

    The consumer is positioned when the watcher is made: make it before sending.
    """

    def __init__(self, settings: KafkaSettings, follow: Callable[[str], bool]) -> None:
        self.observations = Observations(follow)
        self._consumer = tail(settings, WATCHED)
        self._names = {f"{settings.topic_prefix}.{t.value}": t for t in WATCHED}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="foodmatch-watcher", daemon=True)
        self.error: Exception | None = None

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                batches = self._consumer.poll(timeout_ms=100)
                at = time.monotonic()
                for partition, records in batches.items():
                    topic = self._names.get(partition.topic)
                    if topic is None:
                        continue
                    for record in records:
                        self.observations.record(topic, record.value, at)
        except Exception as err:  # reported by the thread that reads the results
            self.error = err
        finally:
            self._consumer.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def handled(self, keys: list[Key]) -> Callable[[], int]:
        """Progress of ``keys``: how many led to their event or were refused."""

        def progress() -> int:
            done, refused = self.observations.handled(keys)
            return done + refused

        return progress


def wait_until(
    progress: Callable[[], int],
    target: int,
    idle: float,
    on_wait: Callable[[int], None] | None = None,
) -> int:
    """Wait until ``progress()`` reaches ``target`` or stays put for ``idle`` seconds."""
    last, since = progress(), time.monotonic()
    while last < target:
        time.sleep(0.05)
        now = progress()
        if on_wait is not None:
            on_wait(now)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= idle:
            break
    return last
