"""The label catalogue the dashboard reads (``GET /labels.json``)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, with_config
from typing_extensions import TypedDict

from api.models import EXACT


@with_config(EXACT)
class LabelPair(TypedDict):
    """One label in English and in Thai."""

    en: str
    th: str


@cache
def label_catalogue(keys: tuple[str, ...]) -> type[BaseModel]:
    """The catalogue's model: every key of ``keys`` a required :class:`LabelPair`, and no other
    key, so the API reference names every label. Keys are the fields' aliases (a key may be
    any text, even the name of a model method)."""
    fields: dict[str, Any] = {
        f"label_{number}": (LabelPair, Field(alias=key)) for number, key in enumerate(keys)
    }
    model: type[BaseModel] = create_model(
        "LabelCatalogue",
        __config__=ConfigDict(extra="forbid", populate_by_name=False),
        __doc__=(
            "Every label of the dashboard and the contract documents by key, each in Thai (th) "
            "and English (en): the file matcher/labels.json as stored."
        ),
        **fields,
    )
    return model


def catalogue_keys(catalogue: Iterable[str]) -> tuple[str, ...]:
    """The keys in the order the model declares them (sorted, as the file keeps them)."""
    return tuple(sorted(catalogue))
