"""The bank's view: consents, the consented groups and their forward revenue by month."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateTimeText, Thb

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2027-01"])]


@with_config(EXACT)
class BankConsent(TypedDict):
    """A group's consent that a bank reads its forward revenue: who granted it, whether and by
    whom it was revoked. Revoked consents stay listed: they are the audit trail."""

    id: int
    group_id: str
    bank: Annotated[
        str,
        Field(description="`baac`: every bank key; else one bank key's name.", examples=["baac"]),
    ]
    granted_at: DateTimeText
    granted_by: Annotated[str, Field(examples=["group:grp-001", "coordinator:ops"])]
    revoked_at: Annotated[DateTimeText | None, Field(description="None: still in force.")]
    revoked_by: str | None
    active: bool


@with_config(EXACT)
class BankGroup(TypedDict):
    """A group that lets the calling bank read its forward revenue."""

    id: str
    name_th: str
    name_en: str
    kind: str
    district: Annotated[str, Field(description="District code (Songkhla: 90xx).")]
    district_name_th: str | None
    district_name_en: str | None
    members: int
    consented_at: DateTimeText


@with_config(EXACT)
class Amounts(TypedDict):
    contracted: Annotated[Thb, Field(description="THB due under accepted contracts.")]
    delivered: Annotated[Thb, Field(description="THB of what the kitchens received.")]
    refused: Annotated[Thb, Field(description="THB of what the kitchens refused.")]


@with_config(EXACT)
class MonthRevenue(TypedDict):
    month: Month
    contracted: Thb
    delivered: Thb
    refused: Thb


@with_config(EXACT)
class BuyerMonth(TypedDict):
    month: Month
    contracted: Thb


@with_config(EXACT)
class RevenueBuyer(TypedDict):
    """A buyer behind the revenue: its contracted value in all and per month."""

    buyer_id: str
    name_th: str
    name_en: str
    kind: Annotated[str, Field(examples=["hospital", "school"])]
    contracted: Thb
    months: list[BuyerMonth]


@with_config(EXACT)
class Revenue(TypedDict):
    """A group's forward revenue by month of delivery, and the buyers behind it."""

    group_id: str
    name_th: str
    name_en: str
    district: str
    months: list[MonthRevenue]
    total: Amounts
    buyers: list[RevenueBuyer]
    district_name_th: str | None
    district_name_en: str | None
