"""The ``foodmatch`` command line. Heavy imports happen inside the commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="foodmatch: a forward market for safe food (Songkhla first).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenario_app = typer.Typer(help="Write matching instances.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def read_instance_file(path: Path) -> Any:
    """Decode an instance file, turning I/O and JSON errors into messages with the place."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise _fail(f"cannot read {path}: {err.strerror or err}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _fail(f"{path} line {err.lineno} column {err.colno}: {err.msg}") from None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


@app.command()
def solve(
    instance: Annotated[Path, typer.Argument(help="Matching instance (JSON).")],
    solver: Annotated[
        str,
        typer.Option(
            help="auto (CP-SAT when an integer rule applies, else the flow model), flow, "
            "cpsat or greedy (the baseline)."
        ),
    ] = "auto",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    check: Annotated[bool, typer.Option(help="Run the independent validator too.")] = True,
) -> None:
    """Solve a matching instance offline and print the solution as JSON."""
    from matcher.optimiser.schema import InstanceError, parse_instance
    from matcher.optimiser.solve import SolverName, solve
    from matcher.optimiser.validate import validate

    if solver not in {s.value for s in SolverName}:
        raise _fail(f"--solver must be one of {', '.join(s.value for s in SolverName)}")
    raw = read_instance_file(instance)
    try:
        parsed = parse_instance(raw)
    except InstanceError as err:
        raise _fail(f"{instance}: {err}") from None
    solution = solve(parsed, solver=solver)
    body = solution.to_json()
    if check and solution.status.value != "error":
        report = validate(parsed, solution)
        body["validation"] = {"ok": report.ok, "violations": report.violations[:50]}
    _write(json.dumps(body, ensure_ascii=False, indent=2), output)
    if solution.status.value == "error":
        raise _fail(f"solver failed: {solution.message}", code=1)
    s = solution.summary
    gap = (
        f", gap {100 * s.gap:.2f} % of fill, {100 * s.cost_gap:.2f} % of cost"
        if s.cpsat_buckets
        else ""
    )
    typer.echo(
        f"{solution.status.value} ({solution.solver}{gap}): filled {s.filled:,} of "
        f"{s.demand:,} ({100 * s.fill_rate:.1f} %) in {s.wall_seconds:.2f} s",
        err=True,
    )
    for note in solution.notes:
        typer.echo(f"note: {note}", err=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the matching-instance format."""
    from matcher.optimiser.schema import instance_json_schema

    _write(json.dumps(instance_json_schema(), ensure_ascii=False, indent=2), None)


@scenario_app.command("songkhla")
def scenario_songkhla(
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks in the season.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    scale: Annotated[float, typer.Option(min=1.0, max=200.0, help="Multiply groups/buyers.")] = 1.0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
) -> None:
    """Write the Songkhla scenario as a matching instance."""
    from matcher.scenario import songkhla_instance

    data = songkhla_instance(weeks=weeks, seed=seed, scale=scale)
    _write(json.dumps(data, ensure_ascii=False, indent=1), output)


@app.command()
def compare(
    weeks: Annotated[int, typer.Option(min=1, max=52)] = 12,
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """Solve the Songkhla scenario offline and print a report against the greedy baseline."""
    from rich.console import Console

    from matcher.optimiser.schema import parse_instance
    from matcher.optimiser.solve import solve
    from matcher.optimiser.validate import validate
    from matcher.report import demo_report
    from matcher.scenario import songkhla_instance

    console = Console()
    with console.status("generating the Songkhla scenario"):
        instance = parse_instance(songkhla_instance(weeks=weeks, seed=seed))
    console.print(
        f"[bold]Songkhla scenario[/bold]: {len(instance.groups)} farmer groups, "
        f"{len(instance.buyers)} kitchens, {len(instance.orders)} forward orders, "
        f"{len(instance.supply)} supply announcements over {weeks} weeks"
    )
    with console.status("solving (optimiser and greedy baseline)"):
        optimal = solve(instance)
        greedy = solve(instance, solver="greedy")
    console.print(demo_report(instance, optimal, greedy))
    for name, solution in (("optimiser", optimal), ("greedy", greedy)):
        report = validate(instance, solution)
        verdict = "passes" if report.ok else f"FAILS ({len(report.violations)} violations)"
        console.print(f"independent validator: {name} solution {verdict}")


bench_app = typer.Typer(
    help="Benchmarks that print figures: the optimiser (default), `stream` (Kafka) and `api` "
    "(the HTTP API on either engine).",
    invoke_without_command=True,
)
app.add_typer(bench_app, name="bench")


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
def bench_api(
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
) -> None:
    """Benchmark the HTTP API: requests/s and latency of order submission and contract reads.

    Starts the service (uvicorn; on kafka also a worker on a fresh topic prefix) with access
    control on, registers groups, kitchens and supply, then measures POST /orders, one POST
    /rounds and GET /contracts reads with concurrent clients; stops everything at the end. Then
    (unless --no-figures) every coordinator figure at the demo's size and --figure-scale times
    it, with GET /crops as the reference on the same server.
    Exit codes: 0 done, 1 some request failed, 2 the bench could not run.
    """
    if engine not in ("inprocess", "kafka", "both"):
        raise typer.BadParameter("must be inprocess, kafka or both", param_hint="--engine")
    from bench.api import Plan
    from bench.api import main as run_api_bench

    plan = Plan(
        orders=orders,
        reads=reads,
        concurrency=concurrency,
        figures=figures,
        figure_reads=figure_reads,
        figure_scale=figure_scale,
    )
    code = run_api_bench(engine, plan, db=db, bootstrap=bootstrap, port=port, as_json=as_json)
    if code:
        raise typer.Exit(code)


def main() -> None:
    # The service commands register themselves on ``matcher.cli.app`` (also when this module
    # runs as ``__main__``, which is a different module object).
    from consumers import cli as consumers_cli  # noqa: F401  (worker)
    from matcher import cli_contracts as contracts_cli  # noqa: F401  (document, export)
    from matcher import cli_keys as keys_cli  # noqa: F401  (keys create, list, revoke)
    from matcher import cli_report as report_cli  # noqa: F401  (report planning)
    from matcher import cli_service
    from producers import cli as producers_cli  # noqa: F401  (topics, publish, simulate, bench)

    cli_service.app()


if __name__ == "__main__":
    main()
