"""The open book: supply announcements and forward orders.

An order is either on dates (``deliveries``) or on a schedule (``schedule``), never both: the
answer holds the one the order was submitted with, so each is a model of its own.
"""

from __future__ import annotations

from typing import Annotated, NotRequired

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText, DateTimeText, Number, Thb, Week
from matcher.domain.calendar import ClosedKind, OnHoliday
from matcher.domain.contracts import BookState
from matcher.domain.standards import Scheme, Tier


@with_config(EXACT)
class Supply(TypedDict):
    """A group's supply announcement: one crop under one scheme, a quantity per ISO week."""

    id: str
    group_id: str
    crop_id: str
    scheme: Scheme
    weeks: Annotated[
        dict[str, int], Field(description="Quantity per ISO week, e.g. {'2026-W50': 120}.")
    ]
    asking_price: Annotated[Thb | None, Field(description="THB per unit (null: any price).")]
    fda_no: Annotated[str, Field(description="Thai FDA (อย.) registration number.")]
    state: BookState


@with_config(EXACT)
class SupplyDetail(Supply):
    """A supply announcement with the quantity under contract (or proposal) per week."""

    contracted: Annotated[
        dict[str, int],
        Field(description="Quantity of each announced week under contracts and proposals."),
    ]


@with_config(EXACT)
class Schedule(TypedDict):
    """Deliveries on some weekdays of every week from ``start`` to ``end``."""

    start: DateText
    end: DateText
    weekdays: Annotated[
        list[str], Field(description="Weekdays, lower case.", examples=[["mon", "thu"]])
    ]


@with_config(EXACT)
class DateChange(TypedDict):
    """A delivery date on a public holiday or a non-delivery day of the kitchen."""

    asked: Annotated[DateText, Field(description="The date the order asked for.")]
    delivery: Annotated[
        DateText | None,
        Field(description="The previous working day it moved to (null: dropped)."),
    ]
    reason: Annotated[ClosedKind, Field(description="holiday or non_delivery_day.")]
    name_th: Annotated[str, Field(description="The holiday's name in Thai, or the kitchen's day.")]
    name_en: Annotated[str, Field(description="The same in English.")]


@with_config(EXACT)
class _OrderFields(TypedDict):
    id: str
    buyer_id: str
    crop_id: str
    quantity: Annotated[int, Field(description="Units per delivery.")]
    min_tier: Annotated[Tier, Field(description="The lowest standard the kitchen accepts.")]
    max_price: Annotated[Thb | None, Field(description="THB per unit at most (null: any price).")]
    max_distance_km: Number | None
    max_suppliers: Annotated[int | None, Field(description="Most groups sharing one delivery.")]
    purchase_order_no: Annotated[str, Field(description="Purchase-order or e-GP number.")]
    price_includes_transport: Annotated[
        bool, Field(description="Whether the price includes delivery to the kitchen.")
    ]
    on_holiday: Annotated[
        OnHoliday,
        Field(
            description="A delivery on a public holiday or a non-delivery day of the kitchen: "
            "moved to the previous working day, or refused."
        ),
    ]
    date_changes: NotRequired[
        Annotated[
            list[DateChange],
            Field(description="The dates the calendar moved or dropped (only when it did)."),
        ]
    ]


@with_config(EXACT)
class OrderOnDates(_OrderFields):
    """A forward order on listed delivery dates."""

    deliveries: list[DateText]
    state: BookState


@with_config(EXACT)
class OrderOnSchedule(_OrderFields):
    """A forward order on a weekly schedule."""

    schedule: Schedule
    deliveries: NotRequired[
        Annotated[
            list[DateText],
            Field(description="The delivery dates, when the calendar moved some of them."),
        ]
    ]
    state: BookState


Order = OrderOnDates | OrderOnSchedule


@with_config(EXACT)
class KitchenAlternative(TypedDict):
    """The candidate that came nearest to serving a delivery, as the order's kitchen may see it:
    the rule that stopped it, what was compared and the limit, and the district of the
    candidate's group. Not the group, its supply or its price."""

    rule: Annotated[str, Field(description="The rule it failed.", examples=["out_of_range"])]
    measure: Annotated[str, Field(examples=["distance_km"])]
    value: Annotated[
        str | Number | None,
        Field(
            description="The candidate's measure; null where it is the group's business (its "
            "asking price, free quantity, certificate scope, credentials, buyers served)."
        ),
    ]
    limit: Annotated[
        str | Number | None,
        Field(description="What the rule allows: the order's own term, or the group's rule."),
    ]
    district: Annotated[
        str | None, Field(description="District code of the candidate's group (null: unknown).")
    ]
    district_name_th: str | None
    district_name_en: str | None


@with_config(EXACT)
class LastRoundUnfilled(TypedDict):
    """Why the last round that cleared the order's market left a delivery (partly) unfilled."""

    reason: Annotated[str, Field(examples=["out_of_range"])]
    quantity: Annotated[int, Field(description="The quantity that round left unfilled.")]
    alternative: Annotated[
        KitchenAlternative | None, Field(description="Null when there was no candidate.")
    ]


@with_config(EXACT)
class DeliveryStatus(TypedDict):
    """One delivery date of an order: ordered, under contract (or proposal), still open."""

    date: DateText
    week: Week
    ordered: int
    contracted: int
    open: int
    unfilled: Annotated[
        LastRoundUnfilled | None,
        Field(
            description="For a delivery still open: the last round's reason and nearest "
            "alternative; null when nothing is open or that round did not leave it unfilled."
        ),
    ]


@with_config(EXACT)
class CancelledDelivery(TypedDict):
    """A delivery date the kitchen (or a coordinator) cancelled: it is no longer demand."""

    date: DateText
    week: Week
    reason: Annotated[str, Field(description="Why the delivery was cancelled.")]
    actor: Annotated[str, Field(description="Who cancelled it (buyer:ID, coordinator:NAME).")]
    cancelled_at: DateTimeText


@with_config(EXACT)
class OrderOnDatesDetail(OrderOnDates):
    """An order on dates, with contracted and open quantity per delivery."""

    delivery_status: list[DeliveryStatus]
    cancelled_deliveries: Annotated[
        list[CancelledDelivery],
        Field(description="Dates cancelled one by one (not in deliveries nor delivery_status)."),
    ]


@with_config(EXACT)
class OrderOnScheduleDetail(OrderOnSchedule):
    """An order on a schedule, with contracted and open quantity per delivery."""

    delivery_status: list[DeliveryStatus]
    cancelled_deliveries: Annotated[
        list[CancelledDelivery],
        Field(description="Dates cancelled one by one (not in delivery_status)."),
    ]


OrderDetail = OrderOnDatesDetail | OrderOnScheduleDetail
