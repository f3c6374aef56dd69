"""Settings from the environment reach the service: priority weights and transport rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.bootstrap import bootstrap
from matcher.config import load_settings
from matcher.domain.errors import InvalidValue
from matcher.domain.model import BuyerKind, Unit
from matcher.optimiser.schema import parameters_from


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
