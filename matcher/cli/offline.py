"""The optimiser's offline commands: ``solve``, ``schema``, ``scenario songkhla`` and ``compare``.

Registered as ``foodmatch.commands`` entry points; heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.clikit import fail

__all__ = ["compare", "read_instance_file", "scenario_app", "schema", "solve"]

scenario_app = typer.Typer(help="Write matching instances.", no_args_is_help=True)


def read_instance_file(path: Path) -> Any:
    """Decode an instance file, turning I/O and JSON errors into messages with the place."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise fail(f"cannot read {path}: {err.strerror or err}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise fail(f"{path} line {err.lineno} column {err.colno}: {err.msg}") from None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


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
    roads: Annotated[
        bool,
        typer.Option(
            help="Measure the pairs the instance's road_distances do not give with the province "
            "road model (data/roads: round Songkhla Lake by the roads); off: straight line × "
            "road_factor."
        ),
    ] = True,
) -> None:
    """Solve a matching instance offline and print the solution as JSON."""
    from dataclasses import replace

    from matcher.optimiser.schema import InstanceError, parse_instance
    from matcher.optimiser.solve import SolverName, solve
    from matcher.optimiser.validate import validate
    from matcher.reference import data_dir
    from matcher.roads import province_network

    if solver not in {s.value for s in SolverName}:
        raise fail(f"--solver must be one of {', '.join(s.value for s in SolverName)}")
    raw = read_instance_file(instance)
    try:
        parsed = parse_instance(raw)
    except InstanceError as err:
        raise fail(f"{instance}: {err}") from None
    if roads:
        parsed = replace(parsed, roads=province_network(data_dir()))
    solution = solve(parsed, solver=solver)
    body = solution.to_json()
    if check and solution.status.value != "error":
        report = validate(parsed, solution)
        body["validation"] = {"ok": report.ok, "violations": report.violations[:50]}
    _write(json.dumps(body, ensure_ascii=False, indent=2), output)
    if solution.status.value == "error":
        raise fail(f"solver failed: {solution.message}", code=1)
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
    disruptions: Annotated[
        bool,
        typer.Option(
            help="Add the season's northeast-monsoon flood week (`disruptions`: the flooded "
            "supply lines the demo withdraws and announces again); the solver ignores it."
        ),
    ] = False,
) -> None:
    """Write the Songkhla scenario as a matching instance."""
    from matcher.scenario import songkhla_instance

    data = songkhla_instance(weeks=weeks, seed=seed, scale=scale, disruptions=disruptions)
    _write(json.dumps(data, ensure_ascii=False, indent=1), output)


def compare(
    weeks: Annotated[int, typer.Option(min=1, max=52)] = 12,
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """Solve the Songkhla scenario offline (distances by the province road model) and print a
    report against the greedy baseline."""
    from dataclasses import replace

    from rich.console import Console

    from matcher.optimiser.schema import parse_instance
    from matcher.optimiser.solve import solve
    from matcher.optimiser.validate import validate
    from matcher.reference import data_dir
    from matcher.report import demo_report
    from matcher.roads import province_network
    from matcher.scenario import songkhla_instance

    console = Console()
    with console.status("generating the Songkhla scenario"):
        instance = parse_instance(songkhla_instance(weeks=weeks, seed=seed))
        # Distances by the province's roads (round Songkhla Lake), as the service measures them.
        instance = replace(instance, roads=province_network(data_dir()))
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
