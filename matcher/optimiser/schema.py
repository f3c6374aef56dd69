"""The matching-instance file format (``foodmatch-instance/1``) and its parser.

Structure and types are checked by pydantic models (which also give ``foodmatch schema`` its JSON
Schema); values are checked by the domain. Every problem is reported with its place in the file,
for example ``orders[3].quantity: 0 must be above 0``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from pydantic import ValidationError as PydanticError

from matcher.areas import official_subdistrict
from matcher.domain.calendar import OnHoliday
from matcher.domain.errors import DomainError, InvalidValue
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    Crop,
    FarmerGroup,
    ForwardOrder,
    GroupKind,
    Location,
    Registry,
    SupplyAnnouncement,
    Unit,
    WeeklySchedule,
    satang,
)
from matcher.domain.standards import Scheme, StandardsRelation, Tier, parse_enum
from matcher.optimiser.instance import (
    FairnessPolicy,
    MatchingInstance,
    Parameters,
    PricingPolicy,
)

FORMAT = "foodmatch-instance/1"
Price = str | float | int
L = TypeVar("L", bound=StrEnum)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferencePriceIn(_Strict):
    crop_id: str
    scheme: str
    price: Price


class ParametersIn(_Strict):
    road_factor: float = Field(1.3, description="Road km per straight-line km (>= 1).")
    transport_cost_per_unit_km: dict[str, float] = Field(
        default_factory=dict,
        description="THB per unit of the crop per km of road, by unit (kg, piece); "
        "units not given keep the defaults (kg 0.02, piece 0.001).",
    )
    priority_weights: dict[str, int] = Field(
        default_factory=dict,
        description="Weight of filled quantity by buyer kind (missing kinds keep the default).",
    )
    default_max_distance_km: float | None = Field(
        None, description="Radius for orders that set no max_distance_km (null: no limit)."
    )
    pricing_policy: str = Field(
        "ask", description="Contract price: ask, buyer_max, midpoint or reference."
    )
    reference_prices: list[ReferencePriceIn] = Field(
        default_factory=list, description="THB per unit by crop and scheme (reference policy)."
    )
    fairness: str = Field(
        "progressive", description="Spread demand across groups: progressive or off."
    )
    fairness_weight: float = Field(
        0.05,
        description="Share of a supply's unit price added per unit for each further step of "
        "its week (0 to 1).",
    )
    fairness_steps: int = Field(10, description="Steps a supply week's quantity is cut into.")
    continuity_weight: float = Field(
        0.02,
        description="Share of the unit price added for a group new to an order that already "
        "has a supplier (0: off).",
    )
    max_suppliers: StrictInt | None = Field(
        None, description="Default most groups per delivery (1: single sourcing; null: any)."
    )
    min_lot: StrictInt | None = Field(
        None, description="Default smallest quantity a group delivers to one delivery."
    )
    max_buyers_per_week: StrictInt | None = Field(
        None, description="Default most buyers a group serves in one week."
    )
    time_limit_seconds: float = Field(
        10.0, description="Time the integer solver (CP-SAT) may take in one clearing."
    )


class CropIn(_Strict):
    id: str
    name_th: str
    name_en: str
    unit: str = Field(description="kg or piece")
    group: str = "other"
    processed: bool = Field(False, description="Needs a food-safety (GMP) credential too.")
    reference_price: Price | None = Field(None, description="THB per unit, used without ask.")


class RegistryIn(_Strict):
    """The central database's optional details of a group or a buyer (flat in JSON)."""

    subdistrict_code: str = Field(
        "",
        description="Official TIS-1099 (DOPA) sub-district (ตำบล) code, 6 digits, of a "
        "sub-district of the record's district (e.g. 901118 Phatong in 9011 Hat Yai).",
    )
    subdistrict: str = Field(
        "",
        description="Sub-district (ตำบล) name, Thai or English: alone it is looked up within the "
        "district; with a code it must be that code's name. Stored as the official Thai name.",
    )
    farm_area_rai: float | None = Field(None, description="Farm area in rai (groups).")
    contact_name: str = Field("", description="Contact person, who signs contracts.")
    contact_position: str = Field("", description="The contact person's position.")
    registration_no: str = Field(
        "", description="Community-enterprise or cooperative registration number."
    )
    tax_id: str = Field("", description="Thai tax id: 13 digits with its check digit.")
    source_agency: str = Field("", description="Agency that supplied the record.")
    source_date: date | None = Field(None, description="When that agency supplied it.")


