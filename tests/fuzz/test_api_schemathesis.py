"""schemathesis against the OpenAPI document of the API, in process, on a seeded market.

Every operation is fuzzed as a coordinator (who may call everything): no input gives a 5xx, and
every answer has a documented status code, a documented content type and a body that matches the
documented schema (schemathesis' checks, plus its check that schema-violating input is refused).
A second pass sends no key, or a made-up one: every /api/v1 operation answers 401, whatever the
input (never 5xx). Nothing is excluded: the CSV, HTML and Prometheus answers are checked against
the content types their routes declare.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.value import GeneratedValue
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from matcher.config import Settings
from tests.support.fuzz import CALLS, SCHEMATHESIS, FuzzApi

SEED = 20261207
MAX_EXAMPLES = 25

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    }
)

# The document as the app serves it at /openapi.json; building the app starts nothing.
SPEC: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
schema = schemathesis.openapi.from_dict(SPEC, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

KNOWN_IDS: dict[str, list[str]] = {}
"""The seeded market's ids by path parameter name, filled in by the fixture before any case."""


@schema.hook
def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
    """Sometimes a real id instead of a random string, so GET-by-id routes answer 200 too."""
    names = re.findall(r"{(\w+)}", context.operation.path)
    # A date in the path is left to the generator: it is the one path parameter with a format,
    # so negative cases change it.
    names = [name for name in names if name != "day"]
    if not names:
        return strategy

    method = context.operation.method.upper()

    def real() -> Any:
        known = {name: KNOWN_IDS.get(f"{method} {name}") or KNOWN_IDS.get(name) for name in names}
        return st.fixed_dictionaries(
            {name: st.sampled_from(ids) for name, ids in known.items() if ids}
        )

    def merge(pair: tuple[Any, dict[str, str]]) -> Any:
        generated, ids = pair
        if isinstance(generated, GeneratedValue):  # a negative case, with what it changed
            return generated.map_value(lambda value: {**value, **ids})
        return {**generated, **ids}

    return st.one_of(strategy, st.tuples(strategy, st.deferred(real)).map(merge))


@schema.parametrize()
def test_no_server_error_and_every_answer_matches_the_schema(
    case: schemathesis.Case[Any], fuzz_api: FuzzApi
) -> None:
    KNOWN_IDS.update(fuzz_api.ids)
    response = case.call_and_validate(
        session=fuzz_api.session, app=fuzz_api.app, headers=fuzz_api.auth, checks=CHECKS
    )
    CALLS[SCHEMATHESIS, case.operation.label, response.status_code] += 1


@schema.include(path_regex=r"^/api/v1/").parametrize()
def test_without_a_valid_key_every_api_operation_answers_401(
    case: schemathesis.Case[Any], fuzz_api: FuzzApi
) -> None:
    """No key, or whatever key the fuzzer makes up for the documented security schemes (an
    ``Authorization`` or ``X-API-Key`` header): 401 for any input."""
    response = case.call(session=fuzz_api.session, app=fuzz_api.app)
    CALLS["schemathesis without a valid key", case.operation.label, response.status_code] += 1
    case.validate_response(response, checks=[not_a_server_error])
    # The coverage phase also tries methods the path does not have: those are 405 for anyone.
    expected = 401 if case.method.upper() == case.operation.method.upper() else 405
    assert response.status_code == expected, (case.method, response.status_code, response.text)
