"""``foodmatch report planning``: unmet demand and the supply that would close it, as CSV.

Reads the service's database (``--db`` or ``FOODMATCH_DATABASE_URL``) and changes nothing; the
same report is on the dashboard and at ``GET /api/v1/report/planning[.csv]``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from matcher.clikit import DbOption, OutputOption, emit_text, read_service_db

__all__ = ["planning", "report_app"]

report_app = typer.Typer(
    help="Reports for coordinators: the planning report of unmet demand.", no_args_is_help=True
)


@report_app.command()
def planning(
    crop: Annotated[str | None, typer.Option("--crop", help="Only this crop's id.")] = None,
    district: Annotated[
        str | None, typer.Option("--district", help="Only this district's code (e.g. 9011).")
    ] = None,
    week: Annotated[str | None, typer.Option("--week", help="Only this ISO week.")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="Only this kitchen's id.")] = None,
    summary: Annotated[
        bool,
        typer.Option("--summary/--no-summary", help="Totals by reason on stderr after the CSV."),
    ] = True,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Write the planning report as CSV: unmet demand by crop, district, week and reason, with
    how much of which crop, under which standard, where and when would close it."""
    from matcher.service import stats
    from matcher.service.planning import PlanningFilter, planning_csv, planning_report

    if week is not None and not _is_week(week):
        raise typer.BadParameter(f"{week!r} is not an ISO week like 2026-W50", param_hint="--week")
    where = PlanningFilter(crop_id=crop, district=district, week=week, buyer_id=buyer)

    def view(uow: Any, service: Any) -> dict[str, Any]:
        return planning_report(stats.read_facts(uow, service.context), where)

    report = read_service_db(db, view)
    emit_text(planning_csv(report["lines"]), output)
    if summary:
        totals: dict[str, int] = {}
        for line in report["lines"]:
            totals[line["reason"]] = totals.get(line["reason"], 0) + line["quantity"]
        typer.echo(
            f"{len(report['lines'])} lines, {report['total']:,} units unmet"
            + "".join(f"; {r} {q:,}" for r, q in sorted(totals.items(), key=lambda kv: -kv[1])),
            err=True,
        )


def _is_week(text: str) -> bool:
    import re

    return re.fullmatch(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])", text) is not None
