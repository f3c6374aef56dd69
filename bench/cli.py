"""``foodmatch bench``: the optimiser's benchmark (the group's own command) and ``bench api``, the
HTTP API on either engine; the Kafka stream's benchmark (``bench stream``) is registered by the
producers. Registered as ``foodmatch.commands`` entry points; heavy imports happen inside.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["api", "bench_app"]

bench_app = typer.Typer(
    help="Benchmarks that print figures: the optimiser (default), `stream` (Kafka) and `api` "
    "(the HTTP API on either engine).",
    invoke_without_command=True,
)


@bench_app.callback()
def bench(
    ctx: typer.Context,
    quick: Annotated[
        bool,
        typer.Option(help="Small instances only: Songkhla, 1k × 200 and the integer-rule ones."),
    ] = False,
    large: Annotated[bool, typer.Option(help="Add 100,000 order-weeks × 5,000 groups.")] = False,
    lp: Annotated[
        bool, typer.Option(help="Also solve the independent LP (GLOP), market by market.")
    ] = True,
) -> None:
    """Benchmark the optimiser against the greedy baseline, the plain model (policies off) and
    an independent LP, and print the figures."""
    if ctx.invoked_subcommand is not None:
        return
    from bench.run import main as run_bench

    run_bench(quick=quick, large=large, lp=lp)


@bench_app.command("api")
def api(
    engine: Annotated[
        str, typer.Option(help="inprocess (SQLite unless --db), kafka (PostgreSQL) or both.")
    ] = "inprocess",
    orders: Annotated[int, typer.Option(min=1, help="POST /orders measured.")] = 500,
    reads: Annotated[int, typer.Option(min=1, help="Contract reads measured.")] = 2000,
    concurrency: Annotated[
        int, typer.Option(min=1, max=1000, help="Concurrent clients (HTTP connections).")
    ] = 16,
    db: Annotated[
        str | None,
        typer.Option(
            help="Database URL. inprocess: default a temporary SQLite file; kafka: default "
            "FOODMATCH_DATABASE_URL, PostgreSQL only. On PostgreSQL a fresh database is made "
            "for the run (and dropped) when the role may CREATEDB."
        ),
    ] = None,
    bootstrap: Annotated[
        str | None,
        typer.Option(help="Kafka broker HOST:PORT (FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)."),
    ] = None,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of the API on 127.0.0.1 (0: a free one).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    figures: Annotated[
        bool,
        typer.Option(
            help="Also time every coordinator figure at the demo's size and --figure-scale "
            "times it, against a minimal route of the same server."
        ),
    ] = True,
    figure_reads: Annotated[
        int, typer.Option(min=1, help="Timed reads of each coordinator route per size.")
    ] = 20,
    figure_scale: Annotated[
        int, typer.Option(min=2, max=1000, help="The larger market: the demo's times this.")
    ] = 100,
    reference: Annotated[
        bool,
        typer.Option(
            help="Also send the same orders, with the same clients, to a minimal FastAPI + "
            "SQLite app (its own process) and give the ratio."
        ),
    ] = True,
) -> None:
    """Benchmark the HTTP API: requests/s and latency of order submission and contract reads.

    Starts the service (uvicorn; on kafka also a worker on a fresh topic prefix) with access
    control on, registers groups, kitchens and supply, then measures POST /orders, one POST
    /rounds and GET /contracts reads with concurrent clients; stops everything at the end. Then
    (unless --no-figures) every coordinator figure at the demo's size and --figure-scale times
    it, with GET /crops as the reference on the same server. Unless --no-reference, the same
    orders go to a minimal FastAPI + SQLite app after each engine's run, for the ratio.
    Exit codes: 0 done, 1 some request failed, 2 the bench could not run.
    """
    if engine not in ("inprocess", "kafka", "both"):
        raise typer.BadParameter("must be inprocess, kafka or both", param_hint="--engine")
    from bench.api.driving import Plan
    from bench.api.run import main as run_api_bench

    plan = Plan(
        orders=orders,
        reads=reads,
        concurrency=concurrency,
        figures=figures,
        figure_reads=figure_reads,
        figure_scale=figure_scale,
        reference=reference,
    )
    code = run_api_bench(engine, plan, db=db, bootstrap=bootstrap, port=port, as_json=as_json)
    if code:
        raise typer.Exit(code)
