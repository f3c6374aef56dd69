"""Real servers for the notification channels: an SMTP server (aiosmtpd) that keeps what it
receives (with STARTTLS on a self-signed certificate made by ``openssl`` when asked), and a LINE
Messaging API stand-in that checks each push request's documented shape and token, and answers
500 to the first ``fail`` requests."""

from __future__ import annotations

import email
import email.policy
import json
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.ports import free_port

LINE_TOKEN = "line-channel-token-for-tests"
OPTIONAL = ("notificationDisabled", "customAggregationUnits")
"""The push request's optional fields, as LINE documents them."""
SMTP_LOGIN = ("notices@market.test", "smtp-password-for-tests")


@dataclass
class Mailbox:
    """What the SMTP server received: each message, parsed, with its envelope recipients."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refused_logins: list[str] = field(default_factory=list)
    encrypted: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.encrypted.append(session.ssl is not None)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by itself, and its key (PEM files in
    ``folder``): the certificate is also the authority a client is told to trust."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def running_smtp(
    *, login: bool = False, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on 127.0.0.1 (asking for a login when ``login``; with ``tls``, refusing
    anything but STARTTLS first and a login over it), and its port."""
    mailbox = Mailbox()

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and (
                data.login.decode(),
                data.password.decode(),
            )
            == SMTP_LOGIN
        )
        if ok:
            mailbox.logins.append(data.login.decode())
        elif isinstance(data, LoginPassword):
            mailbox.refused_logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)  # a refusal is answered 535

    port = free_port()
    extra: dict[str, Any] = {}
    if login:
        extra = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    if tls is not None:
        extra = {
            "authenticator": authenticate,
            "auth_required": True,
            "auth_require_tls": True,
            "tls_context": tls,
            "require_starttls": True,
        }
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass
class LineStandIn:
    fail: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    pushed: list[dict[str, Any]] = field(default_factory=list)
    retry_keys: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)

    def check(self, path: str, headers: Any, body: bytes) -> tuple[int, str]:
        """The answer to one request, as LINE would give it."""
        if path != "/v2/bot/message/push":
            return 404, "not found"
        if headers.get("Authorization") != f"Bearer {LINE_TOKEN}":
            return 401, '{"message":"Authentication failed"}'
        if not headers.get("Content-Type", "").startswith("application/json"):
            return 415, "JSON only"
        document = json.loads(body)
        messages = document.get("messages")
        shape = (
            {"to", "messages"} <= set(document) <= {"to", "messages", *OPTIONAL}
            and isinstance(document.get("notificationDisabled", False), bool)
            and isinstance(document["to"], str)
            and isinstance(messages, list)
            and 1 <= len(messages) <= 5
            and all(
                set(m) == {"type", "text"} and m["type"] == "text" and 0 < len(m["text"]) <= 5000
                for m in messages
            )
        )
        if not shape:
            return 400, '{"message":"The request body has 1 error(s)"}'
        key = headers.get("X-Line-Retry-Key", "")
        uuid.UUID(key)  # LINE takes a UUID here
        if key in self.retry_keys:
            return 409, '{"message":"The retry key is already accepted"}'
        self.requests += 1
        if self.requests <= self.fail:
            return 500, '{"message":"An error occurred in the internal server"}'
        self.retry_keys.append(key)
        self.pushed.append(document)
        self.agents.add(str(headers.get("User-Agent", "")).split("/")[0])
        sent = {"id": str(len(self.pushed)), "quoteToken": key}
        return 200, json.dumps({"sentMessages": [sent] * len(messages)})


@contextmanager
def running_line(fail: int = 0) -> Iterator[tuple[LineStandIn, str]]:
    """The stand-in's state and its endpoint (``http://127.0.0.1:<port>``)."""
    state = LineStandIn(fail=fail)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                try:
                    status, answer = state.check(self.path, self.headers, body)
                except ValueError as err:
                    status, answer = 400, str(err)
                if status >= 400 and status not in (409, 500):
                    state.refused.append(f"{status} {answer}")
            data = answer.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
