"""Engines by name, imported lazily so the embedded default never loads Kafka libraries."""

from __future__ import annotations

import importlib
from typing import Any

ENGINES = {
    "inprocess": "matcher.engine.inprocess:InProcessEngine",
}


def engine_class(name: str) -> Any:
    try:
        target = ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r}; known: {', '.join(sorted(ENGINES))}") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
