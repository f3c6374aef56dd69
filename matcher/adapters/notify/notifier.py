"""The notifier: outbox events → notification rows → e-mails and LINE messages, with retries.

Two steps, each safe to repeat, as the webhook dispatcher's
(:mod:`matcher.adapters.webhook_dispatch`):

* :meth:`Notifier.scan` reads the outbox events it has not read yet, queues one notification
  per concerned participant and channel it wants (:func:`queue`), and marks the events read in
  the same transaction. A notification's id is a digest of (event, participant, channel), so a
  repeat queues nothing new.
* :meth:`Notifier.send_due` sends the due pending notifications. A sent one is marked ``sent``;
  a failure counts an attempt and schedules the next by exponential backoff
  (:func:`matcher.webhooks.after_failure`), until ``max_attempts`` marks it ``failed``.

Everything waiting is a row: a service stopped with notifications queued sends them when it
starts again. Sending is at least once: a crash between sending and recording it sends again,
with the same e-mail ``Message-ID`` and the same LINE retry key (which LINE accepts once).

:func:`notify_sign_in_link` queues a sign-in link for a participant (the caller commits).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from matcher import notifications as nt
from matcher import webhooks as wh
from matcher.adapters.notify.channels import LineSender, MailFolderSender, Sender, SmtpSender
from matcher.adapters.polling import Poller
from matcher.calendar import thai_working_days
from matcher.domain.contracts import Contract, ContractState
from matcher.domain.errors import Conflict, NotFound
from matcher.domain.model import Crop
from matcher.labels import Lang, label
from matcher.service.ports import (
    Contact,
    ContractFilter,
    Notification,
    NotificationUnitOfWork,
    UnitOfWork,
)
from matcher.sessions import SessionRules
from matcher.signin import purge_ended

log = logging.getLogger(__name__)

NotificationUowFactory = Callable[[], NotificationUnitOfWork]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class StoredNames:
    """Names for the texts: crops from the catalogue, participants from the unit of work."""

    def __init__(self, uow: UnitOfWork, crops: Mapping[str, Crop]) -> None:
        self.uow = uow
        self.crops = crops

    def crop(self, crop_id: str, lang: Lang) -> tuple[str, str]:
        crop = self.crops.get(crop_id)
        if crop is None:
            return crop_id, ""
        name = crop.name_th if lang == "th" else crop.name_en
        return name, label(f"unit_{crop.unit.value}", lang)

    def participant(self, participant_id: str, lang: Lang) -> str:
        found = self.uow.groups.get(participant_id) or self.uow.buyers.get(participant_id)
        if found is None:
            return participant_id
        return found.name_th if lang == "th" else found.name_en


def address_of(contact: Contact, channel: str) -> str | None:
    if channel == "email":
        return contact.email or None
    if channel == "line":
        return contact.line_user_id or None
    return None


def queue(
    uow: NotificationUnitOfWork,
    notice: nt.Notice,
    at: datetime,
    crops: Mapping[str, Crop] | None = None,
) -> list[str]:
    """Queue a notice on each channel its participant wants and has an address for; the ids
    of the notifications written (none when the participant has no contact, or was told
    already). The caller commits."""
    contact = uow.notifications.contact(notice.participant_id)
    if contact is None:
        return []
    lang = nt.language_of(contact.language)
    subject, body = nt.render(notice, lang, StoredNames(uow, crops or {}))
    written: list[str] = []
    for channel in contact.channels:
        address = address_of(contact, channel)
        if address is None:
            continue
        notification = Notification(
            id=nt.notification_id(notice.key, notice.participant_id, channel),
            key=notice.key,
            kind=notice.kind,
            participant_id=notice.participant_id,
            channel=channel,
            address=address,
            language=lang,
            subject=subject,
            body=body,
            state="pending",
            attempts=0,
            next_attempt_at=at,
            last_error=None,
            sent_at=None,
            created_at=at,
        )
        if uow.notifications.add(notification):
            written.append(notification.id)
    return written


def notify_sign_in_link(
    uow: NotificationUnitOfWork,
    participant_id: str,
    link: str,
    expires_at: datetime,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Queue a sign-in link for a participant by e-mail and LINE, as its contact says.

    Returns the ids of the notifications written: an empty list when the participant has no
    contact or no channel with an address (the caller then shows the link some other way).
    The same link is queued once. The caller commits; the notifier sends it."""
    notice = nt.sign_in_notice(participant_id, link, expires_at)
    return queue(uow, notice, now or _utcnow())


