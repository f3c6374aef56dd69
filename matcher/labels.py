"""The label catalogue: every label of the dashboard and the contract documents, in Thai and
English, in one file (``matcher/labels.json``: ``{"key": {"en": "...", "th": "..."}}``).

Pure: the file is read once, on the first call, from the package itself; nothing is read at
import time. The API serves the same file at ``GET /labels.json`` for the dashboard.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CATALOGUE_FILE",
    "LANGS",
    "Lang",
    "UnknownLabel",
    "catalogue",
    "has_label",
    "label",
    "raw",
]

Lang = Literal["th", "en"]
LANGS: tuple[Lang, ...] = ("th", "en")

CATALOGUE_FILE = "labels.json"
"""The catalogue's file name inside the ``matcher`` package."""


class UnknownLabel(KeyError):
    """A key the catalogue does not hold."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no label {self.key!r} in matcher/{CATALOGUE_FILE}"


@cache
def raw() -> bytes:
    """The catalogue file's bytes, exactly as stored."""
    return resources.files("matcher").joinpath(CATALOGUE_FILE).read_bytes()


@cache
def catalogue() -> Mapping[str, Mapping[Lang, str]]:
    """Every label by key, each with its Thai (``th``) and English (``en``) text (read-only)."""
    loaded: dict[str, dict[str, str]] = json.loads(raw().decode("utf-8"))
    pairs: dict[str, Mapping[Lang, str]] = {}
    for key, pair in loaded.items():
        texts: dict[Lang, str] = {"th": pair["th"], "en": pair["en"]}
        pairs[key] = MappingProxyType(texts)
    return MappingProxyType(pairs)


def has_label(key: str) -> bool:
    """Whether the catalogue holds ``key``."""
    return key in catalogue()


def label(key: str, lang: Lang) -> str:
    """The label ``key`` in ``lang``; :class:`UnknownLabel` (a ``KeyError``) naming an unknown
    key."""
    pair = catalogue().get(key)
    if pair is None:
        raise UnknownLabel(key)
    return pair[lang]
