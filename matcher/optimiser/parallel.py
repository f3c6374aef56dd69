"""Independent markets solved side by side in worker processes.

A market (one crop, one week) shares no supply and no delivery with another, so markets can be
built, solved and explained apart and their answers joined. The markets are packed into chunks
of similar work; small instances run in-process, chunk after chunk, and large ones in a pool of
forked workers that inherit the instance and its tables (only chunk numbers go out, and compact
arrays come back). Either way at most one chunk per process is held in memory at a time.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar, cast

from matcher.optimiser.markets import MarketTables

PARALLEL_MIN_PAIRS = 2_000_000
"""Below this many candidate pairs (supply weeks × deliveries, summed over markets) the markets
are solved in-process: starting workers would cost more than it saves."""
CHUNK_MAX_PAIRS = 4_000_000
"""A chunk holds markets of at most about this many candidate pairs (a larger market is a chunk
of its own): this bounds the memory of one step."""
CHUNKS_PER_WORKER = 3
MAX_WORKERS = 8

R = TypeVar("R")

_TASK: list[Callable[[Sequence[int]], object]] = []
_CHUNKS: list[list[int]] = []


def market_work(tables: MarketTables, m: int) -> int:
    """The work of market ``m``: its candidate pairs, plus its deliveries."""
    return tables.candidate_pairs(m) + len(tables.m_demand[m])


def available_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus))


def can_fork() -> bool:
    """Workers are forked: only where fork exists, and not from a daemon process."""
    return "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def plan_chunks(
    tables: MarketTables, workers: int, units: Sequence[Sequence[int]] | None = None
) -> list[list[int]]:
    """Markets packed into chunks, largest work first; each chunk's markets in market order.

    ``units``: markets that must stay in one chunk (default: each market on its own).
    There is always at least one chunk (maybe empty), so the solver runs even on no markets.
    """
    groups = (
        [list(u) for u in units] if units is not None else [[m] for m in range(len(tables.markets))]
    )
    work = [sum(market_work(tables, m) for m in unit) for unit in groups]
    total = sum(work)
    target = max(1, min(CHUNK_MAX_PAIRS, total // max(1, workers * CHUNKS_PER_WORKER)))
    chunks: list[list[int]] = []
    current: list[int] = []
    size = 0
    for u in sorted(range(len(work)), key=lambda u: (-work[u], u)):
        if current and size + work[u] > target:
            chunks.append(sorted(current))
            current, size = [], 0
        current += groups[u]
        size += work[u]
    if current or not chunks:
        chunks.append(sorted(current))
    return chunks


def use_pool(tables: MarketTables, chunks: list[list[int]], parallel: bool | None) -> int:
    """How many worker processes to use (0: solve in-process)."""
    if parallel is False or len(chunks) < 2 or not can_fork():
        return 0
    workers = min(available_workers(), len(chunks))
    if parallel is None:
        total = sum(market_work(tables, m) for m in range(len(tables.markets)))
        if total < PARALLEL_MIN_PAIRS or workers < 2:
            return 0
    return max(1, workers)


def run_chunks(
    task: Callable[[Sequence[int]], R], chunks: list[list[int]], workers: int
) -> Iterator[R]:
    """``task`` on every chunk, in chunk order: in-process, or in ``workers`` forked processes."""
    if workers == 0:
        for chunk in chunks:
            yield task(chunk)
        return
    _TASK[:] = [task]
    _CHUNKS[:] = chunks
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            for result in pool.map(_run_chunk, range(len(chunks))):
                yield cast(R, result)
    finally:
        _TASK.clear()
        _CHUNKS.clear()


def _run_chunk(k: int) -> object:
    return _TASK[0](_CHUNKS[k])
