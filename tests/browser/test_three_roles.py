"""The three roles' round trip in Chromium on the embedded engine (see
:mod:`tests.support.three_roles`): a kitchen at 1280 x 800 and a farmer group at 390 x 844 sign
in from links a real SMTP server received, order, accept, confirm with a refusal and see it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from matcher.config import Settings
from tests.support.api_keys import new_token
from tests.support.browser import Demo
from tests.support.notify import Mailbox, running_smtp
from tests.support.served import served_api
from tests.support.three_roles import three_roles

pytestmark = pytest.mark.browser


def mail_settings(port: int) -> dict[str, Any]:
    """The service sends its e-mails to the test's SMTP server, and its notices at once."""
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_from": "market@foodmatch.test",
        "notify_poll_seconds": 0.2,
    }


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Demo, Mailbox]]:
    with running_smtp() as (mailbox, port):
        settings = Settings(
            database_url=f"sqlite:///{tmp_path}/market.db",
            auth=True,
            debounce_seconds=3600,  # rounds run when the coordinator asks
            max_debounce_seconds=3600,
            round_interval_seconds=0,
            webhooks_enabled=False,
            **mail_settings(port),
        )
        with served_api(settings) as served:
            token = new_token(served.service)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=served.base, headers=headers, timeout=30) as http:
                yield Demo(served.base, http, tmp_path / "log", tmp_path / "key", token), mailbox


def test_a_kitchen_and_a_group_trade_through_their_own_pages(
    browser: Any, site: tuple[Demo, Mailbox]
) -> None:
    demo, mailbox = site
    three_roles(browser, demo, mailbox, "inprocess")
