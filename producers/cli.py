"""The producers' commands of ``foodmatch``: ``import`` (a CSV file into the service's database)
and, through Kafka, ``topics``, ``publish``, ``simulate`` and ``bench stream``.

Registered as ``foodmatch.commands`` entry points. The broker and topic names come from the
``FOODMATCH_KAFKA__*`` settings. Exit codes: 0 done, 1 some lines were bad (``import``,
``publish``), 2 the file, the broker or the worker could not be used. Heavy imports happen
inside the commands.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from matcher.clikit import DbOption, domain_errors, fail, service_for, settings_for

if TYPE_CHECKING:
    from rich.console import Console

    from matcher.adapters.kafka.publisher import KafkaPublisher
    from matcher.adapters.wire import WireMessage
    from matcher.config import KafkaSettings
    from producers.bench_stream import BenchOptions, BenchReport
    from producers.feed import FeedLine
    from producers.stream import Scenario, StreamCounts
    from producers.watch import Watcher

__all__ = ["bench_stream", "import_csv", "publish", "simulate", "topics_app"]

topics_app = typer.Typer(help="Kafka topics of the configured prefix.", no_args_is_help=True)

TOPIC_KEYS: dict[str, str] = {
    "participants": "participant id",
    "supply": "crop_id",
    "orders": "crop_id",
    "round-requests": "rounds",
    "contract-responses": "crop_id",
    "contracts": "crop_id",
    "rounds": "rounds",
    "events": "crop_id / participant",
    "dead-letters": "original key",
}
"""The message key of each topic (certificates are keyed by their group_id)."""
BROKER_HINT = (
    "start one with `bash deploy/kafka/kafka-up.sh`, or set FOODMATCH_KAFKA__BOOTSTRAP_SERVERS"
)


def _kafka() -> KafkaSettings:
    from pydantic import ValidationError

    from matcher.config import load_settings

    try:
        return load_settings().kafka
    except ValidationError as err:  # e.g. SASL_PLAINTEXT without a password: say which
        raise fail(f"the settings cannot be used: {err}") from None


def _unreachable(err: Exception, hint: str = BROKER_HINT) -> typer.Exit:
    from matcher.adapters.kafka.probe import BrokerRefused

    if isinstance(err, BrokerRefused):  # the broker answers: starting one would not help
        return fail(str(err))
    return fail(f"{err}; {hint}")


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


# -- import -------------------------------------------------------------------------------


def import_csv(
    kind: Annotated[
        str, typer.Argument(help="orders, supply, groups, buyers, certificates or roads.")
    ],
    file: Annotated[Path, typer.Argument(help="CSV file with a header line.")],
    db: DbOption = None,
) -> None:
    """Import a CSV file: good lines are imported, bad lines are listed with their reasons."""
    from rich.console import Console
    from rich.progress import Progress

    from matcher.adapters.messages import message_id_for, to_command
    from matcher.bootstrap import bootstrap
    from matcher.domain.errors import DomainError
    from producers.csv_import import COLUMNS, count_lines, read_csv

    if kind == "roads":
        _import_roads(file, db)
        return
    if kind not in COLUMNS:
        raise typer.BadParameter(f"must be one of {', '.join(COLUMNS)}", param_hint="KIND")
    if not file.is_file():
        raise fail(f"no such file: {file}")
    settings = settings_for(db, round_interval_seconds=0)
    console = Console(stderr=True)
    service = bootstrap(settings)
    service.engine.start_sync()
    imported = repeated = 0
    errors: list[str] = []
    try:
        with (
            domain_errors(2, where=str(file)),
            Progress(console=console, transient=True) as progress,
        ):
            task = progress.add_task(f"importing {kind}", total=count_lines(file))
            for line in read_csv(kind, file):
                progress.advance(task)
                if line.body is None:
                    errors.append(f"line {line.number}: {line.error}")
                    continue
                try:
                    command = to_command(kind, line.body, message_id_for(kind, line.body))
                    outcome = service.engine.execute_sync(command)
                except DomainError as err:
                    errors.append(f"line {line.number}: {err}")
                    continue
                repeated += outcome.duplicate
                imported += not outcome.duplicate
    finally:
        service.engine.stop_sync()
        service.close()
    console.print(f"{kind}: {imported} imported, {repeated} already there, {len(errors)} rejected")
    for error in errors:
        console.print(f"  [red]{error}[/red]")
    if errors:
        raise typer.Exit(1)


def _import_roads(file: Path, db: str | None) -> None:
    """A coordinator's road-distance table: each good line's (group, buyer) km is stored (it
    overrides the road model from the next round on); bad lines are listed with their reasons."""
    from rich.console import Console

    from matcher.domain.errors import DomainError
    from matcher.service.roads import store_distances
    from producers.csv_import import read_road_distances

    if not file.is_file():
        raise fail(f"no such file: {file}")
    console = Console(stderr=True)
    stored = 0
    errors: list[str] = []
    with service_for(db) as service, domain_errors(2, where=str(file)):
        now = service.context.clock.now()
        for line in read_road_distances(file):
            if line.row is None:
                errors.append(f"line {line.number}: {line.error}")
                continue
            with service.uow_factory() as uow:
                try:
                    stored += store_distances(uow, [line.row], now)
                except DomainError as err:
                    errors.append(f"line {line.number}: {err}")
                    continue
                uow.commit()
    console.print(f"roads: {stored} pairs stored, {len(errors)} rejected")
    for error in errors:
        console.print(f"  [red]{error}[/red]")
    if errors:
        raise typer.Exit(1)


# -- topics -------------------------------------------------------------------------------


@topics_app.command("list")
def topics_list() -> None:
    """The configured topics: logical name, topic name, partitions and message key."""
    from rich.console import Console
    from rich.table import Table

    from matcher.adapters.kafka.publisher import registry_of
    from matcher.adapters.topics import OUTBOUND

    registry = registry_of(_kafka())
    table = Table(title=f"topics (prefix {registry.prefix!r}): inbound, then outbound")
    table.add_column("logical name", no_wrap=True)
    table.add_column("topic", no_wrap=True)
    table.add_column("partitions", justify="right", min_width=10)
    table.add_column("key")
    for topic, name in registry.all().items():
        if topic is OUTBOUND[0]:
            table.add_section()
        table.add_row(
            topic.value, name, str(registry.partitions_of(topic)), TOPIC_KEYS[topic.value]
        )
    Console().print(table)


@topics_app.command("schemas")
def topics_schemas(
    name: Annotated[
        str | None, typer.Argument(help="One message type (e.g. order.submit), or all.")
    ] = None,
) -> None:
    """Print the JSON Schemas of the envelope, of each inbound message type's body, and of the
    outbound round.completed body (version 2)."""
    from matcher.adapters.wire import wire_schemas

    schemas = wire_schemas()
    if name is not None:
        if name not in schemas:
            raise fail(f"no schema {name!r}; known: {', '.join(schemas)}")
        schemas = {name: schemas[name]}
    sys.stdout.write(json.dumps(schemas, ensure_ascii=False, indent=2) + "\n")


@topics_app.command("create")
def topics_create() -> None:
    """Create the configured topics that do not exist yet (FOODMATCH_KAFKA__* settings)."""
    from rich.console import Console
    from rich.table import Table

    from matcher.adapters.kafka.broker import ensure_topics
    from matcher.adapters.kafka.probe import BrokerUnreachable

    settings = _kafka()
    try:
        states = ensure_topics(settings)
    except BrokerUnreachable as err:
        raise _unreachable(err) from None
    table = Table(title=f"topics on {settings.bootstrap_servers}")
    table.add_column("logical name", no_wrap=True)
    table.add_column("topic", no_wrap=True)
    table.add_column("partitions", justify="right")
    table.add_column("status")
    mismatched = 0
    for state in states:
        if state.created:
            status = "[green]created[/green]"
        elif state.actual is None:
            status = "[red]missing[/red]"
        elif state.actual != state.partitions:
            mismatched += 1
            status = f"[yellow]already there, with {state.actual} partitions[/yellow]"
        else:
            status = "already there"
        table.add_row(state.topic.value, state.name, str(state.partitions), status)
    Console().print(table)
    created = sum(s.created for s in states)
    typer.echo(f"{created} created, {len(states) - created} already there", err=True)
    if mismatched:
        typer.echo(
            f"warning: {mismatched} existing topic(s) have another partition count than "
            "configured (FOODMATCH_KAFKA__PARTITIONS); Kafka does not change it for you",
            err=True,
        )
    if any(s.actual is None for s in states):
        raise fail("some topics are still missing on the broker")


# -- publish ------------------------------------------------------------------------------


def publish(
    file: Annotated[Path, typer.Argument(help="JSON lines (envelopes or kind lines), or CSV.")],
    kind: Annotated[
        str | None,
        typer.Option(help="For CSV: orders, supply, groups, buyers or certificates."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(min=0.001, help="Messages per second (default: at once).")
    ] = None,
    actor: Annotated[str, typer.Option(help="Sender named in the envelopes built.")] = "publish",
) -> None:
    """Publish a file onto the inbound topics: good lines are sent, bad lines are listed.

    JSON lines: {"type", "version", "message_id", "body", ...} envelopes, checked as the
    worker checks them, or {"kind": "orders", "body": {...}} lines. CSV needs --kind. Message
    ids come from the envelope, else from the content, so publishing a file twice has one
    effect.
    """
    from kafka.errors import KafkaError

    from producers.csv_import import COLUMNS
    from producers.feed import FeedError, feed

    if kind is not None and kind not in COLUMNS:
        raise typer.BadParameter(f"must be one of {', '.join(COLUMNS)}", param_hint="--kind")
    try:
        lines = feed(file, kind, actor)
    except FeedError as err:
        raise fail(str(err)) from None
    settings = _kafka()
    publisher = _open_publisher(settings, "foodmatch-publish")
    console = _console()
    errors: list[str] = []
    out = _Batches(publisher, rate)
    try:
        _publish_lines(file, lines, out, errors, console)
    except FeedError as err:
        out.flush()
        _report_publish(console, out.sent, out.per_topic, errors)
        raise fail(str(err)) from None
    except KafkaError as err:
        raise _send_failed(settings, err) from None
    finally:
        publisher.close()
    _report_publish(console, out.sent, out.per_topic, errors)
    if errors:
        raise typer.Exit(1)


def _open_publisher(settings: KafkaSettings, client_id: str) -> KafkaPublisher:
    """A publisher on the broker, once the configured topics are there."""
    from matcher.adapters.kafka.broker import ensure_topics, open_publisher
    from matcher.adapters.kafka.probe import BrokerUnreachable

    try:
        ensure_topics(settings)
        return open_publisher(settings, client_id=client_id)
    except BrokerUnreachable as err:
        raise _unreachable(err) from None


def _send_failed(settings: KafkaSettings, err: Exception) -> typer.Exit:
    """The exit for a broker that failed while messages were being sent to it."""
    from matcher.adapters.kafka.probe import BrokerUnreachable

    return _unreachable(BrokerUnreachable(f"sending to {settings.bootstrap_servers}: {err}"))


class _Batches:
    """Messages sent in batches, at most ``rate`` a second when given, counted per topic."""

    def __init__(self, publisher: KafkaPublisher, rate: float | None) -> None:
        self.publisher = publisher
        self.rate = rate
        self.size = 500 if rate is None else max(1, min(500, int(rate / 10)))
        self.pending: list[WireMessage] = []
        self.sent = 0
        self.per_topic: dict[str, int] = {}
        self.started = time.monotonic()

    def add(self, message: WireMessage) -> None:
        """Queue a message, first waiting its turn at ``rate`` (having sent what is queued)."""
        if self.rate is not None:
            wait = self.started + (self.sent + len(self.pending)) / self.rate - time.monotonic()
            if wait > 0:
                self.flush()
                time.sleep(wait)
        self.pending.append(message)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Send what is queued."""
        if self.pending:
            self.publisher.send_many(self.pending)
            self.sent += len(self.pending)
            for message in self.pending:
                name = self.publisher.topics.name(message.topic)
                self.per_topic[name] = self.per_topic.get(name, 0) + 1
            self.pending.clear()


