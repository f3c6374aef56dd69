"""The ``foodmatch`` command line, assembled from its parts.

The root command imports none of its sub-commands: each package registers its own under the
entry-point group ``foodmatch.commands`` in ``pyproject.toml`` (as pytest and flask find their
plugins). An entry point's name is the command's path, dotted for a sub-command of a group
(``bench.stream`` is ``foodmatch bench stream``); its object is a command function or a
:class:`typer.Typer` group. ``foodmatch --help`` lists the commands, then the groups, each by
name. What the commands share (options, settings, errors) is in :mod:`matcher.clikit`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import typer

__all__ = ["COMMANDS", "assemble", "main", "root_app"]

COMMANDS = "foodmatch.commands"
"""The entry-point group of the sub-commands."""

HELP = "foodmatch: a forward market for safe food (Songkhla first)."


def _new_root() -> typer.Typer:
    return typer.Typer(
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )


def _own(group: typer.Typer) -> typer.Typer:
    """A copy of ``group`` whose command lists are its own, so that sub-commands added to it by
    other packages do not change the registering package's object."""
    clone = copy.copy(group)
    clone.registered_commands = list(group.registered_commands)
    clone.registered_groups = list(group.registered_groups)
    return clone


def _group(parent: typer.Typer, name: str, path: str) -> typer.Typer:
    for info in parent.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    raise LookupError(f"{COMMANDS} entry point {path!r}: no command group {name!r} is registered")


def _add(root: typer.Typer, path: str, item: Any) -> None:
    *parents, name = path.split(".")
    parent = root
    for i, part in enumerate(parents):
        parent = _group(parent, part, ".".join(parents[: i + 1]))
    if isinstance(item, typer.Typer):
        parent.add_typer(_own(item), name=name)
    elif callable(item):
        parent.command(name)(item)
    else:
        raise TypeError(f"{COMMANDS} entry point {path!r} is neither a command nor a group")


def assemble(found: Iterable[EntryPoint]) -> typer.Typer:
    """The root command with the commands of ``found``, by name (a group before its
    sub-commands)."""
    root = _new_root()
    for point in sorted(found, key=lambda p: (p.name.count("."), p.name)):
        _add(root, point.name, point.load())
    return root


@cache
def root_app() -> typer.Typer:
    """The ``foodmatch`` command with every registered sub-command (assembled once)."""
    return assemble(entry_points(group=COMMANDS))


def main() -> None:
    root_app()()
