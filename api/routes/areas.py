"""The province's official districts and sub-districts, for forms and the dashboard."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import Caller
from api.deps import ServiceDep
from api.models.areas import Areas
from api.routes.common import Json
from matcher import areas

router = APIRouter(tags=["market"])


def _names(area: areas.Area) -> Json:
    return {"code": area.code, "name_th": area.name_th, "name_en": area.name_en}


@router.get(
    "/areas",
    response_model=Areas,
    summary="The province's districts and sub-districts",
)
def list_areas(service: ServiceDep, _: Caller) -> Json:
    """The districts (อำเภอ) of the reference data's province (Songkhla, 90, by default) in code
    order, each with its sub-districts (ตำบล): official DOPA codes and Thai and English names,
    from the ``geothai`` package (``source`` names its version). A group's or a buyer's
    ``subdistrict_code`` must be one of its district's. Any key but the bank's may read it."""
    codes = sorted(service.context.districts)
    code = codes[0][:2] if codes else areas.SONGKHLA
    province = areas.province(code) or areas.Area(code, "", "")
    return {
        "province": _names(province),
        "source": areas.source(),
        "districts": [
            _names(d) | {"subdistricts": [_names(s) for s in areas.subdistricts(d.code)]}
            for d in areas.districts(code)
        ],
    }
