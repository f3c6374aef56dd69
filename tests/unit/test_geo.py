from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcher.domain.errors import InvalidValue
from matcher.domain.model import Location
from matcher.geo import EARTH_RADIUS_KM, DistanceModel, GridIndex, great_circle_km

HAT_YAI = Location(7.0167, 100.4681)
SONGKHLA = Location(7.1422, 100.5664)


def law_of_cosines_km(a: Location, b: Location) -> float:
    """Great-circle distance by the spherical law of cosines (a different formula)."""
    p1, l1, p2, l2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(l2 - l1)
    return EARTH_RADIUS_KM * math.acos(max(-1.0, min(1.0, c)))


def test_hat_yai_to_songkhla_is_about_seventeen_and_a_half_km_straight() -> None:
    km = great_circle_km(HAT_YAI, SONGKHLA)
    assert 17.3 < km < 18.0
    assert km == pytest.approx(law_of_cosines_km(HAT_YAI, SONGKHLA), abs=1e-6)


def test_great_circle_distance_is_symmetric_and_zero_at_the_same_place() -> None:
    assert great_circle_km(HAT_YAI, SONGKHLA) == pytest.approx(great_circle_km(SONGKHLA, HAT_YAI))
    assert great_circle_km(HAT_YAI, HAT_YAI) == 0.0


def test_a_degree_of_latitude_is_about_111_km() -> None:
    assert great_circle_km(Location(7.0, 100.0), Location(8.0, 100.0)) == pytest.approx(
        111.195, abs=0.01
    )


def test_antipodes_are_half_the_circumference_apart() -> None:
    assert great_circle_km(Location(0.0, 0.0), Location(0.0, 180.0)) == pytest.approx(
        math.pi * EARTH_RADIUS_KM
    )


locations = st.builds(
    Location,
    st.floats(min_value=-89.0, max_value=89.0),
    st.floats(min_value=-180.0, max_value=180.0),
)


@settings(max_examples=200, deadline=None)
@given(locations, locations)
def test_haversine_agrees_with_the_law_of_cosines(a: Location, b: Location) -> None:
    assert great_circle_km(a, b) == pytest.approx(law_of_cosines_km(a, b), rel=1e-6, abs=1e-3)


def test_road_distance_is_the_straight_line_times_the_road_factor_rounded_to_10_m() -> None:
    model = DistanceModel(road_factor=1.3)
    km = model.km("g1", HAT_YAI, "b1", SONGKHLA)
    assert km == round(great_circle_km(HAT_YAI, SONGKHLA) * 1.3, 2)
    assert 22.5 < km < 23.4


def test_road_table_overrides_the_road_factor_for_its_pair_only() -> None:
    model = DistanceModel(road_factor=1.3, road_table={("g1", "b1"): 61.234})
    assert model.km("g1", HAT_YAI, "b1", SONGKHLA) == 61.23
    assert model.km("g2", HAT_YAI, "b1", SONGKHLA) == round(
        great_circle_km(HAT_YAI, SONGKHLA) * 1.3, 2
    )
    assert model.km("b1", HAT_YAI, "g1", SONGKHLA) != 61.23


def test_road_factor_below_one_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        DistanceModel(road_factor=0.9)
    assert caught.value.field == "road_factor"


def test_negative_road_table_distance_is_rejected() -> None:
    with pytest.raises(InvalidValue) as caught:
        DistanceModel(road_table={("g1", "b1"): -1.0})
    assert caught.value.field == "road_distances[g1,b1].km"


def test_lower_bound_uses_the_road_table_or_the_factor() -> None:
    model = DistanceModel(road_factor=1.5, road_table={("g1", "b1"): 40.0})
    assert model.lower_bound_km("g1", "b1", 10.0) == 40.0
    assert model.lower_bound_km("g2", "b1", 10.0) == pytest.approx(15.0)


def test_grid_without_radius_returns_everything() -> None:
    points = [(Location(7.0 + i / 10, 100.5), i) for i in range(20)]
    grid = GridIndex(points)
    assert len(grid) == 20
    assert sorted(i for _, i in grid.within(HAT_YAI, None)) == list(range(20))
    assert sorted(i for _, i in grid.all()) == list(range(20))


def test_grid_with_small_radius_returns_fewer_than_all_points() -> None:
    # A 0.05-degree lattice over southern Thailand (about 5.5 km between points).
    points = [
        (Location(6.0 + i * 0.05, 100.0 + j * 0.05), (i, j)) for i in range(40) for j in range(30)
    ]
    grid = GridIndex(points)
    found = list(grid.within(HAT_YAI, 5.0))
    assert 0 < len(found) < len(points) // 10
    near = {item for at, item in points if great_circle_km(HAT_YAI, at) <= 5.0}
    assert near <= {item for _, item in found}


# A coarse lattice over the globe keeps many cells occupied, so that a query cannot fall back to
# returning every point just because the index is nearly empty.
LATTICE = [Location(lat, lon) for lat in range(-80, 81, 16) for lon in range(-180, 180, 16)]


@st.composite
def scattered_points(draw: st.DrawFn) -> tuple[Location, list[Location], float, float]:
    centre = draw(locations)
    spread = draw(st.sampled_from([0.05, 0.5, 3.0]))
    offsets = st.tuples(
        st.floats(min_value=-spread, max_value=spread),
        st.floats(min_value=-spread, max_value=spread),
    )
    points = []
    for dlat, dlon in draw(st.lists(offsets, min_size=1, max_size=40)):
        lat = max(-90.0, min(90.0, centre.lat + dlat))
        lon = (centre.lon + dlon + 180.0) % 360.0 - 180.0
        points.append(Location(lat, lon))
    radius = draw(st.floats(min_value=0.01, max_value=400.0))
    cell = draw(st.sampled_from([0.1, 0.5, 1.0]))
    return centre, points, radius, cell


def check_grid_superset(
    centre: Location, points: list[Location], radius: float, cell: float
) -> None:
    everything = points + LATTICE
    grid = GridIndex(((at, i) for i, at in enumerate(everything)), cell_deg=cell)
    found = {i for _, i in grid.within(centre, radius)}
    truly_within = {i for i, at in enumerate(everything) if great_circle_km(centre, at) <= radius}
    assert truly_within <= found


@settings(max_examples=300, deadline=None)
@given(scattered_points())
@example((Location(0.0, 179.99), [Location(0.0, -179.99)], 10.0, 0.1))
@example((Location(89.5, 80.0), [Location(89.5, -100.0)], 120.0, 5.0))
def test_grid_query_returns_every_point_within_the_radius(
    case: tuple[Location, list[Location], float, float],
) -> None:
    check_grid_superset(*case)


def test_grid_query_finds_a_neighbour_across_the_antimeridian() -> None:
    check_grid_superset(Location(-16.5, 179.99), [Location(-16.5, -179.98)], 5.0, 0.1)


def test_grid_query_near_a_pole_finds_points_on_the_far_side() -> None:
    check_grid_superset(Location(89.6, 10.0), [Location(89.6, -170.0)], 100.0, 5.0)
