"""The domain model: crops, places, participants, certificates, supply and forward orders.

Plain frozen dataclasses. Each checks its own values on construction and raises
:class:`~matcher.domain.errors.InvalidValue` naming the field and the reason.
Money is held as whole satang (1 THB = 100 satang); quantities as whole units of the crop's unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from matcher.domain.calendar import (
    ClosedDays,
    DateChange,
    OnHoliday,
    apply_calendar,
    kitchen_closed,
)
from matcher.domain.errors import InvalidValue, require
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week, parse_week

Satang = int


class Unit(StrEnum):
    KG = "kg"
    PIECE = "piece"


class BuyerKind(StrEnum):
    """The "6 ร." institutions and the rest."""

    HOSPITAL = "hospital"
    SCHOOL = "school"
    PRISON = "prison"
    FACTORY = "factory"
    HOTEL = "hotel"
    RESTAURANT = "restaurant"
    OTHER = "other"


class GroupKind(StrEnum):
    COOPERATIVE = "cooperative"
    COMMUNITY_ENTERPRISE = "community_enterprise"
    FARMER_GROUP = "farmer_group"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

MAX_QUANTITY = 1_000_000_000
"""The most units one delivery or one week of supply may hold (far above any real kitchen)."""
MAX_MEMBERS = 1_000_000
MAX_DISTANCE_KM = 20_000
MAX_LIMIT = 1_000
"""Upper bound of a count limit (suppliers per delivery, buyers per week)."""
"""Half the Earth's circumference: a larger radius means nothing (and infinity is refused)."""
MAX_PRICE = 1_000_000_000
"""The highest unit price accepted, in satang (10,000,000 THB)."""


def satang(value: object, field: str) -> Satang:
    """Read a price in THB (number or decimal string, at most 2 decimals) as whole satang."""
    if isinstance(value, bool):
        raise InvalidValue(field, "must be a price in THB, not a boolean")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidValue(field, f"{value!r} is not a price in THB") from None
    if not amount.is_finite():
        raise InvalidValue(field, "must be a finite price")
    require(amount >= 0, field, "must not be negative")
    require(amount * 100 <= MAX_PRICE, field, f"is above the limit of {MAX_PRICE // 100:,} THB")
    cents = amount * 100
    require(cents == cents.to_integral_value(), field, "has more than 2 decimals (satang)")
    return int(cents)


