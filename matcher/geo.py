"""Distances between groups and buyers, and a grid index for candidate search.

Distance is the instance's road distance for the pair when it gives one; else the province road
model's (:mod:`matcher.roads`: around Songkhla Lake by the roads, never over the water) when the
instance carries one; else the great-circle distance times a road factor.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from matcher.domain.errors import require
from matcher.domain.model import Location
from matcher.roads import RoadNetwork

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_KM / 180.0

# math.radians multiplies by this constant; the array version does the same.
_DEG_TO_RAD = math.pi / 180.0
# A product nearer than this to a rounding tie is rounded the scalar way (see road_km_grid).
_TIE_MARGIN = 1e-6

T = TypeVar("T")
FloatArray = npt.NDArray[np.float64]


def great_circle_km(a: Location, b: Location) -> float:
    """Haversine distance in km."""
    return _haversine_km(a.lat, a.lon, b.lat, b.lon)


def _haversine_km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (lat_a, lon_a, lat_b, lon_b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def great_circle_km_grid(
    lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray
) -> FloatArray:
    """Haversine distance in km from every point ``a`` (rows) to every point ``b`` (columns).

    The same formula, in the same order of operations, as :func:`great_circle_km`.
    """
    lat1 = (np.asarray(lat_a, dtype=np.float64) * _DEG_TO_RAD)[:, None]
    lon1 = (np.asarray(lon_a, dtype=np.float64) * _DEG_TO_RAD)[:, None]
    lat2 = (np.asarray(lat_b, dtype=np.float64) * _DEG_TO_RAD)[None, :]
    lon2 = (np.asarray(lon_b, dtype=np.float64) * _DEG_TO_RAD)[None, :]
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    out: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return out


@dataclass(frozen=True, slots=True)
class DistanceModel:
    """Road distance between a group and a buyer, in km, rounded to 10 m."""

    road_factor: float = 1.3
    road_table: Mapping[tuple[str, str], float] = field(default_factory=dict)
    roads: RoadNetwork | None = None
    """The province road model for pairs the table does not give; ``None``: straight line ×
    ``road_factor``."""

    def __post_init__(self) -> None:
        require(self.road_factor >= 1.0, "road_factor", "must be at least 1.0")
        for (group_id, buyer_id), km in self.road_table.items():
            require(km >= 0, f"road_distances[{group_id},{buyer_id}].km", "must not be negative")

    def km(self, group_id: str, group_at: Location, buyer_id: str, buyer_at: Location) -> float:
        known = self.road_table.get((group_id, buyer_id))
        if known is not None:
            return round(known, 2)
        if self.roads is not None:
            one = self.road_km_grid(*_point(group_at), *_point(buyer_at))
            return float(one[0, 0])
        return round(great_circle_km(group_at, buyer_at) * self.road_factor, 2)

    def road_km_grid(
        self, lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray
    ) -> FloatArray:
        """Great-circle km × road factor, rounded to 10 m, from every ``a`` to every ``b``.

        Equal, value for value, to :meth:`km` without a road table: an array sine may differ
        from the scalar one in the last bit, which can only change the rounding when the
        product lies next to a tie, and those few values are computed the scalar way.
        With a road model, its km rounded to 10 m (:meth:`km` goes through here then).
        """
        if self.roads is not None:
            by_road: FloatArray = np.rint(self.roads.km_grid(lat_a, lon_a, lat_b, lon_b) * 100.0)
            return by_road / 100.0
        scaled = great_circle_km_grid(lat_a, lon_a, lat_b, lon_b) * self.road_factor * 100.0
        out: FloatArray = np.rint(scaled) / 100.0
        near_tie = np.abs(scaled - np.floor(scaled) - 0.5) < _TIE_MARGIN
        for i, j in zip(*np.nonzero(near_tie), strict=True):
            km = _haversine_km(float(lat_a[i]), float(lon_a[i]), float(lat_b[j]), float(lon_b[j]))
            out[i, j] = round(km * self.road_factor, 2)
        return out

    def lower_bound_km(self, group_id: str, buyer_id: str, straight_km: float) -> float:
        """The least the distance can be given the straight line (for pruning a search)."""
        known = self.road_table.get((group_id, buyer_id))
        if known is not None:
            return known
        # A road-model route is never shorter than the straight line.
        return straight_km if self.roads is not None else straight_km * self.road_factor


def _point(at: Location) -> tuple[FloatArray, FloatArray]:
    return np.array([at.lat], dtype=np.float64), np.array([at.lon], dtype=np.float64)


class GridIndex(Generic[T]):
    """Points bucketed in cells of ``cell_deg`` degrees, queried by radius.

    A query visits only the cells that can hold points within the radius, so matching large
    instances does not compare every group with every order.
    """

    def __init__(self, items: Iterable[tuple[Location, T]], cell_deg: float = 0.1) -> None:
        self.cell_deg = cell_deg
        self._cells: dict[tuple[int, int], list[tuple[Location, T]]] = defaultdict(list)
        self._all: list[tuple[Location, T]] = []
        for location, item in items:
            self._cells[self._cell(location)].append((location, item))
            self._all.append((location, item))

    def __len__(self) -> int:
        return len(self._all)

    def _cell(self, at: Location) -> tuple[int, int]:
        return (math.floor(at.lat / self.cell_deg), math.floor(at.lon / self.cell_deg))

    def all(self) -> Iterator[tuple[Location, T]]:
        return iter(self._all)

    def within(self, centre: Location, radius_km: float | None) -> Iterator[tuple[Location, T]]:
        """Items whose great-circle distance from ``centre`` may be at most ``radius_km``.

        ``None`` means no limit. Items in visited cells are yielded without an exact check;
        the caller measures the real (road) distance.
        """
        if radius_km is None:
            yield from self._all
            return
        dlat = radius_km / KM_PER_DEGREE_LAT
        cos_lat = max(math.cos(math.radians(min(89.0, abs(centre.lat) + dlat))), 1e-6)
        dlon = dlat / cos_lat
        if abs(centre.lat) + dlat >= 89.0 or abs(centre.lon) + dlon > 180.0:
            # Near a pole or across the antimeridian the box does not bound the circle.
            yield from self._all
            return
        lat_lo = math.floor((centre.lat - dlat) / self.cell_deg)
        lat_hi = math.floor((centre.lat + dlat) / self.cell_deg)
        lon_lo = math.floor((centre.lon - dlon) / self.cell_deg)
        lon_hi = math.floor((centre.lon + dlon) / self.cell_deg)
        if (lat_hi - lat_lo + 1) * (lon_hi - lon_lo + 1) > len(self._cells):
            yield from self._all
            return
        for i in range(lat_lo, lat_hi + 1):
            for j in range(lon_lo, lon_hi + 1):
                yield from self._cells.get((i, j), ())