def _publish_lines(
    file: Path, lines: Iterable[FeedLine], out: _Batches, errors: list[str], console: Console
) -> None:
    """Send the good lines of ``file`` and list the bad ones in ``errors``, under a progress
    bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from producers.feed import count_lines

    progress = Progress(
        TextColumn(f"publishing {file.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[bad]} bad"),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task("publish", total=count_lines(file) or None, bad=0)
        for line in lines:
            progress.update(task, completed=line.number, bad=len(errors))
            if line.message is None:
                errors.append(f"line {line.number}: {line.error}")
                continue
            out.add(line.message)
        out.flush()


def _report_publish(
    console: Console, sent: int, per_topic: dict[str, int], errors: list[str]
) -> None:
    where = ", ".join(f"{n} to {name}" for name, n in sorted(per_topic.items()))
    console.print(
        f"published {sent} message(s){f' ({where})' if where else ''}; {len(errors)} bad line(s)",
        highlight=False,
    )
    for error in errors:
        console.print(f"  [red]{error}[/red]", highlight=False)


# -- simulate -----------------------------------------------------------------------------


def simulate(
    rate: Annotated[float, typer.Option(min=0.01, help="Supply and orders per second.")] = 20.0,
    duration: Annotated[float, typer.Option(min=0.0, help="Seconds of supply and orders.")] = 60.0,
    seed: Annotated[int, typer.Option(help="Scenario seed.")] = 1,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks in the season.")] = 12,
    scale: Annotated[float, typer.Option(min=1.0, max=200.0, help="Multiply groups/buyers.")] = 1.0,
    tag: Annotated[
        str, typer.Option(help="Rename every id of this run (a fresh market each time).")
    ] = "",
    wait: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Wait for a running worker to register the participants until nothing "
            "new arrives for this long (0: do not wait).",
        ),
    ] = 5.0,
) -> None:
    """Stream a synthetic Songkhla market onto the inbound topics.

    First the buyers, groups and certificates (at full speed), then supply announcements and
    orders at RATE per second for DURATION seconds; when the scenario runs out it starts over
    with fresh ids (-r2, -r3, ...). Ids and message ids are the same for the same seed and day.
    Participants and the book travel on different topics, so simulate waits (see --wait) for
    the worker's registration events on <prefix>.events before supply and orders refer to them.
    """
    from datetime import date

    from kafka.errors import KafkaError

    from matcher.scenario import season_start, songkhla_instance
    from producers.stream import Scenario, StreamCounts, send_participants

    settings = _kafka()
    console = _console()
    publisher = _open_publisher(settings, "foodmatch-simulate")
    with console.status("generating the Songkhla scenario"):
        instance = songkhla_instance(
            weeks=weeks, seed=seed, scale=scale, start=season_start(date.today())
        )
        scenario = Scenario.of(instance, f"simulate-{seed}", seed, tag)
    counts = StreamCounts()
    watcher = _start_watcher(settings, scenario, publisher) if wait > 0 else None
    try:
        send_participants(scenario, publisher, "simulate", counts)
        publisher.flush()
        console.print(f"sent {counts.participants} participants and certificates")
        if watcher is not None:
            _await_registrations(watcher, scenario, wait, console)
            watcher.stop()
        _stream_book(scenario, publisher, rate, duration, counts, console)
        publisher.flush()
    except KafkaError as err:
        raise _send_failed(settings, err) from None
    finally:
        if watcher is not None:
            watcher.stop()
        publisher.close()
    _print_totals(counts)


def _start_watcher(
    settings: KafkaSettings, scenario: Scenario, publisher: KafkaPublisher
) -> Watcher:
    """A running watcher of the events topic for the scenario's participants (the publisher is
    closed when the broker cannot be watched)."""
    from matcher.adapters.kafka.probe import BrokerUnreachable
    from producers.observe import among
    from producers.watch import Watcher

    try:
        watcher = Watcher(settings, among(m.body["id"] for m in scenario.participants))
    except BrokerUnreachable as err:
        publisher.close()
        raise _unreachable(err) from None
    watcher.start()
    return watcher


def _stream_book(
    scenario: Scenario,
    publisher: KafkaPublisher,
    rate: float,
    duration: float,
    counts: StreamCounts,
    console: Console,
) -> None:
    """Stream supply and orders at ``rate`` for ``duration`` seconds under a progress bar."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from producers.stream import stream_book

    progress = Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.fields[line]}"),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("simulate", total=duration or None, line="")

        def show(c: StreamCounts) -> None:
            line = _count_line(c)
            progress.update(task, completed=min(c.elapsed, duration), line=line)

        stream_book(
            scenario,
            publisher,
            rate=rate,
            duration=duration,
            actor="simulate",
            counts=counts,
            on_tick=show,
        )


