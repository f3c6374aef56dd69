"""Whether a broker is there: a quick TCP probe of the bootstrap addresses, failing within seconds
with :class:`BrokerUnreachable` instead of kafka-python's long bootstrap waits."""

from __future__ import annotations

import socket

CONNECT_TIMEOUT = 3.0


class BrokerUnreachable(Exception):
    """No Kafka broker answers at the configured bootstrap address."""


class BrokerRefused(BrokerUnreachable):
    """The broker answers, but the configured security (SASL, TLS) does not let a client in, or
    cannot be used (a file named by a setting is missing)."""


def addresses(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port`` pairs of a bootstrap string (``a:9092,b:9092``; the port defaults to 9092)."""
    out: list[tuple[str, int]] = []
    for part in bootstrap.split(","):
        part = part.strip()
        if not part:
            continue
        host, sep, port = part.rpartition(":")
        if not sep:
            host, port = part, "9092"
        try:
            out.append((host.strip("[]") or "localhost", int(port)))
        except ValueError:
            raise BrokerUnreachable(f"{part!r} is not host:port") from None
    if not out:
        raise BrokerUnreachable("no bootstrap address is configured")
    return out


def probe(bootstrap: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Return once one bootstrap address accepts a TCP connection; else BrokerUnreachable."""
    reasons: list[str] = []
    for host, port in addresses(bootstrap):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except OSError as err:
            reasons.append(f"{host}:{port}: {err.strerror or err}")
    raise BrokerUnreachable(f"no Kafka broker answers at {bootstrap} ({'; '.join(reasons)})")
