"""The province road model: known pairs, the lake, consistency, and the solver using it."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from matcher.domain.model import Location
from matcher.geo import DistanceModel, great_circle_km
from matcher.roads import (
    LOCAL_FACTOR,
    RoadEdge,
    RoadNetwork,
    RoadNode,
    load_network,
    parse_edges,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "roads"

# District seats (data/districts.csv) and institutions (data/institutions.csv).
HAT_YAI = Location(7.010, 100.474)
SONGKHLA = Location(7.198, 100.596)
RANOT = Location(7.754, 100.325)
PHATTHALUNG = Location(7.617, 100.078)
KHUAN_NIANG_GROUP = Location(7.190, 100.373)
SINGHANAKHON_HOSPITAL = Location(7.266, 100.524)
SATHING_PHRA_HOSPITAL = Location(7.469, 100.437)
RANOT_HOSPITAL = Location(7.754, 100.325)
HAT_YAI_HOSPITAL = Location(7.0167, 100.4681)
SONGKLANAGARIND = Location(7.006, 100.498)
SINGHANAKHON = Location(7.266, 100.524)
SATHING_PHRA = Location(7.469, 100.437)
KRASAE_SIN = Location(7.552, 100.287)
DANOK = Location(6.5185, 100.416)
"""The Sadao border checkpoint, 13 km south of Sadao town (source ``wiki-sadao``)."""
README = DATA.parents[0] / "README.md"
CITED_SECTIONS = {"wiki-407": 28.23, "doh-408": 44.90}
"""Cited lengths the model splits over more than one edge: their edges sum to the figure."""


def readme_source_keys() -> set[str]:
    """The keys of the table under "Sources of the lengths" in ``data/README.md``."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("**Sources of the lengths**"))
    keys = set()
    for line in itertools.dropwhile(lambda row: not row.startswith("|"), lines[start + 1 :]):
        if not line.startswith("|"):
            break
        if line.startswith("| `"):
            keys.add(line.split("`")[1])
    return keys


@pytest.fixture(scope="module")
def roads() -> RoadNetwork:
    return load_network(DATA)


@pytest.mark.parametrize(
    ("a", "b", "cited_km", "source"),
    [
        (HAT_YAI, SONGKHLA, 27.0, "hatyai-city"),  # Hat Yai municipality to Songkhla town
        (HAT_YAI, DANOK, 60.0, "hatyai-city"),  # Hat Yai to the Sadao border checkpoint
        (SONGKHLA, SINGHANAKHON, 26.0, "hotels-songkhla"),  # over the Tinsulanonda bridge
        (SONGKHLA, RANOT, 90.0, "uncited"),  # by Highway 408 over the bridge, 90-100 km
        (HAT_YAI, PHATTHALUNG, 95.0, "uncited"),  # Hat Yai–Phatthalung by Highway 4
    ],
)
def test_same_side_pairs_are_within_15_percent_of_the_cited_road(
    roads: RoadNetwork, a: Location, b: Location, cited_km: float, source: str
) -> None:
    assert source == "uncited" or source in readme_source_keys()
    assert roads.km(a, b) == pytest.approx(cited_km, rel=0.15)


@pytest.mark.parametrize(
    ("seat", "cited_km"), [(SATHING_PHRA, 36.0), (RANOT, 73.0), (KRASAE_SIN, 74.0)]
)
def test_the_cited_distances_by_the_ferry_are_shorter_than_the_road_round_by_the_bridge(
    roads: RoadNetwork, seat: Location, cited_km: float
) -> None:
    """The table ``hotels-songkhla`` gives Songkhla town to Sathing Phra, Ranot and Krasae Sin
    as less than any road over the bridge can be (Sathing Phra is 34.7 km away in a straight
    line): figures by the Khao Daeng ferry and the coast road, which the model leaves out. By
    the bridge the model is longer, by no more than the way round to the bridge and back."""
    km = roads.km(SONGKHLA, seat)
    assert "hotels-songkhla" in readme_source_keys()
    assert cited_km < km <= cited_km + 25.0
    assert "Ko Yo" in [p.name_en for p in roads.route(SONGKHLA, seat).places]


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


def test_every_edge_names_its_source_and_cited_lengths_are_fixed(roads: RoadNetwork) -> None:
    keys = readme_source_keys()
    assert "estimate" in keys
    rows = list(csv.DictReader((DATA / "edges.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == len(roads.edges)
    cited = 0
    for row, edge in zip(rows, roads.edges, strict=True):
        assert edge.sources, f"{edge.a}-{edge.b} names no source"
        assert set(edge.sources) <= keys, f"{edge.a}-{edge.b}: {edge.source} not in data/README.md"
        if edge.sources == ("estimate",):
            assert not row["km_fixed"], f"{edge.a}-{edge.b}: a fixed length needs its source"
        else:
            assert row["km_fixed"], f"{edge.a}-{edge.b}: a cited edge gives its km"
            cited += 1
    assert cited >= 6


@pytest.mark.parametrize(("source", "cited_km"), sorted(CITED_SECTIONS.items()))
def test_a_cited_section_split_over_edges_keeps_its_length(
    roads: RoadNetwork, source: str, cited_km: float
) -> None:
    parts = [e.km for e in roads.edges if e.sources == (source,)]
    assert len(parts) >= 2
    assert sum(parts) == pytest.approx(cited_km, abs=0.005)


def test_an_edges_file_without_a_source_column_still_loads() -> None:
    nodes = [
        RoadNode("A", "A", "ก", 7.0, 100.0, "seat"),
        RoadNode("B", "B", "ข", 7.1, 100.0, "seat"),
    ]
    edges = parse_edges([{"from": "A", "to": "B", "road": "4", "via": "", "km_fixed": "12"}], nodes)
    assert edges == [RoadEdge("A", "B", "4", 12.0, "", "")]
    assert edges[0].sources == ()


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