def _await_registrations(
    watcher: Watcher, scenario: Scenario, idle: float, console: Console
) -> None:
    from producers.stream import key_of
    from producers.watch import wait_until

    keys = [key_of(m) for m in scenario.participants]
    with console.status("waiting for the worker to register them") as status:
        wait_until(
            watcher.handled(keys),
            len(keys),
            idle,
            lambda n: status.update(f"registered by the worker: {n}/{len(keys)}"),
        )
    done, refused = watcher.observations.handled(keys)
    if done + refused == 0:
        console.print(
            f"no registrations seen on the events topic for {idle:g} s: the worker is not "
            "running, or registered these before; streaming on"
        )
    else:
        console.print(f"the worker registered {done} of {len(keys)} ({refused} refused)")


def _count_line(c: StreamCounts) -> str:
    achieved = c.book / c.elapsed if c.elapsed > 0 else 0.0
    return f"supply {c.supply:,} · orders {c.orders:,} · pass {c.cycles} · {achieved:,.1f}/s"


def _print_totals(c: StreamCounts) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="simulate: totals", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in (
        ("participants and certificates", f"{c.participants:,}"),
        ("supply announcements", f"{c.supply:,}"),
        ("orders", f"{c.orders:,}"),
        ("messages", f"{c.total:,}"),
        ("passes over the scenario", str(c.cycles)),
        ("seconds", f"{c.elapsed:.1f}"),
        ("supply and orders per second", f"{c.book / c.elapsed if c.elapsed else 0.0:,.1f}"),
    ):
        table.add_row(label, value)
    Console().print(table)


