"""Response models: what every API route answers, so ``/openapi.json`` describes each 2xx body.

The models describe the JSON the read side builds (:mod:`matcher.service.views`,
:mod:`matcher.service.codec`, :mod:`matcher.service.stats`, :mod:`matcher.service.planning`)
exactly as it is: the same fields in the same order, dates and times as the ISO text they are
rendered to, prices as THB decimal text. One module per area of the API.

They are pydantic-checked ``TypedDict`` s rather than ``BaseModel`` s: FastAPI checks every answer
against its route's model, and a typed dict is checked without building an object per row (a
page of 1,000 contracts costs a third of the time). Fields unknown to a model are refused
(``extra="forbid"``), so an answer that drifts from its model fails loudly in the tests instead
of losing a field silently.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, WithJsonSchema

__all__ = ["EXACT", "DateText", "DateTimeText", "Number", "Thb", "Week"]

EXACT = ConfigDict(extra="forbid")
"""The configuration of every response model (``@with_config(EXACT)``): no undeclared field."""

Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
"""A number as computed: a whole number stays whole in the JSON, a fraction stays a fraction."""
DateText = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2026-12-14"])]
"""A date as ``YYYY-MM-DD``."""
DateTimeText = Annotated[
    str,
    Field(json_schema_extra={"format": "date-time"}, examples=["2026-12-07T09:15:48.123456+00:00"]),
]
"""A moment in ISO 8601 with its UTC offset."""
Week = Annotated[str, Field(pattern=r"^\d{4}-W\d{2}$", examples=["2026-W50"])]
"""An ISO week."""
Thb = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["35.50"])]
"""An amount in THB as decimal text with two places (exact: no binary fraction)."""
