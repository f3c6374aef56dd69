"""The options of a ``bench stream`` run, parsed and checked before anything starts."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

from bench.processes import BenchError

WORKER_COUNTS = (1, 2, 4, 8)
"""Worker counts a run may ask for (the topics have 8 partitions)."""
PARTITIONS = 8


@dataclass(frozen=True, slots=True)
class StreamOptions:
    bootstrap: str
    db: str
    messages: int = 20_000
    workers: tuple[int, ...] = (1, 2, 4)
    rates: tuple[float, ...] = (20.0, 200.0, 2000.0)
    duration: float = 20.0
    as_json: bool = False
    keep: bool = False
    seed: int = 1


def int_list(text: str, what: str) -> tuple[int, ...]:
    """``"1,2,4"`` → (1, 2, 4): each a positive whole number, each once, in the given order."""
    values: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part.isdigit() or int(part) < 1:
            raise BenchError(f"{what}: {part!r} is not a positive whole number (e.g. 1,2,4)")
        if int(part) not in values:
            values.append(int(part))
    if not values:
        raise BenchError(f"{what}: give at least one number")
    return tuple(values)


def rate_list(text: str) -> tuple[float, ...]:
    """``"20,200,2000"`` → (20.0, 200.0, 2000.0): offered messages per second, each positive."""
    values: list[float] = []
    for part in (p.strip() for p in text.split(",")):
        try:
            value = float(part)
        except ValueError:
            raise BenchError(f"--rates: {part!r} is not a number (e.g. 20,200,2000)") from None
        if not 0 < value <= 100_000:
            raise BenchError(f"--rates: {part} must be above 0 and at most 100000 per second")
        if value not in values:
            values.append(value)
    if not values:
        raise BenchError("--rates: give at least one rate")
    return tuple(values)


def database_url(given: str | None) -> str:
    """--db, else FOODMATCH_BENCH_DB, else FOODMATCH_DATABASE_URL: a PostgreSQL URL."""
    url = (
        (given or "").strip()
        or os.environ.get("FOODMATCH_BENCH_DB", "").strip()
        or os.environ.get("FOODMATCH_DATABASE_URL", "").strip()
    )
    if not url:
        raise BenchError(
            "bench stream needs PostgreSQL: pass --db postgresql://USER:PASSWORD@HOST/DB or set "
            "FOODMATCH_BENCH_DB (or FOODMATCH_DATABASE_URL)"
        )
    scheme = url.split(":", 1)[0].lower()
    if not scheme.startswith("postgresql"):
        raise BenchError(
            f"bench stream runs on PostgreSQL, not {scheme or url!r}: pass --db "
            "postgresql://USER:PASSWORD@HOST/DB (the role must be allowed to CREATE DATABASE)"
        )
    return url


def bootstrap_servers(given: str | None) -> str:
    """--bootstrap, else the settings (FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)."""
    if given and given.strip():
        return given.strip()
    from pydantic import ValidationError

    from matcher.config import load_settings

    try:
        return load_settings().kafka.bootstrap_servers
    except ValidationError as err:
        raise BenchError(f"the FOODMATCH_* settings are invalid: {err}") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="foodmatch bench stream", exit_on_error=False)
    p.add_argument("--bootstrap", default=None)
    p.add_argument("--db", default=None)
    p.add_argument("--messages", default="20000")
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--rates", default="20,200,2000")
    p.add_argument("--duration", default="20")
    p.add_argument("--seed", default="1")
    p.add_argument("--json", dest="as_json", action="store_true")
    p.add_argument("--keep", action="store_true")
    return p


def parse(argv: list[str]) -> StreamOptions:
    """The run's options from the command line (BenchError naming what is wrong)."""
    try:
        args = parser().parse_args(argv)
    except (argparse.ArgumentError, SystemExit) as err:
        raise BenchError(f"bad arguments: {err}") from None
    messages = int_list(args.messages, "--messages")[0]
    workers = int_list(args.workers, "--workers")
    wrong = [k for k in workers if k not in WORKER_COUNTS]
    if wrong:
        raise BenchError(
            f"--workers: {wrong[0]} is not one of {', '.join(map(str, WORKER_COUNTS))} "
            f"(the topics have {PARTITIONS} partitions)"
        )
    try:
        duration = float(args.duration)
    except ValueError:
        raise BenchError(f"--duration: {args.duration!r} is not a number of seconds") from None
    if not 1 <= duration <= 3600:
        raise BenchError("--duration: between 1 and 3600 seconds")
    return StreamOptions(
        bootstrap=bootstrap_servers(args.bootstrap),
        db=database_url(args.db),
        messages=messages,
        workers=workers,
        rates=rate_list(args.rates),
        duration=duration,
        as_json=args.as_json,
        keep=args.keep,
        seed=int_list(args.seed, "--seed")[0],
    )
