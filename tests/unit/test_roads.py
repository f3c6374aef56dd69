"""The province road model: known pairs, the lake, consistency, and the solver using it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from matcher.domain.model import Location
from matcher.geo import DistanceModel, great_circle_km
from matcher.roads import LOCAL_FACTOR, RoadNetwork, load_network

DATA = Path(__file__).resolve().parents[2] / "data" / "roads"

# District seats (data/districts.csv) and institutions (data/institutions.csv).
HAT_YAI = Location(7.010, 100.474)
SONGKHLA = Location(7.198, 100.596)
SADAO = Location(6.636, 100.416)
RANOT = Location(7.754, 100.325)
PHATTHALUNG = Location(7.617, 100.078)
KHUAN_NIANG_GROUP = Location(7.190, 100.373)
SINGHANAKHON_HOSPITAL = Location(7.266, 100.524)
SATHING_PHRA_HOSPITAL = Location(7.469, 100.437)
RANOT_HOSPITAL = Location(7.754, 100.325)
HAT_YAI_HOSPITAL = Location(7.0167, 100.4681)
SONGKLANAGARIND = Location(7.006, 100.498)


@pytest.fixture(scope="module")
def roads() -> RoadNetwork:
    return load_network(DATA)


@pytest.mark.parametrize(
    ("a", "b", "cited_km"),
    [
        (HAT_YAI, SONGKHLA, 30.0),  # Hat Yai–Songkhla, about 30 km
        (HAT_YAI, SADAO, 50.0),  # Hat Yai–Sadao town by Highway 4, about 50 km
        (SONGKHLA, RANOT, 90.0),  # Songkhla–Ranot by Highway 408 over the bridge, 90-100 km
        (HAT_YAI, PHATTHALUNG, 95.0),  # Hat Yai–Phatthalung by Highway 4, about 95 km
    ],
)
def test_same_side_pairs_are_within_15_percent_of_the_cited_road(
    roads: RoadNetwork, a: Location, b: Location, cited_km: float
) -> None:
    assert roads.km(a, b) == pytest.approx(cited_km, rel=0.15)


@pytest.mark.parametrize(
    ("buyer", "around_km"),
    [(SINGHANAKHON_HOSPITAL, 70.0), (SATHING_PHRA_HOSPITAL, 95.0), (RANOT_HOSPITAL, 130.0)],
)
def test_across_the_lake_the_road_goes_round(
    roads: RoadNetwork, buyer: Location, around_km: float
) -> None:
    km = roads.km(KHUAN_NIANG_GROUP, buyer)
    assert km >= around_km
    assert km <= around_km * 1.15
    assert km > 2 * great_circle_km(KHUAN_NIANG_GROUP, buyer)
    route = roads.route(KHUAN_NIANG_GROUP, buyer)
    names = [p.name_en for p in route.places]
    assert "Hat Yai" in names
    assert "Ko Yo" in names  # over the Tinsulanonda bridge


def test_two_kitchens_3_km_apart_are_consistent_from_every_group(roads: RoadNetwork) -> None:
    straight = great_circle_km(HAT_YAI_HOSPITAL, SONGKLANAGARIND)
    assert straight < 3.6
    rng = np.random.default_rng(16)
    lat = rng.uniform(6.6, 7.8, 300)
    lon = rng.uniform(100.25, 100.95, 300)
    km = roads.km_grid(
        lat,
        lon,
        np.array([HAT_YAI_HOSPITAL.lat, SONGKLANAGARIND.lat]),
        np.array([HAT_YAI_HOSPITAL.lon, SONGKLANAGARIND.lon]),
    )
    assert np.all(np.abs(km[:, 0] - km[:, 1]) <= straight * LOCAL_FACTOR + 1e-9)


def test_distances_are_symmetric_and_never_shorter_than_the_straight_line(
    roads: RoadNetwork,
) -> None:
    rng = np.random.default_rng(7)
    lat, lon = rng.uniform(6.6, 7.8, 40), rng.uniform(100.25, 100.95, 40)
    km = roads.km_grid(lat, lon, lat, lon)
    assert np.allclose(km, km.T)
    straight = np.array(
        [
            [great_circle_km(Location(a, b), Location(c, d)) for c, d in zip(lat, lon, strict=True)]
            for a, b in zip(lat, lon, strict=True)
        ]
    )
    assert np.all(km >= straight - 1e-9)


def test_every_node_is_on_land(roads: RoadNetwork) -> None:
    lat = np.array([n.lat for n in roads.nodes])
    lon = np.array([n.lon for n in roads.nodes])
    assert not roads.water.contains(lat, lon).any()


def test_the_distance_model_uses_the_road_model_and_the_table_wins(roads: RoadNetwork) -> None:
    model = DistanceModel(1.3, {("g1", "b1"): 12.0}, roads)
    assert model.km("g1", KHUAN_NIANG_GROUP, "b1", SINGHANAKHON_HOSPITAL) == 12.0
    by_road = model.km("g2", KHUAN_NIANG_GROUP, "b1", SINGHANAKHON_HOSPITAL)
    assert by_road == round(roads.km(KHUAN_NIANG_GROUP, SINGHANAKHON_HOSPITAL), 2)
    grid = model.road_km_grid(
        np.array([KHUAN_NIANG_GROUP.lat]),
        np.array([KHUAN_NIANG_GROUP.lon]),
        np.array([SINGHANAKHON_HOSPITAL.lat]),
        np.array([SINGHANAKHON_HOSPITAL.lon]),
    )
    assert float(grid[0, 0]) == by_road
    assert model.lower_bound_km("g2", "b1", 20.0) == 20.0


def test_the_distance_command_prints_the_route(tmp_path: Path) -> None:
    import typer

    from matcher.cli.distance import distance

    app = typer.Typer()
    app.command()(distance)
    url = f"sqlite:///{tmp_path / 'fm.db'}"
    result = CliRunner().invoke(app, ["7.19,100.373", "7.266,100.524", "--db", url])
    assert result.exit_code == 0, result.output
    assert "km by road" in result.output
    assert "เกาะยอ (Ko Yo)" in result.output
    assert "หาดใหญ่ (Hat Yai)" in result.output
    km = float(result.output.splitlines()[1].split()[0])
    assert 70.0 <= km <= 80.5
