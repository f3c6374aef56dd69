"""The demo's groups answer proposals: the decision is seeded and mostly an acceptance, and the
answers reach the API, where a rejection is re-matched."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo_groups import REJECTIONS, GroupAnswers, GroupResponder, decide
from matcher.config import Settings
from tests.support.api_keys import sign_in
from tests.support.market import Market


def test_decisions_are_seeded_mostly_acceptances_and_answered_within_the_limit() -> None:
    options = GroupAnswers(accept_share=0.85, answer_within=120, seed=7)
    answers = [decide(f"rnd-x-{n:04d}", options) for n in range(1000)]
    assert answers == [decide(f"rnd-x-{n:04d}", options) for n in range(1000)]
    accepted = sum(a.accept for a in answers)
    assert 800 <= accepted <= 900
    assert all(20 <= a.delay <= 120 for a in answers)
    assert {a.reason for a in answers if not a.accept} <= set(REJECTIONS)
    assert all(a.reason == "" for a in answers if a.accept)
    other_seed = [decide(f"rnd-x-{n:04d}", GroupAnswers(seed=8)) for n in range(1000)]
    assert other_seed != answers


@pytest.mark.parametrize(("share", "accepted"), [(1.0, True), (0.0, False)])
def test_the_accept_share_bounds_the_decision(share: float, accepted: bool) -> None:
    options = GroupAnswers(accept_share=share)
    assert {decide(f"c{n}", options).accept for n in range(50)} == {accepted}


def test_out_of_range_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="accept_share"):
        GroupAnswers(accept_share=1.5)
    with pytest.raises(ValueError, match="answer_within"):
        GroupAnswers(answer_within=-1)


def test_the_groups_answer_proposals_through_the_api(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/groups.db",
        debounce_seconds=3600,  # only the rounds the test asks for
        max_debounce_seconds=3600,
        round_interval_seconds=0,
    )
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        market = Market(client)
        market.buyer()
        market.group_with_certificate("grp-hatyai")
        market.group_with_certificate("grp-chana", lat=6.9, lon=100.74, district="9003")
        market.supply("sup-hatyai", "grp-hatyai")
        market.supply("sup-chana", "grp-chana")
        market.order(max_suppliers=1)
        first = market.run_round()
        (proposal,) = market.contracts()
        answers = GroupAnswers(accept_share=0.5, answer_within=0, seed=3)
        seed = next(
            s for s in range(100) if not decide(proposal["id"], replace_seed(answers, s)).accept
        )
        options = replace_seed(answers, seed)

        def respond() -> GroupResponder:
            async def once() -> GroupResponder:
                transport = httpx.ASGITransport(app=client.app)
                headers = dict(client.headers)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://demo", headers=headers
                ) as http:
                    responder = GroupResponder(http, options)
                    await responder.look()
                    await responder.answer_due()
                    return responder

            return asyncio.run(once())

        responder = respond()
        assert (responder.tally.rejected, responder.tally.accepted) == (1, 0)
        rejected = market.get(f"/contracts/{proposal['id']}")
        assert rejected["state"] == "rejected"
        assert rejected["history"][-1]["reason"] in REJECTIONS
        assert first["contract_ids"] == [proposal["id"]]

        # the rejection is re-matched with the other group, whose proposal gets its answer too
        market.run_round()
        (rematch,) = market.contracts(state="proposed")
        assert rematch["group_id"] != proposal["group_id"]
        again = respond()
        assert again.tally.accepted + again.tally.rejected == 1
        states = {c["id"]: c["state"] for c in market.contracts()}
        assert "proposed" not in states.values()


def replace_seed(options: GroupAnswers, seed: int) -> GroupAnswers:
    return GroupAnswers(
        enabled=options.enabled,
        accept_share=options.accept_share,
        answer_within=options.answer_within,
        seed=seed,
    )
