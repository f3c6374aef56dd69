"""Free TCP ports on 127.0.0.1 for the servers, brokers and metrics endpoints tests start."""

from __future__ import annotations

import contextlib
import random
import socket
from collections.abc import Collection
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now, below the ephemeral range: outgoing
    connections never take it, so a server or broker stopped for a while finds it free again."""
    low = 32768
    with contextlib.suppress(OSError, ValueError, IndexError):
        low = int(EPHEMERAL_RANGE.read_text().split()[0])
    for _ in range(200):
        port = random.randrange(20_000, max(low, 20_001))
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below the ephemeral range")


def free_ports(count: int, avoiding: Collection[int] = ()) -> list[int]:
    """``count`` different free ports, none of them in ``avoiding``."""
    found: list[int] = []
    while len(found) < count:
        port = free_port()
        if port not in avoiding and port not in found:
            found.append(port)
    return found
