"""Notifications sent for real: e-mails to an SMTP server running in the test (aiosmtpd) and
LINE push messages to a stand-in that checks the documented request shape and the token; each
once per event, participant and channel, with retries, across a restart."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.adapters.notify.channels import LineSender, Sender, SmtpSender
from matcher.adapters.notify.notifier import Notifier, notify_sign_in_link, senders_of
from matcher.bootstrap import bootstrap
from matcher.config import load_settings
from matcher.domain import lifecycle
from matcher.domain.contracts import ContractState
from matcher.domain.lifecycle import Actor, Party
from matcher.domain.model import Certificate, Crop, Unit
from matcher.domain.standards import Scheme
from matcher.service import events
from matcher.service.ports import Contact, NotificationFilter
from tests.support.lifecycle_store import contract, seed_book
from tests.support.notify import (
    LINE_TOKEN,
    SMTP_LOGIN,
    running_line,
    running_smtp,
    self_signed_certificate,
    server_tls,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CROPS = {"kale": Crop("kale", "คะน้า", "Chinese kale", Unit.KG)}
GROUP = Contact("g1", "leader@coop.test", "U-group-line-id", None, "th", ("email", "line"), T0)
BUYER = Contact("b1", "procurement@hospital.test", None, "074000000", "en", ("email",), T0)

UowFactory = Callable[[], SqlUnitOfWork]


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def smtp(port: int, *, login: bool = False) -> SmtpSender:
    user, password = SMTP_LOGIN if login else (None, None)
    return SmtpSender(
        "127.0.0.1",
        port,
        sender="market@foodmatch.test",
        starttls=False,
        username=user,
        password=password,
        timeout=5,
    )


def notifier(uows: UowFactory, senders: Mapping[str, Sender], clock: Clock) -> Notifier:
    return Notifier(uows, senders, crops=CROPS, backoff_seconds=10, now=clock, max_attempts=4)


def seed(uows: UowFactory) -> None:
    proposed = contract("c-1")
    rejected = lifecycle.reject(proposed, Actor(Party.GROUP, "g1"), T0, "ราคาต่ำเกินไป")
    with uows() as uow:
        uow.notifications.put_contact(GROUP)
        uow.notifications.put_contact(BUYER)
        uow.outbox.add(events.ContractProposed(contract=proposed), T0)
        uow.outbox.add(events.ContractRejected(change=rejected), T0)
        uow.outbox.add(events.ContractProposed(contract=contract("c-9", group_id="g9")), T0)
        uow.commit()


def test_each_notice_goes_once_by_email_and_line_in_the_participants_language(
    uow_factory: UowFactory,
) -> None:
    seed(uow_factory)
    clock = Clock()
    with running_smtp(login=True) as (mailbox, port), running_line(fail=2) as (line, endpoint):
        senders: dict[str, Sender] = {
            "email": smtp(port, login=True),
            "line": LineSender(LINE_TOKEN, endpoint=endpoint),
        }
        worker = notifier(uow_factory, senders, clock)
        assert worker.scan() == 5  # proposal: group × 2; rejection: group × 2, buyer × 1
        assert worker.scan() == 0
        for _ in range(4):
            worker.send_due()
            clock.at += timedelta(minutes=5)
        worker.run_once()

    assert line.refused == []
    assert len(mailbox.messages) == 3
    subjects = sorted(str(m["Subject"]) for m in mailbox.messages)
    assert subjects == [
        "Proposal c-1 for Chinese kale rejected",
        "ข้อเสนอคะน้า c-1 ถูกปฏิเสธ",
        "ข้อเสนอซื้อคะน้าใหม่จาก b1 รอท่านตอบ",
    ]
    thai = next(m for m in mailbox.messages if "ใหม่" in str(m["Subject"]))
    assert thai["To"] == "leader@coop.test"
    assert thai["From"] == "market@foodmatch.test"
    body = thai.get_content()
    assert body.startswith("เรียน g1\n")
    assert "รวม 120 กก. เป็นเงิน 3,600.00 บาท" in body
    english = next(m for m in mailbox.messages if m["To"] == "procurement@hospital.test")
    assert "Reason: ราคาต่ำเกินไป" in english.get_content()
    assert mailbox.logins == [SMTP_LOGIN[0]] * 3
    assert [d["to"] for d in line.pushed] == ["U-group-line-id"] * 2
    assert line.agents == {"line-bot-sdk-python"}  # sent through LINE's own SDK
    assert line.pushed[0]["messages"][0]["text"].startswith("ข้อเสนอซื้อคะน้าใหม่")
    with uow_factory() as uow:
        log = uow.notifications.log(NotificationFilter(channel="line"))
        assert sorted(n.attempts for n in log) == [2, 2]  # the first request of each failed
        assert {n.state for n in uow.notifications.log(NotificationFilter())} == {"sent"}
        assert uow.notifications.count(NotificationFilter(participant_id="g9")) == 0


def test_a_channel_that_keeps_failing_is_given_up_after_the_last_attempt(
    uow_factory: UowFactory,
) -> None:
    seed(uow_factory)
    clock = Clock()
    with running_line(fail=100) as (line, endpoint):
        worker = notifier(uow_factory, {"line": LineSender(LINE_TOKEN, endpoint=endpoint)}, clock)
        worker.scan()
        for _ in range(6):
            worker.send_due()
            clock.at += timedelta(hours=1)

    with uow_factory() as uow:
        by_channel = {
            channel: uow.notifications.log(NotificationFilter(channel=channel))
            for channel in ("email", "line")
        }
    assert {(n.state, n.attempts) for n in by_channel["line"]} == {("failed", 4)}
    assert {n.last_error for n in by_channel["line"]} == {
        'SendError: HTTP 500: {"message":"An error occurred in the internal server"}'
    }
    assert {(n.state, n.attempts, n.last_error) for n in by_channel["email"]} == {
        ("failed", 1, "the email channel is not configured")
    }
    assert line.pushed == []


def test_a_wrong_token_is_refused_and_recorded(uow_factory: UowFactory) -> None:
    seed(uow_factory)
    with running_line() as (line, endpoint):
        worker = notifier(uow_factory, {"line": LineSender("wrong", endpoint=endpoint)}, Clock())
        worker.run_once()

    assert line.pushed == []
    with uow_factory() as uow:
        (first, *_) = uow.notifications.log(NotificationFilter(channel="line"))
    assert first.state == "pending"
    assert first.last_error == 'SendError: HTTP 401: {"message":"Authentication failed"}'


def test_notifications_queued_before_a_restart_are_sent_once_after_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'market.db'}"
    clock = Clock()
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    seed(lambda: SqlUnitOfWork(sessions))
    with running_smtp() as (_, port):
        unreachable = port  # the server is gone when the notifier first tries
    first = notifier(lambda: SqlUnitOfWork(sessions), {"email": smtp(unreachable)}, clock)
    first.start()
    first.stop()  # the thread runs once at least: queued, one failed attempt
    first.run_once()
    engine.dispose()  # the service stops

    clock.at += timedelta(minutes=1)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        pass
    with running_smtp() as (mailbox, port):
        again = notifier(lambda: SqlUnitOfWork(sessions), {"email": smtp(port)}, clock)
        again.run_once()
        again.run_once()
        clock.at += timedelta(hours=1)
        again.run_once()
    engine.dispose()

    assert sorted(str(m["To"]) for m in mailbox.messages) == [
        "leader@coop.test",
        "leader@coop.test",
        "procurement@hospital.test",
    ]
    engine = make_engine(url)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        log = uow.notifications.log(NotificationFilter(channel="email"))
    engine.dispose()
    assert {(n.state, n.attempts) for n in log} == {("sent", 2)}
    assert all(n.last_error is None for n in log)


def test_a_sign_in_link_is_queued_once_and_sent_by_email(uow_factory: UowFactory) -> None:
    link = "https://market.example.org/sign-in/tok-123"
    with uow_factory() as uow:
        uow.notifications.put_contact(BUYER)
        queued = notify_sign_in_link(uow, "b1", link, T0 + timedelta(minutes=15), now=T0)
        assert notify_sign_in_link(uow, "b1", link, T0 + timedelta(minutes=15), now=T0) == []
        assert notify_sign_in_link(uow, "nobody", link, T0, now=T0) == []
        uow.commit()
    assert len(queued) == 1
    with running_smtp() as (mailbox, port):
        notifier(uow_factory, {"email": smtp(port)}, Clock()).send_due()

    (message,) = mailbox.messages
    assert message["Subject"] == "Your sign-in link to the forward market"
    assert link in message.get_content().splitlines()
    assert "until 1 December 2026, 15:15 (Bangkok time)" in message.get_content()


def test_without_a_mail_server_the_mails_are_written_into_the_mail_folder(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    link = "https://market.example.org/sign-in/tok-456"
    with uow_factory() as uow:
        uow.notifications.put_contact(BUYER)
        [queued] = notify_sign_in_link(uow, "b1", link, T0 + timedelta(minutes=15), now=T0)
        uow.commit()
    folder = tmp_path / "outbox"
    (sender,) = senders_of(load_settings(mail_dir=str(folder))).values()
    notifier(uow_factory, {"email": sender}, Clock()).send_due()

    (written,) = folder.iterdir()
    assert written.name == f"{queued}.eml"
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Your sign-in link to the forward market"
    assert isinstance(message, EmailMessage)
    assert link in message.get_content().splitlines()


def test_the_service_runs_the_notifier_with_the_channels_its_settings_name(
    tmp_path: Path,
) -> None:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'market.db'}",
        smtp_host="127.0.0.1",
        line_channel_token=LINE_TOKEN,
        line_endpoint="http://127.0.0.1:9",
    )
    service = bootstrap(settings)
    try:
        (found,) = [c for c in service.engine.companions if isinstance(c, Notifier)]
        assert set(found.senders) == {"email", "line"}
        assert found.crops["kale"].name_th == "คะน้า"
    finally:
        service.close()
    off = bootstrap(load_settings(database_url=settings.database_url, notifications_enabled=False))
    try:
        assert not [c for c in off.engine.companions if isinstance(c, Notifier)]
    finally:
        off.close()
    assert senders_of(load_settings()) == {}


def test_time_brings_its_notices_once_each(uow_factory: UowFactory) -> None:
    clock = Clock()
    clock.at = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # 19:00 in Thailand
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c-1", state=ContractState.ACCEPTED))  # first day 12-09
        uow.contracts.add(contract("c-2", order_id="o2", expires=clock.at + timedelta(hours=5)))
        uow.certificates.add(
            Certificate("cert-g1", "g1", Scheme.PGS, date(2025, 1, 1), date(2027, 1, 7))
        )
        uow.notifications.put_contact(GROUP)
        uow.notifications.put_contact(replace(BUYER, participant_id="b1"))
        uow.commit()
    with running_smtp() as (mailbox, port):
        worker = notifier(uow_factory, {"email": smtp(port)}, clock)
        worker.run_once()
        worker.run_once()  # the next scan of time waits for its turn
        assert worker.scan_timed() == 0  # and queues nothing new when it comes
        clock.at += timedelta(minutes=20)
        worker.run_once()

    subjects = sorted((str(m["To"]), str(m["Subject"])) for m in mailbox.messages)
    assert subjects == [
        ("leader@coop.test", "ข้อเสนอซื้อคะน้าจาก โรงพยาบาล จะหมดอายุใน 24 ชั่วโมง"),
        ("leader@coop.test", "พรุ่งนี้ (9 ธันวาคม 2569) ส่งคะน้า 40 กก. ให้ โรงพยาบาล"),
        (
            "leader@coop.test",
            "ใบรับรอง เกษตรอินทรีย์ระบบรับรองแบบมีส่วนร่วม (PGS) ของกลุ่มจะหมดอายุในอีก 30 วัน",
        ),
        (
            "procurement@hospital.test",
            "Tomorrow (9 December 2026): 40 kg of Chinese kale for Hospital",
        ),
    ]


def test_email_goes_over_starttls_with_a_login_checked_against_the_configured_authority(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    seed(uow_factory)
    cert, key = self_signed_certificate(tmp_path)
    settings = load_settings(
        smtp_host="127.0.0.1",
        smtp_from="market@foodmatch.test",
        smtp_username=SMTP_LOGIN[0],
        smtp_password=SMTP_LOGIN[1],
        smtp_ca_file=str(cert),
        smtp_timeout_seconds=5,
    )
    with running_smtp(tls=server_tls(cert, key)) as (mailbox, port):
        sender = senders_of(settings.model_copy(update={"smtp_port": port}))["email"]
        worker = notifier(uow_factory, {"email": sender}, Clock())
        worker.run_once()

    assert sorted(str(m["To"]) for m in mailbox.messages) == [
        "leader@coop.test",
        "leader@coop.test",
        "procurement@hospital.test",
    ]
    assert mailbox.encrypted == [True] * 3
    assert mailbox.logins == [SMTP_LOGIN[0]] * 3
    with uow_factory() as uow:
        log = uow.notifications.log(NotificationFilter(channel="email"))
    assert {(n.state, n.attempts) for n in log} == {("sent", 1)}


def test_a_certificate_no_configured_authority_signed_is_refused_not_trusted(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    seed(uow_factory)
    cert, key = self_signed_certificate(tmp_path)
    user, password = SMTP_LOGIN
    with running_smtp(tls=server_tls(cert, key)) as (mailbox, port):
        sender = SmtpSender(
            "127.0.0.1", port, sender="m@foodmatch.test", username=user, password=password
        )
        notifier(uow_factory, {"email": sender}, Clock()).run_once()

    assert mailbox.messages == []
    assert mailbox.logins == []
    with uow_factory() as uow:
        log = uow.notifications.log(NotificationFilter(channel="email"))
    assert {(n.state, n.attempts) for n in log} == {("pending", 1)}
    assert all("CERTIFICATE_VERIFY_FAILED" in (n.last_error or "") for n in log)


def test_a_wrong_smtp_password_fails_the_attempt_and_is_retried_until_given_up(
    uow_factory: UowFactory, tmp_path: Path
) -> None:
    seed(uow_factory)
    cert, key = self_signed_certificate(tmp_path)
    clock = Clock()
    with running_smtp(tls=server_tls(cert, key)) as (mailbox, port):
        sender = SmtpSender(
            "127.0.0.1",
            port,
            sender="m@foodmatch.test",
            username=SMTP_LOGIN[0],
            password="not-the-password",
            ca_file=str(cert),
        )
        worker = notifier(uow_factory, {"email": sender}, clock)
        worker.run_once()
        with uow_factory() as uow:
            first = uow.notifications.log(NotificationFilter(channel="email"))
        for _ in range(4):
            clock.at += timedelta(hours=1)
            worker.run_once()

    assert {(n.state, n.attempts) for n in first} == {("pending", 1)}
    assert all((n.last_error or "").startswith("SMTPAuthenticationError: (535") for n in first)
    assert mailbox.messages == []
    # three notifications × four attempts × two mechanisms (smtplib tries PLAIN, then LOGIN)
    assert mailbox.refused_logins == [SMTP_LOGIN[0]] * 24
    with uow_factory() as uow:
        log = uow.notifications.log(NotificationFilter(channel="email"))
    assert {(n.state, n.attempts) for n in log} == {("failed", 4)}
