"""Engines by name, imported lazily so the embedded default never loads Kafka libraries.

Each entry names a ``build_engine(service)`` function returning the engine for a bootstrapped
service.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

ENGINES = {
    "inprocess": "matcher.engine.inprocess:build_engine",
    "faust": "producers.engine:build_engine",
}


def engine_builder(name: str) -> Callable[[Any], Any]:
    try:
        target = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; known: {', '.join(sorted(ENGINES))}") from None
    module, _, attr = target.partition(":")
    builder: Callable[[Any], Any] = getattr(importlib.import_module(module), attr)
    return builder
