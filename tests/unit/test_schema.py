"""The instance file format: every problem is reported with its place in the file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from matcher.domain.standards import Scheme, Tier
from matcher.optimiser.schema import InstanceError, instance_json_schema, parse_instance
from tests.support.builders import DELIVERY, WEEK, InstanceBuilder

TOP_LEVEL = {
    "format",
    "name",
    "parameters",
    "crops",
    "standards",
    "groups",
    "certificates",
    "buyers",
    "supply",
    "orders",
    "road_distances",
    "disruptions",
}


def good() -> dict[str, Any]:
    b = InstanceBuilder("two orders").group("g1").certificate("g1", "PGS", scopes=["eu"])
    b.buyer("h1").buyer("s1", "school")
    b.supply("sup1", "g1", scheme="PGS", weeks={WEEK: 80})
    b.order("o1", "h1", quantity=30).order("o2", "s1", quantity=20, min_tier="organic")
    return b.build()


def problems_of(change: Callable[[dict[str, Any]], None]) -> list[str]:
    doc = good()
    change(doc)
    with pytest.raises(InstanceError) as caught:
        parse_instance(doc)
    assert caught.value.problems
    for problem in caught.value.problems:
        assert problem in str(caught.value)
    return caught.value.problems


def test_good_instance_is_parsed_into_domain_values() -> None:
    instance = parse_instance(good())
    assert instance.name == "two orders"
    assert set(instance.groups) == {"g1"}
    assert set(instance.buyers) == {"h1", "s1"}
    assert instance.supply[0].scheme is Scheme.PGS
    assert instance.supply[0].asking_price == 3000
    assert instance.supply[0].quantities == {WEEK: 80}
    assert [o.min_tier for o in instance.orders] == [Tier.SAFE, Tier.ORGANIC]
    assert instance.orders[0].deliveries == (DELIVERY,)
    assert instance.certificates[0].scopes == frozenset({"EU"})
    assert instance.crops["rice"].processed


def test_order_quantity_of_zero_names_its_place() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["orders"][1]["quantity"] = 0

    assert problems_of(change) == ["orders[1].quantity: 0 must be above 0"]


def test_every_problem_is_reported_not_only_the_first() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["orders"][0]["quantity"] = 0
        doc["orders"][1]["max_price"] = "1.005"
        doc["groups"][0]["lat"] = 95.0
        doc["supply"][0]["asking_price"] = "-2"
        doc["certificates"][0]["valid_until"] = "2020-01-01"

    problems = problems_of(change)
    places = sorted(p.split(":")[0] for p in problems)
    assert places == [
        "certificates[0].valid_until",
        "groups[0].lat",
        "orders[0].quantity",
        "orders[1].max_price",
        "supply[0].asking_price",
    ]


def test_unknown_group_reference_names_the_place_and_the_id() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["supply"][0]["group_id"] = "x"

    assert problems_of(change) == ["supply[0].group_id: no group with id 'x'"]


@pytest.mark.parametrize(
    ("section", "field", "expected"),
    [
        ("orders", "buyer_id", "orders[0].buyer_id: no buyer with id 'nobody'"),
        ("orders", "crop_id", "orders[0].crop_id: no crop with id 'nobody'"),
        ("supply", "crop_id", "supply[0].crop_id: no crop with id 'nobody'"),
        ("certificates", "group_id", "certificates[0].group_id: no group with id 'nobody'"),
    ],
)
def test_unknown_references_are_reported(section: str, field: str, expected: str) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc[section][0][field] = "nobody"

    assert problems_of(change) == [expected]


def test_duplicate_group_ids_are_reported() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["groups"].append(dict(doc["groups"][0]))

    assert problems_of(change) == ["groups: id 'g1' appears twice"]


def test_duplicate_order_ids_are_reported_at_the_second_one() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["orders"][1]["id"] = "o1"

    assert problems_of(change) == ["orders[1].id: id 'o1' appears twice"]


def test_order_with_both_deliveries_and_schedule_is_rejected() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["orders"][0]["schedule"] = {"start": "2026-12-01", "end": "2026-12-31"}

    problems = problems_of(change)
    assert problems == ["orders[0].deliveries: give either deliveries or schedule (exactly one)"]


def test_order_with_neither_deliveries_nor_schedule_is_rejected() -> None:
    def change(doc: dict[str, Any]) -> None:
        del doc["orders"][1]["deliveries"]

    problems = problems_of(change)
    assert problems == ["orders[1].deliveries: give either deliveries or schedule (exactly one)"]


def test_order_on_a_schedule_gets_its_delivery_dates() -> None:
    doc = good()
    del doc["orders"][0]["deliveries"]
    doc["orders"][0]["schedule"] = {
        "start": "2026-12-01",
        "end": "2026-12-14",
        "weekdays": ["Mon", "THU"],
    }
    order = parse_instance(doc).orders[0]
    assert order.deliveries == (
        date(2026, 12, 3),
        date(2026, 12, 7),
        date(2026, 12, 10),
        date(2026, 12, 14),
    )


def test_schedule_problems_name_their_place() -> None:
    def change(doc: dict[str, Any]) -> None:
        del doc["orders"][0]["deliveries"]
        doc["orders"][0]["schedule"] = {
            "start": "2026-12-01",
            "end": "2026-12-31",
            "weekdays": ["someday"],
        }

    problems = problems_of(change)
    assert len(problems) == 1
    assert problems[0].startswith("orders[0].schedule.weekdays.0: 'someday'")


def test_unknown_fields_are_rejected() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["orders"][0]["colour"] = "green"
        doc["surprise"] = 1

    problems = problems_of(change)
    assert sorted(p.split(":")[0] for p in problems) == ["orders[0].colour", "surprise"]
    assert all("Extra inputs are not permitted" in p for p in problems)


def test_wrong_types_name_their_place() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["orders"][1]["quantity"] = "lots"
        doc["groups"][0]["members"] = None

    places = sorted(p.split(":")[0] for p in problems_of(change))
    assert places == ["groups[0].members", "orders[1].quantity"]


def test_missing_required_field_names_its_place() -> None:
    def change(doc: dict[str, Any]) -> None:
        del doc["buyers"][1]["kind"]

    problems = problems_of(change)
    assert problems == ["buyers[1].kind: Field required"]


def test_unknown_format_version_is_rejected() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["format"] = "foodmatch-instance/9"

    assert problems_of(change)[0].startswith("format:")


def test_unknown_enum_values_list_the_allowed_ones() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["orders"][0]["min_tier"] = "PLATINUM"
        doc["supply"][0]["scheme"] = "MOON"
        doc["buyers"][0]["kind"] = "castle"

    problems = sorted(problems_of(change))
    assert [p.split(":")[0] for p in problems] == [
        "buyers[0].kind",
        "orders[0].min_tier",
        "supply[0].scheme",
    ]
    assert "hospital" in problems[0]
    assert "ORGANIC_CERTIFIED" in problems[1]
    assert "PGS" in problems[2]


def test_bad_supply_week_is_reported_under_weeks() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["supply"][0]["weeks"] = {"2026-50": 10}

    problems = problems_of(change)
    assert len(problems) == 1
    assert problems[0].startswith("supply[0].weeks.2026-50: '2026-50' is not an ISO week")


def test_supply_quantity_of_zero_is_reported_under_its_week() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["supply"][0]["weeks"] = {WEEK: 0}

    assert problems_of(change)[0].startswith(f"supply[0].weeks.{WEEK}: 0 must be")


def test_parameter_problems_name_their_place() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["parameters"]["priority_weights"] = {"hotel": 0}

    assert problems_of(change) == [
        "parameters.priority_weights.hotel: must be a whole number from 1 to 1000"
    ]


def test_road_factor_below_one_is_reported_when_parsing() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["parameters"]["road_factor"] = 0.5

    assert problems_of(change) == ["parameters.road_factor: must be at least 1.0"]


def test_negative_road_distance_is_reported_when_parsing() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["road_distances"] = [{"group_id": "g1", "buyer_id": "h1", "km": -3.0}]

    assert problems_of(change) == ["road_distances[0].km: -3.0 must not be negative"]


def test_road_distance_for_an_unknown_group_is_reported() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["road_distances"] = [{"group_id": "ghost", "buyer_id": "h1", "km": 3.0}]

    problems = problems_of(change)
    assert len(problems) == 1
    assert problems[0].startswith("road_distances")
    assert "'ghost'" in problems[0]


def test_bad_standards_relation_is_reported() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["standards"]["schemes"]["PGS"]["satisfies"] = ["SAFE", "PLATINUM"]

    problems = problems_of(change)
    assert len(problems) == 1
    assert problems[0].startswith("standards.schemes.PGS.satisfies: 'PLATINUM'")


def test_supply_under_a_scheme_missing_from_the_relation_is_reported() -> None:
    def change(doc: dict[str, Any]) -> None:
        del doc["standards"]["schemes"]["PGS"]

    assert problems_of(change) == ["supply[0].scheme: PGS is not in the relation"]


def test_json_schema_describes_the_top_level_properties() -> None:
    schema = instance_json_schema()
    assert schema["type"] == "object"
    assert set(schema["properties"]) == TOP_LEVEL
    assert schema.get("additionalProperties") is False
    order = schema["$defs"]["OrderIn"]
    assert {"id", "buyer_id", "crop_id", "quantity"} <= set(order["required"])
    assert order["additionalProperties"] is False


@pytest.mark.parametrize("raw", [[1, 2], None, "instance"])
def test_a_document_that_is_not_an_object_is_reported_at_the_top_level(raw: Any) -> None:
    with pytest.raises(InstanceError) as caught:
        parse_instance(raw)
    [problem] = caught.value.problems
    assert problem.startswith("(top level):")


def test_many_problems_are_listed_with_a_count() -> None:
    doc = good()
    doc["orders"] = [dict(doc["orders"][0], id=f"o{i}", quantity=0) for i in range(25)]
    with pytest.raises(InstanceError) as caught:
        parse_instance(doc)
    assert len(caught.value.problems) == 25
    assert "25 problem(s)" in str(caught.value)
    assert "... and 5 more" in str(caught.value)
