"""Clip the @geo-maps land and lake outlines (OpenStreetMap data, ODbL) to Songkhla and simplify
them for the dashboard map: ``python data/tools/clip_water.py COASTLINES LAKES OUT``, where
COASTLINES and LAKES are the ``map.geo.json`` files of the npm packages
``@geo-maps/earth-coastlines-1km`` and ``@geo-maps/earth-lakes-1km`` (0.6.0) and OUT is the
GeoJSON file to write (api/static/vendor/geo/songkhla-water.geojson). Standard library only;
see api/static/vendor/geo/README.md."""

import itertools
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Point = tuple[float, float]  # (lon, lat)
Ring = list[Point]

# The province's districts (data/districts.csv: lat 6.56-7.77, lon 100.22-100.94) with a margin
# wide enough for the whole lake, the coast and the province's edge.
WEST, SOUTH, EAST, NORTH = 99.95, 6.2, 101.2, 8.0
TOLERANCE = 0.0005  # degrees (about 50 m) for Douglas-Peucker
DIGITS = 4  # about 10 m


def polygons(geometry: dict[str, Any]) -> Iterator[list[Ring]]:
    kind = geometry["type"]
    if kind == "Polygon":
        yield [[(p[0], p[1]) for p in ring] for ring in geometry["coordinates"]]
    elif kind == "MultiPolygon":
        for poly in geometry["coordinates"]:
            yield [[(p[0], p[1]) for p in ring] for ring in poly]
    elif kind == "GeometryCollection":
        for g in geometry["geometries"]:
            yield from polygons(g)


def features(path: Path) -> Iterator[dict[str, Any]]:
    data = json.loads(path.read_text())
    if data.get("type") == "FeatureCollection":
        yield from (f["geometry"] for f in data["features"])
    elif data.get("type") == "Feature":
        yield data["geometry"]
    else:
        yield data


def touches_box(ring: Ring) -> bool:
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lons) <= EAST and max(lons) >= WEST and min(lats) <= NORTH and max(lats) >= SOUTH


def _clip_edge(ring: Ring, inside: Any, cross: Any) -> Ring:
    out: Ring = []
    for i, cur in enumerate(ring):
        prev = ring[i - 1]
        if inside(cur):
            if not inside(prev):
                out.append(cross(prev, cur))
            out.append(cur)
        elif inside(prev):
            out.append(cross(prev, cur))
    return out


def _at_lon(x: float) -> Any:
    return lambda a, b: (x, a[1] + (b[1] - a[1]) * (x - a[0]) / (b[0] - a[0]))


def _at_lat(y: float) -> Any:
    return lambda a, b: (a[0] + (b[0] - a[0]) * (y - a[1]) / (b[1] - a[1]), y)


def clip(ring: Ring) -> Ring:
    """Sutherland-Hodgman against the box (may leave edges along the box's sides)."""
    ring = ring[:-1] if ring and ring[0] == ring[-1] else ring
    ring = _clip_edge(ring, lambda p: p[0] >= WEST, _at_lon(WEST))
    ring = _clip_edge(ring, lambda p: p[0] <= EAST, _at_lon(EAST))
    ring = _clip_edge(ring, lambda p: p[1] >= SOUTH, _at_lat(SOUTH))
    return _clip_edge(ring, lambda p: p[1] <= NORTH, _at_lat(NORTH))


def _distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == 0 and dy == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def simplify(line: Ring, tolerance: float) -> Ring:
    """Douglas-Peucker, iterative."""
    keep = [False] * len(line)
    keep[0] = keep[-1] = True
    stack = [(0, len(line) - 1)]
    while stack:
        lo, hi = stack.pop()
        best, index = 0.0, -1
        for i in range(lo + 1, hi):
            d = _distance(line[i], line[lo], line[hi])
            if d > best:
                best, index = d, i
        if index >= 0 and best > tolerance:
            keep[index] = True
            stack += [(lo, index), (index, hi)]
    return [p for p, k in zip(line, keep, strict=True) if k]


def shrink(ring: Ring) -> Ring | None:
    ring = clip(ring)
    if len(ring) < 3:
        return None
    closed = simplify([*ring, ring[0]], TOLERANCE)
    if len(closed) < 4:
        return None
    return [(round(p[0], DIGITS), round(p[1], DIGITS)) for p in closed]


def area(ring: Ring) -> float:
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring))) / 2


def layer(path: Path, kind: str, smallest: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for geometry in features(path):
        for poly in polygons(geometry):
            if not touches_box(poly[0]):
                continue
            rings = [r for r in (shrink(x) for x in poly if touches_box(x)) if r]
            if not rings or area(rings[0]) < smallest:
                continue
            coords = [[list(p) for p in r] for r in rings]
            out.append(
                {
                    "type": "Feature",
                    "properties": {"kind": kind},
                    "geometry": {"type": "Polygon", "coordinates": coords},
                }
            )
    return out


def main(coastlines: Path, lakes: Path, out: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "bbox": [WEST, SOUTH, EAST, NORTH],
        "features": layer(coastlines, "land", 1e-4) + layer(lakes, "lake", 1e-5),
    }
    out.write_text(json.dumps(collection, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
