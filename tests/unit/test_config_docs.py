"""The configuration page of the docs site is generated from the settings and cannot drift."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from matcher import config_docs
from matcher.config import Settings


def environment_variables(
    model: type[BaseModel] = Settings, prefix: str = "FOODMATCH_"
) -> set[str]:
    """Every variable the settings read, nested models under ``<PREFIX><FIELD>__``."""
    found: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= environment_variables(annotation, f"{prefix}{name.upper()}__")
        else:
            found.add(f"{prefix}{name.upper()}")
    return found


def test_the_configuration_page_is_what_the_generator_writes() -> None:
    page = config_docs.PAGE.read_text(encoding="utf-8")
    assert page == config_docs.render(), (
        "docs/configuration.md differs from the settings: run python -m matcher.config_docs"
    )


def test_every_setting_is_on_the_page_once_with_a_description() -> None:
    listed = [*config_docs.rows(), *config_docs.kafka_rows()]
    assert sorted(r.variable for r in listed) == sorted(environment_variables())
    assert [r.variable for r in listed if not r.meaning.strip()] == []


def test_a_row_shows_the_default_and_the_values_the_setting_takes() -> None:
    by_name = {r.variable: r for r in [*config_docs.rows(), *config_docs.kafka_rows()]}
    assert (by_name["FOODMATCH_API_PORT"].default, by_name["FOODMATCH_API_PORT"].values) == (
        "`8000`",
        "whole number ≥ 1, ≤ 65535",
    )
    assert by_name["FOODMATCH_ENGINE"].values == "`inprocess` or `kafka`"
    assert by_name["FOODMATCH_DATA_DIR"].default == "unset"
    assert by_name["FOODMATCH_PRIORITY_WEIGHTS"].default == "`{}`"
    assert by_name["FOODMATCH_KAFKA__SASL_PASSWORD"].values == "text, secret"


def test_check_fails_while_the_page_differs_and_passes_once_it_is_written(tmp_path: Path) -> None:
    page = tmp_path / "configuration.md"
    page.write_text("# Configuration\n\nwritten by hand\n", encoding="utf-8")
    assert config_docs.main(["--check", "--output", str(page)]) == 1
    assert config_docs.main(["--output", str(page)]) == 0
    assert config_docs.main(["--check", "--output", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == config_docs.render()
