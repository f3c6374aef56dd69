"""The market's figures as Prometheus gauges, read from the database at scrape time.

:class:`MarketCollector` turns :class:`~matcher.service.stats.MarketFacts` into the catalogue's
``api`` metrics (fill rate, unmet demand, utilisation, distance, contracts, Gini, last round).
The facts are read at most once per ``cache_seconds``; a database that does not answer leaves the
scrape with the last figures read (and a warning in the log), never with an error.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from matcher.adapters.catalogue import BY_NAME
from matcher.service import stats
from matcher.service.stats import MarketFacts

if TYPE_CHECKING:
    from matcher.adapters.metrics import MeteredService as Service

log = logging.getLogger(__name__)


def _family(name: str) -> GaugeMetricFamily:
    spec = BY_NAME[name]
    return GaugeMetricFamily(name, spec.help, labels=list(spec.labels))


def market_families(f: MarketFacts) -> list[Metric]:
    """The gauges of one reading of the market (pure)."""
    participants = _family("foodmatch_participants")
    participants.add_metric(["group"], len(f.groups))
    participants.add_metric(["buyer"], len(f.buyers))
    return [
        participants,
        *_supply_families(f),
        *_fill_families(f),
        *_unmet_and_distance_families(f),
        *_contract_families(f),
        *_last_round_families(f),
    ]


def _supply_families(f: MarketFacts) -> list[Metric]:
    """Open demand, then free, announced and contracted supply and its utilisation, per crop."""
    demand = _family("foodmatch_open_demand_units")
    for crop, q in sorted(stats.open_demand(f).items()):
        demand.add_metric([crop], q)
    announced = _family("foodmatch_supply_announced_units")
    used = _family("foodmatch_supply_contracted_units")
    utilisation = _family("foodmatch_supply_utilisation")
    free = _family("foodmatch_free_supply_units")
    for crop, (a, u, p) in sorted(stats.supply_by_crop(f).items()):
        announced.add_metric([crop], a)
        used.add_metric([crop], u)
        utilisation.add_metric([crop], stats.ratio(u, a))
        free.add_metric([crop], a - u - p)
    return [demand, free, announced, used, utilisation]


def _fill_families(f: MarketFacts) -> list[Metric]:
    """Ordered, contracted and proposed units and the fill rate, per crop and week."""
    ordered = _family("foodmatch_ordered_units")
    contracted = _family("foodmatch_contracted_units")
    proposed = _family("foodmatch_proposed_units")
    rate = _family("foodmatch_fill_rate")
    for crop in stats.fill(f)["crops"]:
        for week, cell in crop["weeks"].items():
            ordered.add_metric([crop["crop_id"], week], cell["ordered"])
            contracted.add_metric([crop["crop_id"], week], cell["contracted"])
            proposed.add_metric([crop["crop_id"], week], cell["proposed"])
            rate.add_metric([crop["crop_id"], week], cell["fill_rate"])
    return [ordered, contracted, proposed, rate]


def _unmet_and_distance_families(f: MarketFacts) -> list[Metric]:
    """Unmet demand by reason, crop and district; kilometres per unit by crop."""
    unmet = _family("foodmatch_unmet_demand_units")
    cells = stats.unmet_by_reason_crop_district(f)
    for (reason, crop, district), q in sorted(cells.items()):
        unmet.add_metric([reason, crop, district], q)
    km = _family("foodmatch_km_per_unit")
    for crop, value in sorted(stats.km_per_unit(f).items()):
        km.add_metric([crop], value)
    return [unmet, km]


def _contract_families(f: MarketFacts) -> list[Metric]:
    """Contracts per state and the Gini coefficients of the groups' figures."""
    contracts = _family("foodmatch_contracts")
    for state, n in sorted(f.contracts_by_state.items()):
        contracts.add_metric([state], n)
    gini = _family("foodmatch_gini")
    for measure, value in stats.ginis(stats.group_figures(f)).items():
        gini.add_metric([measure], value)
    return [contracts, gini]


def _last_round_families(f: MarketFacts) -> list[Metric]:
    """The last round's fill rate, gap, solver and end (none before the first round)."""
    last = f.last_round
    if last is None:
        return []
    summary = last.summary
    fill = _family("foodmatch_last_round_fill_rate")
    fill.add_metric([], float(summary.get("fill_rate", 0.0)))
    gap = _family("foodmatch_last_round_gap")
    gap.add_metric([], float(summary.get("gap", 0.0)))
    info = _family("foodmatch_last_round_info")
    info.add_metric([last.solver, last.solver_status, last.trigger], 1)
    when = _family("foodmatch_last_round_timestamp_seconds")
    when.add_metric([], last.finished_at.timestamp())
    return [fill, gap, info, when]


class MarketCollector(Collector):
    def __init__(
        self,
        read: Callable[[], MarketFacts],
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._families: list[Metric] = []
        self._read_at: float | None = None
        self.reads = 0
        """How many times the facts were read (the cache's effect, for tests)."""

    def describe(self) -> list[Metric]:
        return []  # registering must not read the database

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._cache_seconds:
                try:
                    facts = self._read()
                    self._families = market_families(facts)
                    self.reads += 1
                except Exception:
                    log.warning("metrics: the market figures could not be read", exc_info=True)
                self._read_at = now
            families = list(self._families)
        yield from families


def install(service: Service) -> MarketCollector:
    """Register the market gauges on the service's metrics (once; the API calls it)."""
    for collector in service.metrics.collectors:
        if isinstance(collector, MarketCollector):
            return collector

    kept: list[tuple[stats.MarketState, MarketFacts]] = []

    def read() -> MarketFacts:
        """The facts of the market's state, read anew only when the state has changed."""
        with service.read_uow_factory() as uow:
            state = stats.market_state(uow, service.context.clock.now().date())
            if kept and kept[0][0] == state:
                return kept[0][1]
            facts = stats.read_facts(uow, service.context)
            kept[:] = [(state, facts)]
            return facts

    collector = MarketCollector(read, service.settings.metrics_cache_seconds)
    service.metrics.add_collector(collector)
    return collector
