"""``foodmatch distance FROM TO``: the road km between two places and the places on the way.

Each end is a participant id (a farmer group or a buyer, looked up in the service's database)
or ``LAT,LON``. The distance is the one rounds use: a coordinator's measured km for a
(group, buyer) pair when the table has it, else the province road model (around Songkhla Lake
by the roads and the Tinsulanonda bridge), else the straight line × the road factor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from matcher.clikit import DbOption, domain_errors, fail, service_for

if TYPE_CHECKING:
    from matcher.bootstrap import Service
    from matcher.domain.model import Location

__all__ = ["distance", "parse_point"]


def parse_point(text: str) -> Location | None:
    """``LAT,LON`` as a location; ``None`` when the text is not two numbers."""
    from matcher.domain.model import Location

    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    return Location(lat, lon)


def _resolve(service: Service, text: str) -> tuple[str | None, str, Location]:
    """(participant id or None, label, location) of one end."""
    point = parse_point(text)
    if point is not None:
        return None, f"{point.lat:.4f},{point.lon:.4f}", point
    with service.read_uow_factory() as uow:
        group = uow.groups.get(text)
        if group is not None:
            return group.id, f"{group.name_th} ({group.name_en}, {group.id})", group.location
        buyer = uow.buyers.get(text)
        if buyer is not None:
            return buyer.id, f"{buyer.name_th} ({buyer.name_en}, {buyer.id})", buyer.location
    raise fail(f"no farmer group or buyer {text!r}, and not LAT,LON")


def _measured(service: Service, a: str | None, b: str | None) -> float | None:
    if a is None or b is None:
        return None
    with service.read_uow_factory() as uow:
        table = uow.road_distances.table()
    return table.get((a, b), table.get((b, a)))


def distance(
    origin: Annotated[str, typer.Argument(metavar="FROM", help="Participant id or LAT,LON.")],
    destination: Annotated[str, typer.Argument(metavar="TO", help="Participant id or LAT,LON.")],
    db: DbOption = None,
) -> None:
    """Road km between two places and the main places the route passes."""
    from matcher.geo import great_circle_km
    from matcher.roads import to_10_m

    with service_for(db) as s, domain_errors():
        a_id, a_label, a_at = _resolve(s, origin)
        b_id, b_label, b_at = _resolve(s, destination)
        typer.echo(f"{a_label} → {b_label}")
        measured = _measured(s, a_id, b_id)
        roads = s.context.roads
        if measured is not None:
            typer.echo(f"{measured:.1f} km (coordinator's road-distance table)")
        elif roads is None:
            km = great_circle_km(a_at, b_at) * s.context.parameters.road_factor
            typer.echo(f"{km:.1f} km (straight line × {s.context.parameters.road_factor})")
        if roads is None:
            return
        route = roads.route(a_at, b_at)
        if measured is None:
            typer.echo(f"{to_10_m(route.km):.1f} km by road")
        if not route.places:
            typer.echo("ทางตรงระยะสั้น (short direct road)")
            return
        typer.echo("ผ่าน (via): " + " → ".join(f"{p.name_th} ({p.name_en})" for p in route.places))
        typer.echo("ทางหลวง (roads): " + ", ".join(route.roads))
