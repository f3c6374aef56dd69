"""The coordinator's figures: fill rate, unmet demand, distribution across groups, the map and the
planning report, as :mod:`matcher.service.stats` and :mod:`matcher.service.planning` build them.

Contracted quantity is under contracts the group has accepted (accepted, in delivery,
completed); proposed quantity is under proposals not answered yet. Fill rates are the contracted
share of the ordered quantity, rounded to 4 places.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText, DateTimeText, Number, Week
from matcher.domain.model import BuyerKind, Unit

# --- fill rate ---------------------------------------------------------------------------------


@with_config(EXACT)
class FillCell(TypedDict):
    """Ordered, contracted and proposed quantity of one crop in one ISO week."""

    ordered: int
    contracted: int
    proposed: int
    fill_rate: Number


@with_config(EXACT)
class CropFill(TypedDict):
    """One crop's fill over every week, and per week."""

    crop_id: str
    name_th: str
    name_en: str
    unit: Unit
    ordered: int
    contracted: int
    proposed: int
    fill_rate: Number
    weeks: Annotated[dict[str, FillCell], Field(description="By ISO week of delivery, in order.")]


@with_config(EXACT)
class Fill(TypedDict):
    """Fill rate of the open orders by crop and ISO week, the largest crops first."""

    weeks: list[Week]
    ordered: int
    contracted: int
    proposed: int
    fill_rate: Number
    crops: list[CropFill]


# --- unmet demand ------------------------------------------------------------------------------


@with_config(EXACT)
class UnmetReason(TypedDict):
    reason: Annotated[str, Field(examples=["no_supply"])]
    quantity: int
    lines: Annotated[int, Field(description="Unfilled delivery lines with this reason.")]


@with_config(EXACT)
class UnmetCrop(TypedDict):
    crop_id: str
    name_th: str
    name_en: str
    unit: Unit
    quantity: int


@with_config(EXACT)
class UnmetDistrict(TypedDict):
    district: Annotated[str, Field(description="The kitchens' district code.")]
    name_th: str
    name_en: str
    quantity: int


@with_config(EXACT)
class Unmet(TypedDict):
    """Unmet demand (what the last round of each market left unfilled and is still open) by
    reason, crop and district, the largest first."""

    total: int
    pending: Annotated[int, Field(description="Open demand no round has looked at yet.")]
    by_reason: list[UnmetReason]
    by_crop: list[UnmetCrop]
    by_district: list[UnmetDistrict]


# --- groups: volume, income, utilisation -------------------------------------------------------


@with_config(EXACT)
class GroupFigures(TypedDict):
    """Announced and contracted quantity, income and utilisation of one group."""

    group_id: str
    name_th: str
    name_en: str
    district: str
    district_name_th: str
    district_name_en: str
    subdistrict_code: Annotated[str, Field(description="Sub-district (ตำบล) code, if recorded.")]
    subdistrict: Annotated[str, Field(description="Sub-district (ตำบล) name, if recorded.")]
    announced: Annotated[int, Field(description="Quantity of its open supply.")]
    contracted: int
    proposed: int
    income_thb: Annotated[Number, Field(description="Value of the deliveries still held, THB.")]
    utilisation: Annotated[Number, Field(description="Share of the announced quantity contracted.")]
    contracts: Annotated[int, Field(description="Its live contracts, proposals included.")]


@with_config(EXACT)
class Gini(TypedDict):
    """Gini coefficients across the groups with open supply (0: equal, 1: one takes all)."""

    volume: Number
    income: Number
    utilisation: Number


@with_config(EXACT)
class Distribution(TypedDict):
    """Volume, income and utilisation across groups (most contracted first)."""

    gini: Gini
    groups: list[GroupFigures]


# --- the map -----------------------------------------------------------------------------------


@with_config(EXACT)
class MapGroup(TypedDict):
    id: str
    name_th: str
    name_en: str
    lat: Number
    lon: Number
    district: str
    announced: int
    contracted: int


@with_config(EXACT)
class MapBuyer(TypedDict):
    id: str
    name_th: str
    name_en: str
    kind: BuyerKind
    lat: Number
    lon: Number
    district: str
    ordered: int
    contracted: int
    proposed: int


@with_config(EXACT)
class MapLink(TypedDict):
    """A (group, kitchen) pair under contract or proposal."""

    group_id: str
    buyer_id: str
    quantity: Annotated[int, Field(description="Under accepted (or later) contracts.")]
    proposed: Annotated[int, Field(description="Under proposals.")]
    contracts: int
    crops: list[str]
    via: Annotated[
        list[list[float]],
        Field(description="The road model's places on the way, [lat, lon] each (empty: straight)."),
    ]


@with_config(EXACT)
class Bounds(TypedDict):
    south: Number
    west: Number
    north: Number
    east: Number


@with_config(EXACT)
class MarketMap(TypedDict):
    """Groups and kitchens with their positions, and one line per (group, kitchen) pair."""

    groups: list[MapGroup]
    buyers: list[MapBuyer]
    links: list[MapLink]
    bounds: Annotated[Bounds | None, Field(description="Around every point (null: none).")]


# --- the planning report -----------------------------------------------------------------------


@with_config(EXACT)
class PlanningLine(TypedDict):
    """Unmet demand of one (crop, district, week, reason, minimum standard), with the supply that
    would close it."""

    crop_id: str
    crop_name_th: str
    crop_name_en: str
    unit: Unit
    district: str
    district_name_th: str
    district_name_en: str
    week: Week
    reason: str
    quantity: int
    orders: int
    buyers: list[str]
    dates: list[DateText]
    min_tier: str
    max_price_thb: Annotated[
        Number | None, Field(description="The lowest of the orders' price limits.")
    ]
    within_km: Annotated[
        Number | None, Field(description="The shortest of the orders' distance limits.")
    ]
    suggestion_en: str
    suggestion_th: str
    plant_by: Annotated[
        DateText | None,
        Field(
            description="The last day to plant for a first harvest by the first delivery (crop "
            "calendar; null: produced, not planted, or not in the calendar)."
        ),
    ]
    too_late_to_plant: Annotated[
        bool, Field(description="No planting from today can be harvested by the delivery.")
    ]
    out_of_season: Annotated[
        bool, Field(description="A delivery falls in a month the crop does not grow well.")
    ]
    planting_en: Annotated[str, Field(description="What to plant by when, in English.")]
    planting_th: Annotated[
        str, Field(description="The same in Thai, dates in the Buddhist era (12 ม.ค. 2570).")
    ]


@with_config(EXACT)
class _AreaSupply(TypedDict):
    district: str
    groups: int
    members: int
    farm_area_rai: Annotated[Number, Field(description="Recorded farm area, rai.")]
    announced: Annotated[int, Field(description="Quantity of the groups' open supply.")]
    contracted: int


@with_config(EXACT)
class DistrictSupply(_AreaSupply):
    """The groups of one district and their supply."""

    district_name_th: str
    district_name_en: str


@with_config(EXACT)
class SubdistrictSupply(_AreaSupply):
    """The groups of one sub-district (ตำบล, as recorded; "" when not) and their supply."""

    subdistrict_code: str
    subdistrict: str


@with_config(EXACT)
class SupplyByArea(TypedDict):
    by_district: list[DistrictSupply]
    by_subdistrict: list[SubdistrictSupply]


@with_config(EXACT)
class PlanningReport(TypedDict):
    generated_at: DateTimeText | None
    total: int
    lines: list[PlanningLine]
    supply_by_area: Annotated[
        SupplyByArea, Field(description="The groups' supply by district and by sub-district.")
    ]
