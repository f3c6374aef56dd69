"""The province's official districts and sub-districts (``GET /api/v1/areas``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT


@with_config(EXACT)
class Subdistrict(TypedDict):
    """A sub-district (ตำบล)."""

    code: Annotated[str, Field(description="Its 6-digit DOPA (TIS-1099) code.")]
    name_th: Annotated[str, Field(description="Its official Thai name.")]
    name_en: Annotated[str, Field(description="Its official English name.")]


@with_config(EXACT)
class District(TypedDict):
    """A district (อำเภอ) and its sub-districts in code order."""

    code: Annotated[str, Field(description="Its 4-digit DOPA code.")]
    name_th: str
    name_en: str
    subdistricts: list[Subdistrict]


@with_config(EXACT)
class Province(TypedDict):
    """The province of the reference data."""

    code: Annotated[str, Field(description="Its 2-digit DOPA code (Songkhla: 90).")]
    name_th: str
    name_en: str


@with_config(EXACT)
class Areas(TypedDict):
    """The province's districts and sub-districts, and where the codes and names come from."""

    province: Province
    source: Annotated[
        str, Field(description="The geothai package's version and its DOPA data's release.")
    ]
    districts: list[District]
