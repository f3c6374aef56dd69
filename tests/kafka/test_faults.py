"""Faults under the Kafka engine, against a real broker and PostgreSQL: afterwards nothing
accepted is lost, nothing is duplicated, and every service recovers by itself.

Covered elsewhere, not repeated here:

* poison messages (not JSON, an invalid body, an unknown participant) go to the dead letters and
  the messages around them are handled: ``test_worker_e2e.py::
  test_refused_messages_land_on_the_dead_letters_and_the_valid_ones_around_them_are_handled``;
* a message delivered twice: ``test_worker_e2e.py::test_a_message_delivered_twice_has_one_effect``;
* a worker killed mid-stream, and a worker joining mid-stream: ``test_worker_e2e.py``;
* the database unreachable under a worker (retried, nothing skipped, even across a stop):
  ``test_worker_outage.py``.

Here: a worker killed during a round; the broker stopped and started again while messages flow
(on a broker of this module's own, never the shared one), with the API on the Kafka engine; the
database unreachable under the API (both engines); an oversized message; the whole stream
replayed (same group, then the group's offsets reset to the earliest); a message whose handling
keeps failing for a reason that is not transient.

"Accepted" means acknowledged by the broker (``acks=all``) for a message, and answered 2xx for an
API request.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec
from kafka.errors import KafkaError
from sqlalchemy import Engine, text

from api.app import create_app
from matcher.adapters.kafka.publisher import KafkaPublisher
from matcher.adapters.topics import INBOUND, Topic
from matcher.adapters.wire import MessageTooLarge, WireMessage, encode_body
from matcher.config import Settings
from matcher.scenario import songkhla_instance
from matcher.service.rounds import round_id_for
from producers.stream import Scenario as ScenarioStream
from producers.stream import to_wire
from tests.support.api_keys import sign_in
from tests.support.kafka_harness import (
    REQUESTED_ROUNDS,
    Database,
    KafkaBroker,
    MarketSpace,
    WorkerProcess,
    check_contracts_consistent,
    check_within_quantities,
    contract_terms,
    database_down,
    envelopes,
    group_lag,
    kafka_api,
    message,
    publisher,
    read_topic,
    scenario,
    table_counts,
    tuned,
    unpublished,
    wait_until,
)
from tests.support.market import API, buyer_body, order_body

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

StartWorker = Callable[[MarketSpace, str], WorkerProcess]


@pytest.fixture(params=[1, 500], ids=["one-by-one", "batches-of-500"])
def space(new_space: Callable[[], MarketSpace], request: pytest.FixtureRequest) -> MarketSpace:
    """Every fault here is met by workers handling messages one at a time and in batches."""
    return tuned(new_space(), FOODMATCH_BATCH_SIZE=str(request.param))


def message_id_of(m: WireMessage) -> str:
    mid: str = json.loads(m.value)["message_id"]
    return mid


def rows(database: Database, sql: str) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql)))


def kinds(database: Database) -> dict[str, int]:
    """Handled messages by command."""
    return {
        str(kind): int(n)
        for kind, n in rows(database, "SELECT kind, count(*) FROM inbox GROUP BY kind")
    }


TABLES = {
    "group.register": "groups",
    "buyer.register": "buyers",
    "certificate.register": "certificates",
    "supply.announce": "supply",
    "order.submit": "orders",
}


def wait_stored(database: Database, messages: list[WireMessage], seconds: float = 60) -> None:
    """Wait until the participants, supply and orders of ``messages`` are all stored."""
    wanted: dict[str, int] = {}
    for m in messages:
        table = TABLES[json.loads(m.value)["type"]]
        wanted[table] = wanted.get(table, 0) + 1

    def stored() -> bool:
        counts = database.counts()
        return all(counts[t] >= n for t, n in wanted.items())

    wait_until(stored, seconds, f"{wanted} to be stored")


def distinct_by_message_id(records: list[Any]) -> dict[str, dict[str, Any]]:
    """Outbound events by ``message_id`` (``evt-<outbox id>``); a repeat must be identical."""
    out: dict[str, dict[str, Any]] = {}
    for e in envelopes(records):
        seen = out.setdefault(e["message_id"], e)
        assert seen["body"] == e["body"], f"{e['message_id']} was published with two bodies"
    return out


# 1. A worker killed during a round ---------------------------------------------------------------

SLOW_ROUNDS = REQUESTED_ROUNDS | {
    # Single sourcing makes the round an integer problem: CP-SAT works on the Songkhla book
    # until its time limit, so the round takes about that long.
    "FOODMATCH_MAX_SUPPLIERS": "1",
    "FOODMATCH_TIME_LIMIT_SECONDS": "8",
}


def songkhla_stream(tag: str) -> tuple[list[WireMessage], list[WireMessage]]:
    """The Songkhla scenario (two weeks) as wire messages: participants, then the book."""
    stream = ScenarioStream.of(songkhla_instance(weeks=2, seed=1), namespace=tag, seed=1)
    return (
        [to_wire(m, "kafka-test") for m in stream.participants],
        [to_wire(m, "kafka-test") for m in stream.book],
    )


SOLVING = re.compile(r"round (rnd-[0-9a-f]+) \((\w+)\) solving")


def rounds_begun(worker: WorkerProcess) -> list[tuple[str, str]]:
    """(round id, trigger) of every round the worker began to solve, from its log."""
    return [(m[1], m[2]) for m in SOLVING.finditer(worker.log())]


@pytest.mark.parametrize("trigger", ["request", "debounce"])
def test_a_worker_killed_during_a_round_leaves_no_trace_and_the_next_one_runs_it_once(
    space: MarketSpace, database: Database, workers: StartWorker, trigger: str
) -> None:
    debounced = {"FOODMATCH_DEBOUNCE_SECONDS": "2"} if trigger == "debounce" else {}
    slow = tuned(space, **(SLOW_ROUNDS | debounced))
    participants, book = songkhla_stream(space.prefix)
    request = encode_body("round.request", {"crops": []}, f"{space.prefix}-round-1", "kafka-test")
    first = workers(slow, "first")

    with publisher(space) as pub:
        pub.send_many(participants)
        wait_stored(database, participants)
        pub.send_many(book)
        wait_stored(database, book)
        if trigger == "request":
            pub.send(request)
    begun = wait_until(lambda: rounds_begun(first), 30, "a round to begin")
    killed_round, how = begun[0]
    time.sleep(1.0)  # well inside the solver's 8 s
    finished = database.scalar("SELECT count(*) FROM rounds")
    assert finished == 0, "the round ended within a second: the kill would not hit it"
    first.kill()
    assert how == trigger
    assert table_counts(database)["contracts"] == 0  # nothing of the round was written

    second = workers(slow, "second")
    wait_until(lambda: database.scalar("SELECT count(*) FROM rounds") >= 1, 75, "the round")

    stored = [tuple(r) for r in rows(database, "SELECT id, trigger FROM rounds")]
    if trigger == "request":  # the request came again and made the same round, once
        assert killed_round == round_id_for(message_id_of(request))
        assert rounds_begun(second)[0] == (killed_round, "request")
        assert stored == [(killed_round, "request")]
    else:  # the new leader found the book changed and ran a round of its own
        assert len(stored) == 1
        assert stored[0][1] == "debounce"
        assert stored[0][0] != killed_round
    assert kinds(database)["RunMatchingRound"] == 1
    contracts = check_contracts_consistent(database)
    assert contracts
    assert {c.round_id for c in contracts} == {stored[0][0]}
    assert len({(c.order_id, c.supply_id) for c in contracts}) == len(contracts)
    proposed_rows = "SELECT count(*) FROM outbox WHERE event = 'ContractProposed'"
    assert database.scalar(proposed_rows) == len(contracts)

    # The relay publishes every contract; a repeat on the topic could only be an identical copy.
    wait_until(lambda: unpublished(database) == 0, 30, "the outbox to be relayed")
    ids = {c.id for c in contracts}

    def all_proposed(records: list[Any]) -> bool:
        got = {e["body"]["id"] for e in envelopes(records) if e["type"] == "contract.proposed"}
        return got >= ids

    proposed = distinct_by_message_id(read_topic(space, Topic.CONTRACTS, until=all_proposed))
    assert sorted(e["body"]["id"] for e in proposed.values()) == sorted(ids)
    completed = read_topic(space, Topic.ROUNDS, until=lambda r: len(r) >= 1)
    assert {e["body"]["id"] for e in distinct_by_message_id(completed).values()} == {stored[0][0]}


# 2. The broker stopped and started again while messages flow -----------------------------------


@pytest.fixture(scope="module")
def own_broker(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KafkaBroker]:
    """A broker of this module's own (the shared one is never stopped); purged at the end."""
    broker = KafkaBroker(tmp_path_factory.mktemp("own-kafka") / "state")
    try:
        broker.start()
        yield broker
    finally:
        broker.stop(purge=True)


