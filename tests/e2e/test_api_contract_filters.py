"""Filtering contracts: by buyer, group, crop, week, state, order and round; paging."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.domain.weeks import iso_week
from tests.support.market import Market, delivery_dates, weeks_of


@pytest.fixture
def matched(market: Market) -> dict[str, Any]:
    """Two kitchens, two groups, two crops: three contracts once a round has run."""
    days = delivery_dates(2)
    market.buyer()
    market.buyer("school-1", name_en="Songkhla School", kind="school")
    market.group_with_certificate()
    # Eggs need livestock GAP (มกษ. 6909), not the crop GAP of the kale group.
    market.group_with_certificate("grp-eggs", "LIVESTOCK_GAP", name_en="Egg Farmers")
    market.supply("sup-kale", weeks=weeks_of(days, 100))
    market.supply(
        "sup-eggs", "grp-eggs", crop_id="eggs", weeks=weeks_of(days, 1000), asking_price="3.20",
        scheme="LIVESTOCK_GAP",
    )  # fmt: skip
    market.order("ord-hosp-kale", deliveries=days)
    market.order("ord-school-kale", "school-1", deliveries=days[1:], quantity=30)
    market.order(
        "ord-school-eggs",
        "school-1",
        crop_id="eggs",
        deliveries=days,
        quantity=500,
        max_price="5.00",
    )
    record = market.run_round()
    return {"days": days, "round": record}


def _ids(contracts: list[dict[str, Any]]) -> set[str]:
    return {c["order_id"] for c in contracts}


def test_all_contracts_are_listed_without_filters(market: Market, matched: dict[str, Any]) -> None:
    assert _ids(market.contracts()) == {"ord-hosp-kale", "ord-school-kale", "ord-school-eggs"}


def test_filter_by_crop(market: Market, matched: dict[str, Any]) -> None:
    assert _ids(market.contracts(crop_id="kale")) == {"ord-hosp-kale", "ord-school-kale"}
    assert _ids(market.contracts(crop_id="eggs")) == {"ord-school-eggs"}
    assert market.contracts(crop_id="banana") == []


def test_filter_by_week_of_a_delivery(market: Market, matched: dict[str, Any]) -> None:
    first, second = (iso_week(d) for d in matched["days"])

    assert _ids(market.contracts(week=first)) == {"ord-hosp-kale", "ord-school-eggs"}
    assert _ids(market.contracts(week=second)) == {
        "ord-hosp-kale",
        "ord-school-kale",
        "ord-school-eggs",
    }
    assert market.contracts(week="2099-W01") == []


def test_filter_by_state(market: Market, matched: dict[str, Any]) -> None:
    assert len(market.contracts(state="proposed")) == 3
    assert market.contracts(state="accepted") == []


def test_filter_by_participant_order_and_round(market: Market, matched: dict[str, Any]) -> None:
    assert _ids(market.contracts(buyer_id="school-1")) == {"ord-school-kale", "ord-school-eggs"}
    assert _ids(market.contracts(group_id="grp-eggs")) == {"ord-school-eggs"}
    assert _ids(market.contracts(order_id="ord-school-kale")) == {"ord-school-kale"}
    everything = market.contracts()
    for round_id in {c["round_id"] for c in everything}:
        in_round = [c for c in everything if c["round_id"] == round_id]
        assert market.contracts(round_id=round_id) == in_round
    assert market.contracts(round_id="rnd-none") == []


def test_filters_combine(market: Market, matched: dict[str, Any]) -> None:
    first = iso_week(matched["days"][0])

    found = market.contracts(buyer_id="school-1", crop_id="kale", week=first)

    assert found == []
    assert _ids(market.contracts(buyer_id="school-1", crop_id="eggs", week=first)) == {
        "ord-school-eggs"
    }


def test_limit_and_offset_page_through_contracts(market: Market, matched: dict[str, Any]) -> None:
    everything = market.contracts()

    pages = [market.contracts(limit=2, offset=0), market.contracts(limit=2, offset=2)]

    assert [len(p) for p in pages] == [2, 1]
    assert pages[0] + pages[1] == everything