def thb(amount: Satang) -> str:
    """Whole satang as a THB decimal string (``1234`` -> ``"12.34"``)."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d}"


def _optional_count(value: int | None, field: str, limit: int) -> None:
    """A limit that is either absent or a whole number from 1 to ``limit``."""
    if value is None:
        return
    require(
        isinstance(value, int) and not isinstance(value, bool),
        field,
        "must be a whole number",
    )
    require(1 <= value <= limit, field, f"{value} must be from 1 to {limit:,}")


def _text(value: str, field: str) -> None:
    require(isinstance(value, str) and value.strip() != "", field, "must not be empty")


MAX_FARM_AREA_RAI = 10_000_000
"""The largest farm area accepted, in rai (1 rai = 1,600 m²; Songkhla is about 4.6 million rai)."""


def thai_tax_id_ok(text: str) -> bool:
    """True when ``text`` is a Thai tax id: 13 digits whose last is the check digit of the
    first twelve (each times 13 down to 2, summed; the check digit is (11 - sum mod 11) mod 10)."""
    if len(text) != 13 or not text.isascii() or not text.isdigit():
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(text[:12]))
    return (11 - total % 11) % 10 == int(text[12])


@dataclass(frozen=True, slots=True)
class Registry:
    """What the central database records of a group or a buyer besides its name and place: its
    sub-district (ตำบล, TIS-1099 code and name), farm area in rai, contact person, registration
    number (community enterprise or cooperative), tax id, and its provenance (the agency that
    supplied the record and when). Every field is optional."""

    subdistrict_code: str = ""
    subdistrict: str = ""
    farm_area_rai: float | None = None
    contact_name: str = ""
    contact_position: str = ""
    registration_no: str = ""
    tax_id: str = ""
    source_agency: str = ""
    source_date: date | None = None

    def __post_init__(self) -> None:
        for name in (
            "subdistrict_code",
            "subdistrict",
            "contact_name",
            "contact_position",
            "registration_no",
            "tax_id",
            "source_agency",
        ):
            value = getattr(self, name)
            require(isinstance(value, str), name, "must be text")
            require(len(value) <= 200, name, "must be at most 200 characters")
            object.__setattr__(self, name, value.strip())
        code = self.subdistrict_code
        require(
            code == "" or (len(code) == 6 and code.isascii() and code.isdigit()),
            "subdistrict_code",
            f"{code!r} must be the 6-digit TIS-1099 sub-district code (e.g. 901101)",
        )
        require(
            self.tax_id == "" or thai_tax_id_ok(self.tax_id),
            "tax_id",
            f"{self.tax_id!r} must be a Thai tax id: 13 digits ending with its check digit",
        )
        if self.farm_area_rai is not None:
            area = self.farm_area_rai
            require(
                isinstance(area, int | float) and not isinstance(area, bool),
                "farm_area_rai",
                "must be a number of rai",
            )
            require(
                0 <= area <= MAX_FARM_AREA_RAI,  # NaN fails too
                "farm_area_rai",
                f"must be from 0 to {MAX_FARM_AREA_RAI:,} rai",
            )


NO_REGISTRY = Registry()
REGISTRY_FIELDS = tuple(f.name for f in fields(Registry))


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float

    def __post_init__(self) -> None:
        require(-90.0 <= self.lat <= 90.0, "lat", f"{self.lat} is outside -90..90")  # also NaN
        require(-180.0 <= self.lon <= 180.0, "lon", f"{self.lon} is outside -180..180")


@dataclass(frozen=True, slots=True)
class Crop:
    id: str
    name_th: str
    name_en: str
    unit: Unit
    group: str = "other"
    processed: bool = False
    reference_price: Satang | None = None

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.name_th, "name_th")
        _text(self.name_en, "name_en")
        require(isinstance(self.unit, Unit), "unit", "must be kg or piece")
        if self.reference_price is not None:
            require(self.reference_price >= 0, "reference_price", "must not be negative")


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate held by a group: scheme, validity dates and crop scope.

    ``crops`` and ``crop_groups`` give the scope; both empty means the whole farm (every crop).
    ``scopes`` lists extra recognitions, such as ``EU`` or ``COR`` for an ACT/IFOAM certificate.
    """

    id: str
    group_id: str
    scheme: Scheme
    valid_from: date
    valid_until: date
    crops: frozenset[str] = frozenset()
    crop_groups: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    certifier: str = ""
    revoked_on: date | None = None

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.group_id, "group_id")
        require(self.scheme is not Scheme.NONE, "scheme", "NONE is not a certificate scheme")
        # Scopes are recognitions such as EU or COR, in upper case whatever the input's case.
        object.__setattr__(self, "scopes", frozenset(s.strip().upper() for s in self.scopes))
        require(
            self.valid_until >= self.valid_from,
            "valid_until",
            f"{self.valid_until} is before valid_from {self.valid_from}",
        )

    def valid_on(self, day: date) -> bool:
        if self.revoked_on is not None and day >= self.revoked_on:
            return False
        return self.valid_from <= day <= self.valid_until

    def covers(self, crop: Crop) -> bool:
        if not self.crops and not self.crop_groups:
            return True
        return crop.id in self.crops or crop.group in self.crop_groups


@dataclass(frozen=True, slots=True)
class FarmerGroup:
    id: str
    name_th: str
    name_en: str
    location: Location
    members: int
    kind: GroupKind = GroupKind.COMMUNITY_ENTERPRISE
    district: str = ""
    min_lot: int | None = None
    """Smallest quantity the group delivers to one delivery (units of the crop); None: any."""
    max_buyers_per_week: int | None = None
    """Most buyers the group serves in one week; None: no limit."""
    registry: Registry = NO_REGISTRY

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.name_th, "name_th")
        _text(self.name_en, "name_en")
        require(self.members >= 1, "members", "a group has at least one member")
        require(self.members <= MAX_MEMBERS, "members", f"is above the limit of {MAX_MEMBERS:,}")
        _optional_count(self.min_lot, "min_lot", MAX_QUANTITY)
        _optional_count(self.max_buyers_per_week, "max_buyers_per_week", MAX_LIMIT)


