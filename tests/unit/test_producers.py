"""Producers without a broker: files into wire messages, synthetic streams, bench statistics."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matcher.adapters.messages import message_id_for
from matcher.adapters.topics import Topic
from matcher.adapters.wire import WireMessage, decode_command, wire_schemas
from matcher.cli import root_app
from matcher.scenario import songkhla_instance
from matcher.service import commands
from producers.feed import FeedError, FeedLine, feed
from producers.observe import Observations, among, marked
from producers.stats import (
    count_between,
    ingest_figures,
    latencies_of,
    rate,
    summarize_latencies,
)
from producers.stream import (
    Clock,
    Scenario,
    StreamCounts,
    cycle_suffix,
    due,
    send_participants,
    stream_book,
    to_wire,
)

app = root_app()

runner = CliRunner()

BUYER = {
    "id": "hosp-hatyai",
    "name_th": "โรงพยาบาลหาดใหญ่",
    "name_en": "Hat Yai Hospital",
    "kind": "hospital",
    "district": "9011",
    "lat": 7.0167,
    "lon": 100.4681,
}
GROUP = {
    "id": "grp-001",
    "name_th": "กลุ่มปลูกผัก",
    "name_en": "Vegetable Growers",
    "kind": "farmer_group",
    "district": "9008",
    "lat": 7.632,
    "lon": 100.2717,
    "members": 22,
}
CERTIFICATE = {
    "id": "cert-0001",
    "group_id": "grp-001",
    "scheme": "PGS",
    "valid_from": "2026-06-07",
    "valid_until": "2027-06-06",
}
SUPPLY = {
    "id": "sup-00001",
    "group_id": "grp-001",
    "crop_id": "kale",
    "scheme": "PGS",
    "weeks": {"2026-W50": 75, "2026-W51": 70},
    "asking_price": "26.00",
}
ORDER = {
    "id": "ord-00001",
    "buyer_id": "hosp-hatyai",
    "crop_id": "kale",
    "quantity": 80,
    "schedule": {"start": "2026-12-07", "end": "2027-01-04", "weekdays": ["mon"]},
    "min_tier": "SAFE",
}


def small_instance() -> dict[str, Any]:
    second_order = ORDER | {"id": "ord-00002", "quantity": 40}
    return {
        "buyers": [BUYER],
        "groups": [GROUP],
        "certificates": [CERTIFICATE],
        "supply": [SUPPLY],
        "orders": [ORDER, second_order],
    }


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Sent:
    number: int
    message: WireMessage
    message_id: str | None


def good(lines: list[FeedLine]) -> list[Sent]:
    return [Sent(x.number, x.message, x.message_id) for x in lines if x.message is not None]


def bad(lines: list[FeedLine]) -> dict[int, str]:
    return {line.number: str(line.error) for line in lines if line.message is None}


class ListSink:
    def __init__(self) -> None:
        self.sent: list[WireMessage] = []

    def send_many(self, messages: Any) -> int:
        batch = list(messages)
        self.sent += batch
        return len(batch)


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


# -- JSON lines ---------------------------------------------------------------------------


def test_a_kind_line_becomes_an_envelope_on_its_topic_keyed_by_crop(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", [json.dumps({"kind": "orders", "body": ORDER})])

    [line] = list(feed(path, None, "tester"))

    assert line.message is not None
    assert line.message.topic is Topic.ORDERS
    assert line.message.key == "kale"
    assert line.message_id == message_id_for("orders", ORDER)
    command = decode_command(line.message.value, Topic.ORDERS)
    assert isinstance(command, commands.SubmitOrder)
    assert command.message_id == line.message_id
    assert command.actor == "tester"


def test_the_same_file_read_twice_gives_the_same_message_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "in.jsonl",
        [
            json.dumps({"kind": "buyers", "body": BUYER}),
            json.dumps({"kind": "supply", "body": SUPPLY}),
            json.dumps({"kind": "order.submit", "body": ORDER}),
        ],
    )

    first = [(line.message_id, line.message.key) for line in good(list(feed(path, None, "a")))]
    again = [(line.message_id, line.message.key) for line in good(list(feed(path, None, "b")))]

    assert first == again
    assert first[2][0] == message_id_for("orders", ORDER)  # order.submit and orders agree


def test_a_full_envelope_is_sent_as_written_with_its_own_message_id(tmp_path: Path) -> None:
    envelope = {"type": "supply.announce", "version": 1, "message_id": "m-7", "body": SUPPLY}
    text = json.dumps(envelope, ensure_ascii=False)
    path = write(tmp_path, "in.jsonl", [text])

    [line] = list(feed(path, None, "tester"))

    assert line.message == WireMessage(Topic.SUPPLY, "kale", text.encode())
    assert line.message_id == "m-7"


def test_participants_are_keyed_by_their_own_id_and_certificates_by_their_group(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "in.jsonl",
        [
            json.dumps({"kind": "groups", "body": GROUP}),
            json.dumps({"kind": "certificates", "body": CERTIFICATE}),
            json.dumps({"kind": "buyers", "body": BUYER}),
        ],
    )

    messages = [line.message for line in good(list(feed(path, None, "t")))]

    assert [(m.topic, m.key) for m in messages] == [
        (Topic.PARTICIPANTS, "grp-001"),
        (Topic.PARTICIPANTS, "grp-001"),
        (Topic.PARTICIPANTS, "hosp-hatyai"),
    ]


def test_a_kind_line_may_carry_its_own_message_id_and_any_inbound_type(tmp_path: Path) -> None:
    cancel = {"kind": "order.cancel", "body": {"order_id": "o1", "crop_id": "kale"}}
    path = write(tmp_path, "in.jsonl", [json.dumps(cancel | {"message_id": "cancel-o1"})])

    [line] = list(feed(path, None, "t"))

    assert line.message is not None
    assert (line.message.topic, line.message.key, line.message_id) == (
        Topic.ORDERS,
        "kale",
        "cancel-o1",
    )


def test_bad_json_lines_are_reported_with_their_numbers_and_good_ones_kept(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "in.jsonl",
        [
            json.dumps({"kind": "buyers", "body": BUYER}),
            "not json",
            "",
            json.dumps({"kind": "orders", "body": ORDER | {"quantity": -3}}),
            "[1, 2]",
            json.dumps({"type": "order.submit", "version": 1, "body": ORDER}),
            json.dumps({"kind": "apples", "body": {}}),
            json.dumps({"kind": "orders", "body": ORDER, "colour": "red"}),
            json.dumps({"kind": "orders", "body": ORDER | {"id": "ord-9"}}),
        ],
    )

    lines = list(feed(path, None, "t"))
    errors = bad(lines)

    assert [line.number for line in good(lines)] == [1, 9]
    assert sorted(errors) == [2, 4, 5, 6, 7, 8]
    assert errors[2].startswith("not JSON")
    assert errors[4].startswith("quantity")
    assert "JSON object" in errors[5]
    assert errors[6].startswith("message_id")
    assert "unknown kind 'apples'" in errors[7]
    assert errors[8].startswith("colour")


def test_an_envelope_of_an_unknown_type_is_a_bad_line(tmp_path: Path) -> None:
    envelope = {"type": "order.eat", "version": 1, "message_id": "m", "body": {}}
    path = write(tmp_path, "in.jsonl", [json.dumps(envelope)])

    assert bad(list(feed(path, None, "t")))[1].startswith("type: unknown message type")


# -- CSV ----------------------------------------------------------------------------------


SUPPLY_CSV = [
    "id,group_id,crop_id,scheme,weeks,asking_price",
    "s1,grp-001,kale,PGS,2026-W50:120;2026-W51:100,28.50",
    "s2,grp-001,kale,PGS,2026-W50:abc,28.50",
    "s3,grp-002,cucumber,THAI_GAP,2026-W50:50,",
    "s4,grp-002,cucumber,NO_SUCH_SCHEME,2026-W50:50,",
]


def test_csv_lines_go_to_the_topic_of_their_kind_keyed_by_crop(tmp_path: Path) -> None:
    path = write(tmp_path, "supply.csv", SUPPLY_CSV)

    lines = good(list(feed(path, "supply", "t")))

    assert [(line.number, line.message.topic, line.message.key) for line in lines] == [
        (2, Topic.SUPPLY, "kale"),
        (4, Topic.SUPPLY, "cucumber"),
    ]
    body = json.loads(lines[0].message.value)["body"]
    assert lines[0].message_id == message_id_for("supply", body)
    assert [line.message_id for line in good(list(feed(path, "supply", "t")))] == [
        line.message_id for line in lines
    ]


def test_bad_csv_lines_are_reported_with_their_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "supply.csv", SUPPLY_CSV)

    errors = bad(list(feed(path, "supply", "t")))

    assert sorted(errors) == [3, 5]
    assert errors[3] == "weeks.2026-W50: 'abc' is not a whole number"
    assert errors[5].startswith("scheme")


def test_a_csv_file_needs_a_kind_and_its_required_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "supply.csv", SUPPLY_CSV)
    headless = write(tmp_path, "short.csv", ["id,group_id", "s1,grp-001"])

    with pytest.raises(FeedError, match="--kind is required"):
        feed(path, None, "t")
    with pytest.raises(FeedError, match="missing column"):
        list(feed(headless, "supply", "t"))


def test_json_lines_refuse_a_kind_and_a_missing_file_is_a_feed_error(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", [json.dumps({"kind": "orders", "body": ORDER})])

    with pytest.raises(FeedError, match="drop --kind"):
        feed(path, "orders", "t")
    with pytest.raises(FeedError, match="no such file"):
        feed(tmp_path / "nope.jsonl", None, "t")


def test_publish_exits_2_for_a_missing_file_or_a_csv_without_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "supply.csv", SUPPLY_CSV)

    missing = runner.invoke(app, ["publish", str(tmp_path / "nope.csv")])
    no_kind = runner.invoke(app, ["publish", str(path)])
    wrong_kind = runner.invoke(app, ["publish", str(path), "--kind", "apples"])

    assert missing.exit_code == 2
    assert "no such file" in missing.output
    assert no_kind.exit_code == 2
    assert "--kind is required" in no_kind.output
    assert wrong_kind.exit_code == 2


# -- topics without a broker --------------------------------------------------------------


def test_topics_list_shows_every_topic_with_partitions_and_key() -> None:
    result = runner.invoke(
        app,
        ["topics", "list"],
        env={"FOODMATCH_KAFKA__TOPIC_PREFIX": "sk", "FOODMATCH_KAFKA__PARTITIONS": "4"},
    )

    assert result.exit_code == 0, result.output
    assert "sk.orders" in result.output
    assert "sk.dead-letters" in result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert " 4 " in rows["orders"]
    assert "crop_id" in rows["orders"]
    assert " 1 " in rows["rounds"]


def test_topics_schemas_prints_the_wire_schemas_as_json() -> None:
    everything = runner.invoke(app, ["topics", "schemas"])
    one = runner.invoke(app, ["topics", "schemas", "order.submit"])
    unknown = runner.invoke(app, ["topics", "schemas", "order.eat"])

    assert everything.exit_code == 0
    assert json.loads(everything.stdout) == json.loads(json.dumps(wire_schemas()))
    assert list(json.loads(one.stdout)) == ["order.submit"]
    assert unknown.exit_code == 2


# -- synthetic streams --------------------------------------------------------------------


def test_a_scenario_sends_participants_first_then_the_book() -> None:
    scenario = Scenario.of(small_instance(), "sim", seed=1)

    assert [m.kind for m in scenario.participants] == ["buyers", "groups", "certificates"]
    assert sorted(m.kind for m in scenario.book) == ["orders", "orders", "supply"]
    assert [to_wire(m, "t").topic for m in scenario.participants] == [Topic.PARTICIPANTS] * 3


def test_every_pass_after_the_first_has_fresh_ids_and_message_ids() -> None:
    scenario = Scenario.of(small_instance(), "sim", seed=1)

    first, second, third = (list(scenario.cycle(n)) for n in (1, 2, 3))

    assert first == list(scenario.book)
    assert [m.body["id"] for m in second] == [f"{m.body['id']}-r2" for m in first]
    assert [m.body["id"] for m in third] == [f"{m.body['id']}-r3" for m in first]
    ids = [m.message_id for m in first + second + third]
    assert len(set(ids)) == len(ids)
    assert [m.body["buyer_id"] for m in second if m.kind == "orders"] == ["hosp-hatyai"] * 2


def test_the_same_seed_gives_the_same_stream_and_another_seed_another() -> None:
    start = date(2026, 12, 7)

    def stream(seed: int) -> list[tuple[str, str]]:
        instance = songkhla_instance(weeks=2, seed=seed, start=start)
        scenario = Scenario.of(instance, f"simulate-{seed}", seed)
        messages = list(scenario.participants) + list(scenario.cycle(1)) + list(scenario.cycle(2))
        return [(m.message_id, str(m.body["id"])) for m in messages]

    assert stream(1) == stream(1)
    assert stream(1) != stream(2)


def test_a_tag_renames_a_run_including_the_participants_it_refers_to() -> None:
    scenario = Scenario.of(small_instance(), "bench", seed=1, tag="b42")

    people = {m.kind: m.body for m in scenario.participants}
    orders = [m.body for m in scenario.cycle(2) if m.kind == "orders"]
    supply = [m.body for m in scenario.cycle(1) if m.kind == "supply"]

    assert people["buyers"]["id"] == "hosp-hatyai-b42"
    assert people["certificates"]["id"] == "cert-0001-b42"
    assert people["certificates"]["group_id"] == "grp-001-b42"
    assert {o["id"] for o in orders} == {"ord-00001-b42-r2", "ord-00002-b42-r2"}
    assert {o["buyer_id"] for o in orders} == {"hosp-hatyai-b42"}
    assert supply[0]["id"] == "sup-00001-b42"
    assert supply[0]["group_id"] == "grp-001-b42"


def test_cycle_suffixes_number_the_passes() -> None:
    assert cycle_suffix(1) == ""
    assert cycle_suffix(2) == "-r2"
    assert cycle_suffix(1, "b1") == "-b1"
    assert cycle_suffix(3, "b1") == "-b1-r3"
    with pytest.raises(ValueError, match="must be at least 1"):
        cycle_suffix(0)


def test_due_counts_the_messages_whose_time_has_come() -> None:
    assert due(0.0, 10.0, 0) == 1
    assert due(0.95, 10.0, 1) == 9
    assert due(1.0, 10.0, 10) == 1
    assert due(0.5, 10.0, 20) == 0
    with pytest.raises(ValueError, match="must be positive"):
        due(1.0, 0.0, 0)


def test_streaming_sends_rate_times_duration_messages_and_starts_over_when_out() -> None:
    scenario = Scenario.of(small_instance(), "sim", seed=1)
    sink = ListSink()
    counts = StreamCounts()
    clock = FakeTime()
    ticks: list[int] = []

    send_participants(scenario, sink, "sim", counts)
    stream_book(
        scenario,
        sink,
        rate=4.0,
        duration=2.5,
        actor="sim",
        counts=counts,
        clock=Clock(clock.now, clock.sleep),
        tick=0.25,
        on_tick=lambda c: ticks.append(c.book),
    )

    assert counts.participants == 3
    assert counts.book == 10  # due at 0, 0.25, ..., 2.25 seconds
    kinds = [m.kind for m in scenario.book] * 4
    assert (counts.supply, counts.orders) == (
        kinds[:10].count("supply"),
        kinds[:10].count("orders"),
    )
    assert counts.cycles == 4
    ids = [json.loads(m.value)["body"]["id"] for m in sink.sent[3:]]
    assert ids[3:6] == [f"{i}-r2" for i in ids[:3]]
    assert ticks == sorted(ticks)
    assert len({json.loads(m.value)["message_id"] for m in sink.sent}) == len(sink.sent)


# -- statistics ---------------------------------------------------------------------------


def test_rates_and_windows() -> None:
    assert rate(300, 10.0) == 30.0
    assert rate(5, 0.0) == 0.0
    assert count_between([0.5, 1.0, 1.5, 2.0, 2.5], 1.0, 2.0) == 2


def test_a_latency_summary_has_percentiles_count_and_unmatched() -> None:
    summary = summarize_latencies([0.4, 0.1, 0.3, 0.2], unmatched=2)
    empty = summarize_latencies([], unmatched=3)

    assert (summary.count, summary.unmatched, summary.max) == (4, 2, 0.4)
    assert summary.p50 == 0.2  # nearest rank: the second of four
    assert summary.mean == pytest.approx(0.25)
    assert (empty.count, empty.unmatched, empty.p50, empty.max) == (0, 3, None, None)


def test_latencies_pair_sends_with_first_sightings_and_list_the_missing() -> None:
    latencies, missing = latencies_of({"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 1.5, "c": 5.0, "z": 9})

    assert sorted(latencies) == [0.5, 2.0]
    assert missing == ["b"]


def test_ingest_figures_count_the_window_after_the_warm_up() -> None:
    figures = ingest_figures(
        sent=8,
        handled_at=[0.5, 1.5, 2.5, 3.0, 3.5, 4.5, 5.5],
        refused=1,
        started=0.0,
        window_start=2.0,
        stopped=4.0,
    )

    assert figures.handled_in_window == 3
    assert figures.sustained_rate == 1.5
    assert figures.produce_rate == 2.0
    assert figures.drain_seconds == 1.5


def test_ingest_figures_leave_the_drain_open_when_messages_went_missing() -> None:
    figures = ingest_figures(
        sent=10, handled_at=[1.0, 2.0], refused=0, started=0.0, window_start=0.0, stopped=2.0
    )

    assert figures.drain_seconds is None
    assert figures.handled == 2


# -- observing the worker -----------------------------------------------------------------


def envelope(kind: str, body: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "version": 1, "message_id": "e", "body": body}).encode()


def test_observations_keep_the_first_sighting_of_the_runs_own_ids() -> None:
    seen = Observations(marked("-b1"))

    seen.record(Topic.EVENTS, envelope("order.submitted", {"id": "o1-b1"}), 1.0)
    seen.record(Topic.EVENTS, envelope("order.submitted", {"id": "o1-b1"}), 2.0)
    seen.record(Topic.EVENTS, envelope("order.submitted", {"id": "o1-other"}), 2.0)
    seen.record(Topic.EVENTS, envelope("supply.announced", {"id": "s1-b1"}), 3.0)
    seen.record(Topic.CONTRACTS, envelope("contract.proposed", {"order_id": "o1-b1"}), 4.0)
    seen.record(Topic.CONTRACTS, envelope("contract.proposed", {"order_id": "o1-b1"}), 5.0)
    seen.record(Topic.EVENTS, b"not json", 6.0)
    seen.record(Topic.EVENTS, None, 6.0)

    assert seen.count("order.submitted") == 1
    assert seen.times("order.submitted", "supply.announced") == [1.0, 3.0]
    assert seen.times("order.submitted", "supply.announced", skip={"order.submitted": 1}) == [3.0]
    assert seen.first_contracts() == {"o1-b1": 4.0}
    assert seen.handled([("order.submitted", "o1-b1"), ("order.submitted", "o2-b1")]) == (1, 0)


def test_observations_count_refusals_from_dead_letters() -> None:
    seen = Observations(marked("-b1"))
    original = envelope("order.submit", {"id": "o2-b1", "crop_id": "kale"})
    letter = json.dumps(
        {
            "type": "dead_letter",
            "field": "buyer_id",
            "reason": "no buyer with id 'x'",
            "original_base64": base64.b64encode(original).decode(),
        }
    ).encode()

    seen.record(Topic.DEAD_LETTERS, letter, 1.0)

    assert seen.handled([("order.submitted", "o2-b1")]) == (0, 1)
    assert seen.refused_count("order.submitted") == 1
    assert seen.refusals() == ["o2-b1: buyer_id: no buyer with id 'x'"]


def test_observations_can_follow_a_set_of_ids_instead_of_a_tag() -> None:
    seen = Observations(among(["grp-001", "hosp-hatyai"]))

    seen.record(Topic.EVENTS, envelope("group.registered", {"id": "grp-001"}), 1.0)
    seen.record(Topic.EVENTS, envelope("group.registered", {"id": "grp-002"}), 1.0)

    assert seen.handled([("group.registered", "grp-001"), ("buyer.registered", "hosp-hatyai")]) == (
        1,
        0,
    )
    assert seen.count("group.registered") == 1
