"""The Kafka engine is called ``kafka``; its former name ``faust`` still selects it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from matcher.cli import root_app
from matcher.config import Settings, load_settings
from matcher.engine.registry import engine_builder, engine_names
from producers import engine as kafka_engine


@pytest.mark.parametrize("name", ["kafka", "faust"])
def test_both_the_name_and_the_former_name_select_the_kafka_engine(name: str) -> None:
    settings = load_settings(engine=name)

    assert settings.engine == "kafka"
    assert engine_builder(settings.engine) is kafka_engine.build_engine


@pytest.mark.parametrize("name", ["kafka", "faust"])
def test_the_environment_may_give_either_name(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOODMATCH_ENGINE", name)

    assert Settings().engine == "kafka"


def test_the_kafka_engine_reports_itself_as_kafka() -> None:
    assert kafka_engine.KafkaEngine.name == "kafka"
    assert "kafka" in engine_names()


def test_an_unknown_engine_is_refused_with_the_names_it_may_take() -> None:
    with pytest.raises(ValidationError, match="'inprocess' or 'kafka'"):
        load_settings(engine="steam")


def test_the_settings_and_the_serve_command_name_kafka() -> None:
    field = Settings.model_fields["engine"]
    assert "`kafka`" in (field.description or "")
    result = CliRunner().invoke(root_app(), ["serve", "--help"], terminal_width=200)

    assert result.exit_code == 0, result.output
    assert "inprocess or kafka" in result.output