# -- bench stream -------------------------------------------------------------------------


def bench_stream(
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Kafka broker HOST:PORT (default FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL server URL whose role may CREATE DATABASE (default "
            "FOODMATCH_BENCH_DB, else FOODMATCH_DATABASE_URL): each measurement gets a fresh "
            "database <db>_bench_<tag>, dropped afterwards."
        ),
    ] = None,
    messages: Annotated[int, typer.Option(min=1, help="Orders pre-loaded for each drain.")] = (
        20_000
    ),
    workers: Annotated[str, typer.Option(help="Worker counts, e.g. 1,2,4 (of 1, 2, 4, 8).")] = (
        "1,2,4"
    ),
    rates: Annotated[str, typer.Option(help="Offered orders per second, e.g. 20,200,2000.")] = (
        "20,200,2000"
    ),
    duration: Annotated[
        float | None,
        typer.Option(min=1.0, help="Seconds each rate is offered (default 20; --running: 30)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    keep: Annotated[bool, typer.Option(help="Keep the run's databases and topics.")] = False,
    running: Annotated[
        bool,
        typer.Option(
            help="Start nothing: measure a worker already running with the same "
            "FOODMATCH_KAFKA__* settings (the options below are for this mode)."
        ),
    ] = False,
    rate: Annotated[
        float, typer.Option(min=0.01, help="--running: orders per second (latency).")
    ] = 20.0,
    warmup: Annotated[float, typer.Option(min=0.0, help="--running: seconds before measuring.")] = (
        5.0
    ),
    settle: Annotated[
        float,
        typer.Option(min=1.0, help="--running: stop waiting after this long without progress."),
    ] = 30.0,
    max_backlog: Annotated[
        int, typer.Option(min=1, help="--running: most messages sent but not yet handled.")
    ] = 2000,
    ingest: Annotated[bool, typer.Option(help="--running: measure sustained ingest.")] = True,
    latency: Annotated[bool, typer.Option(help="--running: measure order-to-contract latency.")] = (
        True
    ),
    seed: Annotated[int, typer.Option(help="Scenario seed.")] = 1,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="--running: weeks in the season.")] = 12,
    scale: Annotated[
        float, typer.Option(min=1.0, max=200.0, help="--running: multiply groups/buyers.")
    ] = 1.0,
) -> None:
    """Benchmark the Kafka stream: drain rate against a minimal reference consumer, and the time
    from an order to its first contract at offered rates, with 1, 2 and 4 workers.

    Starts what it needs from --bootstrap and --db: for each measurement a fresh topic prefix
    (8 partitions) and a fresh PostgreSQL database, the workers (`python -m consumers.worker`)
    and the reference consumer (`python -m bench.stream.reference`, a faust agent writing
    batches of up to 500 orders in one transaction); stops them and drops what it made at the
    end, also on errors and Ctrl-C. Exit codes: 0 done, 2 the bench could not run.

    With --running it starts nothing and measures a worker already running with the same
    FOODMATCH_KAFKA__* settings, through its outbound topics.
    """
    if not running:
        argv = _stream_argv(bootstrap, db, messages, workers, rates, duration, as_json, keep, seed)
        code = _run_stream_bench(argv)
        if code:
            raise typer.Exit(code)
        return
    from matcher.adapters.kafka.probe import BrokerUnreachable
    from producers.bench_stream import BenchOptions, StreamBench, WorkerSilent

    if not (ingest or latency):
        raise fail("nothing to measure: drop --no-ingest or --no-latency")
    options = BenchOptions(
        rate=rate,
        duration=30.0 if duration is None else duration,
        warmup=warmup,
        settle=settle,
        max_backlog=max_backlog,
        seed=seed,
        weeks=weeks,
        scale=scale,
        ingest=ingest,
        latency=latency,
    )
    settings = _kafka()
    if bootstrap:
        settings = settings.model_copy(update={"bootstrap_servers": bootstrap})
    console = _console()
    try:
        with console.status("starting") as status:
            bench = StreamBench(settings, options, lambda text: status.update(text))
            report = bench.run()
    except BrokerUnreachable as err:
        raise _unreachable(
            err, f"{BROKER_HINT}; then start the worker: `foodmatch worker`"
        ) from None
    except WorkerSilent as err:
        raise fail(str(err)) from None
    _print_bench(report, options, settings.topic_prefix)