@dataclass(frozen=True, slots=True)
class Buyer:
    id: str
    name_th: str
    name_en: str
    kind: BuyerKind
    location: Location
    district: str = ""
    registry: Registry = NO_REGISTRY
    non_delivery_weekdays: tuple[str, ...] = ()
    """Weekdays the kitchen does not receive deliveries ("sat", "sun"...)."""
    non_delivery_dates: tuple[date, ...] = ()
    """Dates the kitchen does not receive deliveries (besides public holidays)."""

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.name_th, "name_th")
        _text(self.name_en, "name_en")
        _non_delivery_days(self)

    def closed_days(self) -> ClosedDays:
        """The kitchen's own non-delivery days (public holidays come from the calendar)."""
        return kitchen_closed(self.non_delivery_weekdays, self.non_delivery_dates)


MAX_NON_DELIVERY_DATES = 1_000


def _non_delivery_days(b: Buyer) -> None:
    for n, day in enumerate(b.non_delivery_weekdays):
        require(day in WEEKDAYS, f"non_delivery_weekdays.{n}", f"{day!r} is not one of {WEEKDAYS}")
    weekdays = tuple(d for d in WEEKDAYS if d in b.non_delivery_weekdays)
    require(
        len(weekdays) < len(WEEKDAYS),
        "non_delivery_weekdays",
        "a kitchen receives deliveries on at least one weekday",
    )
    require(
        len(b.non_delivery_dates) <= MAX_NON_DELIVERY_DATES,
        "non_delivery_dates",
        f"give at most {MAX_NON_DELIVERY_DATES:,} dates",
    )
    object.__setattr__(b, "non_delivery_weekdays", weekdays)
    object.__setattr__(b, "non_delivery_dates", tuple(sorted(set(b.non_delivery_dates))))


