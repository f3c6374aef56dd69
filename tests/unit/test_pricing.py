"""Pricing policies: the contract's unit price, always between the group's ask and the cap."""

from __future__ import annotations

import random

import pytest

from matcher.optimiser.eligibility import Context, build_graph
from matcher.optimiser.instance import PricingPolicy, contract_price
from matcher.optimiser.schema import InstanceError, parse_instance
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from tests.support.builders import InstanceBuilder, random_market


@pytest.mark.parametrize(
    ("policy", "reference", "expected"),
    [
        (PricingPolicy.ASK, None, 2400),
        (PricingPolicy.BUYER_MAX, None, 3000),
        (PricingPolicy.MIDPOINT, None, 2700),
        (PricingPolicy.REFERENCE, 2800, 2800),
        (PricingPolicy.REFERENCE, 3500, 3000),  # never above the buyer's cap
        (PricingPolicy.REFERENCE, 2000, 2400),  # never below the group's ask
        (PricingPolicy.REFERENCE, None, 2400),
    ],
)
def test_each_policy_sets_the_price_between_ask_and_cap(
    policy: PricingPolicy, reference: int | None, expected: int
) -> None:
    assert contract_price(policy, ask=2400, cap=3000, reference=reference) == expected


def test_the_midpoint_rounds_half_a_satang_up_and_no_cap_means_the_ask() -> None:
    assert contract_price(PricingPolicy.MIDPOINT, ask=2401, cap=3000, reference=None) == 2701
    assert contract_price(PricingPolicy.BUYER_MAX, ask=2401, cap=None, reference=None) == 2401
    assert contract_price(PricingPolicy.MIDPOINT, ask=2401, cap=None, reference=None) == 2401


def market(policy: str, **extra: object) -> InstanceBuilder:
    b = InstanceBuilder().parameters(pricing_policy=policy, **extra)
    b.group("g1").certificate("g1", "PGS").supply("s1", "g1", scheme="PGS", ask="24.00")
    return b.buyer("h1").order("o1", "h1", quantity=10, max_price="30.00")


@pytest.mark.parametrize(
    ("policy", "extra", "price"),
    [
        ("ask", {}, 2400),
        ("buyer_max", {}, 3000),
        ("midpoint", {}, 2700),
        (
            "reference",
            {"reference_prices": [{"crop_id": "kale", "scheme": "PGS", "price": 28}]},
            2800,
        ),
    ],
)
def test_the_solution_carries_the_policy_price_and_passes_the_validator(
    policy: str, extra: dict[str, object], price: int
) -> None:
    instance = market(policy, **extra).instance()

    solution = solve(instance)

    assert [a.unit_price for a in solution.allocations] == [price]
    assert solution.summary.goods_cost == 10 * price
    assert validate(instance, solution).ok


def test_the_validator_refuses_a_price_the_policy_does_not_give() -> None:
    from dataclasses import replace

    instance = market("buyer_max").instance()
    solution = solve(instance)
    (good,) = solution.allocations
    tampered = replace(solution, allocations=(replace(good, unit_price=2400),))

    problems = validate(instance, tampered).violations

    assert any("offered 3000 under the buyer_max policy" in p for p in problems)


def test_an_unknown_policy_or_reference_scheme_is_refused_with_its_place() -> None:
    with pytest.raises(InstanceError) as caught:
        parse_instance(market("cheapest").build())
    assert any(p.startswith("parameters.pricing_policy") for p in caught.value.problems)
    bad = {"reference_prices": [{"crop_id": "kale", "scheme": "GREEN", "price": 1}]}
    with pytest.raises(InstanceError) as caught:
        parse_instance(market("reference", **bad).build())
    assert any("reference_prices[0].scheme" in p for p in caught.value.problems)


@pytest.mark.parametrize("policy", ["buyer_max", "midpoint", "reference"])
def test_the_array_search_prices_every_pair_like_the_reference_rules(policy: str) -> None:
    rng = random.Random(f"pricing-{policy}")
    for _ in range(15):
        b = random_market(rng, groups=5, buyers=3, orders=5)
        b.parameters(pricing_policy=policy)
        instance = b.instance()
        ctx = Context(instance)
        graph = build_graph(instance, ctx)
        for arc in graph.arcs:
            supply = ctx.supplies[graph.supply[arc.supply_index].supply_id]
            order = ctx.orders[graph.demand[arc.demand_index].order_id]
            assert (arc.price, arc.distance_km, arc.cost) == ctx.unit_cost(supply, order)
        assert validate(instance, solve(instance)).ok


def test_a_round_records_the_policy_and_its_price_on_the_contract() -> None:
    from matcher.optimiser.schema import parameters_from
    from matcher.service import commands
    from matcher.service.context import ServiceContext
    from matcher.service.messagebus import MessageBus
    from tests.support import participants as h
    from tests.support.builders import CROPS, STANDARDS
    from tests.support.fakes import FakeUnitOfWork, FixedClock, Store

    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    store = Store()
    context = ServiceContext(
        crops=catalogue.crops,
        standards=catalogue.standards,
        parameters=parameters_from({"pricing_policy": "midpoint"}),
        clock=FixedClock(),
    )
    bus = MessageBus(lambda: FakeUnitOfWork(store), context)
    h.register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=h.supply(price=2000)))
    bus.handle(commands.SubmitOrder(order=h.order()))  # max price 30.00

    bus.handle(commands.RunMatchingRound())

    (contract,) = store.contracts.values()
    assert (contract.pricing_policy, contract.unit_price) == ("midpoint", 2500)