class Trickle(threading.Thread):
    """Publishes ``messages`` one by one with the project's publisher. A message is accepted
    once the broker acknowledged it; one that is not acknowledged in time is sent again (the
    same message id), as a producing system would."""

    def __init__(self, space: MarketSpace, messages: list[WireMessage], pause: float) -> None:
        super().__init__(daemon=True)
        self.space = space
        self.messages = messages
        self.pause = pause
        self.accepted: list[WireMessage] = []
        self.resent = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        pub = KafkaPublisher(self.space.kafka, client_id="test-stream", max_block_ms=5_000)
        try:
            for m in self.messages:
                while True:
                    try:
                        pub.send(m, timeout=10.0)
                        break
                    except KafkaError:
                        self.resent += 1
                self.accepted.append(m)
                time.sleep(self.pause)
        except BaseException as err:  # reported by the test
            self.failure = err
        finally:
            pub.close()


@dataclass(frozen=True, slots=True)
class BrokerOutage:
    """What the API answered while the broker was down, and how long it was down."""

    accepted_at_stop: int  # messages of the stream the broker had acknowledged when it stopped
    during: httpx.Response  # a command posted while the broker was down
    answered_in: float  # seconds it took to answer
    read: httpx.Response  # a read while the broker was down
    seconds: float  # how long the broker was down