@dataclass(frozen=True, slots=True)
class SupplyAnnouncement:
    """A group's offer of one crop under one scheme: a quantity per ISO week."""

    id: str
    group_id: str
    crop_id: str
    scheme: Scheme
    quantities: Mapping[str, int]
    asking_price: Satang | None = None
    fda_no: str = ""
    """The product's Thai FDA (อย.) registration number, for a processed product ("": none)."""

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.group_id, "group_id")
        _text(self.crop_id, "crop_id")
        require(len(self.quantities) > 0, "quantities", "announce at least one week")
        normalised: dict[str, int] = {}
        for week, qty in self.quantities.items():
            key = parse_week(week, f"quantities.{week}")
            require(
                isinstance(qty, int) and not isinstance(qty, bool) and 0 < qty <= MAX_QUANTITY,
                f"quantities.{week}",
                f"{qty!r} must be a whole number from 1 to {MAX_QUANTITY:,}",
            )
            normalised[key] = qty
        object.__setattr__(self, "quantities", normalised)
        if self.asking_price is not None:
            require(self.asking_price >= 0, "asking_price", "must not be negative")
        require(
            isinstance(self.fda_no, str) and len(self.fda_no) <= 50,
            "fda_no",
            "must be text of at most 50 characters",
        )
        object.__setattr__(self, "fda_no", self.fda_no.strip())


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Deliveries on the given weekdays of every week from ``start`` to ``end`` inclusive."""

    start: date
    end: date
    weekdays: tuple[str, ...] = ("mon",)

    def __post_init__(self) -> None:
        require(self.end >= self.start, "schedule.end", f"{self.end} is before {self.start}")
        require(len(self.weekdays) > 0, "schedule.weekdays", "name at least one weekday")
        for n, day in enumerate(self.weekdays):  # the refusal names the item: schedule.weekdays.1
            require(day in WEEKDAYS, f"schedule.weekdays.{n}", f"{day!r} is not one of {WEEKDAYS}")
        require(
            (self.end - self.start).days <= 366 * 2,
            "schedule.end",
            "a season lasts at most two years",
        )

    def dates(self) -> tuple[date, ...]:
        wanted = {WEEKDAYS.index(d) for d in self.weekdays}
        out: list[date] = []
        day = self.start
        while day <= self.end:
            if day.weekday() in wanted:
                out.append(day)
            day += timedelta(days=1)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class ForwardOrder:
    """A kitchen's forward order: the same quantity on each delivery date."""

    id: str
    buyer_id: str
    crop_id: str
    quantity: int
    deliveries: tuple[date, ...]
    min_tier: Tier = Tier.SAFE
    max_price: Satang | None = None
    max_distance_km: float | None = None
    schedule: WeeklySchedule | None = field(default=None, compare=False)
    max_suppliers: int | None = None
    """Most groups that may share one delivery (1: single sourcing); None: no limit."""
    purchase_order_no: str = ""
    """The buyer's purchase-order or e-GP number, printed on the contract ("": none given)."""
    price_includes_transport: bool = True
    """Whether the agreed price includes delivery to the kitchen (groups deliver: yes)."""
    on_holiday: OnHoliday = OnHoliday.PREVIOUS_WORKING_DAY
    """What a delivery on a public holiday or a kitchen's non-delivery day does."""
    date_changes: tuple[DateChange, ...] = ()
    """The dates the calendar moved or dropped at submission (see :meth:`on_calendar`)."""

    def __post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.buyer_id, "buyer_id")
        _text(self.crop_id, "crop_id")
        require(
            isinstance(self.quantity, int) and not isinstance(self.quantity, bool),
            "quantity",
            "must be a whole number",
        )
        require(self.quantity > 0, "quantity", f"{self.quantity} must be above 0")
        require(
            self.quantity <= MAX_QUANTITY,
            "quantity",
            f"{self.quantity} is above the limit of {MAX_QUANTITY:,}",
        )
        first: dict[date, int] = {}
        for i, day in enumerate(self.deliveries):
            if day in first:
                raise InvalidValue(
                    "deliveries",
                    f"{day.isoformat()} is given twice (at positions {first[day]} and {i}): give "
                    "each delivery date once; the quantity is per delivery",
                )
            first[day] = i
        deliveries = tuple(sorted(self.deliveries))
        require(len(deliveries) > 0, "deliveries", "give delivery dates or a schedule")
        object.__setattr__(self, "deliveries", deliveries)
        if self.max_price is not None:
            require(self.max_price >= 0, "max_price", "must not be negative")
        if self.max_distance_km is not None:
            require(self.max_distance_km > 0, "max_distance_km", "must be above 0 km")
            require(
                self.max_distance_km <= MAX_DISTANCE_KM,
                "max_distance_km",
                f"must be at most {MAX_DISTANCE_KM:,} km",
            )
        _optional_count(self.max_suppliers, "max_suppliers", MAX_LIMIT)
        require(
            isinstance(self.purchase_order_no, str) and len(self.purchase_order_no) <= 100,
            "purchase_order_no",
            "must be text of at most 100 characters",
        )
        object.__setattr__(self, "purchase_order_no", self.purchase_order_no.strip())
        require(
            self.on_holiday in set(OnHoliday),
            "on_holiday",
            f"{self.on_holiday!r} is not one of {[r.value for r in OnHoliday]}",
        )
        object.__setattr__(self, "on_holiday", OnHoliday(self.on_holiday))

    @classmethod
    def on_schedule(
        cls,
        *,
        id: str,
        buyer_id: str,
        crop_id: str,
        quantity: int,
        schedule: WeeklySchedule,
        min_tier: Tier = Tier.SAFE,
        max_price: Satang | None = None,
        max_distance_km: float | None = None,
        max_suppliers: int | None = None,
        purchase_order_no: str = "",
        price_includes_transport: bool = True,
        on_holiday: OnHoliday = OnHoliday.PREVIOUS_WORKING_DAY,
    ) -> ForwardOrder:
        dates = schedule.dates()
        if not dates:
            raise InvalidValue("schedule", "the schedule has no delivery day between its dates")
        return cls(
            id=id,
            buyer_id=buyer_id,
            crop_id=crop_id,
            quantity=quantity,
            deliveries=dates,
            min_tier=min_tier,
            max_price=max_price,
            max_distance_km=max_distance_km,
            schedule=schedule,
            max_suppliers=max_suppliers,
            purchase_order_no=purchase_order_no,
            price_includes_transport=price_includes_transport,
            on_holiday=on_holiday,
        )

    def on_calendar(self, closed: ClosedDays) -> ForwardOrder:
        """The order with its deliveries on closed days moved or dropped by its ``on_holiday``
        rule (see :mod:`matcher.domain.calendar`); the same order when none is closed."""
        if self.date_changes:
            return self
        days, changes = apply_calendar(
            self.deliveries, self.on_holiday, closed, listed=self.schedule is None
        )
        if not changes:
            return self
        return replace(self, deliveries=days, date_changes=changes)

    def weeks(self) -> list[str]:
        return sorted({iso_week(d) for d in self.deliveries})
