"""Engines by name, found through the ``foodmatch.engines`` entry points and imported only when
chosen, so the embedded default never loads Kafka libraries.

Each package registers its engine's ``build_engine(service)`` function (the engine for a
bootstrapped service) in ``pyproject.toml``: the embedded one is ``inprocess``, the Kafka engine
registers itself as ``kafka`` (the settings turn its former name, ``faust``, into ``kafka``). The
core names no engine outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

__all__ = ["ENGINES", "engine_builder", "engine_names"]

ENGINES = "foodmatch.engines"
"""The entry-point group of the engines."""


def engine_names() -> list[str]:
    """The registered engines' names, sorted."""
    return sorted({point.name for point in entry_points(group=ENGINES)})


def engine_builder(name: str) -> Callable[[Any], Any]:
    """The ``build_engine(service)`` function registered under ``name``; ValueError if none is."""
    found = entry_points(group=ENGINES, name=name)
    if not found:
        known = ", ".join(engine_names())
        raise ValueError(f"unknown engine {name!r}; known: {known}")
    builder: Callable[[Any], Any] = next(iter(found)).load()
    return builder
