"""Certificates of the synthetic farmer groups: validity periods and crop scopes.

GAP certificates run three years and organic ones one year (both (?) in the facts file). A few
expire or start inside the season and a few scopes miss a crop the group announces, so that the
matcher meets "certificate_invalid" and "crop_not_covered".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from matcher.domain.standards import Scheme
from matcher.scenario.parts import Ctx
from matcher.scenario.supply import GroupRec

CERTIFIER = {
    Scheme.THAI_GAP: "Department of Agriculture",
    Scheme.ORGANIC_CONVERSION: "SDGsPGS",
    Scheme.ORGANIC_THAILAND: "Department of Agriculture",
    Scheme.ACT_IFOAM: "ACT",
    Scheme.EU_ORGANIC: "EU-recognised control body",
    Scheme.USDA_NOP: "USDA-accredited certifier",
    Scheme.COR: "CFIA-accredited certifier",
    Scheme.GMP: "Thai FDA",
}


@dataclass(slots=True)
class CertRec:
    id: str
    group_id: str
    scheme: Scheme
    valid_from: date
    valid_until: date
    crops: list[str]
    crop_groups: list[str]
    scopes: list[str]
    certifier: str


def _years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _validity(rng: Random, ctx: Ctx, years: int, flag: str) -> tuple[date, date]:
    start, days = ctx.season.start, ctx.season.days
    span = (_years(start, years) - start).days
    inside = timedelta(days=rng.randint(days // 4, days * 3 // 4))  # well inside the season
    if flag == "expires":
        until = start + inside
        return _years(until, -years) + timedelta(days=1), until
    if flag == "starts":
        begin = start + inside
    else:
        begin = start - timedelta(days=rng.randint(7, max(7, span - days - 7)))
    return begin, _years(begin, years) - timedelta(days=1)


def _scope(ctx: Ctx, group: GroupRec, drop: str | None) -> tuple[list[str], list[str]]:
    """Crop scope of the production certificate: (crops, crop_groups); ``drop`` is left out."""
    rng = ctx.rng
    kind = {c: ctx.crops[c].group for c in group.crops}
    if drop is None:
        if group.scheme is Scheme.THAI_GAP:
            return sorted(group.crops), []
        if group.scheme in (Scheme.PGS, Scheme.ORGANIC_CONVERSION) and rng.random() < 0.6:
            return [], []
        return [], sorted(set(kind.values()))
    others = [c for c in group.crops if c != drop]
    if not others:
        return [], ["herb" if kind[drop] == "leafy" else "leafy"]
    if group.scheme is Scheme.THAI_GAP or any(kind[c] == kind[drop] for c in others):
        return sorted(others), []
    return [], sorted({kind[c] for c in others})


def make_certificates(
    ctx: Ctx,
    groups: list[GroupRec],
    expires: Iterable[str] = (),
    uncovered: dict[str, str] | None = None,
) -> list[CertRec]:
    """Production certificates (plus GMP for most rice groups). A few certificates expire or
    start inside the season, and a few scopes miss a crop the group announces; ``expires`` and
    ``uncovered`` (group id -> crop id) force these for chosen groups."""
    rng = ctx.rng
    flags, drops = _flaws(rng, groups, expires, uncovered)
    rice = [g for g in groups if any(ctx.crops[c].group == "staple" for c in g.crops)]
    with_gmp = {g.id for g in rice} - {g.id for g in rng.sample(rice, len(rice) // 5)}
    out: list[CertRec] = []
    spans: dict[str, tuple[date, date]] = {}
    for group in groups:
        if group.scheme is not Scheme.NONE:
            years = 3 if group.scheme is Scheme.THAI_GAP else 1
            span = spans[group.id] = _validity(rng, ctx, years, flags.get(group.id, ""))
            scope = _scope(ctx, group, drops.get(group.id))
            out.append(_certificate(rng, len(out) + 1, group, group.scheme, span, scope))
        if group.id in with_gmp:
            span = _validity(rng, ctx, 3, "")
            out.append(_certificate(rng, len(out) + 1, group, Scheme.GMP, span, ([], ["staple"])))
    # A GAP farm that keeps layers holds livestock GAP (TAS 6909) for its eggs beside crop GAP
    # (TAS 9001), over the same years; numbered after the others so that their ids stay.
    for group in groups:
        if group.scheme is Scheme.THAI_GAP and "eggs" in group.crops:
            span = spans[group.id]
            egg_scope: tuple[list[str], list[str]] = (["eggs"], [])
            out.append(
                _certificate(rng, len(out) + 1, group, Scheme.LIVESTOCK_GAP, span, egg_scope)
            )
    return out


def _flaws(
    rng: Random,
    groups: list[GroupRec],
    expires: Iterable[str],
    uncovered: dict[str, str] | None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The certified groups whose certificate "expires" or "starts" inside the season (group id
    -> flag), and those whose scope leaves out a crop they announce (group id -> crop id): the
    forced ones and a few more drawn at random."""
    certified = [g for g in groups if g.scheme is not Scheme.NONE]
    flags: dict[str, str] = {g: "expires" for g in expires}
    drops: dict[str, str] = dict(uncovered or {})
    pool = [g for g in certified if g.id not in flags and g.id not in drops]
    rng.shuffle(pool)
    m = len(certified)
    n_expire = max(0, max(2, round(0.04 * m)) - len(flags)) if m >= 10 else 0
    n_start = max(1, round(0.03 * m)) if m >= 10 else 0
    n_drop = max(0, max(2, round(0.05 * m)) - len(drops)) if m >= 10 else 0
    for group in pool[:n_expire]:
        flags[group.id] = "expires"
    for group in pool[n_expire : n_expire + n_start]:
        flags[group.id] = "starts"
    for group in pool[n_expire + n_start :]:
        if n_drop == 0:
            break
        if len(group.crops) >= 2:
            drops[group.id] = group.crops[-1]
            n_drop -= 1
    return flags, drops


def _certificate(
    rng: Random,
    number: int,
    group: GroupRec,
    scheme: Scheme,
    span: tuple[date, date],
    scope: tuple[list[str], list[str]],
) -> CertRec:
    """The group's ``number``-th certificate of the market under ``scheme``."""
    certifier = CERTIFIER.get(scheme, "")
    if scheme is Scheme.PGS:
        certifier = rng.choice(("SDGsPGS", "SGS-PGS"))
    elif scheme is Scheme.LIVESTOCK_GAP:
        certifier = "Department of Livestock Development"
    return CertRec(
        id=f"cert-{number:04d}",
        group_id=group.id,
        scheme=scheme,
        valid_from=span[0],
        valid_until=span[1],
        crops=scope[0],
        crop_groups=scope[1],
        scopes=list(group.scopes) if scheme is group.scheme else [],
        certifier=certifier,
    )
