"""Farmer groups, buyers (kitchens) and certificates."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText, Number
from matcher.domain.model import BuyerKind, GroupKind
from matcher.domain.standards import Scheme


@with_config(EXACT)
class Registry(TypedDict):
    """What the central database records of a group or buyer ("" or null: not recorded)."""

    subdistrict_code: Annotated[str, Field(description="Sub-district (ตำบล) code, TIS-1099.")]
    subdistrict: Annotated[str, Field(description="Sub-district (ตำบล) name.")]
    farm_area_rai: Annotated[Number | None, Field(description="Farm area in rai.")]
    contact_name: Annotated[str, Field(description="Contact person (signs contracts).")]
    contact_position: Annotated[str, Field(description="The contact person's position.")]
    registration_no: Annotated[
        str, Field(description="Community-enterprise or cooperative registration number.")
    ]
    tax_id: Annotated[str, Field(description="Thai tax id (13 digits).")]
    source_agency: Annotated[str, Field(description="Agency that supplied the record.")]
    source_date: Annotated[DateText | None, Field(description="When it supplied the record.")]


@with_config(EXACT)
class Group(Registry):
    """A farmer group, cooperative or community enterprise."""

    id: str
    name_th: Annotated[str, Field(description="Name in Thai.")]
    name_en: Annotated[str, Field(description="Name in English.")]
    kind: GroupKind
    district: Annotated[str, Field(description="District code (Songkhla: 90xx).")]
    lat: Number
    lon: Number
    members: int
    min_lot: Annotated[
        int | None, Field(description="Smallest quantity delivered to one delivery.")
    ]
    max_buyers_per_week: Annotated[int | None, Field(description="Most buyers served in one week.")]


@with_config(EXACT)
class Certificate(TypedDict):
    """A certificate held by a group: scheme, validity and crop scope."""

    id: str
    group_id: str
    scheme: Scheme
    valid_from: DateText
    valid_until: DateText
    crops: Annotated[list[str], Field(description="Crop ids it covers.")]
    crop_groups: Annotated[list[str], Field(description="Crop groups it covers.")]
    scopes: list[str]
    certifier: Annotated[str, Field(description="Who certified (empty when unknown).")]
    revoked_on: Annotated[
        DateText | None, Field(description="Revoked from this date on (null: not).")
    ]


@with_config(EXACT)
class GroupWithCertificates(Group):
    """A group with every certificate it holds."""

    certificates: list[Certificate]


@with_config(EXACT)
class Buyer(Registry):
    """An institutional kitchen (hospital, school, prison...)."""

    id: str
    name_th: Annotated[str, Field(description="Name in Thai.")]
    name_en: Annotated[str, Field(description="Name in English.")]
    kind: BuyerKind
    district: Annotated[str, Field(description="District code (Songkhla: 90xx).")]
    district_name_th: Annotated[
        str | None, Field(description="The district's name in Thai (null: not a known district).")
    ]
    district_name_en: Annotated[str | None, Field(description="The district's name in English.")]
    lat: Number
    lon: Number
    non_delivery_weekdays: Annotated[
        list[str], Field(description="Weekdays the kitchen does not receive deliveries.")
    ]
    non_delivery_dates: Annotated[
        list[DateText], Field(description="Dates the kitchen does not receive deliveries.")
    ]
