"""The province's road model: road km between any two points, around Songkhla Lake.

A graph of road nodes (district seats, junctions, the Tinsulanonda bridge) and edges (highway
sections, each with its length in km) plus the outline of the lake. A point reaches the graph
by a straight link to each node near it (× :attr:`RoadNetwork.local_factor`) that does not cross
the water; two points may also be joined by such a straight link directly. The distance is the
shortest of these ways: straight link, shortest path over the graph (all pairs precomputed with
Dijkstra), straight link. So across the lake a route goes round by the roads, never over the
water.

Pure: building a network and measuring do no I/O; :func:`load_network` reads the CSV files
(``nodes.csv``, ``edges.csv``, ``lake.csv``; see ``data/README.md``) when called.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matcher.domain.errors import InvalidValue
from matcher.domain.model import Location

EARTH_RADIUS_KM = 6371.0088
LOCAL_FACTOR = 1.3
"""Road km per straight km for the short links between a point and the road graph."""
ACCESS_SLACK_KM = 15.0
"""A point links to every node at most this much farther than its nearest node."""
WINDING = 1.15
"""Road km per km of an edge's waypoint polyline: the bends a few waypoints miss."""

ACCESS_CACHE_SIZE = 200_000
"""Points whose links to the graph are kept (groups and kitchens recur in every round)."""
PAIR_CACHE_SIZE = 400_000
"""Pairs whose km are kept."""

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Polygon = tuple[tuple[float, float], ...]
"""(lat, lon) corners, the last joined to the first."""


@dataclass(frozen=True, slots=True)
class RoadNode:
    id: str
    name_en: str
    name_th: str
    lat: float
    lon: float
    kind: str


@dataclass(frozen=True, slots=True)
class RoadEdge:
    """A road section between two nodes. ``source`` names where its length comes from: keys
    of the sources table in ``data/README.md`` joined by ``+``, or ``estimate`` for a waypoint
    polyline × :data:`WINDING`."""

    a: str
    b: str
    road: str
    km: float
    note: str = ""
    source: str = ""

    @property
    def sources(self) -> tuple[str, ...]:
        """The source keys, in order."""
        return tuple(k.strip() for k in self.source.split("+") if k.strip())


@dataclass(frozen=True, slots=True)
class Route:
    """A measured route: its km and the graph nodes it passes, in order (empty when the
    straight link is shortest)."""

    km: float
    places: tuple[RoadNode, ...]
    roads: tuple[str, ...]


