"""One label catalogue (matcher/labels.json) for the dashboard and the contract documents: every
key in Thai and English, the documents use no label outside it, and the API serves the file."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher import labels
from matcher.config import Settings
from tests.support.labels import CATALOGUE, THAI, load_catalogue

CATALOGUE_KEYS = sorted(load_catalogue())

ENGLISH_IN_THAI = {"doc_en", "doc_other_lang"}
"""Labels naming the English language in its own words, on the Thai page too ("English")."""
THAI_IN_ENGLISH = {"doc_th", "doc_other_lang"}
"""Labels naming the Thai language in its own words, on the English page too ("ภาษาไทย")."""


def test_the_file_is_sorted_utf8_json_with_two_space_indent() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    expected = json.dumps(load_catalogue(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert text == expected


@pytest.mark.parametrize("key", CATALOGUE_KEYS)
def test_every_key_has_thai_and_english(key: str) -> None:
    pair = load_catalogue()[key]

    assert sorted(pair) == ["en", "th"]
    assert pair["th"].strip()
    assert pair["en"].strip()
    assert bool(THAI.search(pair["th"])) != (key in ENGLISH_IN_THAI)
    assert bool(THAI.search(pair["en"])) == (key in THAI_IN_ENGLISH)


def test_the_loader_reads_the_file() -> None:
    assert dict(labels.catalogue()) == load_catalogue()
    assert labels.label("state_proposed", "th") == load_catalogue()["state_proposed"]["th"]
    assert labels.label("state_proposed", "en") == "proposed"


def test_an_unknown_key_is_named() -> None:
    with pytest.raises(KeyError, match=re.escape("no label 'no_such_key' in matcher/labels.json")):
        labels.label("no_such_key", "th")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Settings(database_url="sqlite://")))


def test_the_route_serves_exactly_the_file_without_a_key(client: TestClient) -> None:
    response = client.get("/labels.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == CATALOGUE.read_bytes()
    assert response.headers["cache-control"] == "public, max-age=300"


def test_the_route_answers_304_for_its_etag(client: TestClient) -> None:
    tag = client.get("/labels.json").headers["etag"]

    again = client.get("/labels.json", headers={"If-None-Match": tag})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag


def test_the_route_model_names_every_key_and_no_other(client: TestClient) -> None:
    schemas = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    model = schemas["LabelCatalogue"]

    assert sorted(model["properties"]) == CATALOGUE_KEYS
    assert sorted(model["required"]) == CATALOGUE_KEYS
    assert model["additionalProperties"] is False
