"""The coordinator's figures, computed once per state of the market.

Every change of the market is a handled command, and every handled command records its events
in the outbox in the same transaction; so the newest outbox id and the number of outbox rows,
with today's date (unmet demand and open demand start today), name a state of the market. The
figures of one state (the facts they are computed from, and each route's answer) are kept until
the state changes, and computed once however many requests ask at the same time: the others
wait for that one computation. A request whose unit of work sees an older state than the newest
one seen computes its answer for itself and keeps nothing.

A figure whose computation takes long (:data:`SLOW_SECONDS` or more, its facts included: a
large market) is not waited for after a change: the request is answered at once with the answer
of the previous state, marked ``X-Figures-State: previous``, while one background computation
brings the current state's answer, which the requests after it get (``current``). Small markets
compute in milliseconds and are always answered with the current state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request, Response

from api.deps import ReadUow, ServiceDep
from matcher.bootstrap import Service
from matcher.domain.contracts import MatchingRound
from matcher.domain.model import Buyer, FarmerGroup
from matcher.service import stats
from matcher.service.aggregates import DemandDay, HeldCell, SupplyCell, UnmetCell
from matcher.service.ports import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")

Version = stats.MarketState
MAX_ANSWERS = 256
"""Answers kept at most (reports of many filters beyond it are computed each time)."""
SLOW_SECONDS = 0.5
"""From this computation time on, a figure is answered from the previous state after a change
while the current one is computed in the background."""
STATE_HEADER = "X-Figures-State"


FIGURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The figure.",
        "headers": {
            STATE_HEADER: {
                "description": "`current`: of the market as it is stored now; `previous`: of "
                "the state before the latest change(s), answered while the current one is "
                "computed (large markets only).",
                "schema": {"type": "string", "enum": ["current", "previous"]},
            }
        },
    }
}


@dataclass(frozen=True, slots=True)
class Kept:
    version: Version
    answer: Any
    seconds: float
    """How long it took to compute (its facts included when they were computed for it)."""


class FigureCache:
    """Answers by key, each of the newest state it was computed for (see the module)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # ``slow`` may look at what is kept
        self._newest: Version | None = None
        self._kept: dict[Hashable, Kept] = {}
        self._flights: dict[tuple[Version, Hashable], threading.Lock] = {}
        self._refreshing: set[Hashable] = set()

    def kept(self, key: Hashable) -> Kept | None:
        with self._lock:
            return self._kept.get(key)

    def seconds_of(self, keys: Iterable[Hashable]) -> float:
        """How long the kept answers of ``keys`` took to compute, together."""
        with self._lock:
            return sum(k.seconds for key in keys if (k := self._kept.get(key)) is not None)

    def get(
        self,
        version: Version,
        key: Hashable,
        compute: Callable[[], T],
        *,
        slow: Callable[[Kept], bool] | None = None,
        refresh: Callable[[], None] | None = None,
    ) -> tuple[T, Version]:
        """The answer for ``key`` in state ``version`` and the state it is of: the one kept,
        else ``compute()`` (kept). With ``refresh``, when what is kept is of an earlier state
        and ``slow(kept)``, that is answered and ``refresh()`` runs in a background thread."""
        with self._lock:
            if self._newest is not None and version < self._newest:
                flight = None  # an older state than the newest seen: computed, not kept
            else:
                if version != self._newest:
                    self._newest = version
                    self._flights = {k: v for k, v in self._flights.items() if k[0] == version}
                kept = self._kept.get(key)
                if kept is not None and kept.version == version:
                    return cast(T, kept.answer), version
                if kept is not None and refresh is not None and slow is not None and slow(kept):
                    self._start_refresh(key, refresh)
                    return cast(T, kept.answer), kept.version
                flight = self._flights.setdefault((version, key), threading.Lock())
        if flight is None:
            return compute(), version
        with flight:
            with self._lock:
                kept = self._kept.get(key)
                if kept is not None and kept.version == version:
                    return cast(T, kept.answer), version
            started = time.perf_counter()
            answer = compute()
            seconds = time.perf_counter() - started
            with self._lock:
                kept = self._kept.get(key)
                if kept is None and len(self._kept) >= MAX_ANSWERS:  # room: drop older states
                    self._kept = {k: v for k, v in self._kept.items() if v.version == version}
                room = len(self._kept) < MAX_ANSWERS
                if (kept is None and room) or (kept is not None and kept.version <= version):
                    self._kept[key] = Kept(version, answer, seconds)
            return answer, version

    def _start_refresh(self, key: Hashable, refresh: Callable[[], None]) -> None:
        """One background computation per key at a time (called holding the lock)."""
        if key in self._refreshing:
            return
        self._refreshing.add(key)

        def run() -> None:
            try:
                refresh()
            except Exception:
                log.exception("computing the figure %r in the background failed", key)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        threading.Thread(target=run, name=f"figures-{key!r}"[:60], daemon=True).start()


def figure_cache(request: Request) -> FigureCache:
    """The app's cache (``app.state.figures``, made with the app)."""
    cache: FigureCache = request.app.state.figures
    return cache


