"""Ports: what handlers need from persistence and the outside world (implemented by adapters)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from matcher.auth import ApiKey
from matcher.domain.contracts import (
    BookState,
    CancelledDelivery,
    Contract,
    ContractState,
    MatchingRound,
    OrderRecord,
    SupplyRecord,
    UnfilledLine,
)
from matcher.domain.errors import Conflict
from matcher.domain.lifecycle import Release
from matcher.domain.model import Buyer, Certificate, FarmerGroup
from matcher.service.aggregates import (
    DemandDay,
    FreeWeek,
    HeldCell,
    OpenDelivery,
    SupplyCell,
    UnmetCell,
)
from matcher.service.events import Event


class Clock(Protocol):
    def now(self) -> datetime: ...


class DuplicateMessage(Exception):
    """The inbox already holds this message id (a concurrent copy got there first)."""


REUSED_REASON = "message_id reused with a different body"


class MessageIdReused(Conflict):
    """A message id handled before comes again with another body: refused, the first stays.

    ``field``/``reason`` are what the dead-letter record says; the text is the API's answer."""

    field = "message_id"
    reason = REUSED_REASON

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(
            f"{REUSED_REASON}: {message_id!r} was already used for another request "
            "(Idempotency-Key); the first request stands"
        )


@dataclass(frozen=True, slots=True)
class ContractFilter:
    buyer_id: str | None = None
    group_id: str | None = None
    crop_id: str | None = None
    week: str | None = None
    state: ContractState | None = None
    order_id: str | None = None
    round_id: str | None = None
    limit: int = 100
    offset: int = 0


class GroupRepository(Protocol):
    def add(self, group: FarmerGroup) -> None: ...
    def get(self, group_id: str) -> FarmerGroup | None: ...
    def list(self) -> Sequence[FarmerGroup]: ...


class BuyerRepository(Protocol):
    def add(self, buyer: Buyer) -> None: ...
    def update(self, buyer: Buyer) -> None:
        """Stores ``buyer`` over the buyer of its id (which exists)."""

    def get(self, buyer_id: str) -> Buyer | None: ...
    def list(self) -> Sequence[Buyer]: ...


class CertificateRepository(Protocol):
    def add(self, certificate: Certificate) -> None: ...
    def revoke(self, certificate_id: str, revoked_on: date) -> None:
        """Set the date from which the certificate is no longer valid."""
        ...

    def get(self, certificate_id: str) -> Certificate | None: ...
    def list(self, group_id: str | None = None) -> Sequence[Certificate]: ...


