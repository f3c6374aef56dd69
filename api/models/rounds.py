"""Matching rounds and their unfilled quantities."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText, DateTimeText, Number, Week
from matcher.domain.contracts import RoundStatus


@with_config(EXACT)
class Alternative(TypedDict):
    """The nearest candidate of an unfilled line and the rule that stopped it."""

    group_id: str
    supply_id: str
    week: Annotated[
        str,
        Field(
            description="The candidate's ISO week (no_supply: the nearest week with free supply)."
        ),
    ]
    rule: str
    measure: str
    value: Annotated[str | Number | None, Field(description="The candidate's measure.")]
    limit: Annotated[str | Number | None, Field(description="What the rule allows.")]


@with_config(EXACT)
class Unfilled(TypedDict):
    """A quantity of one delivery a round left unfilled, and why."""

    order_id: str
    buyer_id: str
    crop_id: str
    date: DateText
    week: Week
    quantity: int
    reason: Annotated[str, Field(examples=["no_supply"])]
    detail: str
    alternative: Annotated[Alternative | None, Field(description="Null when unknown.")]


@with_config(EXACT)
class Round(TypedDict):
    """The record of one matching round."""

    id: str
    trigger: Annotated[str, Field(examples=["request", "debounce", "schedule"])]
    status: RoundStatus
    solver: str
    solver_status: str
    started_at: DateTimeText
    finished_at: DateTimeText
    summary: Annotated[
        dict[str, Any],
        Field(
            description="The round's figures: demand, filled, fill rate, costs, distances, the "
            "solver's times and gap, markets..."
        ),
    ]
    contract_ids: list[str]
    notes: list[str]


@with_config(EXACT)
class RoundDetail(Round):
    """A round with its unfilled quantities and their reasons."""

    unfilled: list[Unfilled]
