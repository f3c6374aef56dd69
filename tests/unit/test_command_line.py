"""The ``foodmatch`` command is assembled from the commands and engines that the packages register
as entry points; the core names none of them."""

from __future__ import annotations

import ast
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from matcher.cli import assemble, root_app
from matcher.engine.registry import engine_builder, engine_names

REPO = Path(__file__).resolve().parents[2]
OUTER = ("api", "bench", "consumers", "producers")

group = typer.Typer(help="A group of the test.", no_args_is_help=True)


@group.command("first")
def first() -> None:
    """The group's own command."""
    typer.echo("first")


def second() -> None:
    """A command another package adds to the group."""
    typer.echo("second")


def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


def point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group="foodmatch.commands")


def test_every_registered_command_is_on_the_root_command() -> None:
    result = CliRunner().invoke(root_app(), ["--help"])

    assert result.exit_code == 0, result.output
    for name in (
        "solve", "schema", "compare", "worker", "relay", "serve", "import", "demo", "publish",
        "simulate", "scenario", "bench", "contracts", "certificates", "keys", "report", "topics",
    ):  # fmt: skip
        assert f" {name} " in result.output, name


def test_the_producers_add_stream_to_the_bench_group_of_the_bench_package() -> None:
    from bench.cli import bench_app

    result = CliRunner().invoke(root_app(), ["bench", "--help"])

    assert result.exit_code == 0, result.output
    assert " api " in result.output
    assert " stream " in result.output
    assert [c.name for c in bench_app.registered_commands] == ["api"]


def test_a_dotted_name_adds_a_command_to_a_group_and_leaves_the_registering_group_alone() -> None:
    here = __name__
    app = assemble(
        [
            point("hello", f"{here}:hello"),
            point("things.second", f"{here}:second"),
            point("things", f"{here}:group"),
        ]
    )
    runner = CliRunner()

    assert runner.invoke(app, ["hello", "--name", "songkhla"]).output == "hello songkhla\n"
    assert runner.invoke(app, ["things", "first"]).output == "first\n"
    assert runner.invoke(app, ["things", "second"]).output == "second\n"
    assert [c.name for c in group.registered_commands] == ["first"]


def test_a_sub_command_of_a_group_nobody_registered_is_refused() -> None:
    with pytest.raises(LookupError, match="no command group 'nowhere'"):
        assemble([point("nowhere.second", f"{__name__}:second")])


def test_the_engines_are_found_through_their_entry_points() -> None:
    from matcher.engine import inprocess

    assert {"inprocess", "kafka"} <= set(engine_names())
    assert engine_builder("inprocess") is inprocess.build_engine
    with pytest.raises(ValueError, match=r"unknown engine 'steam'; known: .*inprocess"):
        engine_builder("steam")


def test_the_core_names_no_module_of_the_outer_packages_in_a_string() -> None:
    named: list[str] = []
    for path in sorted((REPO / "matcher").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.strip()
                if any(text.startswith(f"{outer}.") and ":" in text for outer in OUTER):
                    named.append(f"{path.relative_to(REPO)}: {text}")

    assert named == []
