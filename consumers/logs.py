"""How a worker logs: the format of its lines, and the loggers kept quiet (its round process
logs the same way)."""

from __future__ import annotations

import logging

QUIET_LOGGERS = {
    "kafka": logging.WARNING,  # connection-level chatter of kafka-python
    "alembic.runtime.plugins": logging.WARNING,
    # "Timer ... is overlapping": a round or a relay batch took longer than the timer interval,
    # which is expected (the timers run their work to the end before the next tick).
    "mode.timers": logging.ERROR,
}


def configure_logging(level: str | int) -> None:
    """The worker's log lines (and its round process's, in the same format)."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, logging.root.level))