def _stream_argv(
    bootstrap: str | None,
    db: str | None,
    messages: int,
    workers: str,
    rates: str,
    duration: float | None,
    as_json: bool,
    keep: bool,
    seed: int,
) -> list[str]:
    """The command line of ``python -m bench.stream`` for these options."""
    argv = ["--messages", str(messages), "--workers", workers, "--rates", rates]
    argv += ["--duration", str(20.0 if duration is None else duration), "--seed", str(seed)]
    if bootstrap:
        argv += ["--bootstrap", bootstrap]
    if db:
        argv += ["--db", db]
    return argv + (["--json"] if as_json else []) + (["--keep"] if keep else [])


def _fileno(stream: object) -> int | None:
    try:
        fileno = getattr(stream, "fileno", None)
        return None if fileno is None else int(fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation: a captured stream
        return None


def _run_stream_bench(argv: list[str]) -> int:
    """Run ``python -m bench.stream`` (the bench package starts the processes; entry points
    meet through processes, not imports) with this process's output: the terminal's own
    descriptors when there are, else the output copied when it ends. Its exit code; Ctrl-C
    reaches it too, and it stops what it started before it exits."""
    import subprocess

    out, err = _fileno(sys.stdout), _fileno(sys.stderr)
    with subprocess.Popen(
        [sys.executable, "-m", "bench.stream", *argv],
        stdout=subprocess.PIPE if out is None else out,
        stderr=subprocess.PIPE if err is None else err,
        stdin=subprocess.DEVNULL,
    ) as child:
        while True:
            try:
                captured_out, captured_err = child.communicate()
                break
            except KeyboardInterrupt:
                continue  # the bench got the signal too: wait until it has cleaned up
    if captured_out:
        sys.stdout.write(captured_out.decode("utf-8", errors="replace"))
    if captured_err:
        sys.stderr.write(captured_err.decode("utf-8", errors="replace"))
    return child.returncode


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f} s"