def resend(
    uow: NotificationUnitOfWork, notification_id: str, at: datetime, by: str
) -> tuple[Notification, Notification]:
    """Put a given-up (``failed``) notification back in the outbox, due at once with a fresh
    series of attempts; ``(before, after)``. The error that failed it stays in ``last_error``
    until the next attempt; the resend is written to the service's log (who, which, why it had
    failed). :class:`NotFound` for an unknown id, :class:`Conflict` for one not failed (pending
    or sent). The caller commits."""
    before = uow.notifications.get(notification_id)
    if before is None:
        raise NotFound("notification", notification_id)
    if before.state != "failed":
        raise Conflict(f"notification {notification_id} is {before.state}, not failed")
    after = replace(before, state="pending", attempts=0, next_attempt_at=at, sent_at=None)
    uow.notifications.update(after)
    log.info(
        "notification %s (%s to %s by %s) resent by %s after %d attempts; it had failed: %s",
        notification_id,
        before.kind,
        before.participant_id,
        before.channel,
        by,
        before.attempts,
        before.last_error,
    )
    return before, after


class Notifier(Poller):
    thread_name = "foodmatch-notify"

    def __init__(
        self,
        uow_factory: NotificationUowFactory,
        senders: Mapping[str, Sender],
        *,
        crops: Mapping[str, Crop] | None = None,
        max_attempts: int = 8,
        backoff_seconds: float = 30.0,
        backoff_cap_seconds: float = 3600.0,
        poll_seconds: float = 5.0,
        timed_every_seconds: float = 900.0,
        now: Callable[[], datetime] = _utcnow,
        batch: int = 500,
        is_working_day: nt.WorkingDay | None = None,
        reminder_hour: int = nt.REMINDER_HOUR,
        housekeeping: Callable[[datetime], object] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.senders = dict(senders)
        self.crops = crops or {}
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_cap_seconds = backoff_cap_seconds
        self.now = now
        self.batch = batch
        self.timed_every = timedelta(seconds=timed_every_seconds)
        self._next_timed: datetime | None = None
        self.is_working_day = is_working_day or thai_working_days()
        self.reminder_hour = reminder_hour
        self.housekeeping = housekeeping
        super().__init__(poll_seconds)

    def scan(self) -> int:
        """Queue the notifications of the outbox events not read yet; how many were written."""
        written = 0
        while True:
            with self.uow_factory() as uow:
                entries = uow.notifications.unnotified(self.batch)
                if not entries:
                    return written
                now = self.now()
                for entry in entries:
                    for notice in nt.notices_of(entry.id, entry.event, entry.payload):
                        written += len(queue(uow, notice, now, self.crops))
                uow.notifications.mark_notified([e.id for e in entries], now)
                uow.commit()
            if len(entries) < self.batch:
                return written

    def scan_timed(self) -> int:
        """Queue the notices that come with time (a proposal about to lapse, a delivery due
        on the last working day before it, a certificate about to expire); each is keyed, so a
        repeat queues nothing."""
        now = self.now()
        with self.uow_factory() as uow:
            notices = nt.timed_notices(
                now,
                _live_contracts(uow),
                uow.certificates.list(),
                is_working_day=self.is_working_day,
                hour=self.reminder_hour,
            )
            written = sum(len(queue(uow, notice, now, self.crops)) for notice in notices)
            uow.commit()
        return written

    def send_due(self, limit: int = 100) -> int:
        """Send the due pending notifications once each; how many were attempted."""
        with self.uow_factory() as uow:
            due: Sequence[Notification] = list(uow.notifications.due(self.now(), limit))
        for notification in due:
            outcome = self._attempt(notification)
            with self.uow_factory() as uow:
                uow.notifications.update(outcome)
                uow.commit()
        return len(due)

    def _attempt(self, notification: Notification) -> Notification:
        attempts = notification.attempts + 1
        sender = self.senders.get(notification.channel)
        if sender is None:
            error = f"the {notification.channel} channel is not configured"
            return replace(
                notification,
                state="failed",
                attempts=attempts,
                next_attempt_at=None,
                last_error=error,
            )
        try:
            sender(notification)
        except Exception as err:  # counted as a failed attempt
            error = f"{type(err).__name__}: {err}"[:500]
        else:
            return replace(
                notification,
                state="sent",
                attempts=attempts,
                next_attempt_at=None,
                last_error=None,
                sent_at=self.now(),
            )
        state, next_at = wh.after_failure(
            attempts,
            self.now(),
            max_attempts=self.max_attempts,
            base=self.backoff_seconds,
            cap=self.backoff_cap_seconds,
        )
        log.info("notification %s attempt %d failed: %s", notification.id, attempts, error)
        return replace(
            notification,
            state=state,
            attempts=attempts,
            next_attempt_at=next_at,
            last_error=error,
        )

    # -- the background thread --------------------------------------------------------------

    def run_once(self) -> None:
        self.scan()
        now = self.now()
        if self._next_timed is None or now >= self._next_timed:
            self.scan_timed()
            if self.housekeeping is not None:
                self.housekeeping(now)
            self._next_timed = now + self.timed_every
        self.send_due()


_LIVE = (ContractState.PROPOSED, ContractState.ACCEPTED, ContractState.IN_DELIVERY)


def _live_contracts(uow: UnitOfWork, page: int = 500) -> list[Contract]:
    """Contracts proposed, accepted or in delivery: those time-based notices are about."""
    found: list[Contract] = []
    for state in _LIVE:
        offset = 0
        while True:
            batch = uow.contracts.list(ContractFilter(state=state, limit=page, offset=offset))
            found.extend(batch)
            if len(batch) < page:
                break
            offset += page
    return found


def senders_of(settings: Any) -> dict[str, Sender]:
    """The channels the settings configure: e-mail when an SMTP host is set (else into the mail
    folder, when one is set), LINE when a channel access token is."""
    senders: dict[str, Sender] = {}
    if settings.smtp_host:
        password = settings.smtp_password
        senders["email"] = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            timeout=settings.smtp_timeout_seconds,
            ca_file=settings.smtp_ca_file,
        )
    elif settings.mail_dir is not None:
        senders["email"] = MailFolderSender(Path(settings.mail_dir), sender=settings.smtp_from)
    if settings.line_channel_token is not None:
        senders["line"] = LineSender(
            settings.line_channel_token.get_secret_value(),
            endpoint=settings.line_endpoint,
            timeout=settings.line_timeout_seconds,
        )
    return senders


