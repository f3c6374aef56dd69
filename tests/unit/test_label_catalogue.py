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
from matcher.domain.contracts import ContractState, DeliveryState
from matcher.domain.lifecycle import Party
from matcher.domain.model import BuyerKind, GroupKind, Unit
from matcher.domain.standards import Scheme, Tier
from matcher.optimiser.instance import PricingPolicy
from matcher.reference import load_crops
from tests.support.labels import (
    CATALOGUE,
    ROOT,
    THAI,
    called_keys,
    load_catalogue,
    python_keys,
    python_string_keys,
    thai_lines,
)

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


# --- the contract documents use the catalogue only ------------------------------------------

DOCUMENTS = ROOT / "matcher" / "documents.py"
# The documents' dates are written by matcher/thaidates.py.
DOCUMENT_SOURCES = (DOCUMENTS, ROOT / "matcher" / "thaidates.py")
TEMPLATES = ROOT / "matcher" / "templates"
LIFECYCLE = ROOT / "matcher" / "domain" / "lifecycle.py"

LITERAL_KEY = r"doc_[A-Za-z0-9_]*[A-Za-z0-9]"
"""A document's key named whole in documents.py, outside a call of ``label`` (a table's value);
a prefix such as ``doc_baht_per_`` ends with ``_``."""


def _recorded_actions() -> set[str]:
    """The actions the contract lifecycle records in a contract's history."""
    return set(re.findall(r'action="(\w+)"', LIFECYCLE.read_text(encoding="utf-8")))


def _codes_by_prefix() -> dict[str, set[str]]:
    """The codes documents.py names by prefix (``state_`` + a contract state)."""
    return {
        "state_": {s.value for s in ContractState},
        "delivery_": {s.value for s in DeliveryState},
        "kind_": {k.value for k in BuyerKind} | {k.value for k in GroupKind},
        "tier_": {t.value for t in Tier},
        "scheme_": {s.value for s in Scheme},
        "unit_": {u.value for u in Unit},
        "doc_baht_per_": {u.value for u in Unit},
        "policy_": {p.value for p in PricingPolicy},
        "action_": _recorded_actions() | {"propose"},
        "party_": {p.value for p in Party},
        "cropgroup_": {c.group for c in load_crops().values()},
        "scope_": {"EU", "COR", "USDA"},
        "doc_transport_": {"true", "false"},
        "doc_month_": {str(month) for month in range(1, 13)},
    }


def _template_texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(TEMPLATES.iterdir())}


def _document_source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCUMENT_SOURCES)


def test_every_key_the_documents_name_is_in_the_catalogue() -> None:
    source = _document_source()
    named = python_keys(source, ["label"]) | python_string_keys(source, LITERAL_KEY)

    assert len(named) > 5
    assert sorted(named - set(load_catalogue())) == []


def test_every_code_the_documents_translate_has_a_label() -> None:
    source = _document_source()
    prefixes = python_string_keys(source, r"[a-z_]+_") - {"_"}
    codes = _codes_by_prefix()
    catalogue = load_catalogue()

    assert prefixes == set(codes), "a prefix of documents.py the test does not enumerate"
    assert len(_recorded_actions()) >= 7, "the lifecycle's actions are no longer found"
    missing = sorted(p + c for p, values in codes.items() for c in values if p + c not in catalogue)
    assert missing == []


def test_every_key_the_template_uses_is_in_the_catalogue() -> None:
    used = set().union(*(called_keys(text, ["t", "label"]) for text in _template_texts().values()))

    assert "doc_title" in used
    assert sorted(used - set(load_catalogue())) == []


def test_the_documents_hold_no_thai_outside_the_catalogue() -> None:
    held = {
        name: thai_lines(text)
        for name, text in {
            "documents.py": DOCUMENTS.read_text(encoding="utf-8"),
            **_template_texts(),
        }.items()
    }

    assert {name: lines for name, lines in held.items() if lines} == {}


def test_the_helpers_find_keys_and_thai() -> None:
    template = "{{ t('doc_a') }} {{ t(\"doc_b\") }} {{ label('doc_c', lang) }} {{ x.t('no') }}"
    python = "label('doc_d', lang)\nlabels.label(\"doc_e\", lang)\nother('doc_f')\n"

    assert called_keys(template, ["t", "label"]) == {"doc_a", "doc_b", "doc_c"}
    assert python_keys(python, ["label"]) == {"doc_d", "doc_e"}
    assert python_string_keys(python, r"doc_\w+") == {"doc_d", "doc_e", "doc_f"}
    assert thai_lines("a\nตลาด b\n") == ["2: ตลาด b"]