def _print_bench(report: BenchReport, options: BenchOptions, prefix: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"bench stream on {prefix!r} (run {report.tag})", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("participants registered", f"{report.registered:,}")
    if report.latency is not None:
        lat = report.latency
        table.add_section()
        table.add_row("[u]order → first contract[/u]", f"at {options.rate:g} orders/s")
        table.add_row("supply announced first", f"{report.supply_announced:,}")
        table.add_row("orders measured (after warm-up)", f"{report.latency_sent:,}")
        table.add_row("with a contract (count)", f"{lat.count:,}")
        table.add_row("unmatched", f"{lat.unmatched:,}")
        table.add_row("refused by the worker", f"{report.latency_refused:,}")
        for label, value in (
            ("p50", lat.p50),
            ("p95", lat.p95),
            ("p99", lat.p99),
            ("max", lat.max),
            ("mean", lat.mean),
        ):
            table.add_row(label, _seconds(value))
    if report.ingest is not None:
        ing = report.ingest
        table.add_section()
        table.add_row("[u]sustained ingest[/u]", f"backlog ≤ {options.max_backlog:,}")
        table.add_row("supply and orders sent", f"{ing.sent:,}")
        table.add_row("handled (event relayed)", f"{ing.handled:,}")
        table.add_row("refused (dead letters)", f"{ing.refused:,}")
        table.add_row("producer rate", f"{ing.produce_rate:,.1f} msg/s")
        table.add_row(
            f"worker rate ({ing.window_seconds:.0f} s window)", f"{ing.sustained_rate:,.1f} msg/s"
        )
        drained = "-" if ing.drain_seconds is None else f"{ing.drain_seconds:.1f} s"
        table.add_row("drain after producing stopped", drained)
    console.print(table)
    for line in report.refusals:
        console.print(f"  [red]refused:[/red] {line}", highlight=False)
