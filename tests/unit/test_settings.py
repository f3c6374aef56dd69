"""Settings from the environment reach the service: priority weights, transport rates,
fairness and continuity, the sourcing rules' defaults and the solver's time limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from matcher.bootstrap import bootstrap
from matcher.config import Settings, load_settings
from matcher.domain.errors import InvalidValue
from matcher.domain.model import BuyerKind, Unit
from matcher.optimiser.instance import FairnessPolicy, Parameters
from matcher.optimiser.schema import parameters_from

RULE_KNOBS = (
    "fairness",
    "fairness_weight",
    "fairness_steps",
    "continuity_weight",
    "max_suppliers",
    "min_lot",
    "max_buyers_per_week",
    "time_limit_seconds",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No FOODMATCH_ variable of the knobs below leaks in from the calling shell."""
    for name in (*RULE_KNOBS, "solver"):
        monkeypatch.delenv(f"FOODMATCH_{name.upper()}", raising=False)
    return monkeypatch


def test_priority_weights_from_the_environment_replace_only_the_kinds_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FOODMATCH_PRIORITY_WEIGHTS", '{"hotel": 5}')
    monkeypatch.setenv("FOODMATCH_TRANSPORT_COST_PER_UNIT_KM", '{"kg": 0.05}')
    service = bootstrap(load_settings(database_url=f"sqlite:///{tmp_path}/s.db"))
    try:
        parameters = service.context.parameters
        assert parameters.priority_weights[BuyerKind.HOTEL] == 5
        assert parameters.priority_weights[BuyerKind.HOSPITAL] == 10
        assert parameters.transport_cost_per_unit_km[Unit.KG] == 0.05
        assert parameters.transport_cost_per_unit_km[Unit.PIECE] == 0.001
    finally:
        service.close()


def test_an_unknown_buyer_kind_in_the_weights_is_refused_by_name() -> None:
    with pytest.raises(InvalidValue, match=r"priority_weights\.tractor"):
        parameters_from({"priority_weights": {"tractor": 3}})


def test_a_road_factor_below_one_is_refused() -> None:
    with pytest.raises(InvalidValue, match="road_factor"):
        parameters_from({"road_factor": 0.5})


def test_the_rule_knobs_default_to_the_parameters_defaults(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/s.db")
    defaults = Parameters()
    for name in RULE_KNOBS:
        assert getattr(settings, name) == getattr(defaults, name), name
    assert settings.solver == "auto"
    service = bootstrap(settings)
    try:
        parameters = service.context.parameters
        for name in RULE_KNOBS:
            assert getattr(parameters, name) == getattr(defaults, name), name
        assert service.context.solver == "auto"
    finally:
        service.close()


def test_the_rule_knobs_come_from_the_environment(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given = {
        "FAIRNESS": "off",
        "FAIRNESS_WEIGHT": "0.5",
        "FAIRNESS_STEPS": "3",
        "CONTINUITY_WEIGHT": "0",
        "MAX_SUPPLIERS": "1",
        "MIN_LOT": "20",
        "MAX_BUYERS_PER_WEEK": "3",
        "TIME_LIMIT_SECONDS": "2.5",
        "SOLVER": "cpsat",
    }
    for name, value in given.items():
        clean_env.setenv(f"FOODMATCH_{name}", value)
    service = bootstrap(load_settings(database_url=f"sqlite:///{tmp_path}/s.db"))
    try:
        parameters = service.context.parameters
        assert parameters.fairness is FairnessPolicy.OFF
        assert parameters.fairness_weight == 0.5
        assert parameters.fairness_steps == 3
        assert parameters.continuity_weight == 0.0
        assert parameters.max_suppliers == 1
        assert parameters.min_lot == 20
        assert parameters.max_buyers_per_week == 3
        assert parameters.time_limit_seconds == 2.5
        assert service.context.solver == "cpsat"
    finally:
        service.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FAIRNESS", "sometimes"),
        ("FAIRNESS_WEIGHT", "-1"),
        ("FAIRNESS_STEPS", "several"),
        ("CONTINUITY_WEIGHT", "-0.5"),
        ("MAX_SUPPLIERS", "0"),
        ("MIN_LOT", "many"),
        ("MAX_BUYERS_PER_WEEK", "0"),
        ("TIME_LIMIT_SECONDS", "0"),
        ("SOLVER", "simplex"),
    ],
)
def test_a_malformed_rule_knob_is_refused_by_name(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(f"FOODMATCH_{name}", value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [("FAIRNESS_STEPS", "1"), ("FAIRNESS_WEIGHT", "100000"), ("TIME_LIMIT_SECONDS", "86400")],
)
def test_a_knob_out_of_the_optimisers_bounds_is_refused_before_the_database_opens(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    clean_env.setenv(f"FOODMATCH_{name}", value)
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/db/s.db")
    with pytest.raises(InvalidValue, match=name.lower()):
        bootstrap(settings)
    assert not (tmp_path / "db").exists()
