"""Notifications end to end: the coordinator sets a group's and a kitchen's contacts through the
API, a round proposes a contract, and the embedded service's notifier sends the group an e-mail
(to an SMTP server running in the test) and a LINE message (to the stand-in), and both hear
of the cancellation; the coordinator reads the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.auth import Role
from matcher.config import Settings
from tests.support.api_keys import sign_in
from tests.support.market import API, Market, delivery_dates, wait_for, weeks_of
from tests.support.notify import LINE_TOKEN, LineStandIn, Mailbox, running_line, running_smtp

LINE_USER = "U" + "4af4980629" * 3 + "ab"


@pytest.fixture
def channels() -> Iterator[tuple[Mailbox, int, LineStandIn, str]]:
    with running_smtp() as (mailbox, port), running_line(fail=1) as (line, endpoint):
        yield mailbox, port, line, endpoint


def test_a_proposal_reaches_the_group_by_email_and_line_and_a_cancellation_both_sides(
    tmp_path: Path, channels: tuple[Mailbox, int, LineStandIn, str]
) -> None:
    mailbox, port, line, endpoint = channels
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=3600,  # one round, the one run below (no second after the cancel)
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhooks_enabled=False,
        notify_poll_seconds=0.05,
        notify_backoff_seconds=0.05,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_from="market@foodmatch.test",
        line_endpoint=endpoint,
        line_channel_token=LINE_TOKEN,
    )
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        market = Market(client)
        days = delivery_dates(1)
        market.group_with_certificate("grp-hatyai")
        market.buyer("hosp-songkhla")
        group = {
            "email": "leader@coop.test",
            "line_user_id": LINE_USER,
            "channels": ["line", "email"],
        }
        answer = client.put(f"{API}/groups/grp-hatyai/contacts", json=group)
        assert answer.status_code == 200, answer.text
        assert answer.json()["language"] == "th"
        assert answer.json()["channels"] == ["line", "email"]
        kitchen = {"email": "food@hospital.test", "language": "en", "channels": ["email"]}
        assert client.put(f"{API}/buyers/hosp-songkhla/contacts", json=kitchen).is_success
        assert market.get("/buyers/hosp-songkhla/contacts")["email"] == "food@hospital.test"

        market.supply("sup-1", "grp-hatyai", weeks=weeks_of(days, 100))
        market.order("ord-1", "hosp-songkhla", deliveries=days)
        market.run_round(["kale"])
        [contract] = market.contracts(group_id="grp-hatyai")
        market.post(f"/contracts/{contract['id']}/cancel", {"reason": "เปลี่ยนเมนู"})

        def sent() -> list[dict[str, Any]]:
            log: list[dict[str, Any]] = market.get("/notifications")
            return log if len(log) == 5 and all(n["state"] == "sent" for n in log) else []

        log = wait_for(sent, seconds=20)

    assert sorted((n["kind"], n["participant_id"], n["channel"]) for n in log) == [
        ("contract_cancelled", "grp-hatyai", "email"),
        ("contract_cancelled", "grp-hatyai", "line"),
        ("contract_cancelled", "hosp-songkhla", "email"),
        ("contract_proposed", "grp-hatyai", "email"),
        ("contract_proposed", "grp-hatyai", "line"),
    ]
    assert sorted(n["attempts"] for n in log if n["channel"] == "line") == [1, 2]
    assert line.refused == []
    assert [p["to"] for p in line.pushed] == [LINE_USER, LINE_USER]
    by_kind = {(str(m["To"]), str(m["Subject"])) for m in mailbox.messages}
    assert ("leader@coop.test", "ข้อเสนอซื้อคะน้าใหม่จาก โรงพยาบาลสงขลา รอท่านตอบ") in by_kind
    assert any(to == "food@hospital.test" and "cancelled" in s for to, s in by_kind)
    assert len(mailbox.messages) == 3


def test_contacts_are_checked_and_the_log_filters(client: TestClient) -> None:
    market = Market(client)
    market.group_with_certificate("grp-hatyai")
    empty = market.get("/groups/grp-hatyai/contacts")
    assert empty == {
        "participant_id": "grp-hatyai",
        "email": None,
        "line_user_id": None,
        "phone": None,
        "language": "th",
        "channels": [],
        "updated_at": None,
    }
    for body in (
        {"channels": ["email"]},  # no address
        {"email": "not an address"},
        {"line_user_id": "someone"},
        {"channels": ["sms"]},
        {"language": "fr"},
    ):
        answer = client.put(f"{API}/groups/grp-hatyai/contacts", json=body)
        assert answer.status_code == 422, (body, answer.text)
    assert client.put(f"{API}/groups/nobody/contacts", json={}).status_code == 404
    assert client.get(f"{API}/buyers/nobody/contacts").status_code == 404
    assert client.get(f"{API}/notifications", params={"kind": "spam"}).status_code == 422
    answer = client.get(f"{API}/notifications", params={"state": "failed", "channel": "line"})
    assert answer.status_code == 200
    assert answer.json() == []
    assert answer.headers["X-Total-Count"] == "0"


def test_the_coordinator_resends_a_given_up_notification_and_only_that(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the mail folder's parent should be")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhooks_enabled=False,
        notify_poll_seconds=0.05,
        notify_max_attempts=1,
        mail_dir=str(blocked / "outbox"),
    )
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        market = Market(client)
        days = delivery_dates(1)
        market.group_with_certificate("grp-hatyai")
        market.buyer("hosp-songkhla")
        contact = {"email": "leader@coop.test", "channels": ["email"]}
        assert client.put(f"{API}/groups/grp-hatyai/contacts", json=contact).is_success
        market.supply("sup-1", "grp-hatyai", weeks=weeks_of(days, 100))
        market.order("ord-1", "hosp-songkhla", deliveries=days)
        market.run_round(["kale"])

        def in_state(state: str) -> dict[str, Any] | None:
            log: list[dict[str, Any]] = market.get("/notifications")
            return log[0] if len(log) == 1 and log[0]["state"] == state else None

        failed = wait_for(lambda: in_state("failed"))
        assert failed["attempts"] == 1
        assert failed["last_error"].startswith(("NotADirectoryError", "FileExistsError"))
        blocked.unlink()  # the folder can be made now

        kitchen = TestClient(client.app)
        sign_in(kitchen, Role.KITCHEN, "hosp-songkhla")
        retry = f"{API}/notifications/{failed['id']}/retry"
        assert kitchen.post(retry).status_code == 403
        assert client.post(f"{API}/notifications/ntf_nosuch/retry").status_code == 404
        answer = client.post(retry)
        assert answer.status_code == 200, answer.text
        resent = answer.json()
        assert resent["notification"]["state"] == "pending"
        assert resent["notification"]["attempts"] == 0
        assert resent["previous_attempts"] == 1
        assert resent["previous_error"] == failed["last_error"]
        assert resent["resent_by"]

        sent = wait_for(lambda: in_state("sent"))
        assert client.post(retry).status_code == 409

    assert sent["attempts"] == 1
    assert sent["last_error"] is None
    (written,) = (blocked / "outbox").iterdir()
    assert written.name == f"{failed['id']}.eml"
