"""The three roles' round trip in Chromium on the Kafka engine (see
:mod:`tests.support.three_roles`): the API publishes to a real broker, a worker process handles
the messages and runs the round, its leader sends the sign-in e-mails to a real SMTP server, and
the kitchen's and the group's pages work exactly as on the embedded engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher.config import Settings
from tests.support.api_keys import new_token
from tests.support.browser import Demo, launched_chromium
from tests.support.kafka_harness import REQUESTED_ROUNDS, MarketSpace, TunedSpace, WorkerProcess
from tests.support.notify import Mailbox, running_smtp
from tests.support.served import served_api
from tests.support.three_roles import three_roles

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.browser]


@pytest.fixture
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def site(space: MarketSpace, tmp_path: Path) -> Iterator[tuple[Demo, Mailbox]]:
    with running_smtp() as (mailbox, port):
        mail = {
            "FOODMATCH_SMTP_HOST": "127.0.0.1",
            "FOODMATCH_SMTP_PORT": str(port),
            "FOODMATCH_SMTP_STARTTLS": "false",
            "FOODMATCH_SMTP_FROM": "market@foodmatch.test",
            "FOODMATCH_NOTIFY_POLL_SECONDS": "0.2",
            "FOODMATCH_WEBHOOKS_ENABLED": "false",
        }
        tuned = TunedSpace(space.bootstrap, space.prefix, space.database_url, space.partitions,
                           tuple((REQUESTED_ROUNDS | mail).items()))  # fmt: skip
        worker = WorkerProcess(tuned, "portals", tmp_path).start()
        settings = Settings(
            engine="kafka",
            database_url=space.database_url,
            kafka=space.kafka.model_dump(),
            webhooks_enabled=False,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            smtp_from="market@foodmatch.test",
            notify_poll_seconds=0.2,
        )
        try:
            worker.wait_assigned()
            with served_api(settings) as served:
                token = new_token(served.service)
                headers = {"Authorization": f"Bearer {token}"}
                with httpx.Client(base_url=served.base, headers=headers, timeout=60) as http:
                    yield Demo(served.base, http, worker.log_path, tmp_path / "key", token), mailbox
        finally:
            worker.stop()


def test_a_kitchen_and_a_group_trade_through_their_own_pages_on_kafka(
    browser: Any, site: tuple[Demo, Mailbox]
) -> None:
    demo, mailbox = site
    three_roles(browser, demo, mailbox, "kafka")