class SupplyRepository(Protocol):
    def add(self, record: SupplyRecord) -> None: ...
    def get(self, supply_id: str) -> SupplyRecord | None: ...
    def prefetch(self, ids: Collection[str]) -> None:
        """Reads these at once: a ``get`` of one of them in this transaction needs no query
        of its own."""
        ...

    def set_state(self, supply_id: str, state: BookState) -> None: ...
    def list(
        self,
        *,
        state: BookState | None = None,
        group_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[SupplyRecord]: ...


class OrderRepository(Protocol):
    def add(self, record: OrderRecord) -> None: ...
    def get(self, order_id: str) -> OrderRecord | None: ...
    def prefetch(self, ids: Collection[str]) -> None:
        """Reads these at once: a ``get`` of one of them in this transaction needs no query
        of its own."""
        ...

    def set_state(self, order_id: str, state: BookState) -> None: ...
    def cancel_delivery(self, order_id: str, cancelled: CancelledDelivery) -> None:
        """The date leaves the order's deliveries and is kept in its ``cancelled``."""
        ...

    def list(
        self,
        *,
        state: BookState | None = None,
        buyer_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[OrderRecord]: ...


class ContractRepository(Protocol):
    def add(self, contract: Contract) -> None:
        """A new contract, with its deliveries and history."""
        ...

    def update(self, contract: Contract) -> None:
        """Store a changed contract: its state, its deliveries (dates, quantities, states,
        confirmations) and the history entries it gained (earlier entries never change)."""
        ...

    def get(self, contract_id: str) -> Contract | None: ...
    def list(self, where: ContractFilter) -> Sequence[Contract]: ...
    def count(self, where: ContractFilter) -> int: ...
    def bound_demand(self, crops: Sequence[str] = ()) -> dict[tuple[str, date], int]:
        """Quantity under live contracts per (order, delivery date), of ``crops`` when given."""
        ...

    def bound_supply(self, crops: Sequence[str] = ()) -> dict[tuple[str, str], int]:
        """Quantity under live contracts per (supply, week), of ``crops`` when given."""
        ...

    def proposed_demand(self) -> dict[tuple[str, date], int]:
        """Of ``bound_demand``, the quantity under proposals not answered yet."""
        ...

    def proposed_supply(self) -> dict[tuple[str, str], int]:
        """Of ``bound_supply``, the quantity under proposals not answered yet."""
        ...

    def due_proposals(self, at: datetime) -> Sequence[Contract]:
        """Proposed contracts whose deadline is at or before ``at``."""
        ...

    def declined(self, order_ids: Sequence[str]) -> set[tuple[str, str]]:
        """(order, group) pairs of rejected contracts of these orders: not proposed again."""
        ...


class ReleaseLog(Protocol):
    """Quantities that left contracts, kept so the contracts that take them up say why."""

    def add(self, release: Release, at: datetime) -> None: ...
    def causes(self, order_ids: Sequence[str]) -> dict[tuple[str, date], str]:
        """The latest cause per (order, delivery date) not yet taken up by a new contract."""
        ...

    def taken_up(self, order_id: str, day: date, contract_id: str) -> None:
        """A new contract took up what was released for this delivery."""
        ...


class RoundRepository(Protocol):
    def add(self, record: MatchingRound) -> None: ...
    def get(self, round_id: str) -> MatchingRound | None: ...
    def list(
        self, *, limit: int = 50, offset: int = 0, unfilled: bool = True
    ) -> Sequence[MatchingRound]:
        """Newest first; ``unfilled=False`` leaves the rounds' unfilled lines out (faster)."""
        ...

    def count(self) -> int: ...
    def latest_with_contracts(self) -> MatchingRound | None:
        """The newest round that made a contract (its unfilled lines left out)."""
        ...

    def after(self, record: MatchingRound | None) -> tuple[int, datetime | None]:
        """How many rounds started after ``record`` (every round when None), and when the
        newest of them finished (None when there is none)."""
        ...

    def latest_unfilled(self, crop_ids: Collection[str]) -> Sequence[UnfilledLine]:
        """The unfilled lines of the last round that cleared each of these markets."""
        ...


class FigureQueries(Protocol):
    """The market in aggregate, what the coordinator's figures are computed from (see
    :mod:`matcher.service.aggregates`, whose functions define each answer)."""

    def demand_days(self) -> Sequence[DemandDay]:
        """Open orders' deliveries per crop and day, sorted."""
        ...

    def ordered_by_buyer(self) -> dict[str, int]:
        """Quantity of open orders (every delivery) per buyer."""
        ...

    def supply_cells(self) -> Sequence[SupplyCell]:
        """Open supply per group and crop, sorted."""
        ...

    def held_cells(self) -> Sequence[HeldCell]:
        """Contracts not released per group, buyer, crop and answer, sorted."""
        ...

    def contracts_by_state(self) -> dict[str, int]:
        """How many contracts are in each state (every state named, 0 included)."""
        ...

    def participants_and_book(self) -> dict[str, int]:
        """How many ``groups`` and ``buyers`` are registered, and how many orders
        (``orders_open``) and supply announcements (``supply_open``) are open."""
        ...

    def unmet_cells(
        self, crop_ids: Collection[str], today: date, buyer_id: str | None = None
    ) -> Sequence[UnmetCell]:
        """What the last round that cleared each of these markets left unfilled and is still
        open, in cells (of one buyer's orders only, with ``buyer_id``), sorted."""
        ...

    def open_demand(self, today: date) -> int:
        """Quantity of open orders' deliveries from ``today`` on not under contract."""
        ...

    def open_deliveries(self, crop_id: str, since: date | None = None) -> Sequence[OpenDelivery]:
        """One market's open orders' deliveries with open quantity, oldest order first, each
        order's by day; with ``since``, those from that day on."""
        ...

    def free_weeks(self, crop_id: str) -> Sequence[FreeWeek]:
        """One market's open supply weeks with free quantity, oldest announcement first."""
        ...


class MarketVersions(Protocol):
    def get(self, crop_id: str) -> int: ...
    def all(self) -> dict[str, int]: ...
    def removals(self) -> dict[str, int]:
        """Each market's count of changes other than additions (see :meth:`bump`)."""
        ...

    def bump(self, crop_id: str, *, addition: bool = False) -> None:
        """The market's book changed: its version moves on, and its removals too unless the
        change only added an order or supply (once per transaction). A round whose market
        moved by additions alone keeps its result for the part of the book it saw."""
        ...

    def lock(self, crop_ids: Sequence[str]) -> dict[str, int]:
        """Versions of these markets, locked until the transaction ends (in crop order)."""
        ...


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message a handler refused: which error, on which field, and why."""

    message_id: str
    kind: str
    error: str
    field: str
    reason: str
    at: datetime


class Inbox(Protocol):
    def seen(self, message_id: str) -> bool: ...
    def reject(self, rejection: Rejection) -> None:
        """Remember (or replace) why a message was refused; it stays unhandled."""
        ...

    def rejection(self, message_id: str) -> Rejection | None: ...
    def digest(self, message_id: str) -> str | None:
        """The body digest of a handled message: None when the id was never handled, '' when
        it was handled before digests were kept."""
        ...

    def record(self, message_id: str, kind: str, at: datetime, digest: str = "") -> None:
        """Raises :class:`DuplicateMessage` when the id is already there."""
        ...

    def digests(self, message_ids: Collection[str]) -> dict[str, str]:
        """:meth:`digest` of each of these ids that was handled (the others are left out)."""
        ...

    def add(self, message_id: str, kind: str, at: datetime, digest: str = "") -> None:
        """:meth:`record` written with the transaction: a duplicate id fails the commit."""
        ...


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    event: str
    key: str
    payload: dict[str, object]
    created_at: datetime


class Outbox(Protocol):
    def add(self, event: Event, at: datetime) -> None: ...
    def pending(self, limit: int = 500) -> Sequence[OutboxEntry]:
        """Events neither published nor parked, oldest first."""
        ...

    def mark_published(self, ids: Sequence[int], at: datetime) -> None: ...
    def park(self, entry_id: int, reason: str, at: datetime) -> None:
        """Give up on publishing an event for good (``reason``: why); it stays recorded."""
        ...

    def history(
        self,
        *,
        event: str | None = None,
        key: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[OutboxEntry]:
        """Recorded events, newest first (the audit trail)."""
        ...

    def history_count(self, *, event: str | None = None, key: str | None = None) -> int:
        """How many recorded events :meth:`history` has with these filters, over every page."""
        ...


@dataclass(frozen=True, slots=True)
class RoadDistance:
    """A coordinator's measured road km from a group to a buyer (overrides the road model)."""

    group_id: str
    buyer_id: str
    km: float
    source: str
    updated_at: datetime


class RoadDistanceStore(Protocol):
    def list(self, limit: int | None = None, offset: int = 0) -> list[RoadDistance]: ...
    def table(self) -> dict[tuple[str, str], float]: ...
    def put(self, items: Iterable[RoadDistance]) -> int: ...


class UnitOfWork(Protocol):
    """One transaction over every repository. Leaving without ``commit()`` rolls back."""

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
    road_distances: RoadDistanceStore

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def quietly(self) -> AbstractContextManager[None]:
        """Writes wait for the commit: a query in the block does not see what the block
        added, and the commit writes it all together (a conflict fails the commit)."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint inside the transaction: leaving the block by an exception undoes only
        what was written in it (and re-raises); the rest of the transaction stays."""
        ...


# -- webhooks (configuration and delivery log; not part of the market's unit of work) -------


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    participant_id: str
    url: str
    secret: str
    created_at: datetime
    active: bool = True


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: str
    webhook_id: str
    outbox_id: int
    event: str
    payload: dict[str, object]
    state: str
    """pending, delivered or failed."""
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_status: int | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookStore(Protocol):
    def add(self, webhook: Webhook) -> None: ...
    def get(self, webhook_id: str) -> Webhook | None:
        """An active webhook."""
        ...

    def list(self, participant_id: str | None = None) -> Sequence[Webhook]:
        """Active webhooks, of one participant when given."""
        ...

    def deactivate(self, webhook_id: str) -> bool:
        """Stop deliveries to a webhook (its log stays); False when there is no active one."""
        ...

    def unfanned(self, limit: int = 500) -> Sequence[OutboxEntry]:
        """Recorded events whose webhook deliveries are not written yet, oldest first (locked
        against a concurrent fan-out where the database can)."""
        ...

    def mark_fanned(self, ids: Sequence[int], at: datetime) -> None: ...
    def add_delivery(self, delivery: WebhookDelivery) -> bool:
        """False (and nothing written) when a delivery of that id exists."""
        ...

    def due(self, at: datetime, limit: int = 100) -> Sequence[WebhookDelivery]: ...
    def update_delivery(self, delivery: WebhookDelivery) -> None: ...
    def deliveries(
        self, webhook_id: str, *, limit: int = 100, offset: int = 0
    ) -> Sequence[WebhookDelivery]:
        """The delivery log of a webhook, newest first."""
        ...

    def count_deliveries(self, webhook_id: str) -> int:
        """How many deliveries the log of a webhook holds."""
        ...

    def delivery(self, delivery_id: str) -> WebhookDelivery | None: ...


# -- notifications (contacts, the notification outbox and its log) --------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    """How a participant (group or buyer) is reached, in which language, on which channels."""

    participant_id: str
    email: str | None = None
    line_user_id: str | None = None
    phone: str | None = None
    language: str = "th"
    channels: tuple[str, ...] = ()
    """Channels the participant wants notices on: ``email``, ``line``."""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to one participant on one channel (its id is deterministic, see
    :func:`matcher.notifications.notification_id`)."""

    id: str
    key: str
    """What it is about: ``event:<outbox id>``, ``sign_in:<digest>``, ..."""
    kind: str
    participant_id: str
    channel: str
    address: str
    language: str
    subject: str
    body: str
    state: str
    """pending, sent or failed."""
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NotificationFilter:
    participant_id: str | None = None
    state: str | None = None
    kind: str | None = None
    channel: str | None = None


class NotificationStore(Protocol):
    def contact(self, participant_id: str) -> Contact | None: ...
    def put_contact(self, contact: Contact) -> None:
        """Insert or replace the participant's contact."""
        ...

    def unnotified(self, limit: int = 500) -> Sequence[OutboxEntry]:
        """Recorded events the notifier has not read yet, oldest first."""
        ...

    def mark_notified(self, ids: Sequence[int], at: datetime) -> None: ...
    def add(self, notification: Notification) -> bool:
        """Queue a notification; False (and nothing written) when its id is already there."""
        ...

    def get(self, notification_id: str) -> Notification | None: ...
    def due(self, at: datetime, limit: int = 100) -> Sequence[Notification]:
        """Pending notifications whose next attempt is at or before ``at``, oldest first."""
        ...

    def update(self, notification: Notification) -> None:
        """Record an attempt: state, attempts, next attempt, last error, sent at."""
        ...

    def log(
        self, where: NotificationFilter, *, limit: int = 100, offset: int = 0
    ) -> Sequence[Notification]:
        """The delivery log, newest first."""
        ...

    def count(self, where: NotificationFilter) -> int: ...


class KeyStore(Protocol):
    """API keys (hashed secrets only)."""

    def add(self, key: ApiKey) -> None: ...
    def get(self, key_id: str) -> ApiKey | None: ...
    def list(self, *, include_revoked: bool = False) -> Sequence[ApiKey]: ...
    def revoke(self, key_id: str, at: datetime) -> bool:
        """Revoke an active key; False when there is none."""
        ...


class KeyUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also holds the API keys (the SQL one does)."""

    keys: KeyStore


class WebhookUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also holds the webhooks (the SQL one does)."""

    webhooks: WebhookStore


class NotificationUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also holds contacts and notifications (the SQL one does)."""

    notifications: NotificationStore