class GroupIn(RegistryIn):
    id: str
    name_th: str
    name_en: str
    lat: float
    lon: float
    members: int
    kind: str = "community_enterprise"
    district: str = ""
    min_lot: StrictInt | None = Field(
        None, description="Smallest quantity delivered to one delivery (null: any)."
    )
    max_buyers_per_week: StrictInt | None = Field(
        None, description="Most buyers served in one week (null: no limit)."
    )


class CertificateIn(_Strict):
    id: str
    group_id: str
    scheme: str
    valid_from: date
    valid_until: date
    crops: list[str] = Field(default_factory=list)
    crop_groups: list[str] = Field(default_factory=list)
    scopes: list[str] = Field(default_factory=list, description="Extra recognitions: EU, COR.")
    certifier: str = ""
    revoked_on: date | None = None


class BuyerIn(RegistryIn):
    id: str
    name_th: str
    name_en: str
    kind: str
    lat: float
    lon: float
    district: str = ""
    non_delivery_weekdays: list[str] = Field(
        default_factory=list,
        description="Weekdays the kitchen does not receive deliveries, e.g. ['sat', 'sun'].",
    )
    non_delivery_dates: list[date] = Field(
        default_factory=list,
        description="Dates the kitchen does not receive deliveries (public holidays apart).",
    )


class SupplyIn(_Strict):
    id: str
    group_id: str
    crop_id: str
    scheme: str = Field(description="Certificate scheme the produce is grown under, or NONE.")
    weeks: dict[str, int] = Field(description="Quantity per ISO week, e.g. {'2026-W50': 120}.")
    asking_price: Price | None = Field(None, description="THB per unit.")
    fda_no: str = Field("", description="Thai FDA (อย.) registration number (processed products).")


class ScheduleIn(_Strict):
    start: date
    end: date
    weekdays: list[str] = Field(default_factory=lambda: ["mon"])


class OrderIn(_Strict):
    id: str
    buyer_id: str
    crop_id: str
    quantity: int = Field(description="Units per delivery.")
    deliveries: list[date] | None = None
    schedule: ScheduleIn | None = None
    min_tier: str = "SAFE"
    max_price: Price | None = Field(
        None, description="THB per unit: the highest ask and contract price; transport is on top."
    )
    max_distance_km: float | None = None
    max_suppliers: StrictInt | None = Field(
        None, description="Most groups sharing one delivery (1: single sourcing; null: any)."
    )
    purchase_order_no: str = Field("", description="The buyer's purchase-order or e-GP number.")
    price_includes_transport: bool = Field(
        True, description="Whether the price includes delivery to the kitchen."
    )
    on_holiday: str = Field(
        "previous_working_day",
        description="A delivery on a public holiday or a non-delivery day of the kitchen: "
        "previous_working_day (moved to the day before that is open) or refuse.",
    )


class RoadDistanceIn(_Strict):
    group_id: str
    buyer_id: str
    km: float


class InstanceIn(_Strict):
    """A matching instance: what one clearing needs."""

    format: Literal["foodmatch-instance/1"] = "foodmatch-instance/1"
    name: str = "instance"
    parameters: ParametersIn = Field(default_factory=ParametersIn)
    crops: list[CropIn] | None = Field(None, description="Omit to use the reference catalogue.")
    standards: dict[str, Any] | None = Field(
        None, description="Omit to use the reference relation (data/standards.json)."
    )
    groups: list[GroupIn] = Field(default_factory=list)
    certificates: list[CertificateIn] = Field(default_factory=list)
    buyers: list[BuyerIn] = Field(default_factory=list)
    supply: list[SupplyIn] = Field(default_factory=list)
    orders: list[OrderIn] = Field(default_factory=list)
    road_distances: list[RoadDistanceIn] = Field(default_factory=list)
    disruptions: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Events a scenario's message stream plays after the load (a flood week: "
        "the supply lines withdrawn and announced again); the solver ignores them.",
    )


