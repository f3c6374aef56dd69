"""The official districts (อำเภอ) and sub-districts (ตำบล) of a province: their DOPA codes (the
TIS-1099 codes of the Department of Provincial Administration) and Thai and English names, from
the ``geothai`` package.

Songkhla (province ``90``) is the default; every function takes another province or district
code. ``geothai`` reads its tables on the first call, not at import.

:func:`official_subdistrict` is the check a group's or a buyer's registry passes when it enters
the service (an instance file, the API, a CSV line, a Kafka message): the code is an official
sub-district of the record's district, a name without a code is looked up within the district,
a code without a name gets its official Thai name, and a code and name that disagree are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version

import geothai
from geothai.abolished import abolished_areas
from geothai.types import District, Province, Subdistrict

from matcher.domain.errors import InvalidValue

SONGKHLA = "90"
"""Songkhla's DOPA province code, the province of the reference dataset (``data/``)."""


@dataclass(frozen=True, slots=True)
class Area:
    """A province, district or sub-district: its DOPA code and its Thai and English names."""

    code: str
    name_th: str
    name_en: str


def source() -> str:
    """Where the codes and names come from: the package and its data's release."""
    try:
        release = version("geothai")
    except PackageNotFoundError:  # pragma: no cover - geothai is a dependency
        release = "?"
    return f"geothai {release} (DOPA data {geothai.DATA_VERSION})"


def _area(found: Province | District | Subdistrict) -> Area:
    return Area(found.code, found.name_th, found.name_en)


def province(code: str = SONGKHLA) -> Area | None:
    """The province with this two-digit code (None: no such province)."""
    found = geothai.province(code)
    return None if found is None else _area(found)


@cache
def districts(province_code: str = SONGKHLA) -> tuple[Area, ...]:
    """The province's districts in code order (empty for an unknown province)."""
    return tuple(_area(d) for d in geothai.districts(province_code))


def district(code: str) -> Area | None:
    """The district with this four-digit code (None: no such district)."""
    found = geothai.district(code)
    return None if found is None else _area(found)


@cache
def subdistricts(district_code: str) -> tuple[Area, ...]:
    """The district's sub-districts in code order (empty for an unknown district)."""
    return tuple(_area(s) for s in geothai.subdistricts(district_code))


def subdistrict(code: str) -> Area | None:
    """The sub-district with this six-digit code (None: no such sub-district in use today)."""
    found = geothai.subdistrict(code)
    return None if found is None else _area(found)


_LEVEL_WORD = re.compile(r"^(?:ตำบล|แขวง|อำเภอ|เขต|กิ่งอำเภอ|จังหวัด|[ตอจ]\.)")
_MARKS = re.compile(r"[\s.'\-]")


def _key(name: str) -> str:
    """A name in one form for comparing: no case, spaces, dots, apostrophes or hyphens, and no
    leading word for the level ("ตำบล", "ต.", "อำเภอ", "อ."...)."""
    return _MARKS.sub("", _LEVEL_WORD.sub("", name.strip()).lower())


def subdistrict_named(district_code: str, name: str) -> Area | None:
    """The district's sub-district whose Thai or English name is ``name`` (written as people
    write it: "พะตง", "ต.พะตง", "ตำบลพะตง", "Phatong", "phatong"), or None."""
    key = _key(name)
    if not key:
        return None
    return next(
        (s for s in subdistricts(district_code) if key in (_key(s.name_th), _key(s.name_en))),
        None,
    )


def district_named(name: str, province_code: str = SONGKHLA) -> Area | None:
    """The province's district whose Thai or English name is ``name`` ("อ.หาดใหญ่", "Hat Yai")."""
    key = _key(name)
    if not key:
        return None
    return next(
        (d for d in districts(province_code) if key in (_key(d.name_th), _key(d.name_en))),
        None,
    )


def abolished_successors(code: str) -> tuple[Area, tuple[str, ...]] | None:
    """An abolished sub-district code's old name and the codes that replaced it (None: the code
    was never abolished)."""
    for old in abolished_areas():
        if old.code == code and old.level == "subdistrict":
            return Area(old.code, old.name_th, old.name_en or ""), old.successors
    return None


def _named(area: Area) -> str:
    return f"{area.code} {area.name_th} ({area.name_en})"


def _unknown_code(code: str, where: Area | None) -> InvalidValue:
    gone = abolished_successors(code)
    if gone is not None:
        old, successors = gone
        now = [s for s in (subdistrict(c) for c in successors) if s is not None]
        today = "; today: " + ", ".join(map(_named, now)) if now else ""
        return InvalidValue(
            "subdistrict_code", f"{_named(old)} is a sub-district code no longer in use{today}"
        )
    place = f" of district {_named(where)}" if where is not None else ""
    return InvalidValue("subdistrict_code", f"{code!r} is not an official sub-district code{place}")


def _district_of_record(district_code: str) -> Area | None:
    """The record's district (None when the record names none); an unofficial one is refused."""
    if district_code == "":
        return None
    found = district(district_code)
    if found is None:
        raise InvalidValue(
            "district",
            f"{district_code!r} is not an official district code (4 digits, e.g. 9011 Hat Yai); "
            "a sub-district is checked against its district",
        )
    return found


def _by_code(code: str, where: Area | None) -> Area:
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise InvalidValue(
            "subdistrict_code", f"{code!r} must be the 6-digit TIS-1099 sub-district code"
        )
    found = subdistrict(code)
    if found is None:
        raise _unknown_code(code, where)
    if where is not None and not code.startswith(where.code):
        home = district(code[:4])
        home_text = f"; it is in district {_named(home)}" if home is not None else ""
        raise InvalidValue(
            "subdistrict_code",
            f"{_named(found)} is not a sub-district of district {_named(where)}{home_text}",
        )
    return found


def _by_name(name: str, where: Area | None) -> Area:
    if where is None:
        raise InvalidValue(
            "subdistrict",
            f"{name!r}: give the district (its 4-digit code) or the sub-district's code, "
            "so the name can be looked up",
        )
    found = subdistrict_named(where.code, name)
    if found is None:
        names = ", ".join(s.name_th for s in subdistricts(where.code))
        raise InvalidValue(
            "subdistrict",
            f"{name!r} is not a sub-district of district {_named(where)} (its sub-districts: "
            f"{names})",
        )
    return found


def official_subdistrict(district_code: str, code: str, name: str) -> tuple[str, str]:
    """The checked (code, official Thai name) of a record's sub-district.

    ``district_code`` is the record's district (empty: the code is checked on its own). Both
    ``code`` and ``name`` empty give ("", ""): the sub-district is optional. Raises
    :class:`InvalidValue` naming ``subdistrict_code``, ``subdistrict`` or ``district``.
    """
    code, name = code.strip(), name.strip()
    if code == "" and name == "":
        return "", ""
    where = _district_of_record(district_code.strip())
    if code == "":
        found = _by_name(name, where)
        return found.code, found.name_th
    found = _by_code(code, where)
    if name and _key(name) not in (_key(found.name_th), _key(found.name_en)):
        raise InvalidValue(
            "subdistrict",
            f"{name!r} is not the name of sub-district {found.code}: it is {found.name_th} "
            f"({found.name_en})",
        )
    return found.code, found.name_th