class Figures:
    """The figures of the state of the market a request's unit of work sees."""

    def __init__(self, cache: FigureCache, service: Service, uow: UnitOfWork) -> None:
        self.cache = cache
        self.service = service
        self.uow = uow
        self.today = service.context.clock.now().date()
        self.version = stats.market_state(uow, self.today)
        self.previous = False
        """Whether an answer given was of an earlier state (a slow figure being computed)."""

    def facts(self) -> KeptFacts:
        """The facts of this state, each part read when a figure first needs it, and kept."""
        return KeptFacts(self)

    def of_facts(self, key: Hashable, compute: Callable[[stats.Facts], T]) -> T:
        """``compute(facts)``, kept under ``key`` for this state of the market."""

        def slow(kept: Kept) -> bool:
            return kept.seconds + self.cache.seconds_of(PART_KEYS) >= SLOW_SECONDS

        return self._get(key, lambda figures: compute(figures.facts()), slow)

    def of_uow(self, key: Hashable, compute: Callable[[UnitOfWork], T]) -> T:
        """``compute(uow)`` (a view read straight from the database), kept under ``key``."""
        return self._get(
            key, lambda figures: compute(figures.uow), lambda kept: kept.seconds >= SLOW_SECONDS
        )

    def of_view(self, key: Hashable, compute: Callable[[UnitOfWork, stats.Facts], T]) -> T:
        """``compute(uow, facts)``: a view read from the database that takes what it can from
        the facts the figures share, kept under ``key``."""

        def slow(kept: Kept) -> bool:
            return kept.seconds + self.cache.seconds_of(PART_KEYS) >= SLOW_SECONDS

        return self._get(key, lambda figures: compute(figures.uow, figures.facts()), slow)

    def _get(
        self, key: Hashable, compute: Callable[[Figures], T], slow: Callable[[Kept], bool]
    ) -> T:
        def refresh() -> None:
            with self.service.read_uow_factory() as uow:
                fresh = Figures(self.cache, self.service, uow)
                self.cache.get(fresh.version, key, lambda: compute(fresh))

        answer, version = self.cache.get(
            self.version, key, lambda: compute(self), slow=slow, refresh=refresh
        )
        self.previous = self.previous or version != self.version
        return answer

    def mark(self, response: Response) -> None:
        """Tell in ``response`` which state the answer is of (``current`` or ``previous``)."""
        response.headers[STATE_HEADER] = "previous" if self.previous else "current"


PART_KEYS = tuple(("facts", name) for name in stats.PARTS)


class KeptFacts:
    """:class:`~matcher.service.stats.Facts` of one request's state of the market: each part is
    read from the request's unit of work when a figure first needs it, and kept for that state
    (so a figure reads only what it needs, and the parts figures share are read once)."""

    def __init__(self, figures: Figures) -> None:
        self._figures = figures
        self.today = figures.today
        context = figures.service.context
        self.crops = context.crops
        self.districts = context.districts
        self.generated_at = context.clock.now()

    def _part(self, name: str) -> Any:
        f = self._figures
        read = stats.PARTS[name]
        answer, _ = f.cache.get(
            f.version, ("facts", name), lambda: read(f.uow, f.service.context, f.today)
        )
        return answer

    @property
    def groups(self) -> Mapping[str, FarmerGroup]:
        return cast(Mapping[str, FarmerGroup], self._part("groups"))

    @property
    def buyers(self) -> Mapping[str, Buyer]:
        return cast(Mapping[str, Buyer], self._part("buyers"))

    @property
    def demand(self) -> Sequence[DemandDay]:
        return cast(Sequence[DemandDay], self._part("demand"))

    @property
    def ordered_by_buyer(self) -> Mapping[str, int]:
        return cast(Mapping[str, int], self._part("ordered_by_buyer"))

    @property
    def supply(self) -> Sequence[SupplyCell]:
        return cast(Sequence[SupplyCell], self._part("supply"))

    @property
    def held(self) -> Sequence[HeldCell]:
        return cast(Sequence[HeldCell], self._part("held"))

    @property
    def contracts_by_state(self) -> Mapping[str, int]:
        return cast(Mapping[str, int], self._part("contracts_by_state"))

    @property
    def unmet(self) -> Sequence[UnmetCell]:
        return cast(Sequence[UnmetCell], self._part("unmet"))

    @property
    def open_demand_total(self) -> int:
        return cast(int, self._part("open_demand_total"))

    def unmet_for(self, buyer_id: str | None) -> Sequence[UnmetCell]:
        """``unmet``, or of one buyer's orders only (kept per state and buyer)."""
        if buyer_id is None:
            return self.unmet
        f = self._figures
        crops = sorted(f.service.context.crops)
        answer, _ = f.cache.get(
            f.version,
            ("facts", "unmet", buyer_id),
            lambda: f.uow.figures.unmet_cells(crops, f.today, buyer_id),
        )
        return answer

    @property
    def last_round(self) -> MatchingRound | None:
        return cast(MatchingRound | None, self._part("last_round"))


def request_figures(request: Request, uow: ReadUow, service: ServiceDep) -> Figures:
    return Figures(figure_cache(request), service, uow)


FiguresDep = Annotated[Figures, Depends(request_figures)]
