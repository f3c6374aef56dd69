"""Loaders for the Songkhla reference dataset (``data/`` in the repository).

Nothing is read at import time; each loader reads its file when first called and caches the result
per data directory. A bad row raises :class:`~matcher.domain.errors.InvalidValue` whose field names
the file, the line and the column (``crops.csv:7:unit``).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from matcher.domain.errors import InvalidValue
from matcher.domain.model import Buyer, BuyerKind, Crop, GroupKind, Location, Unit, satang
from matcher.domain.standards import Scheme, StandardsRelation, Tier

T = TypeVar("T")

DATA_ENV = "FOODMATCH_DATA_DIR"

CROP_GROUPS = ("leafy", "fruit_veg", "herb", "staple", "fruit", "mushroom", "egg")
GROUP_FOCI = ("vegetable", "organic", "rice", "egg", "fruit", "mushroom", "mixed", "intercrop")
SUBKINDS: dict[BuyerKind, tuple[str, ...]] = {
    BuyerKind.HOSPITAL: ("regional", "general", "community", "university"),
    BuyerKind.PRISON: ("central", "provincial", "women", "drug_treatment", "district"),
    BuyerKind.SCHOOL: ("primary", "expansion", "secondary", "bpp"),
}
"""School subkinds: ``expansion`` is an opportunity-expansion school (kindergarten to Mathayom 3),
``bpp`` a Border Patrol Police school (โรงเรียนตำรวจตระเวนชายแดน, kindergarten to Prathom 6)."""
SIZE_UNITS: dict[BuyerKind, str] = {
    BuyerKind.HOSPITAL: "beds",
    BuyerKind.PRISON: "inmates",
    BuyerKind.SCHOOL: "pupils",
}
_MARKS = ("~", "?")


@dataclass(frozen=True, slots=True)
class District:
    """An amphoe: its DOPA code, names, district-seat point and mean of its sub-district points.

    ``approx`` lists the values that are approximate (``seat:~``) or unverified (``seat:?``).
    """

    code: str
    name_en: str
    name_th: str
    seat: Location
    centroid: Location
    approx: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Institution:
    """A reference institutional kitchen: the buyer, its subkind and its size (beds, inmates...)."""

    buyer: Buyer
    subkind: str
    size: int
    size_unit: str
    approx: tuple[str, ...] = ()
    lunch_pupils: int | None = None
    """Schools: the pupils the school-lunch programme feeds (pre-primary to Prathom 6); 0 for a
    secondary school. None for other kitchens."""

    @property
    def id(self) -> str:
        return self.buyer.id

    @property
    def sample(self) -> bool:
        """True for illustrative entries (the sample schools) that are not real institutions."""
        return "sample" in self.approx


@dataclass(frozen=True, slots=True)
class GroupName:
    """A farmer-group name: a real one from the facts file, or a stem for synthetic groups."""

    name_th: str
    name_en: str
    kind: GroupKind
    district_code: str
    focus: str
    scheme: Scheme | None
    real: bool


def data_dir() -> Path:
    """The reference-data folder: ``$FOODMATCH_DATA_DIR``, the repository's ``data/``, or the
    copy installed inside the package (``matcher/_data``)."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured)
    package = Path(__file__).resolve().parent
    repo_data = package.parent / "data"
    if repo_data.is_dir():
        return repo_data
    return package / "_data"


def _folder(directory: Path | str | None) -> Path:
    return Path(directory).resolve() if directory is not None else data_dir().resolve()


# --- CSV reading ---------------------------------------------------------------------------------