def purge_sessions(service: Any) -> Callable[[datetime], tuple[int, int]]:
    """The housekeeping of a service's notifier: delete the sign-in links and sessions that
    ended longer ago than ``session_retention_days`` (the sign-in log stays)."""
    settings = service.settings
    rules = SessionRules.of(
        settings.sign_in_link_minutes, settings.session_idle_hours, settings.session_max_days
    )
    retention = timedelta(days=settings.session_retention_days)

    def purge(now: datetime) -> tuple[int, int]:
        links, sessions = purge_ended(service.uow_factory, now, rules, retention)
        if links or sessions:
            log.info("deleted %d ended sign-in links and %d ended sessions", links, sessions)
        return links, sessions

    return purge


def build_notifier(service: Any, *, senders: Mapping[str, Sender] | None = None) -> Notifier | None:
    """The notifier of a bootstrapped service, or None when notifications are off or the
    service has no database of its own. Every scan of time it also deletes the sign-in links
    and sessions past their retention (:func:`purge_sessions`)."""
    settings = service.settings
    if not settings.notifications_enabled or service.db_engine is None:
        return None
    return Notifier(
        service.uow_factory,
        senders if senders is not None else senders_of(settings),
        crops=service.context.crops,
        max_attempts=settings.notify_max_attempts,
        backoff_seconds=settings.notify_backoff_seconds,
        poll_seconds=settings.notify_poll_seconds,
        reminder_hour=settings.notify_reminder_hour,
        housekeeping=purge_sessions(service),
    )
