"""Forward contracts, their deliveries and their audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText, DateTimeText, Number, Thb, Week
from matcher.domain.contracts import ContractState, DeliveryState, RefusalReason
from matcher.domain.standards import Scheme, Tier


@with_config(EXACT)
class ContractDelivery(TypedDict):
    """One delivery of a contract."""

    date: DateText
    week: Week
    quantity: int
    distance_km: Annotated[Number, Field(description="From the group to the kitchen.")]
    state: DeliveryState
    received: Annotated[
        int | None, Field(description="Confirmed by the kitchen: quantity accepted.")
    ]
    refused: Annotated[int | None, Field(description="Confirmed by the kitchen: quantity refused.")]
    refusal_reason: Annotated[
        RefusalReason | None,
        Field(description="Why the kitchen refused what it refused (when it refused any)."),
    ]
    refusal_note: Annotated[
        str | None, Field(description="The kitchen's own words, with the reason other.")
    ]


@with_config(EXACT)
class HistoryEntry(TypedDict):
    """One change of a contract: when, by whom, what, from and to which state, and why."""

    at: DateTimeText
    actor: Annotated[str, Field(examples=["group:grp-001"])]
    action: str
    from_state: str
    to_state: str
    reason: str
    details: Annotated[
        dict[str, Any],
        Field(
            description="What the change carried (a confirmation's quantities, an amendment's "
            "changes...); empty for most."
        ),
    ]


@with_config(EXACT)
class Contract(TypedDict):
    """A forward contract proposed by a round, with its deliveries and history."""

    id: str
    round_id: str
    order_id: str
    buyer_id: str
    group_id: str
    supply_id: str
    crop_id: str
    scheme: Scheme
    min_tier: Tier
    unit_price: Annotated[Thb, Field(description="THB per unit.")]
    pricing_policy: str
    quantity: Annotated[int, Field(description="Total over the deliveries.")]
    value: Annotated[Thb, Field(description="THB, the quantity at the unit price.")]
    state: ContractState
    reason: str
    created_at: DateTimeText | None
    proposal_expires_at: Annotated[
        DateTimeText | None, Field(description="A proposal not accepted by then expires.")
    ]
    deliveries: list[ContractDelivery]
    history: list[HistoryEntry]
