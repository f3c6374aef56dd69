"""The matching-instance JSON (``foodmatch-instance/1``) of a generated scenario."""

from __future__ import annotations

from typing import Any

from matcher.domain.model import thb
from matcher.scenario.certs import CertRec
from matcher.scenario.parts import BuyerRec, Ctx, OrderRec, parameters
from matcher.scenario.registry import buyer_details, group_details
from matcher.scenario.supply import GroupRec, SupplyRec

FORMAT = "foodmatch-instance/1"


def order_json(number: int, order: OrderRec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f"ord-{number:05d}",
        "buyer_id": order.buyer.id,
        "crop_id": order.crop_id,
        "quantity": order.quantity,
    }
    if order.explicit:
        out["deliveries"] = [d.isoformat() for d in order.dates]
    else:
        out["schedule"] = {
            "start": order.start.isoformat(),
            "end": order.end.isoformat(),
            "weekdays": list(order.weekdays),
        }
    out["min_tier"] = order.min_tier.value
    out["max_price"] = thb(order.max_price) if order.max_price is not None else None
    out["max_distance_km"] = order.max_distance_km
    return out


def assemble(
    ctx: Ctx,
    name: str,
    buyers: list[BuyerRec],
    groups: list[GroupRec],
    certificates: list[CertRec],
    supply: list[SupplyRec],
    orders: list[OrderRec],
    roads: list[dict[str, Any]],
) -> dict[str, Any]:
    used = {o.crop_id for o in orders} | {s.crop_id for s in supply}
    crops = [c for c in ctx.crops.values() if c.id in used]
    return {
        "format": FORMAT,
        "name": name,
        "parameters": parameters(),
        "crops": [
            {
                "id": c.id,
                "name_th": c.name_th,
                "name_en": c.name_en,
                "unit": c.unit.value,
                "group": c.group,
                "processed": c.processed,
                "reference_price": thb(c.reference_price)
                if c.reference_price is not None
                else None,
            }
            for c in crops
        ],
        "groups": [
            {
                "id": g.id,
                "name_th": g.name_th,
                "name_en": g.name_en,
                "kind": g.kind.value,
                "district": g.district,
                "lat": g.lat,
                "lon": g.lon,
                "members": g.members,
                **group_details(n, g),
            }
            for n, g in enumerate(groups, start=1)
        ],
        "certificates": [
            {
                "id": c.id,
                "group_id": c.group_id,
                "scheme": c.scheme.value,
                "valid_from": c.valid_from.isoformat(),
                "valid_until": c.valid_until.isoformat(),
                "crops": c.crops,
                "crop_groups": c.crop_groups,
                "scopes": c.scopes,
                "certifier": c.certifier,
            }
            for c in certificates
        ],
        "buyers": [
            {
                "id": b.id,
                "name_th": b.name_th,
                "name_en": b.name_en,
                "kind": b.kind.value,
                "district": b.district,
                "lat": b.lat,
                "lon": b.lon,
                **buyer_details(n, b),
            }
            for n, b in enumerate(buyers, start=1)
        ],
        "supply": [
            {
                "id": f"sup-{i:05d}",
                "group_id": s.group.id,
                "crop_id": s.crop_id,
                "scheme": s.scheme.value,
                "weeks": dict(s.weeks),
                "asking_price": thb(s.asking_price),
            }
            for i, s in enumerate(supply, start=1)
        ],
        "orders": [order_json(i, o) for i, o in enumerate(orders, start=1)],
        "road_distances": roads,
    }
