"""Every success answer of the API is described in ``/openapi.json``: a JSON body by a schema
that names its fields (not an empty schema, nor an object of anything), a CSV, HTML or
Prometheus body by its media type, a 204 by no body at all."""

from __future__ import annotations

from typing import Any

import pytest

from api.app import create_app
from matcher.config import Settings

Json = dict[str, Any]

NOT_JSON = {"text/csv", "text/html", "text/plain"}
"""The media types of the routes that answer something else than JSON (CSV exports, the
contract document, the Prometheus metrics)."""


@pytest.fixture(scope="module")
def document() -> Json:
    spec: Json = create_app(Settings(database_url="sqlite://")).openapi()
    return spec


def _resolve(document: Json, schema: Json) -> Json:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def _names_its_fields(document: Json, schema: Json) -> bool:
    """An object with properties, an array of such, or a choice between such."""
    schema = _resolve(document, schema)
    for choice in ("oneOf", "anyOf"):
        if choice in schema:
            return all(_names_its_fields(document, s) for s in schema[choice])
    if schema.get("type") == "array":
        return _names_its_fields(document, schema.get("items", {}))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def undescribed(document: Json) -> list[str]:
    """The 2xx answers the document does not describe, as 'METHOD path status: why'."""
    return [
        f"{method.upper()} {path} {status}: {why}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
        for why in _answer_problems(document, status, answer.get("content") or {})
    ]


def _answer_problems(document: Json, status: str, content: Json) -> list[str]:
    """Why a success answer with ``content`` (media type -> body) is not described."""
    if status == "204":
        return ["a 204 has no body"] if content else []
    found = [] if content else ["no media type"]
    for media_type, body in content.items():
        if media_type in NOT_JSON:
            continue
        if media_type != "application/json":
            found.append(f"{media_type} is neither JSON nor declared")
        elif not _names_its_fields(document, body.get("schema") or {}):
            found.append("no schema naming the fields")
    return found


def test_every_success_answer_has_a_body_schema_or_a_declared_media_type(
    document: Json,
) -> None:
    assert undescribed(document) == []


def test_the_check_finds_an_answer_without_a_schema() -> None:
    spec: Json = {
        "paths": {
            "/a": {
                "get": {"responses": {"200": {"content": {"application/json": {"schema": {}}}}}}
            },
            "/b": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"type": "object", "additionalProperties": True},
                                    }
                                }
                            }
                        }
                    }
                }
            },
            "/c": {"get": {"responses": {"200": {"description": "no content"}}}},
            "/d": {"delete": {"responses": {"204": {"description": "gone"}}}},
        },
        "components": {"schemas": {}},
    }
    assert undescribed(spec) == [
        "GET /a 200: no schema naming the fields",
        "GET /b 200: no schema naming the fields",
        "GET /c 200: no media type",
    ]


def _named(schema: Json) -> bool:
    """A reference to a model of the components, an array of such, or a choice between such."""
    for choice in ("oneOf", "anyOf"):
        if choice in schema:
            return all(_named(s) for s in schema[choice])
    if schema.get("type") == "array":
        return _named(schema.get("items", {}))
    return str(schema.get("$ref", "")).startswith("#/components/schemas/")


def test_every_json_body_refers_to_a_named_model(document: Json) -> None:
    """Integrators see each body's name (Contract, OrderOnDates...), not an inline schema."""
    inline = [
        f"{method.upper()} {path} {status}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
        for media_type, body in (answer.get("content") or {}).items()
        if media_type == "application/json" and not _named(body.get("schema") or {})
    ]
    assert inline == []


def _refs(value: object) -> set[str]:
    if isinstance(value, dict):
        found = {str(value["$ref"]).rsplit("/", 1)[-1]} if "$ref" in value else set()
        return found.union(*(_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value))
    return set()


def test_response_models_refuse_fields_they_do_not_declare(document: Json) -> None:
    """An answer that grows a field fails its route's check instead of going out undocumented;
    only the engine's status is open (each engine reports figures of its own)."""
    schemas = document["components"]["schemas"]
    bodies = [
        answer.get("content", {}).get("application/json", {})
        for operations in document["paths"].values()
        for operation in operations.values()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
    ]
    reached = _refs(bodies)
    while True:
        more = reached | _refs([schemas[name] for name in reached])
        if more == reached:
            break
        reached = more
    open_models = sorted(
        name
        for name in reached
        if schemas[name].get("type") == "object"
        and schemas[name].get("additionalProperties") is not False
    )
    assert open_models == ["EngineStatus"]
