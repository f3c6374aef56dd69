"""The coordinator's figures, computed once per state of the market.

Every change of the market is a handled command, and every handled command records its events
in the outbox in the same transaction; so the newest outbox id and the number of outbox rows,
with today's date (unmet demand and open demand start today), name a state of the market. The
figures of one state (the facts they are computed from, and each route's answer) are kept until
the state changes, and computed once however many requests ask at the same time: the others
wait for that one computation. A request whose unit of work sees an older state than the one
kept computes its answer for itself and keeps nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import date
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request

from api.deps import ReadUow, ServiceDep
from matcher.bootstrap import Service
from matcher.service import stats
from matcher.service.ports import UnitOfWork

T = TypeVar("T")

Version = tuple[int, int, date]
MAX_ANSWERS = 256
"""Answers kept for one state at most (reports of many filters are then computed each time)."""


def market_version(uow: UnitOfWork, today: date) -> Version:
    """The state of the market ``uow`` sees: newest outbox id, outbox rows, today."""
    newest = uow.outbox.history(limit=1)
    return (newest[0].id if newest else 0, uow.outbox.history_count(), today)


class FigureCache:
    """Answers of one state of the market, by key (see the module's description)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Version | None = None
        self._answers: dict[Hashable, Any] = {}
        self._flights: dict[Hashable, threading.Lock] = {}

    def get(self, version: Version, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer kept for ``key`` in state ``version``, else ``compute()`` (kept)."""
        with self._lock:
            if self._version is not None and version < self._version:
                flight = None  # an older state than the one kept: computed, not kept
            else:
                if version != self._version:
                    self._version = version
                    self._answers.clear()
                    self._flights.clear()
                if key in self._answers:
                    return cast(T, self._answers[key])
                flight = self._flights.setdefault(key, threading.Lock())
        if flight is None:
            return compute()
        with flight:
            with self._lock:
                if self._version == version and key in self._answers:
                    return cast(T, self._answers[key])
            answer = compute()
            with self._lock:
                if self._version == version and len(self._answers) < MAX_ANSWERS:
                    self._answers[key] = answer
            return answer


def figure_cache(request: Request) -> FigureCache:
    """The app's cache (made with the app, see :func:`install_figures`)."""
    cache: FigureCache = request.app.state.figures
    return cache


class Figures:
    """The figures of the state of the market a request's unit of work sees."""

    def __init__(self, cache: FigureCache, service: Service, uow: UnitOfWork) -> None:
        self.cache = cache
        self.service = service
        self.uow = uow
        self.today = service.context.clock.now().date()
        self.version = market_version(uow, self.today)

    def facts(self) -> stats.MarketFacts:
        return self.cache.get(
            self.version, ("facts",), lambda: stats.read_facts(self.uow, self.service.context)
        )

    def of_facts(self, key: Hashable, compute: Callable[[stats.MarketFacts], T]) -> T:
        """``compute(facts)``, kept under ``key`` for this state of the market."""
        return self.cache.get(self.version, key, lambda: compute(self.facts()))

    def of_uow(self, key: Hashable, compute: Callable[[UnitOfWork], T]) -> T:
        """``compute(uow)`` (a view read straight from the database), kept under ``key``."""
        return self.cache.get(self.version, key, lambda: compute(self.uow))


def request_figures(request: Request, uow: ReadUow, service: ServiceDep) -> Figures:
    return Figures(figure_cache(request), service, uow)


FiguresDep = Annotated[Figures, Depends(request_figures)]
