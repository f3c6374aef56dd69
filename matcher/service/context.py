"""The collaborators handlers need besides the unit of work, built once by bootstrap."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from matcher.documents import ContractTerms
from matcher.domain.calendar import ClosedDays, no_closed_days
from matcher.domain.model import Crop
from matcher.domain.standards import StandardsRelation
from matcher.optimiser.instance import Parameters
from matcher.reference import District
from matcher.roads import RoadNetwork
from matcher.service.ports import Clock


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ServiceContext:
    crops: Mapping[str, Crop]
    standards: StandardsRelation
    parameters: Parameters = field(default_factory=Parameters)
    clock: Clock = field(default_factory=SystemClock)
    solver: str = "auto"
    """``auto``: CP-SAT when an integer rule (max_suppliers, min_lot, max_buyers_per_week)
    applies, else the min-cost flow."""
    lead_days: int = 0
    """Deliveries sooner than this many days from now are not opened in a round."""
    parallel: bool = False
    """Solve large rounds in forked worker processes (off: the service runs threads)."""
    proposal_ttl: timedelta = timedelta(hours=72)
    """A proposed contract not accepted within this time expires (its quantity is re-matched)."""
    proposal_cutoff: timedelta = timedelta(hours=24)
    """A proposal expires at the latest this long before its first delivery; deliveries closer
    than this at a round's time are not proposed (unfilled, reason ``too_late``)."""
    districts: Mapping[str, District] = field(default_factory=dict)
    """The province's districts by code (names for reports), from the reference data."""
    contract_terms: ContractTerms = field(default_factory=ContractTerms)
    """The contract document's configurable clauses (settings ``FOODMATCH_DOCUMENT_*``)."""
    roads: RoadNetwork | None = None
    """The province road model every round measures with (bootstrap loads ``data/roads``);
    ``None``: straight line × the road factor."""
    holidays: ClosedDays = no_closed_days
    """The public holidays deliveries avoid (bootstrap: Thailand's, :mod:`matcher.calendar`);
    each order's ``on_holiday`` says what a delivery on one does, with the kitchen's own
    non-delivery days."""
