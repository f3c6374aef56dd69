"""``bootstrap()``: builds the collaborators from settings and wires them together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from matcher.adapters.metrics import Metrics
from matcher.calendar import thai_holidays
from matcher.config import Settings
from matcher.documents import ContractTerms
from matcher.engine.registry import engine_builder
from matcher.optimiser.instance import Parameters
from matcher.optimiser.schema import parameters_from
from matcher.service.context import ServiceContext, SystemClock
from matcher.service.messagebus import MessageBus
from matcher.service.ports import UnitOfWork


@dataclass
class Service:
    """Everything a transport (API, worker, command line) needs."""

    settings: Settings
    context: ServiceContext
    bus: MessageBus
    uow_factory: Callable[[], UnitOfWork]
    read_uow_factory: Callable[[], UnitOfWork]
    """Units of work for reading only: on SQLite they never wait for the writer's lock."""
    metrics: Metrics
    engine: Any
    db_engine: Any = None

    def close(self) -> None:
        if self.db_engine is not None:
            self.db_engine.dispose()


def bootstrap(
    settings: Settings,
    *,
    clock: SystemClock | None = None,
    migrate: bool = True,
    uow_factory: Callable[[], UnitOfWork] | None = None,
) -> Service:
    from matcher.reference import data_dir, load_crops, load_districts, load_standards
    from matcher.roads import province_network

    parameters = service_parameters(settings)  # before the database: a bad knob opens nothing
    db_engine = None
    read_factory = uow_factory
    if uow_factory is None:
        from matcher.adapters.db.migrate import upgrade
        from matcher.adapters.db.session import make_engine, make_session_factory
        from matcher.adapters.db.uow import SqlUnitOfWork

        db_engine = make_engine(settings.database_url)
        if migrate:
            upgrade(db_engine)
        sessions = make_session_factory(db_engine)

        def uow_factory() -> UnitOfWork:
            return SqlUnitOfWork(sessions)

        def read_factory() -> UnitOfWork:
            return SqlUnitOfWork(sessions, read_only=True)

    context = ServiceContext(
        crops=load_crops(),
        standards=load_standards(),
        parameters=parameters,
        clock=clock or SystemClock(),
        solver=settings.solver,
        lead_days=settings.lead_days,
        proposal_ttl=timedelta(hours=settings.proposal_ttl_hours),
        proposal_cutoff=timedelta(hours=settings.proposal_cutoff_hours),
        districts={d.code: d for d in load_districts(settings.data_dir)},
        contract_terms=ContractTerms(
            late_penalty_percent=Decimal(str(settings.document_late_penalty_percent)),
            penalty_clause=settings.document_penalty_clause or "",
            force_majeure=settings.document_force_majeure,
            force_majeure_clause=settings.document_force_majeure_clause or "",
        ),
        holidays=thai_holidays(),
        roads=province_network(settings.data_dir or data_dir()),
    )
    metrics = Metrics()
    bus = MessageBus(uow_factory, context, subscribers=[metrics.on_event])
    assert read_factory is not None
    service = Service(settings, context, bus, uow_factory, read_factory, metrics, None, db_engine)
    service.engine = engine_builder(settings.engine)(service)
    _attach_notifier(service)
    return service


def _attach_notifier(service: Service) -> None:
    """The notifier runs beside the engines that keep companions (the in-process one), as the
    webhook dispatcher does."""
    companions = getattr(service.engine, "companions", None)
    if companions is None:
        return
    from matcher.adapters.notify.notifier import build_notifier

    notifier = build_notifier(service)
    if notifier is not None:
        companions.append(notifier)


def service_parameters(settings: Settings) -> Parameters:
    """The optimiser's parameters from the settings (checked: InvalidValue names the knob)."""
    return parameters_from(
        {
            "road_factor": settings.road_factor,
            "priority_weights": settings.priority_weights,
            "transport_cost_per_unit_km": settings.transport_cost_per_unit_km,
            "pricing_policy": settings.pricing_policy,
            "reference_prices": settings.reference_prices,
            "fairness": settings.fairness,
            "fairness_weight": settings.fairness_weight,
            "fairness_steps": settings.fairness_steps,
            "continuity_weight": settings.continuity_weight,
            "max_suppliers": settings.max_suppliers,
            "min_lot": settings.min_lot,
            "max_buyers_per_week": settings.max_buyers_per_week,
            "time_limit_seconds": settings.time_limit_seconds,
        }
    )
