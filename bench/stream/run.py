"""A run of ``foodmatch bench stream``: the reference consumer's drain, then for each worker
count the workers' drains (rounds off, rounds at their defaults) and the offered rates; every
process stopped and every database and topic of the run dropped at the end (also on errors and
Ctrl-C). Progress on stderr; a table, or with --json one JSON document, on stdout.

    python -m bench.stream [--bootstrap B] [--db URL] [--messages N] [--workers 1,2,4]
        [--rates 20,200,2000] [--duration S] [--json] [--keep]

Exit codes: 0 done, 2 the bench could not run, 130 interrupted."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.processes import BenchError
from bench.stream.drain import Drained, reference_drain, worker_drain
from bench.stream.latency import RateRun, latency_runs, supply_passes
from bench.stream.messages import Book
from bench.stream.options import StreamOptions, parse
from bench.stream.stage import admin_engine, check_broker

Status = Callable[[str], None]


@dataclass
class StreamRun:
    options: StreamOptions
    started: datetime
    reference: Drained | None = None
    drains: list[Drained] = field(default_factory=list)
    rates: list[RateRun] = field(default_factory=list)
    supply_passes: int = 0


def _rate(value: float) -> float:
    return round(value, 1)


def _ratio(value: float, reference: float) -> float | None:
    return round(value / reference, 4) if reference > 0 else None


def _drain_of(run: StreamRun, workers: int, rounds: bool) -> float:
    for drained in run.drains:
        if drained.workers == workers and drained.rounds == rounds:
            return drained.messages_per_second
    return 0.0


def report_json(run: StreamRun) -> dict[str, Any]:
    """The run as one JSON document (see docs/benchmark.md for the meaning of each key)."""
    options = run.options
    first = min(options.workers)
    reference = _rate(run.reference.messages_per_second) if run.reference else 0.0
    rounds_on = _rate(_drain_of(run, first, True))
    rounds_off = _rate(_drain_of(run, first, False))
    return {
        "date": run.started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count() or 1},
        "messages": options.messages,
        "partitions": 8,
        "duration_seconds": options.duration,
        "drain": {
            "workers": first,
            "messages_per_second": rounds_on,
            "rounds_off_messages_per_second": rounds_off,
            "reference_messages_per_second": reference,
            "ratio_to_reference": _ratio(rounds_on, reference),
            "rounds_off_ratio_to_reference": _ratio(rounds_off, reference),
            "by_workers": [
                {
                    "workers": k,
                    "messages_per_second": _rate(_drain_of(run, k, True)),
                    "rounds_off_messages_per_second": _rate(_drain_of(run, k, False)),
                }
                for k in options.workers
            ],
        },
        "rates": [
            {
                "offered": rate.offered,
                "workers": rate.workers,
                "sent": rate.sent,
                "backlog": rate.backlog,
                "kept_up": rate.kept_up,
                "with_contract": rate.matched,
                "latency_ms": rate.latency_ms(),
            }
            for rate in run.rates
        ],
        "supply_passes": run.supply_passes,
    }


def _shown(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:,.1f}{unit}"


def render(document: dict[str, Any]) -> Table:
    drain = document["drain"]
    table = Table(
        title=f"bench stream — {document['messages']:,} messages, {document['machine']['cpus']} "
        f"CPU(s), {document['date']}",
        show_lines=False,
    )
    for column in ("what", "workers", "messages/s", "× reference", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "what" else "right")
    reference = drain["reference_messages_per_second"]
    table.add_row("drain: reference consumer", "1", _shown(reference), "1.00", "", "", "")
    for row in drain["by_workers"]:
        for key, what in (
            ("rounds_off_messages_per_second", "drain: worker, rounds off"),
            ("messages_per_second", "drain: worker, rounds at defaults"),
        ):
            ratio = _ratio(row[key], reference)
            shown = "—" if ratio is None else f"{ratio:.3f}"
            table.add_row(what, str(row["workers"]), _shown(row[key]), shown, "", "", "")
    for rate in document["rates"]:
        latency = rate["latency_ms"]
        kept = "kept up" if rate["kept_up"] else f"behind by {rate['backlog']:,}"
        table.add_row(
            f"offered {rate['offered']:g}/s ({kept}; {rate['with_contract']:,}/"
            f"{rate['sent']:,} with a contract)",
            str(rate["workers"]),
            "",
            "",
            _shown(latency["p50"]),
            _shown(latency["p95"]),
            _shown(latency["p99"]),
        )
    return table


def measure(options: StreamOptions, status: Status) -> StreamRun:
    """Everything the run measures, in turn (BenchError when it cannot go on)."""
    check_broker(options.bootstrap)
    admin = admin_engine(options.db)
    run = StreamRun(options, datetime.now(UTC))
    try:
        status("the Songkhla scenario and the orders its supply fills")
        book = Book.songkhla(seed=options.seed)
        fillable = book.fillable()
        run.supply_passes = supply_passes(options, fillable)
        run.reference = reference_drain(admin, options, book, status)
        for workers in options.workers:
            for rounds in (False, True):
                run.drains.append(
                    worker_drain(admin, options, book, workers, rounds=rounds, status=status)
                )
            run.rates.extend(latency_runs(admin, options, fillable, workers, status))
    finally:
        admin.dispose()
    return run


@contextmanager
def _status(console: Console) -> Iterator[Status]:
    """A live status line on a terminal; elsewhere (a log file) one line per step, printed when
    the part before the first colon changes."""
    if console.is_terminal:
        with console.status("starting") as shown:
            yield lambda text: shown.update(text)
        return
    last = [""]

    def line(text: str) -> None:
        step = text.split(":", 1)[0]
        if step != last[0]:
            last[0] = step
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            console.print(f"{stamp} {step}", highlight=False, soft_wrap=True)

    yield line


def main(argv: list[str] | None = None) -> int:
    """``foodmatch bench stream``: 0 done, 2 the bench could not run, 130 interrupted."""
    err_console = Console(stderr=True)
    try:
        options = parse(sys.argv[1:] if argv is None else argv)
        with _status(err_console) as status:
            run = measure(options, status)
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the bench's processes are stopped", file=sys.stderr)
        return 130
    document = report_json(run)
    if options.as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        console = Console()
        if not console.is_terminal:
            console = Console(width=max(console.width, 110))
        console.print(render(document))
    return 0