class _Row:
    """One CSV row with typed accessors that raise errors naming file, line and column."""

    def __init__(self, name: str, line: int, values: dict[str, str]) -> None:
        self.name = name
        self.line = line
        self.values = values

    def error(self, column: str, reason: str) -> InvalidValue:
        return InvalidValue(f"{self.name}:{self.line}:{column}", reason)

    def text(self, column: str) -> str:
        value = (self.values.get(column) or "").strip()
        if not value:
            raise self.error(column, "must not be empty")
        return value

    def optional(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def number(self, column: str, low: float, high: float) -> float:
        raw = self.text(column)
        try:
            value = float(raw)
        except ValueError:
            raise self.error(column, f"{raw!r} is not a number") from None
        if not low <= value <= high:
            raise self.error(column, f"{value} is outside {low}..{high}")
        return value

    def location(self, lat: str, lon: str) -> Location:
        return Location(self.number(lat, -90.0, 90.0), self.number(lon, -180.0, 180.0))

    def whole(self, column: str, low: int = 1) -> int:
        raw = self.text(column)
        try:
            value = int(raw)
        except ValueError:
            raise self.error(column, f"{raw!r} is not a whole number") from None
        if value < low:
            raise self.error(
                column, f"{value} must be above 0" if low == 1 else f"must be >= {low}"
            )
        return value

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.error(column, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def flag(self, column: str) -> bool:
        return self.choice(column, ("true", "false")) == "true"

    def convert(self, column: str, parse: Callable[[str], T]) -> T:
        raw = self.text(column)
        try:
            return parse(raw)
        except ValueError as exc:
            reason = exc.reason if isinstance(exc, InvalidValue) else f"{raw!r} is not valid"
            raise self.error(column, reason) from None

    def approx(self, column: str, fields: tuple[str, ...]) -> tuple[str, ...]:
        """Read marks such as ``seat:~;size:?`` (and the bare word ``sample``)."""
        out: list[str] = []
        for token in (t.strip() for t in self.optional(column).split(";")):
            if not token:
                continue
            name, _, mark = token.partition(":")
            if token == "sample" or (name in fields and mark in _MARKS):
                out.append(token)
            else:
                raise self.error(column, f"{token!r} is not 'sample' or FIELD:~ / FIELD:?")
        return tuple(out)


def _rows(path: Path, header: tuple[str, ...]) -> Iterator[_Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        found = tuple(reader.fieldnames or ())
        if found != header:
            raise InvalidValue(f"{path.name}:1", f"header must be {','.join(header)}")
        for values in reader:
            yield _Row(path.name, reader.line_num, values)


# --- loaders -------------------------------------------------------------------------------------


def load_standards(directory: Path | str | None = None) -> StandardsRelation:
    """The satisfies-relation between certificate schemes and buyer tiers (``standards.json``)."""
    return _standards(_folder(directory))


@lru_cache(maxsize=8)
def _standards(folder: Path) -> StandardsRelation:
    path = folder / "standards.json"
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"{path.name}:{exc.lineno}", f"not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise InvalidValue(path.name, "must be a JSON object")
    tiers = raw.get("tiers", [])
    allowed = [t.value for t in Tier]
    if tiers != allowed:
        raise InvalidValue(f"{path.name}:tiers", f"must list the tiers {allowed} in order")
    try:
        return StandardsRelation.from_mapping(raw)
    except InvalidValue as exc:
        raise exc.within(path.name) from None


def load_crops(directory: Path | str | None = None) -> dict[str, Crop]:
    """Crops by id (``crops.csv``), with reference prices in satang."""
    return dict(_crops(_folder(directory)))


@lru_cache(maxsize=8)
def _crops(folder: Path) -> tuple[tuple[str, Crop], ...]:
    header = ("id", "name_th", "name_en", "unit", "group", "processed", "reference_price_thb")
    out: dict[str, Crop] = {}
    for row in _rows(folder / "crops.csv", header):
        crop_id = row.text("id")
        if crop_id in out:
            raise row.error("id", f"{crop_id!r} appears twice")
        out[crop_id] = Crop(
            id=crop_id,
            name_th=row.text("name_th"),
            name_en=row.text("name_en"),
            unit=row.convert("unit", Unit),
            group=row.choice("group", CROP_GROUPS),
            processed=row.flag("processed"),
            reference_price=row.convert(
                "reference_price_thb", lambda v: satang(v, "reference_price_thb")
            ),
        )
    return tuple(out.items())


def load_districts(directory: Path | str | None = None) -> list[District]:
    """The 16 districts of Songkhla (``districts.csv``), in code order."""
    return list(_districts(_folder(directory)))


@lru_cache(maxsize=8)
def _districts(folder: Path) -> tuple[District, ...]:
    header: tuple[str, ...] = ("code", "name_en", "name_th", "seat_lat", "seat_lon")
    header += ("centroid_lat", "centroid_lon", "approx")
    out: dict[str, District] = {}
    for row in _rows(folder / "districts.csv", header):
        code = row.text("code")
        if not code.isdigit():
            raise row.error("code", f"{code!r} is not a numeric DOPA code")
        if code in out:
            raise row.error("code", f"{code!r} appears twice")
        out[code] = District(
            code=code,
            name_en=row.text("name_en"),
            name_th=row.text("name_th"),
            seat=row.location("seat_lat", "seat_lon"),
            centroid=row.location("centroid_lat", "centroid_lon"),
            approx=row.approx("approx", ("seat", "centroid")),
        )
    return tuple(out[code] for code in sorted(out))


def load_institutions(directory: Path | str | None = None) -> list[Institution]:
    """Reference hospitals, prisons and sample schools (``institutions.csv``)."""
    return list(_institutions(_folder(directory)))


@lru_cache(maxsize=8)
def _institutions(folder: Path) -> tuple[Institution, ...]:
    header: tuple[str, ...] = ("id", "name_en", "name_th", "kind", "subkind", "district_code")
    header += ("lat", "lon", "size", "size_unit", "lunch_pupils", "approx")
    districts = {d.code for d in _districts(folder)}
    kinds = tuple(k.value for k in SUBKINDS)
    out: dict[str, Institution] = {}
    for row in _rows(folder / "institutions.csv", header):
        inst_id = row.text("id")
        if inst_id in out:
            raise row.error("id", f"{inst_id!r} appears twice")
        kind = BuyerKind(row.choice("kind", kinds))
        district = row.text("district_code")
        if district not in districts:
            raise row.error("district_code", f"{district!r} is not in districts.csv")
        buyer = Buyer(
            id=inst_id,
            name_th=row.text("name_th"),
            name_en=row.text("name_en"),
            kind=kind,
            location=row.location("lat", "lon"),
            district=district,
        )
        size = row.whole("size")
        out[inst_id] = Institution(
            buyer=buyer,
            subkind=row.choice("subkind", SUBKINDS[kind]),
            size=size,
            size_unit=row.choice("size_unit", (SIZE_UNITS[kind],)),
            approx=row.approx("approx", ("location", "size", "lunch_pupils")),
            lunch_pupils=_lunch_pupils(row, kind, size),
        )
    return tuple(out.values())


def _lunch_pupils(row: _Row, kind: BuyerKind, size: int) -> int | None:
    """A school's lunch head count (0 up to its pupils); empty for any other kitchen."""
    if kind is not BuyerKind.SCHOOL:
        if row.optional("lunch_pupils"):
            raise row.error("lunch_pupils", "only a school has a school-lunch head count")
        return None
    count = row.whole("lunch_pupils", low=0)
    if count > size:
        raise row.error("lunch_pupils", f"{count} is more than the school's {size} pupils")
    return count


def load_group_names(directory: Path | str | None = None) -> list[GroupName]:
    """Real farmer-group names and synthetic name stems (``group_names.csv``)."""
    return list(_group_names(_folder(directory)))


@lru_cache(maxsize=8)
def _group_names(folder: Path) -> tuple[GroupName, ...]:
    header = ("name_th", "name_en", "kind", "district_code", "focus", "scheme", "source")
    districts = {d.code for d in _districts(folder)}
    out: list[GroupName] = []
    for row in _rows(folder / "group_names.csv", header):
        district = row.text("district_code")
        if district not in districts:
            raise row.error("district_code", f"{district!r} is not in districts.csv")
        scheme_text = row.optional("scheme")
        out.append(
            GroupName(
                name_th=row.text("name_th"),
                name_en=row.text("name_en"),
                kind=row.convert("kind", GroupKind),
                district_code=district,
                focus=row.choice("focus", GROUP_FOCI),
                scheme=row.convert("scheme", Scheme) if scheme_text else None,
                real=row.choice("source", ("real", "synthetic")) == "real",
            )
        )
    return tuple(out)
