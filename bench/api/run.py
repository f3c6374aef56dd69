"""A run of ``foodmatch bench api``: on each engine the service started, measured and stopped
(also on errors), then the coordinator's figures, and the report printed."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bench.api.driving import (
    Measured,
    Plan,
    Reporter,
    measure,
    measure_reference,
    progress_reporter,
)
from bench.api.figures import EngineRun, PhaseFigures, render, report_json
from bench.api.target import Target, database_for, run_topics, target_for
from bench.api.workload import Market
from bench.processes import (
    HOST,
    REPO,
    BenchError,
    Child,
    Keys,
    api_child,
    check_port,
    free_port,
    service_env,
    wait_assigned,
    wait_ready,
    worker_child,
)

if TYPE_CHECKING:
    from bench.api.coordinator import FiguresRun
    from bench.api.workload import Call

ENGINES = ("inprocess", "kafka")


def run_engine(
    target: Target,
    plan: Plan,
    reporter: Reporter,
    *,
    port: int = 0,
    ready_seconds: float = 120.0,
) -> EngineRun:
    """Start the service on ``target``'s engine, measure it, stop everything (also on errors)."""
    if port:
        check_port(port)
    tag = secrets.token_hex(3)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    market = Market.of(tag, plan.groups, plan.kitchens)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"fm-bench-{tag}-")))
        reporter.status(f"{target.engine}: preparing the database")
        database = stack.enter_context(database_for(target.database_url, tmp, tag))
        keys = Keys(database.url, tag)
        stack.callback(keys.close)
        coordinator = keys.create("coordinator")
        kafka = None
        if target.kafka is not None:
            kafka = stack.enter_context(run_topics(target.kafka, tag, reporter))
        env = service_env(target.engine, database.url, kafka, tmp)
        if kafka is not None:
            worker_env = env | {"FOODMATCH_LOG_LEVEL": "INFO"}
            worker = worker_child(f"bench-{tag}", worker_env, tmp / "worker.log")
            stack.callback(worker.stop)
            reporter.status("kafka: starting a worker, waiting for its partitions")
            worker.start()
            wait_assigned(worker, ready_seconds)
        chosen = port or free_port()
        api = api_child(chosen, env, tmp / "api.log")
        stack.callback(api.stop)  # stopped first: registered last
        base_url = f"http://{HOST}:{chosen}"
        reporter.status(f"{target.engine}: starting the API at {base_url}")
        api.start()
        wait_ready(api, base_url, ready_seconds)
        measured = _measured(api, base_url, market, coordinator, keys, plan, reporter)
        reporter.status(f"{target.engine}: stopping")
    notes = list(measured.notes)
    reference = None
    if plan.reference:  # after the service and its worker have stopped: the machine is the same
        reference = run_reference(measured.order_calls, plan, reporter, notes, ready_seconds)
    return EngineRun(
        engine=target.engine,
        tag=tag,
        database=database.label,
        concurrency=plan.concurrency,
        setup_seconds=measured.setup_seconds,
        orders=measured.orders,
        round=measured.round,
        reads=measured.reads,
        groups=plan.groups,
        kitchens=plan.kitchens,
        cpus=os.cpu_count() or 1,
        load_before=None if load is None else round(load, 2),
        notes=tuple(notes),
        reference=reference,
    )


def reference_child(port: int, db: Path, log_path: Path) -> Child:
    """The minimal FastAPI + SQLite reference (:mod:`bench.api.reference_app`), not started."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    argv = [sys.executable, "-m", "bench.api.reference_app", "--port", str(port), "--db", str(db)]
    return Child("reference", argv, env, log_path)


def wait_listening(child: Child, port: int, seconds: float) -> None:
    """Until the child accepts connections on ``port`` (it has no health route)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not child.running:
            raise child.exited()
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchError(
        f"the {child.name} did not listen on port {port} within {seconds:.0f} s; its last lines:"
        f"\n{child.tail()}"
    )


def run_reference(
    calls: Sequence[Call], plan: Plan, reporter: Reporter, notes: list[str], ready_seconds: float
) -> PhaseFigures:
    """The same orders sent to the reference on a fresh SQLite file, then the reference stopped."""
    import httpx

    with tempfile.TemporaryDirectory(prefix="fm-bench-reference-") as tmp:
        port = free_port()
        child = reference_child(port, Path(tmp) / "reference.db", Path(tmp) / "reference.log")
        try:
            reporter.status("reference: starting the minimal FastAPI + SQLite app")
            child.start()
            wait_listening(child, port, ready_seconds)
            base_url = f"http://{HOST}:{port}"
            try:
                return asyncio.run(measure_reference(base_url, calls, plan, reporter, notes))
            except httpx.HTTPError as err:
                raise BenchError(
                    f"the reference at {base_url} stopped answering ({err!r}); its last "
                    f"lines:\n{child.tail()}"
                ) from None
        finally:
            child.stop()


def _measured(
    api: Child,
    base_url: str,
    market: Market,
    coordinator: str,
    keys: Keys,
    plan: Plan,
    reporter: Reporter,
) -> Measured:
    """The run's phases against the started API; BenchError when it stops answering."""
    import httpx

    try:
        return asyncio.run(
            measure(
                base_url,
                market,
                coordinator,
                lambda kitchen: keys.create("kitchen", kitchen),
                plan,
                reporter,
            )
        )
    except httpx.HTTPError as err:  # outside the timed phases, which count such errors
        raise BenchError(
            f"the API at {base_url} stopped answering ({err!r}); its last lines:\n{api.tail()}"
        ) from None


def main(
    engine: str = "inprocess",
    plan: Plan | None = None,
    *,
    db: str | None = None,
    bootstrap: str | None = None,
    port: int = 0,
    as_json: bool = False,
) -> int:
    """``foodmatch bench api``: 0 done, 1 some request failed, 2 the bench could not run,
    130 interrupted."""
    import json

    plan = plan or Plan()
    err_console = Console(stderr=True)
    try:
        import httpx  # noqa: F401
    except ImportError:
        print("error: bench api needs httpx: .venv/bin/pip install httpx", file=sys.stderr)
        return 2
    engines = ENGINES if engine == "both" else (engine,)
    runs: list[EngineRun] = []
    figures: FiguresRun | None = None
    try:
        targets = [target_for(name, db, bootstrap) for name in engines]
        with progress_reporter(err_console) as reporter:
            for target in targets:
                runs.append(run_engine(target, plan, reporter, port=port))
            if plan.figures:
                from bench.api.coordinator import run_figures

                figures = run_figures(
                    reads=plan.figure_reads, scale=plan.figure_scale, reporter=reporter, port=port
                )
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the bench's processes are stopped", file=sys.stderr)
        return 130
    if as_json:
        sys.stdout.write(
            json.dumps(report_json(runs, figures), ensure_ascii=False, indent=2) + "\n"
        )
    else:
        console = Console()
        if not console.is_terminal:  # a file or a pipe: wide enough for the table
            console = Console(width=max(console.width, 110))
        console.print(render(runs))
        if figures is not None:
            from bench.api.coordinator import render_figures

            console.print(render_figures(figures))
    failed = any(run.errors for run in runs) or (figures is not None and figures.errors > 0)
    return 1 if failed else 0
