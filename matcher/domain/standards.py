"""Standard tiers, certificate schemes and the relation of which satisfies which.

The relation is data: :class:`StandardsRelation` is built from a mapping (the reference copy lives
in ``data/standards.json``) so that a province can change it without touching code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from matcher.domain.errors import InvalidValue, require


class Tier(StrEnum):
    """The minimum standard a buyer can require, lowest first."""

    ANY = "ANY"
    SAFE = "SAFE"
    ORGANIC = "ORGANIC"
    ORGANIC_CERTIFIED = "ORGANIC_CERTIFIED"
    EU = "EU"
    USDA = "USDA"
    COR = "COR"


class Scheme(StrEnum):
    """Certificate schemes a farmer group can hold (``NONE``: produce without a certificate)."""

    NONE = "NONE"
    THAI_GAP = "THAI_GAP"
    LIVESTOCK_GAP = "LIVESTOCK_GAP"
    ORGANIC_CONVERSION = "ORGANIC_CONVERSION"
    PGS = "PGS"
    ORGANIC_THAILAND = "ORGANIC_THAILAND"
    ACT_IFOAM = "ACT_IFOAM"
    EU_ORGANIC = "EU_ORGANIC"
    USDA_NOP = "USDA_NOP"
    COR = "COR"
    GMP = "GMP"


E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], value: object, field: str) -> E:
    """Read an enum member by value (case-insensitive); the error lists the allowed values."""
    if isinstance(value, kind):
        return value
    text = str(value).strip().upper() if value is not None else ""
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidValue(field, f"{value!r} is not one of {allowed}") from None


@dataclass(frozen=True, slots=True)
class SchemeRule:
    """What one scheme satisfies: tiers outright, and tiers needing a recognised scope."""

    scheme: Scheme
    name_en: str
    name_th: str
    satisfies: frozenset[Tier]
    satisfies_with_scope: Mapping[Tier, str] = field(default_factory=dict)
    food_safety: bool = False
    needs_certificate: bool = True
    crop_groups: frozenset[str] = frozenset()
    """The only crop groups the scheme certifies (empty: any), e.g. livestock GAP: ``egg``."""
    not_crop_groups: frozenset[str] = frozenset()
    """Crop groups the scheme does not certify, e.g. crop GAP (TAS 9001): not ``egg``."""

    def __post_init__(self) -> None:
        # Scopes are compared as certificates hold them: upper case ("eu" is "EU").
        scoped = {tier: scope.strip().upper() for tier, scope in self.satisfies_with_scope.items()}
        object.__setattr__(self, "satisfies_with_scope", scoped)

    def applies_to(self, crop_group: str) -> bool:
        """Whether the scheme can certify a crop of ``crop_group`` at all (eggs need livestock
        GAP, TAS 6909, not crop GAP, TAS 9001)."""
        if crop_group in self.not_crop_groups:
            return False
        return not self.crop_groups or crop_group in self.crop_groups


@dataclass(frozen=True, slots=True)
class StandardsRelation:
    """Which certificate scheme satisfies which buyer tier."""

    rules: Mapping[Scheme, SchemeRule]

    def satisfies(self, scheme: Scheme, tier: Tier, scopes: Iterable[str] = ()) -> bool:
        """True when a certificate of ``scheme`` (recognised for ``scopes``) meets ``tier``."""
        rule = self.rules.get(scheme)
        if rule is None:
            return False
        if tier in rule.satisfies:
            return True
        needed = rule.satisfies_with_scope.get(tier)
        return needed is not None and needed in {s.strip().upper() for s in scopes}

    def rule(self, scheme: Scheme) -> SchemeRule:
        try:
            return self.rules[scheme]
        except KeyError:
            raise InvalidValue("scheme", f"{scheme} is not in the standards relation") from None

    def applies_to(self, scheme: Scheme, crop_group: str) -> bool:
        """Whether a certificate of ``scheme`` can cover a crop of ``crop_group`` (an unknown
        scheme: no)."""
        rule = self.rules.get(scheme)
        return rule is not None and rule.applies_to(crop_group)

    def food_safety_schemes(self) -> frozenset[Scheme]:
        """Schemes that count as a food-safety credential (needed for processed products)."""
        return frozenset(s for s, r in self.rules.items() if r.food_safety)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> StandardsRelation:
        """Build the relation from its data form (see ``data/standards.json``)."""
        schemes = raw.get("schemes")
        require(isinstance(schemes, Mapping), "standards.schemes", "must be an object")
        assert isinstance(schemes, Mapping)
        rules: dict[Scheme, SchemeRule] = {}
        for key, body in schemes.items():
            where = f"standards.schemes.{key}"
            scheme = parse_enum(Scheme, key, where)
            require(isinstance(body, Mapping), where, "must be an object")
            tiers = frozenset(
                parse_enum(Tier, t, f"{where}.satisfies") for t in body.get("satisfies", [])
            )
            scoped = {
                parse_enum(Tier, t, f"{where}.satisfies_with_scope"): str(scope)
                for t, scope in dict(body.get("satisfies_with_scope", {})).items()
            }
            rules[scheme] = SchemeRule(
                scheme=scheme,
                name_en=str(body.get("name_en", scheme.value)),
                name_th=str(body.get("name_th", scheme.value)),
                satisfies=tiers,
                satisfies_with_scope=scoped,
                food_safety=bool(body.get("food_safety", False)),
                needs_certificate=bool(body.get("needs_certificate", True)),
                crop_groups=frozenset(str(g) for g in body.get("crop_groups", [])),
                not_crop_groups=frozenset(str(g) for g in body.get("not_crop_groups", [])),
            )
        return cls(rules=rules)