def ten_seconds_without_the_broker(
    broker: KafkaBroker, api: TestClient, stream: Trickle
) -> BrokerOutage:
    """Stop ``broker`` for ten seconds while ``stream`` flows; a command and a read are sent to
    the API meanwhile."""
    broker.stop()
    down_at = time.monotonic()
    accepted_at_stop = len(stream.accepted)
    asked = time.monotonic()
    during = api.post(
        f"{API}/buyers", json=buyer_body("b-during"), headers={"Idempotency-Key": "k-d"}
    )
    answered_in = time.monotonic() - asked
    read = api.get(f"{API}/buyers")
    time.sleep(max(0.0, 10.0 - (time.monotonic() - down_at)))
    broker.start()
    return BrokerOutage(accepted_at_stop, during, answered_in, read, time.monotonic() - down_at)


def submitted_events(space: MarketSpace, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The outbound events by message id, read until every order of ``ids`` was submitted."""

    def all_submitted(records: list[Any]) -> bool:
        got = {e["body"]["id"] for e in envelopes(records) if e["type"] == "order.submitted"}
        return got >= ids

    return distinct_by_message_id(read_topic(space, Topic.EVENTS, until=all_submitted))


def test_the_broker_stopped_and_started_again_loses_nothing_and_everything_recovers_by_itself(
    own_broker: KafkaBroker,
    new_database: Callable[[], str],
    workers: StartWorker,
) -> None:
    space = MarketSpace(own_broker.bootstrap, f"r{time.monotonic_ns() % 10**10}", new_database())
    space.create_topics()
    database = Database(space.database_url)
    market = scenario(orders=40, crops=("kale", "morning_glory", "choy_sum"), tag=space.prefix)
    worker = workers(space, "survivor")
    worker.wait_assigned()
    pid = worker.process.pid if worker.process else None
    try:
        with kafka_api(space) as api, publisher(space) as pub:
            before = api.post(f"{API}/buyers", json=buyer_body("b-before"))
            assert before.status_code == 201, before.text
            pub.send_many(market.participants)
            database.wait_for_participants(market)
            stream = Trickle(space, list(market.book), pause=0.15)
            stream.start()
            wait_until(lambda: len(stream.accepted) >= 10, 30, "ten messages accepted")

            outage = ten_seconds_without_the_broker(own_broker, api, stream)

            stream.join(90)
            assert not stream.is_alive(), stream.failure
            assert stream.failure is None, stream.failure
            again = api.post(
                f"{API}/buyers", json=buyer_body("b-during"), headers={"Idempotency-Key": "k-d"}
            )
            contracts = database.wait_for_filled(market, seconds=90)
            wait_until(lambda: unpublished(database) == 0, 60, "the outbox to be relayed")
            events = submitted_events(space, set(market.orders))
            buyers = api.get(f"{API}/buyers").json()
    finally:
        database.close()

    assert outage.accepted_at_stop < len(market.book)
    assert len(stream.accepted) == len(market.book)
    assert outage.seconds >= 10.0
    assert outage.during.status_code == 503, outage.during.text
    assert "Retry-After" in outage.during.headers, outage.during.text
    assert outage.answered_in < 25.0  # an answer (after the send timeout), not a hang
    assert outage.read.status_code == 200  # reads need only the database
    assert again.status_code in (200, 201), again.text
    assert sorted(b["id"] for b in buyers) == sorted(["b-before", "b-during", "b0", "b1"])
    assert worker.running
    assert worker.process is not None
    assert worker.process.pid == pid
    assert database.order_ids() == sorted(market.orders)
    assert kinds(database)["SubmitOrder"] == len(market.orders)
    assert sorted(c.order_id for c in contracts) == sorted(market.orders)
    check_within_quantities(contracts, market)
    submitted = [e["body"]["id"] for e in events.values() if e["type"] == "order.submitted"]
    assert sorted(submitted) == sorted(market.orders)  # each order's event once (by message id)


# 3. The database unreachable under the API ----------------------------------------------------


@pytest.fixture
def api_for(
    new_space: Callable[[], MarketSpace],
    new_database: Callable[[], str],
    workers: StartWorker,
) -> Callable[[str, bool], Any]:
    """The API on ``engine`` (``inprocess`` or ``kafka``, with a worker) over a PostgreSQL
    database of its own; ``auth`` as the ``auth`` setting. Returns (client context, url)."""

    def make(engine: str, auth: bool) -> tuple[Any, str]:
        if engine == "kafka":
            space = new_space()
            workers(space, "api-worker").wait_assigned()
            return kafka_api(space, auth=auth), space.database_url
        url = new_database()
        settings = Settings(
            engine="inprocess",
            database_url=url,
            auth=auth,
            round_interval_seconds=0,
            webhooks_enabled=False,
        )
        return TestClient(create_app(settings)), url

    return make


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("engine", "auth"), [("inprocess", True), ("inprocess", False), ("kafka", False)]
)
def test_the_api_answers_503_while_the_database_is_unreachable_and_recovers_by_itself(
    api_for: Callable[[str, bool], Any], postgres_admin: Engine, engine: str, auth: bool
) -> None:
    context, url = api_for(engine, auth)
    with context as client:
        if auth and engine == "inprocess":
            sign_in(client)
        before = client.post(f"{API}/buyers", json=buyer_body("b-before"))
        assert before.status_code == 201, before.text
        assert client.get("/health").status_code == 200
        with database_down(postgres_admin, url):
            read, read_took = timed(lambda: client.get(f"{API}/buyers"))
            command, command_took = timed(
                lambda: client.post(
                    f"{API}/buyers", json=buyer_body("b-during"), headers={"Idempotency-Key": "k"}
                )
            )
            health = client.get("/health")
        wait_until(lambda: client.get("/health").status_code == 200, 30, "a healthy API")
        again = client.post(
            f"{API}/buyers", json=buyer_body("b-during"), headers={"Idempotency-Key": "k"}
        )
        buyers = client.get(f"{API}/buyers").json()

    for answer, took in ((read, read_took), (command, command_took)):
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"] == "5"
        assert "database" in answer.json()["detail"]
        assert took < 10.0  # an answer, not a hang
    assert health.status_code == 503
    assert health.json()["status"] == "degraded"
    assert health.json()["database"] == "error"
    assert again.status_code == 201, again.text  # the refused command had no effect
    assert sorted(b["id"] for b in buyers) == ["b-before", "b-during"]


# 4. An oversized message ----------------------------------------------------------------------


def test_an_oversized_message_goes_to_the_dead_letters_unread_and_the_partition_moves_on(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    limit = Settings().max_message_bytes
    workers(space, "solo")
    market = scenario(orders=2, tag=space.prefix)
    last = market.book[-1]
    huge = encode_body(
        "order.cancel",
        {"order_id": "o000", "crop_id": "kale", "reason": "x" * (limit + 50_000)},
        f"{space.prefix}-huge",
        "kafka-test",
    )
    raw = KafkaProducer(bootstrap_servers=space.bootstrap, max_request_size=5_000_000)

    with publisher(space) as pub:
        with pytest.raises(MessageTooLarge, match=f"above the limit of {limit:,} bytes"):
            pub.send(huge)  # the project's publisher refuses it
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many(market.book[:-1])
        # Another producer puts it on the topic anyway, before the last order of its market.
        raw.send(space.topics.name(Topic.ORDERS), key=huge.key.encode(), value=huge.value).get(30)
        raw.close()
        pub.send(last)
    dead = envelopes(read_topic(space, Topic.DEAD_LETTERS, until=lambda r: len(r) >= 1))
    contracts = database.wait_for_filled(market)
    with kafka_api(space) as api:
        too_big = api.post(
            f"{API}/orders",
            content=b'{"id": "' + b"x" * (limit + 10) + b'"}',
            headers={"Content-Type": "application/json"},
        )
        orders = api.get(f"{API}/orders").json()

    assert len(dead) == 1
    assert dead[0]["field"] == "value"
    assert dead[0]["reason"] == (
        f"message of {len(huge.value):,} bytes is above the limit of {limit:,} bytes"
    )
    assert (dead[0]["topic"], dead[0]["key"]) == (space.topics.name(Topic.ORDERS), "kale")
    kept = base64.b64decode(dead[0]["original_base64"])
    assert huge.value.startswith(kept)
    assert 0 < len(kept) < limit
    assert dead[0]["original_bytes"] == len(huge.value)
    assert sorted(c.order_id for c in contracts) == sorted(market.orders)  # o000 not cancelled
    assert too_big.status_code == 413
    assert too_big.json()["detail"].endswith(f"is above the limit of {limit:,} bytes")
    assert sorted(o["id"] for o in orders) == sorted(market.orders)


# 5. The same events replayed --------------------------------------------------------------------


def topic_sizes(space: MarketSpace, topics: tuple[Topic, ...]) -> dict[str, int]:
    """Records held by each topic (the sum of its partitions' end offsets)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=space.bootstrap, group_id=None)
    try:
        out: dict[str, int] = {}
        for topic in topics:
            name = space.topics.name(topic)
            parts = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name))]
            out[topic.value] = sum(consumer.end_offsets(parts).values())
        return out
    finally:
        consumer.close()


