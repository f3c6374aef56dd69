"""Notifications on the Kafka engine: the workers' leader queues and sends a group's notice of a
new proposal by e-mail, once, to a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.kafka_harness import REQUESTED_ROUNDS, MarketSpace, api_on_kafka
from tests.support.market import Market, delivery_dates, wait_for, weeks_of
from tests.support.notify import Mailbox, running_smtp

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
def mailbox_port() -> Iterator[tuple[Mailbox, int]]:
    with running_smtp() as running:
        yield running


def test_the_leader_sends_a_new_proposal_to_the_group_by_email_once(
    space: MarketSpace, tmp_path: Path, mailbox_port: tuple[Mailbox, int]
) -> None:
    mailbox, port = mailbox_port
    mail = {
        "FOODMATCH_NOTIFY_POLL_SECONDS": "0.1",
        "FOODMATCH_WEBHOOKS_ENABLED": "false",
        "FOODMATCH_SMTP_HOST": "127.0.0.1",
        "FOODMATCH_SMTP_PORT": str(port),
        "FOODMATCH_SMTP_STARTTLS": "false",
        "FOODMATCH_SMTP_FROM": "market@foodmatch.test",
    }
    with api_on_kafka(space, tmp_path, "notices", **REQUESTED_ROUNDS, **mail) as client:
        market = Market(client)
        days = delivery_dates(1)
        market.group_with_certificate("grp-hatyai")
        market.buyer("hosp-songkhla")
        contacts = {"email": "leader@coop.test", "channels": ["email"]}
        answer = client.put("/api/v1/groups/grp-hatyai/contacts", json=contacts)
        assert answer.status_code == 200, answer.text
        market.supply("sup-1", "grp-hatyai", weeks=weeks_of(days, 100))
        market.order("ord-1", "hosp-songkhla", deliveries=days)
        market.post("/rounds", {})
        [contract] = wait_for(market.contracts, seconds=30)

        def sent() -> list[dict[str, Any]]:
            log: list[dict[str, Any]] = market.get("/notifications")
            return log if log and all(n["state"] == "sent" for n in log) else []

        [notice] = wait_for(sent, seconds=30)

    assert (notice["kind"], notice["participant_id"], notice["channel"]) == (
        "contract_proposed",
        "grp-hatyai",
        "email",
    )
    [message] = mailbox.messages
    assert str(message["To"]) == "leader@coop.test"
    assert str(message["Subject"]) == "ข้อเสนอซื้อคะน้าใหม่จาก โรงพยาบาลสงขลา รอท่านตอบ"
    assert contract["id"] in message.get_content()