class InstanceError(DomainError):
    """An instance file is not valid; ``problems`` lists each place and reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"invalid instance ({len(problems)} problem(s)):\n{shown}{more}")


def instance_json_schema() -> dict[str, Any]:
    return InstanceIn.model_json_schema()


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


R = TypeVar("R")
S = TypeVar("S")


def _each(items: list[S], where: str, build: Callable[[S], R], problems: list[str]) -> list[R]:
    out: list[R] = []
    for i, item in enumerate(items):
        try:
            out.append(build(item))
        except InvalidValue as err:
            problems.append(str(err.within(f"{where}[{i}]")))
    return out


def _price(value: Price | None, field: str) -> int | None:
    return None if value is None else satang(value, field)


def _crop(c: CropIn) -> Crop:
    return Crop(
        id=c.id,
        name_th=c.name_th,
        name_en=c.name_en,
        unit=_unit(c.unit),
        group=c.group,
        processed=c.processed,
        reference_price=_price(c.reference_price, "reference_price"),
    )


def _unit(text: str) -> Unit:
    try:
        return Unit(text.strip().lower())
    except ValueError:
        raise InvalidValue("unit", f"{text!r} is not one of kg, piece") from None


def _lower_enum(
    kind: type[BuyerKind] | type[GroupKind] | type[OnHoliday], text: str, field: str
) -> Any:
    try:
        return kind(text.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidValue(field, f"{text!r} is not one of {allowed}") from None


def group_from(g: GroupIn) -> FarmerGroup:
    return FarmerGroup(
        id=g.id,
        name_th=g.name_th,
        name_en=g.name_en,
        location=Location(g.lat, g.lon),
        members=g.members,
        kind=_lower_enum(GroupKind, g.kind, "kind"),
        district=g.district,
        min_lot=g.min_lot,
        max_buyers_per_week=g.max_buyers_per_week,
        registry=registry_from(g, g.district),
    )


def registry_from(r: RegistryIn, district: str) -> Registry:
    """The registry of a record of ``district``, its sub-district checked against the official
    codes and names (:func:`matcher.areas.official_subdistrict`: a name alone is looked up, a
    code alone gets its official Thai name)."""
    code, name = official_subdistrict(district, r.subdistrict_code, r.subdistrict)
    given = {field: getattr(r, field) for field in RegistryIn.model_fields}
    return Registry(**given | {"subdistrict_code": code, "subdistrict": name})


def buyer_from(b: BuyerIn) -> Buyer:
    return Buyer(
        id=b.id,
        name_th=b.name_th,
        name_en=b.name_en,
        kind=_lower_enum(BuyerKind, b.kind, "kind"),
        location=Location(b.lat, b.lon),
        district=b.district,
        registry=registry_from(b, b.district),
        non_delivery_weekdays=tuple(d.strip().lower() for d in b.non_delivery_weekdays),
        non_delivery_dates=tuple(b.non_delivery_dates),
    )


def certificate_from(c: CertificateIn) -> Certificate:
    return Certificate(
        id=c.id,
        group_id=c.group_id,
        scheme=parse_enum(Scheme, c.scheme, "scheme"),
        valid_from=c.valid_from,
        valid_until=c.valid_until,
        crops=frozenset(c.crops),
        crop_groups=frozenset(c.crop_groups),
        scopes=frozenset(s.upper() for s in c.scopes),
        certifier=c.certifier,
        revoked_on=c.revoked_on,
    )


def supply_from(s: SupplyIn) -> SupplyAnnouncement:
    try:
        return SupplyAnnouncement(
            id=s.id,
            group_id=s.group_id,
            crop_id=s.crop_id,
            scheme=parse_enum(Scheme, s.scheme, "scheme"),
            quantities=dict(s.weeks),
            asking_price=_price(s.asking_price, "asking_price"),
            fda_no=s.fda_no,
        )
    except InvalidValue as err:
        if err.field.startswith("quantities"):
            # The file calls the quantities "weeks".
            raise InvalidValue("weeks" + err.field[len("quantities") :], err.reason) from None
        raise


def order_from(o: OrderIn) -> ForwardOrder:
    common: dict[str, Any] = {
        "id": o.id,
        "buyer_id": o.buyer_id,
        "crop_id": o.crop_id,
        "quantity": o.quantity,
        "min_tier": parse_enum(Tier, o.min_tier, "min_tier"),
        "max_price": _price(o.max_price, "max_price"),
        "max_distance_km": o.max_distance_km,
        "max_suppliers": o.max_suppliers,
        "purchase_order_no": o.purchase_order_no,
        "price_includes_transport": o.price_includes_transport,
        "on_holiday": _lower_enum(OnHoliday, o.on_holiday, "on_holiday"),
    }
    if (o.schedule is None) == (o.deliveries is None):
        raise InvalidValue("deliveries", "give either deliveries or schedule (exactly one)")
    if o.schedule is not None:
        schedule = WeeklySchedule(
            start=o.schedule.start,
            end=o.schedule.end,
            weekdays=tuple(d.strip().lower() for d in o.schedule.weekdays),
        )
        return ForwardOrder.on_schedule(schedule=schedule, **common)
    return ForwardOrder(deliveries=tuple(o.deliveries or ()), **common)


def parameters_from(raw: Mapping[str, Any]) -> Parameters:
    """Parameters from their JSON form (as under ``parameters`` in an instance file)."""
    try:
        return _parameters(ParametersIn.model_validate(raw))
    except PydanticError as err:
        first = err.errors()[0]
        raise InvalidValue(f"parameters.{_loc(tuple(first['loc']))}", first["msg"]) from None


def _parameters(p: ParametersIn) -> Parameters:
    weights = dict(Parameters().priority_weights)
    for kind, weight in p.priority_weights.items():
        weights[_lower_enum(BuyerKind, kind, f"priority_weights.{kind}")] = weight
    rates = dict(Parameters().transport_cost_per_unit_km)
    rates.update({_unit(u): r for u, r in p.transport_cost_per_unit_km.items()})
    references: dict[tuple[str, Scheme], int] = {}
    for i, r in enumerate(p.reference_prices):
        where = f"reference_prices[{i}]"
        scheme = parse_enum(Scheme, r.scheme, f"{where}.scheme")
        references[(r.crop_id, scheme)] = satang(r.price, f"{where}.price")
    return Parameters(
        road_factor=p.road_factor,
        transport_cost_per_unit_km=rates,
        priority_weights=weights,
        default_max_distance_km=p.default_max_distance_km,
        pricing_policy=_policy(p.pricing_policy),
        reference_prices=references,
        fairness=_lower(FairnessPolicy, p.fairness, "fairness"),
        fairness_weight=p.fairness_weight,
        fairness_steps=p.fairness_steps,
        continuity_weight=p.continuity_weight,
        max_suppliers=p.max_suppliers,
        min_lot=p.min_lot,
        max_buyers_per_week=p.max_buyers_per_week,
        time_limit_seconds=p.time_limit_seconds,
    )


def _policy(text: str) -> PricingPolicy:
    return _lower(PricingPolicy, text, "pricing_policy")


def _lower(kind: type[L], text: str, field: str) -> L:
    try:
        return kind(text.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidValue(field, f"{text!r} is not one of {allowed}") from None


def _road_problems(
    rows: list[RoadDistanceIn], group_ids: set[str], buyer_ids: set[str]
) -> list[str]:
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(rows):
        where = f"road_distances[{i}]"
        if not r.km >= 0:
            problems.append(f"{where}.km: {r.km} must not be negative")
        if r.group_id not in group_ids:
            problems.append(f"{where}.group_id: no group with id {r.group_id!r}")
        if r.buyer_id not in buyer_ids:
            problems.append(f"{where}.buyer_id: no buyer with id {r.buyer_id!r}")
        if (r.group_id, r.buyer_id) in seen:
            problems.append(f"{where}: the pair {r.group_id}/{r.buyer_id} appears twice")
        seen.add((r.group_id, r.buyer_id))
    return problems


def parse_instance(raw: Mapping[str, Any]) -> MatchingInstance:
    """Check a decoded instance file and build the domain instance.

    Raises :class:`InstanceError` listing every problem with its place in the file.
    """
    try:
        doc = InstanceIn.model_validate(raw)
    except PydanticError as err:
        raise InstanceError(
            [f"{_loc(tuple(e['loc']))}: {e['msg']}" for e in err.errors()]
        ) from None
    problems: list[str] = []
    try:
        parameters = _parameters(doc.parameters)
    except InvalidValue as err:
        problems.append(str(err.within("parameters")))
        parameters = Parameters()
    if doc.crops is None:
        from matcher.reference import load_crops

        crops = load_crops()
    else:
        crops = {c.id: c for c in _each(doc.crops, "crops", _crop, problems)}
    try:
        if doc.standards is None:
            from matcher.reference import load_standards

            standards = load_standards()
        else:
            standards = StandardsRelation.from_mapping(doc.standards)
    except InvalidValue as err:
        problems.append(str(err))
        standards = StandardsRelation(rules={})
    groups = _each(doc.groups, "groups", group_from, problems)
    buyers = _each(doc.buyers, "buyers", buyer_from, problems)
    certificates = _each(doc.certificates, "certificates", certificate_from, problems)
    supply = _each(doc.supply, "supply", supply_from, problems)
    orders = _each(doc.orders, "orders", order_from, problems)
    for where, items in (("groups", groups), ("buyers", buyers)):
        counts = Counter(item.id for item in items)
        problems += [f"{where}: id {i!r} appears twice" for i, n in sorted(counts.items()) if n > 1]
    problems += _road_problems(doc.road_distances, {g.id for g in groups}, {b.id for b in buyers})
    if problems:
        raise InstanceError(problems)
    try:
        return MatchingInstance(
            name=doc.name,
            crops=crops,
            standards=standards,
            groups={g.id: g for g in groups},
            buyers={b.id: b for b in buyers},
            certificates=tuple(certificates),
            supply=tuple(supply),
            orders=tuple(orders),
            parameters=parameters,
            road_distances={(r.group_id, r.buyer_id): r.km for r in doc.road_distances},
        )
    except InvalidValue as err:
        raise InstanceError([str(err)]) from None