def reset_to_earliest(space: MarketSpace) -> None:
    """Move the (empty) workers' group back to the first message of every inbound partition."""
    admin = KafkaAdminClient(bootstrap_servers=space.bootstrap, client_id="test-reset")
    try:
        specs = {
            TopicPartition(space.topics.name(t), p): OffsetSpec.EARLIEST
            for t in INBOUND
            for p in range(space.topics.partitions_of(t))
        }
        admin.reset_group_offsets(f"{space.prefix}-worker", specs)
    finally:
        admin.close()


OUTBOUND = (Topic.EVENTS, Topic.CONTRACTS, Topic.ROUNDS)


def test_the_whole_stream_replayed_changes_nothing_even_from_the_earliest_offsets(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    market = scenario(orders=20, crops=("kale", "morning_glory"), tag=space.prefix)
    zero = message("order.submit", order_body("o-zero", "b0", quantity=0), space.prefix)
    stray = message("order.submit", order_body("o-stray", "nobody"), space.prefix)
    stream = [*market.participants, *market.book, zero, stray]
    refused = {zero.value, stray.value}
    first = workers(space, "first")

    def settled(dead_letters: int) -> tuple[dict[str, int], dict[str, int]]:
        """Once everything on the topics is handled, committed and relayed: the tables' and
        the outbound topics' sizes (the dead letters checked against ``dead_letters``)."""
        wait_until(lambda: group_lag(space) == 0, 60, "the group to commit everything")
        wait_until(lambda: unpublished(database) == 0, 30, "the outbox to be relayed")
        dead = envelopes(read_topic(space, Topic.DEAD_LETTERS, lambda r: len(r) >= dead_letters))
        assert len(dead) == dead_letters
        assert {base64.b64decode(d["original_base64"]) for d in dead} == refused
        time.sleep(2.0)  # a round the replay asked for would begin by now (debounce 0.5 s)
        return table_counts(database), topic_sizes(space, OUTBOUND)

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many([*market.book, zero, stray])
        contracts = database.wait_for_filled(market)
        tables, outbound = settled(dead_letters=2)

        pub.send_many(stream)  # the same messages again, to the same group
        assert settled(dead_letters=4) == (tables, outbound)

    assert first.stop() == 0
    reset_to_earliest(space)
    assert group_lag(space) == 2 * len(stream)
    second = workers(space, "second")  # reads both copies from the first offset
    # A new leader runs one round at its start (to clear the book it inherits): it finds
    # nothing to match. That round aside, the replay from the first offset changes nothing.
    wait_until(lambda: rounds_begun(second), 60, "the new leader's first round")
    replayed, relayed = settled(dead_letters=8)
    one_round = {"rounds": 1, "inbox": 1, "outbox": 1}  # its record, message and event
    assert replayed == {t: n + one_round.get(t, 0) for t, n in tables.items()}
    assert relayed == outbound | {"rounds": outbound["rounds"] + 1}

    assert second.running
    assert contract_terms(database.contracts()) == contract_terms(contracts)
    handled = len(market.participants) + len(market.book)
    assert tables["inbox"] == handled + tables["rounds"]  # and one message per round
    assert tables["rejections"] == 1  # the stray order (the zero one is refused unread)
    assert kinds(database)["SubmitOrder"] == len(market.orders)


# 6. A message whose handling keeps failing ------------------------------------------------------


def test_a_message_whose_handling_keeps_failing_is_refused_after_its_attempts_not_for_ever(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    # A constraint of the database (not of the domain) refuses one order: an IntegrityError,
    # which no retry can cure; a database outage would be retried without end instead.
    with database.engine.begin() as connection:
        connection.execute(
            text("ALTER TABLE orders ADD CONSTRAINT t_no_cursed CHECK (id <> 'o-cursed')")
        )
    worker = workers(space, "solo")
    market = scenario(orders=2, tag=space.prefix)
    cursed = message("order.submit", order_body("o-cursed", "b0"), space.prefix)

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many([*market.book[:-1], cursed, market.book[-1]])  # one partition: kale
    dead = envelopes(read_topic(space, Topic.DEAD_LETTERS, until=lambda r: len(r) >= 1))
    contracts = database.wait_for_filled(market)

    assert len(dead) == 1
    assert base64.b64decode(dead[0]["original_base64"]) == cursed.value
    assert dead[0]["field"] == "handler"
    assert dead[0]["reason"].startswith("handling failed 5 times: IntegrityError")
    assert "t_no_cursed" in dead[0]["reason"]
    rejection = database.rejection(message_id_of(cursed))
    assert rejection is not None
    assert rejection.error == "HandlerFailed"
    assert worker.log().count("failed; retrying") == 4  # attempts 1 to 4, then refused
    assert database.order_ids() == sorted(market.orders)
    assert sorted(c.order_id for c in contracts) == sorted(market.orders)
    assert worker.running


# 7. A 503 while the broker is away ------------------------------------------------------------

OUTCOME_UNKNOWN = "may still take effect; retry with the same Idempotency-Key, which is safe"


def own_space(broker: KafkaBroker, new_database: Callable[[], str]) -> MarketSpace:
    space = MarketSpace(broker.bootstrap, f"r{time.monotonic_ns() % 10**10}", new_database())
    space.create_topics()
    return space


def test_a_503_while_the_broker_is_away_says_the_order_may_still_take_effect_and_a_retry_is_safe(
    own_broker: KafkaBroker, new_database: Callable[[], str], workers: StartWorker
) -> None:
    space = own_space(own_broker, new_database)
    database = Database(space.database_url)
    market = scenario(orders=0, tag=space.prefix)
    workers(space, "survivor").wait_assigned()
    key = {"Idempotency-Key": "k-late"}
    late = order_body("o-late", "b0", quantity=30)
    try:
        with kafka_api(space) as api, publisher(space) as pub:
            pub.send_many(market.participants)
            database.wait_for_participants(market)
            before = api.post(f"{API}/orders", json=order_body("o-before", "b0"))
            assert before.status_code == 201, before.text  # the API's producer knows the topic

            own_broker.stop()
            try:
                during = api.post(f"{API}/orders", json=late, headers=key)
            finally:
                own_broker.start()
            # The producer kept the order: it takes effect once the broker is back.
            wait_until(lambda: "o-late" in database.order_ids(), 90, "the order to arrive")
            again = api.post(f"{API}/orders", json=late, headers=key)
            changed = api.post(f"{API}/orders", json=late | {"quantity": 31}, headers=key)
            orders = api.get(f"{API}/orders").json()
            handled = kinds(database)["SubmitOrder"]
    finally:
        database.close()

    assert during.status_code == 503, during.text
    assert "Retry-After" in during.headers, during.text
    assert OUTCOME_UNKNOWN in during.json()["detail"]
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replay"] == "true", again.text
    assert again.json()["quantity"] == 30
    assert changed.status_code == 409
    assert "reused with a different body" in changed.text
    assert sorted(o["id"] for o in orders) == ["o-before", "o-late"]
    assert handled == 2  # the order once, whatever the retry
