"""The channels a notification goes out on. A sender sends one notification or raises.

* :class:`SmtpSender`: an e-mail over SMTP (STARTTLS and login when configured), plain text in
  UTF-8, with a ``Message-ID`` made from the notification's id so that a repeat after a crash
  is recognisable as the same message. STARTTLS always checks the server's certificate and
  name, against the certificate authorities of ``ca_file`` when given (else the system's).
* :class:`MailFolderSender`: the same e-mail written into a folder as an ``.eml`` file, for a
  machine without a mail server (the demo's ``.foodmatch/outbox/``).
* :class:`LineSender`: a LINE Messaging API push message through the official SDK
  (``line-bot-sdk``), ``POST {endpoint}/v2/bot/message/push`` with the channel access token as
  a bearer token and an ``X-Line-Retry-Key`` made from the
  notification's id: LINE accepts a retry key once and answers 409 to a repeat, which counts as
  sent.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from matcher.adapters.notify.line import LineAnswer, push_text
from matcher.service.ports import Notification

Sender = Callable[[Notification], None]
"""Sends one notification; raises :class:`SendError` (or any error) when it did not go."""

LINE_TEXT_LIMIT = 5000
"""The longest text message LINE takes, in characters."""


class SendError(RuntimeError):
    """A channel refused a message."""


def email_message(notification: Notification, sender: str) -> EmailMessage:
    """The e-mail of ``notification`` from ``sender``: plain text in UTF-8, with a
    ``Message-ID`` made from the notification's id."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = notification.address
    message["Subject"] = notification.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or "foodmatch.invalid"
    message["Message-ID"] = make_msgid(idstring=notification.id, domain=domain)
    message["Content-Language"] = notification.language
    message.set_content(notification.body, charset="utf-8")
    return message


class SmtpSender:
    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        starttls: bool = True,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ca_file: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ca_file = ca_file

    def tls_context(self) -> ssl.SSLContext:
        """A client context that checks the certificate and the host name (never off)."""
        return ssl.create_default_context(cafile=self.ca_file)

    def message(self, notification: Notification) -> EmailMessage:
        return email_message(notification, self.sender)

    def __call__(self, notification: Notification) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=self.tls_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            refused = smtp.send_message(self.message(notification))
        if refused:
            raise SendError(f"the server refused {', '.join(sorted(refused))}")


class MailFolderSender:
    """Writes each e-mail into a folder as ``<notification id>.eml`` instead of sending it (the
    demo's outbox, a machine without a mail server); a repeat writes the same file again."""

    def __init__(self, folder: Path, *, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def __call__(self, notification: Notification) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{notification.id}.eml"
        partial = target.with_suffix(".eml.partial")
        partial.write_bytes(bytes(email_message(notification, self.sender)))
        partial.replace(target)


class Push(Protocol):
    """Pushes one text message to LINE, as :func:`push_text`."""

    def __call__(
        self, endpoint: str, token: str, to: str, text: str, *, retry_key: str, timeout: float
    ) -> LineAnswer: ...


def line_text(notification: Notification) -> str:
    text = f"{notification.subject}\n\n{notification.body}".strip()
    return text[:LINE_TEXT_LIMIT]


def retry_key(notification: Notification) -> str:
    """The same UUID for every attempt of one notification."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"foodmatch:{notification.id}"))


class LineSender:
    """A push message through the official SDK (:func:`matcher.adapters.notify.line.push_text`)."""

    def __init__(
        self,
        token: str,
        *,
        endpoint: str = "https://api.line.me",
        timeout: float = 10.0,
        push: Push = push_text,
    ) -> None:
        self.token = token
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.push = push

    def __call__(self, notification: Notification) -> None:
        answer: LineAnswer = self.push(
            self.endpoint,
            self.token,
            notification.address,
            line_text(notification),
            retry_key=retry_key(notification),
            timeout=self.timeout,
        )
        if not answer.accepted:  # 409: this retry key was accepted before, the message went
            raise SendError(f"HTTP {answer.status}: {answer.body[:300]}")
