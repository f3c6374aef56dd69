"""The SQL unit of work: one session, one transaction at a time, every repository on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from matcher.adapters.db import held
from matcher.adapters.db.figures import SqlFigureQueries
from matcher.adapters.db.repositories import (
    SqlBuyerRepository,
    SqlCertificateRepository,
    SqlContractRepository,
    SqlGroupRepository,
    SqlInbox,
    SqlKeyStore,
    SqlMarketVersions,
    SqlOrderRepository,
    SqlOutbox,
    SqlReleaseLog,
    SqlRoundRepository,
    SqlSupplyRepository,
    SqlWebhookStore,
    touched_by_contracts,
)
from matcher.adapters.db.repositories.bank import SqlBankConsentStore
from matcher.adapters.db.repositories.notifications import SqlNotificationStore
from matcher.adapters.db.repositories.roads import SqlRoadDistanceStore
from matcher.adapters.db.repositories.sessions import SqlSignInStore
from matcher.adapters.db.session import SQLITE_BEGIN_OPTION
from matcher.service.ports import (
    BuyerRepository,
    CertificateRepository,
    ContractRepository,
    FigureQueries,
    GroupRepository,
    Inbox,
    KeyStore,
    KeyUnitOfWork,
    MarketVersions,
    NotificationStore,
    NotificationUnitOfWork,
    OrderRepository,
    Outbox,
    ReleaseLog,
    RoadDistanceStore,
    RoundRepository,
    SupplyRepository,
    UnitOfWork,
    WebhookStore,
    WebhookUnitOfWork,
)


class ReadOnlyError(RuntimeError):
    """``commit()`` was called on a read-only unit of work."""


class SqlUnitOfWork:
    """``with SqlUnitOfWork(sessions) as uow: ...; uow.commit()``.

    Leaving the block rolls back whatever was not committed and closes the session. After
    ``commit()`` or ``rollback()`` the unit of work stays usable: the next query opens a new
    transaction. ``read_only=True`` refuses ``commit()`` and, on SQLite, starts plain read
    transactions that never wait for the write lock.
    """

    groups: GroupRepository
    buyers: BuyerRepository
    certificates: CertificateRepository
    supply: SupplyRepository
    orders: OrderRepository
    contracts: ContractRepository
    releases: ReleaseLog
    rounds: RoundRepository
    markets: MarketVersions
    figures: FigureQueries
    inbox: Inbox
    outbox: Outbox
    webhooks: WebhookStore
    keys: KeyStore
    notifications: NotificationStore
    sign_ins: SqlSignInStore
    road_distances: RoadDistanceStore
    bank_consents: SqlBankConsentStore

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self.session_factory = session_factory
        self.read_only = read_only
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a with block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        session = self.session_factory()
        if self.read_only and isinstance(session.bind, Engine):
            session.bind = session.bind.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        self._session = session
        self.groups = self._groups = SqlGroupRepository(session)
        self.buyers = self._buyers = SqlBuyerRepository(session)
        self.certificates = SqlCertificateRepository(session)
        self.supply = self._supply = SqlSupplyRepository(session)
        self.orders = self._orders = SqlOrderRepository(session)
        self.contracts = SqlContractRepository(session)
        self.releases = SqlReleaseLog(session)
        self.rounds = SqlRoundRepository(session)
        self.markets = self._versions = SqlMarketVersions(session)
        self.figures = SqlFigureQueries(session)
        self.inbox = SqlInbox(session)
        self.outbox = SqlOutbox(session)
        self.webhooks = SqlWebhookStore(session)
        self.keys = SqlKeyStore(session)
        self.notifications = SqlNotificationStore(session)
        self.sign_ins = SqlSignInStore(session)
        self.road_distances = SqlRoadDistanceStore(session)
        self.bank_consents = SqlBankConsentStore(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        if self.read_only:
            raise ReadOnlyError("a read-only unit of work cannot commit")
        held.refresh(self.session)
        self.session.commit()
        self._ended()

    def rollback(self) -> None:
        touched_by_contracts(self.session)  # what was touched is rolled back with it
        self.session.rollback()
        self._ended()

    def _ended(self) -> None:
        """What the repositories remember of the transaction that ended."""
        self._versions.bumped.clear()
        self._orders.absent.clear()
        self._supply.absent.clear()
        self._forget_participants()

    def _forget_participants(self) -> None:
        self._groups.known.clear()
        self._buyers.known.clear()

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Writes wait for the commit (or the next explicit flush): a query in the block does
        not see what the block added, and the commit writes it all together."""
        with self.session.no_autoflush:
            yield

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """``SAVEPOINT``; an exception in the block rolls back to it and is re-raised. The
        contracts touched in it stay named for :func:`held.refresh`, which sets their sums
        from what the rows hold at commit, so a rolled-back change leaves them right."""
        moved = dict(self._versions.bumped)
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            self._versions.bumped = moved
            self._forget_participants()
            raise


if TYPE_CHECKING:

    def _implements_port(session_factory: sessionmaker[Session]) -> UnitOfWork:
        return SqlUnitOfWork(session_factory)

    def _implements_webhook_port(session_factory: sessionmaker[Session]) -> WebhookUnitOfWork:
        return SqlUnitOfWork(session_factory)

    def _implements_key_port(session_factory: sessionmaker[Session]) -> KeyUnitOfWork:
        return SqlUnitOfWork(session_factory)

    def _implements_notification_port(
        session_factory: sessionmaker[Session],
    ) -> NotificationUnitOfWork:
        return SqlUnitOfWork(session_factory)