def haversine_grid(
    lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray
) -> FloatArray:
    """Great-circle km from every point ``a`` (rows) to every point ``b`` (columns)."""
    rad = math.pi / 180.0
    lat1 = (np.asarray(lat_a, dtype=np.float64) * rad)[:, None]
    lon1 = (np.asarray(lon_a, dtype=np.float64) * rad)[:, None]
    lat2 = (np.asarray(lat_b, dtype=np.float64) * rad)[None, :]
    lon2 = (np.asarray(lon_b, dtype=np.float64) * rad)[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return out


def to_10_m(km: float) -> float:
    """Km rounded to 10 m, half to even, as :meth:`matcher.geo.DistanceModel.road_km_grid`
    rounds a grid."""
    return float(np.rint(km * 100.0) / 100.0)


def polyline_km(points: Sequence[tuple[float, float]]) -> float:
    """Great-circle km along (lat, lon) points."""
    total = 0.0
    for (lat1, lon1), (lat2, lon2) in itertools.pairwise(points):
        grid = haversine_grid(
            np.array([lat1]), np.array([lon1]), np.array([lat2]), np.array([lon2])
        )
        total += float(grid[0, 0])
    return total


class Water:
    """Water polygons (the lake) with land holes (islands): a straight link crosses water when
    an end lies in it or the segment meets an outline."""

    def __init__(self, lakes: Iterable[Polygon], islands: Iterable[Polygon] = ()) -> None:
        self.lakes = tuple(lakes)
        self.islands = tuple(islands)
        edges = [
            (ring[i], ring[(i + 1) % len(ring)])
            for ring in (*self.lakes, *self.islands)
            for i in range(len(ring))
        ]
        self._e1 = np.array([e[0] for e in edges], dtype=np.float64).reshape(-1, 2)
        self._e2 = np.array([e[1] for e in edges], dtype=np.float64).reshape(-1, 2)
        self._edge_list = [(r[0], r[1], t[0], t[1]) for r, t in edges]

    def contains(self, lat: FloatArray, lon: FloatArray) -> BoolArray:
        """Which points lie on the water."""
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        in_lake = np.zeros(lat.shape, dtype=bool)
        for ring in self.lakes:
            in_lake |= _inside(ring, lat, lon)
        for ring in self.islands:
            in_lake = in_lake & np.logical_not(_inside(ring, lat, lon))
        return in_lake

    def crosses(self, a: FloatArray, b: FloatArray) -> BoolArray:
        """For segments from ``a[k]`` to ``b[k]`` ((lat, lon) rows): which meet an outline."""
        out = np.zeros(len(a), dtype=bool)
        for edge in self._edges:
            _mark_crossings(out, edge, (a[:, 0], a[:, 1]), (b[:, 0], b[:, 1]))
        return out

    def crosses_grid(
        self, lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray
    ) -> BoolArray:
        """For the segment from every ``a`` (rows) to every ``b`` (columns): meets an outline."""
        if len(lat_a) == 1 and len(lat_b) == 1:
            one = _crosses_one(
                self._edge_list, float(lat_a[0]), float(lon_a[0]), float(lat_b[0]), float(lon_b[0])
            )
            return np.array([[one]], dtype=bool)
        out = np.zeros((len(lat_a), len(lat_b)), dtype=bool)
        pa = (lat_a[:, None], lon_a[:, None])
        pb = (lat_b[None, :], lon_b[None, :])
        for edge in self._edges:
            _mark_crossings(out, edge, pa, pb)
        return out

    @property
    def _edges(self) -> Iterator[tuple[float, float, float, float]]:
        yield from self._edge_list


def _crosses_one(
    edges: Sequence[tuple[float, float, float, float]],
    p_lat: float,
    p_lon: float,
    q_lat: float,
    q_lon: float,
) -> bool:
    """:func:`_mark_crossings` for one segment, in plain floats (the same operations)."""
    lo_lat, hi_lat = min(p_lat, q_lat), max(p_lat, q_lat)
    lo_lon, hi_lon = min(p_lon, q_lon), max(p_lon, q_lon)
    g_lat, g_lon = q_lat - p_lat, q_lon - p_lon
    for r_lat, r_lon, s_lat, s_lon in edges:
        if lo_lat > max(r_lat, s_lat) or hi_lat < min(r_lat, s_lat):
            continue
        if lo_lon > max(r_lon, s_lon) or hi_lon < min(r_lon, s_lon):
            continue
        e_lat, e_lon = s_lat - r_lat, s_lon - r_lon
        d1 = e_lat * (p_lon - r_lon) - e_lon * (p_lat - r_lat)
        d2 = e_lat * (q_lon - r_lon) - e_lon * (q_lat - r_lat)
        d3 = g_lat * (r_lon - p_lon) - g_lon * (r_lat - p_lat)
        d4 = g_lat * (s_lon - p_lon) - g_lon * (s_lat - p_lat)
        if d1 * d2 < 0 and d3 * d4 < 0:
            return True
    return False


Pair = tuple[FloatArray, FloatArray]


def _mark_crossings(
    out: BoolArray, edge: tuple[float, float, float, float], a: Pair, b: Pair
) -> None:
    """Set ``out`` where the segment a-b properly crosses ``edge``; only the segments whose box
    meets the edge's box are computed."""
    r_lat, r_lon, s_lat, s_lon = edge
    near = (
        (np.minimum(a[0], b[0]) <= max(r_lat, s_lat))
        & (np.maximum(a[0], b[0]) >= min(r_lat, s_lat))
        & (np.minimum(a[1], b[1]) <= max(r_lon, s_lon))
        & (np.maximum(a[1], b[1]) >= min(r_lon, s_lon))
    )
    where = np.nonzero(near)
    if not len(where[0]):
        return
    shape = near.shape
    p_lat, p_lon = (np.broadcast_to(x, shape)[where] for x in a)
    q_lat, q_lon = (np.broadcast_to(x, shape)[where] for x in b)
    e_lat, e_lon = s_lat - r_lat, s_lon - r_lon
    d1 = e_lat * (p_lon - r_lon) - e_lon * (p_lat - r_lat)
    d2 = e_lat * (q_lon - r_lon) - e_lon * (q_lat - r_lat)
    g_lat, g_lon = q_lat - p_lat, q_lon - p_lon
    d3 = g_lat * (r_lon - p_lon) - g_lon * (r_lat - p_lat)
    d4 = g_lat * (s_lon - p_lon) - g_lon * (s_lat - p_lat)
    hit = (d1 * d2 < 0) & (d3 * d4 < 0)
    out[tuple(w[hit] for w in where)] = True


def _inside(ring: Polygon, lat: FloatArray, lon: FloatArray) -> BoolArray:
    """Even-odd rule, (lat, lon) as plane coordinates (fine at this scale)."""
    out = np.zeros(lat.shape, dtype=bool)
    for i in range(len(ring)):
        (y1, x1), (y2, x2) = ring[i], ring[(i - 1) % len(ring)]
        if y1 == y2:
            continue
        spans = (y1 > lat) != (y2 > lat)
        x_at = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
        out ^= spans & (lon < x_at)
    return out


class RoadNetwork:
    """Nodes, edges and water; every measure is symmetric and at least the straight line."""

    def __init__(
        self,
        nodes: Sequence[RoadNode],
        edges: Sequence[RoadEdge],
        water: Water | None = None,
        local_factor: float = LOCAL_FACTOR,
    ) -> None:
        if local_factor < 1.0:
            raise InvalidValue("local_factor", "must be at least 1.0")
        self.nodes = tuple(nodes)
        self.edges = tuple(edges)
        self.water = water or Water(())
        self.local_factor = local_factor
        self._index = {n.id: i for i, n in enumerate(self.nodes)}
        self._lat = np.array([n.lat for n in self.nodes], dtype=np.float64)
        self._lon = np.array([n.lon for n in self.nodes], dtype=np.float64)
        self._adjacent = self._adjacency()
        self._dist, self._prev = self._all_pairs()
        self._access_cache: dict[tuple[float, float], FloatArray] = {}
        self._wet_cache: dict[tuple[float, float], bool] = {}
        self._pair_cache: dict[tuple[tuple[float, float], tuple[float, float]], float] = {}

    def node(self, node_id: str) -> RoadNode:
        return self.nodes[self._index[node_id]]

    def _adjacency(self) -> list[list[tuple[int, float, str]]]:
        out: list[list[tuple[int, float, str]]] = [[] for _ in self.nodes]
        for edge in self.edges:
            for end in (edge.a, edge.b):
                if end not in self._index:
                    raise InvalidValue(f"edges[{edge.a},{edge.b}]", f"no road node {end!r}")
            a, b = self._index[edge.a], self._index[edge.b]
            chord = float(
                haversine_grid(self._lat[[a]], self._lon[[a]], self._lat[[b]], self._lon[[b]])[0, 0]
            )
            if edge.km < chord:
                raise InvalidValue(
                    f"edges[{edge.a},{edge.b}].km", f"{edge.km} is shorter than the straight line"
                )
            out[a].append((b, edge.km, edge.road))
            out[b].append((a, edge.km, edge.road))
        return out

    def _all_pairs(self) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        n = len(self.nodes)
        dist = np.full((n, n), np.inf)
        prev = np.full((n, n), -1, dtype=np.int64)
        for source in range(n):
            dist[source], prev[source] = self._dijkstra(source)
        return dist, prev

    def _dijkstra(self, source: int) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        dist = np.full(len(self.nodes), np.inf)
        prev = np.full(len(self.nodes), -1, dtype=np.int64)
        dist[source] = 0.0
        heap = [(0.0, source)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            for v, km, _ in self._adjacent[u]:
                if d + km < dist[v]:
                    dist[v], prev[v] = d + km, u
                    heapq.heappush(heap, (d + km, v))
        return dist, prev

    # --- measuring -------------------------------------------------------------------------

    def access(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        """Road km from every point (rows) to every node (columns) by a straight link; ``inf``
        where the node is too far or the link crosses water. A point whose links all cross
        water (on the shore line of the coarse outline) keeps its nearest node."""
        straight = haversine_grid(lat, lon, self._lat, self._lon)
        near = straight.min(axis=1, initial=np.inf)
        allowed = straight <= near[:, None] + ACCESS_SLACK_KM
        rows, cols = np.nonzero(allowed)
        a = np.column_stack((np.asarray(lat)[rows], np.asarray(lon)[rows]))
        b = np.column_stack((self._lat[cols], self._lon[cols]))
        wet = self.water.crosses(a, b)
        allowed[rows[wet], cols[wet]] = False
        lost = ~allowed.any(axis=1)
        if lost.any():
            allowed[lost, straight[lost].argmin(axis=1)] = True
        out: FloatArray = np.where(allowed, straight * self.local_factor, np.inf)
        return out

    def access_rows(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        """:meth:`access`, each point's row computed once and kept (a row depends on its point
        only, so the kept rows are the computed ones, bit for bit)."""
        keys = list(zip(np.asarray(lat).tolist(), np.asarray(lon).tolist(), strict=True))
        missing = sorted({k for k in keys if k not in self._access_cache})
        if missing:
            if len(self._access_cache) + len(missing) > ACCESS_CACHE_SIZE:
                self._access_cache.clear()
            rows = self.access(np.array([k[0] for k in missing]), np.array([k[1] for k in missing]))
            self._access_cache.update(zip(missing, rows, strict=True))
        if not keys:
            return np.zeros((0, len(self.nodes)))
        return np.stack([self._access_cache[k] for k in keys])

    def on_water(self, lat: FloatArray, lon: FloatArray) -> BoolArray:
        """:meth:`Water.contains`, each point's answer computed once and kept."""
        keys = list(zip(np.asarray(lat).tolist(), np.asarray(lon).tolist(), strict=True))
        missing = sorted({k for k in keys if k not in self._wet_cache})
        if missing:
            if len(self._wet_cache) + len(missing) > ACCESS_CACHE_SIZE:
                self._wet_cache.clear()
            wet = self.water.contains(
                np.array([k[0] for k in missing]), np.array([k[1] for k in missing])
            )
            self._wet_cache.update(zip(missing, wet.tolist(), strict=True))
        return np.array([self._wet_cache[k] for k in keys], dtype=bool)

    def direct(
        self, lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray
    ) -> FloatArray:
        """Straight km × local factor from every ``a`` to every ``b``; ``inf`` over water."""
        straight = haversine_grid(lat_a, lon_a, lat_b, lon_b)
        wet = self.water.crosses_grid(
            np.asarray(lat_a, np.float64),
            np.asarray(lon_a, np.float64),
            np.asarray(lat_b, np.float64),
            np.asarray(lon_b, np.float64),
        )
        wet |= self.on_water(lat_a, lon_a)[:, None]
        wet |= self.on_water(lat_b, lon_b)[None, :]
        out: FloatArray = np.where(wet, np.inf, straight * self.local_factor)
        return out

    def km_grid(
        self, lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray
    ) -> FloatArray:
        """Road km from every point ``a`` (rows) to every point ``b`` (columns), unrounded.

        A pair's km depends on its two points only, so each is computed once and kept: a
        round measures the same groups and kitchens market after market."""
        lat_a, lon_a = np.asarray(lat_a, np.float64), np.asarray(lon_a, np.float64)
        lat_b, lon_b = np.asarray(lat_b, np.float64), np.asarray(lon_b, np.float64)
        keys_a = list(zip(lat_a.tolist(), lon_a.tolist(), strict=True))
        keys_b = list(zip(lat_b.tolist(), lon_b.tolist(), strict=True))
        cache = self._pair_cache
        try:
            known = [[cache[(a, b)] for b in keys_b] for a in keys_a]
        except KeyError:
            pass
        else:
            return np.array(known, dtype=np.float64).reshape(len(keys_a), len(keys_b))
        out = self._measure(lat_a, lon_a, lat_b, lon_b)
        if len(cache) + out.size > PAIR_CACHE_SIZE:
            cache.clear()
        for a, row in zip(keys_a, out.tolist(), strict=True):
            cache.update(zip(((a, b) for b in keys_b), row, strict=True))
        return out

    def _measure(
        self, lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray
    ) -> FloatArray:
        best = self.direct(lat_a, lon_a, lat_b, lon_b)
        if not self.nodes:
            return best
        to_node = self.access_rows(lat_a, lon_a)
        from_node = self.access_rows(lat_b, lon_b)
        # Shortest from each a to each node j over the graph, then on to each b.
        via = (to_node[:, :, None] + self._dist[None, :, :]).min(axis=1)
        for j in range(len(self.nodes)):
            np.minimum(best, via[:, j][:, None] + from_node[:, j][None, :], out=best)
        return best

    def km(self, a: Location, b: Location) -> float:
        """Road km from ``a`` to ``b``, unrounded."""
        return float(self.km_grid(*_arrays(a), *_arrays(b))[0, 0])

    def route(self, a: Location, b: Location) -> Route:
        """The shortest route and the graph nodes it passes."""
        lat_a, lon_a = _arrays(a)
        lat_b, lon_b = _arrays(b)
        direct = float(self.direct(lat_a, lon_a, lat_b, lon_b)[0, 0])
        if not self.nodes:
            return Route(direct, (), ())
        to_node, from_node = self.access_rows(lat_a, lon_a)[0], self.access_rows(lat_b, lon_b)[0]
        total = to_node[:, None] + self._dist + from_node[None, :]
        i, j = np.unravel_index(int(np.argmin(total)), total.shape)
        if direct <= float(total[i, j]):
            return Route(direct, (), ())
        path = self._path(int(i), int(j))
        return Route(float(total[i, j]), tuple(self.nodes[k] for k in path), self._roads(path))

    def _path(self, i: int, j: int) -> list[int]:
        path = [j]
        while path[-1] != i:
            path.append(int(self._prev[i, path[-1]]))
        return path[::-1]

    def _roads(self, path: list[int]) -> tuple[str, ...]:
        out: list[str] = []
        for u, v in itertools.pairwise(path):
            road = min((km, r) for w, km, r in self._adjacent[u] if w == v)[1]
            if not out or out[-1] != road:
                out.append(road)
        return tuple(out)


def _arrays(at: Location) -> tuple[FloatArray, FloatArray]:
    return np.array([at.lat], dtype=np.float64), np.array([at.lon], dtype=np.float64)


# --- loading -----------------------------------------------------------------------------------


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def parse_nodes(rows: Iterable[dict[str, str]]) -> list[RoadNode]:
    return [
        RoadNode(r["id"], r["name_en"], r["name_th"], float(r["lat"]), float(r["lon"]), r["kind"])
        for r in rows
    ]


def parse_edges(rows: Iterable[dict[str, str]], nodes: Sequence[RoadNode]) -> list[RoadEdge]:
    """Each edge's km: ``km_fixed`` when given (a cited length), else its polyline (the end
    nodes joined through the ``via`` waypoints, ``lat lon|lat lon``) × :data:`WINDING`; its
    ``source`` column as given (empty when the file has none)."""
    where = {n.id: (n.lat, n.lon) for n in nodes}
    out: list[RoadEdge] = []
    for r in rows:
        if r["from"] not in where or r["to"] not in where:
            raise InvalidValue(f"edges[{r['from']},{r['to']}]", "names an unknown road node")
        fixed = r.get("km_fixed", "").strip()
        if fixed:
            km = float(fixed)
        else:
            via = [tuple(map(float, p.split())) for p in r["via"].split("|") if p.strip()]
            points = [where[r["from"]], *((lat, lon) for lat, lon in via), where[r["to"]]]
            km = polyline_km(points) * WINDING
        source = (r.get("source") or "").strip()
        note = r.get("note") or ""
        out.append(RoadEdge(r["from"], r["to"], r["road"], round(km, 2), note, source))
    return out


def parse_water(rows: Iterable[dict[str, str]]) -> Water:
    """``lake.csv``: the ring named ``lake`` is water; every other ring is an island in it."""
    rings: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        rings.setdefault(r["ring"], []).append((float(r["lat"]), float(r["lon"])))
    lakes = [tuple(ring) for name, ring in rings.items() if name == "lake"]
    islands = [tuple(ring) for name, ring in rings.items() if name != "lake"]
    return Water(lakes, islands)


def province_network(data_folder: Path) -> RoadNetwork | None:
    """The road model in ``data_folder/roads``, loaded once per folder; ``None`` when the
    reference data has none (distances are then the straight line × the road factor)."""
    folder = (data_folder / "roads").resolve()
    if not (folder / "nodes.csv").is_file():
        return None
    return _cached(folder)


@lru_cache(maxsize=4)
def _cached(folder: Path) -> RoadNetwork:
    return load_network(folder)


def load_network(folder: Path, local_factor: float = LOCAL_FACTOR) -> RoadNetwork:
    """The road model in ``folder`` (``nodes.csv``, ``edges.csv``, ``lake.csv``)."""
    nodes = parse_nodes(_read(folder / "nodes.csv"))
    edges = parse_edges(_read(folder / "edges.csv"), nodes)
    water = parse_water(_read(folder / "lake.csv"))
    return RoadNetwork(nodes, edges, water, local_factor)
