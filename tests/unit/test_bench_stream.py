"""``foodmatch bench stream``: its options checked before anything starts, the JSON document's
shape, the reference consumer's rows, and the command line handed to ``python -m bench.stream``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from bench.processes import BenchError
from bench.stream.drain import Drained
from bench.stream.latency import RateRun, due
from bench.stream.options import StreamOptions, database_url, int_list, parse, rate_list
from bench.stream.reference import conninfo, rows_of
from bench.stream.run import StreamRun, render, report_json
from matcher.cli import root_app
from producers.cli import _stream_argv

PG = "postgresql://u:p@127.0.0.1:5432/foodmatch"


def test_parse_reads_every_option() -> None:
    options = parse(
        [
            "--db", PG, "--bootstrap", "h:9", "--messages", "300", "--workers", "1,2",
            "--rates", "20,2000", "--duration", "3", "--json", "--keep",
        ]
    )  # fmt: skip

    assert options == StreamOptions(
        bootstrap="h:9",
        db=PG,
        messages=300,
        workers=(1, 2),
        rates=(20.0, 2000.0),
        duration=3.0,
        as_json=True,
        keep=True,
    )


def test_defaults_come_from_the_issue_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FOODMATCH_KAFKA__BOOTSTRAP_SERVERS", "broker:19092")
    monkeypatch.delenv("FOODMATCH_BENCH_DB", raising=False)
    monkeypatch.setenv("FOODMATCH_DATABASE_URL", PG)

    options = parse([])

    assert (options.bootstrap, options.db) == ("broker:19092", PG)
    assert (options.messages, options.workers, options.rates) == (
        20_000,
        (1, 2, 4),
        (20.0, 200.0, 2000.0),
    )
    assert (options.duration, options.as_json, options.keep) == (20.0, False, False)


def test_the_bench_database_wins_over_the_service_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOODMATCH_BENCH_DB", PG + "_bench")
    monkeypatch.setenv("FOODMATCH_DATABASE_URL", PG)

    assert database_url(None) == PG + "_bench"
    assert database_url("postgresql+psycopg://a@b/c") == "postgresql+psycopg://a@b/c"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("sqlite:///x.db", "runs on PostgreSQL, not 'sqlite'"),
        ("mysql://a@b/c", "runs on PostgreSQL, not 'mysql'"),
        ("", "needs PostgreSQL"),
    ],
)
def test_a_database_that_is_not_postgresql_is_refused(
    monkeypatch: pytest.MonkeyPatch, given: str, says: str
) -> None:
    monkeypatch.delenv("FOODMATCH_BENCH_DB", raising=False)
    monkeypatch.delenv("FOODMATCH_DATABASE_URL", raising=False)

    with pytest.raises(BenchError, match=says):
        database_url(given)


def test_lists_are_checked() -> None:
    assert int_list("4, 1,4", "--workers") == (4, 1)
    assert rate_list("20,200.5") == (20.0, 200.5)
    with pytest.raises(BenchError, match="--workers: 'x' is not a positive whole number"):
        int_list("1,x", "--workers")
    with pytest.raises(BenchError, match="--workers: '0' is not a positive"):
        int_list("0", "--workers")
    with pytest.raises(BenchError, match="--rates: 'fast' is not a number"):
        rate_list("fast")
    with pytest.raises(BenchError, match="must be above 0"):
        rate_list("0")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--workers", "3"], "--workers: 3 is not one of 1, 2, 4, 8"),
        (["--duration", "0.5"], "--duration: between 1 and 3600"),
        (["--duration", "soon"], "--duration: 'soon' is not a number"),
        (["--messages", "-5"], "--messages"),
        (["--colour"], "bad arguments"),
    ],
)
def test_bad_options_are_named(argv: list[str], says: str) -> None:
    with pytest.raises(BenchError, match=says):
        parse(["--db", PG, "--bootstrap", "h:9", *argv])


def _run() -> StreamRun:
    options = StreamOptions(bootstrap="h:9", db=PG, messages=300, workers=(1, 2), rates=(20.0,))
    run = StreamRun(options, datetime(2026, 12, 7, tzinfo=UTC))
    run.reference = Drained(0, False, 2800.04, 1.0)
    run.drains = [
        Drained(1, False, 140.0, 2.0),
        Drained(1, True, 70.0, 4.0),
        Drained(2, False, 210.0, 1.5),
        Drained(2, True, 105.0, 3.0),
    ]
    slow = RateRun(20.0, 1, sent=60, handled_when_stopped=59, matched=2, latencies=[0.5, 1.5])
    behind = RateRun(20.0, 2, sent=400, handled_when_stopped=100)
    run.rates = [slow, behind]
    return run


def test_the_json_document_carries_every_figure_the_issue_names() -> None:
    document = json.loads(json.dumps(report_json(_run())))

    drain = document["drain"]
    assert drain["workers"] == 1
    assert drain["messages_per_second"] == 70.0
    assert drain["rounds_off_messages_per_second"] == 140.0
    assert drain["reference_messages_per_second"] == 2800.0
    assert drain["ratio_to_reference"] == 0.025
    assert drain["rounds_off_ratio_to_reference"] == 0.05
    assert drain["by_workers"] == [
        {"workers": 1, "messages_per_second": 70.0, "rounds_off_messages_per_second": 140.0},
        {"workers": 2, "messages_per_second": 105.0, "rounds_off_messages_per_second": 210.0},
    ]
    first, second = document["rates"]
    assert first == {
        "offered": 20.0,
        "workers": 1,
        "sent": 60,
        "backlog": 1,
        "kept_up": True,
        "with_contract": 2,
        "latency_ms": {"p50": 500.0, "p95": 1500.0, "p99": 1500.0},  # nearest rank
    }
    assert second["kept_up"] is False  # 300 not handled: more than two seconds' worth
    assert second["latency_ms"] == {"p50": None, "p95": None, "p99": None}
    assert document["machine"]["cpus"] >= 1
    assert document["messages"] == 300


def test_no_reference_figure_gives_no_ratio() -> None:
    run = _run()
    run.reference = None

    drain = report_json(run)["drain"]

    assert drain["reference_messages_per_second"] == 0.0
    assert drain["ratio_to_reference"] is None


def test_the_table_shows_the_drains_and_the_rates() -> None:
    from rich.console import Console

    console = Console(width=160, record=True)
    console.print(render(report_json(_run())))
    text = console.export_text()

    assert "drain: reference consumer" in text
    assert "drain: worker, rounds off" in text
    assert "0.025" in text
    assert "behind by 300" in text


def test_orders_are_due_at_the_offered_rate() -> None:
    assert due(0.0, 20.0, 0) == 1
    assert due(1.0, 20.0, 1) == 20
    assert due(1.0, 20.0, 25) == 0


def test_the_reference_consumer_takes_orders_and_skips_anything_else() -> None:
    order = {"id": "o1", "buyer_id": "b1", "crop_id": "kale", "quantity": 40}
    good = json.dumps({"message_id": "m1", "body": order}).encode()

    inbox, orders = rows_of([good, b"not json", json.dumps({"body": {}}).encode()])

    assert [message_id for message_id, _ in inbox] == ["m1"]
    assert orders == [("o1", "b1", "kale", 40, json.dumps(order))]
    assert conninfo("postgresql+psycopg://u:p@h/d") == "postgresql://u:p@h/d"


def test_the_command_hands_its_options_to_the_bench_package() -> None:
    argv = _stream_argv("h:9", PG, 300, "1", "20", None, True, False, 1)

    assert argv == [
        "--messages", "300", "--workers", "1", "--rates", "20", "--duration", "20.0",
        "--seed", "1", "--bootstrap", "h:9", "--db", PG, "--json",
    ]  # fmt: skip
    assert parse(argv).duration == 20.0


def test_the_command_says_what_is_wrong_and_exits_2() -> None:
    result = CliRunner().invoke(
        root_app(), ["bench", "stream", "--db", "sqlite:///x.db", "--bootstrap", "h:9"]
    )

    assert result.exit_code == 2
    assert "bench stream runs on PostgreSQL, not 'sqlite'" in result.output
    assert "Traceback" not in result.output


def test_progress_in_a_log_is_one_line_per_step() -> None:
    import io

    from rich.console import Console

    from bench.stream.run import _status

    out = io.StringIO()
    with _status(Console(file=out, width=200)) as status:
        status("drain, reference consumer: a fresh database")
        status("drain, reference consumer: 10/300 handled")
        status("latency, 1 worker(s): 5/60 sent")

    lines = out.getvalue().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        "drain, reference consumer",
        "latency, 1 worker(s)",
    ]


def test_the_wait_for_contracts_outlasts_a_backlog(monkeypatch: pytest.MonkeyPatch) -> None:
    """No contract comes while the workers still have orders to handle: the wait goes on (the
    quiet time counts only from when they are all handled), and ends once a contract is in."""
    from types import SimpleNamespace
    from typing import cast

    import bench.stream.latency as latency

    monkeypatch.setattr(latency, "SETTLE_SECONDS", 0.3)
    monkeypatch.setattr(latency, "POLL_SECONDS", 0.05)
    watch = SimpleNamespace(first_seen={}, error=None)
    left = iter([3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 1])  # 10 polls (0.5 s) with a backlog

    def unhandled() -> int:
        remaining = next(left, 0)
        if remaining == 0:
            watch.first_seen["o1"] = 1.0
        return remaining

    latency.wait_contracts(
        cast(latency.ContractWatch, watch), {"o1": 0.0}, unhandled, [], lambda text: None
    )

    assert watch.first_seen == {"o1": 1.0}
