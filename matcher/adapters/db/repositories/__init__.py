"""SQL implementations of the repository ports in :mod:`matcher.service.ports`.

Each repository works inside the session of its unit of work and never commits. Rows are
translated to domain values on the way out (see :mod:`matcher.adapters.db.mapping`). One module
per aggregate: ``participants`` (farmer groups, certificates, buyers), ``book`` (supply and
orders), ``contracts`` (with ``bound``, what their deliveries still hold), ``releases``,
``rounds``, ``versions`` (per market), ``inbox``, ``outbox``, ``webhooks`` and ``keys``;
``queries`` reads many rows at once.
"""

from matcher.adapters.db.repositories.book import SqlOrderRepository, SqlSupplyRepository
from matcher.adapters.db.repositories.bound import BOUND_DEMAND, BOUND_SUPPLY
from matcher.adapters.db.repositories.contracts import SqlContractRepository, touched_by_contracts
from matcher.adapters.db.repositories.inbox import SqlInbox
from matcher.adapters.db.repositories.keys import SqlKeyStore
from matcher.adapters.db.repositories.outbox import SqlOutbox
from matcher.adapters.db.repositories.participants import (
    SqlBuyerRepository,
    SqlCertificateRepository,
    SqlGroupRepository,
)
from matcher.adapters.db.repositories.releases import SqlReleaseLog
from matcher.adapters.db.repositories.rounds import SqlRoundRepository
from matcher.adapters.db.repositories.versions import SqlMarketVersions
from matcher.adapters.db.repositories.webhooks import SqlWebhookStore

__all__ = [
    "BOUND_DEMAND",
    "BOUND_SUPPLY",
    "SqlBuyerRepository",
    "SqlCertificateRepository",
    "SqlContractRepository",
    "SqlGroupRepository",
    "SqlInbox",
    "SqlKeyStore",
    "SqlMarketVersions",
    "SqlOrderRepository",
    "SqlOutbox",
    "SqlReleaseLog",
    "SqlRoundRepository",
    "SqlSupplyRepository",
    "SqlWebhookStore",
    "touched_by_contracts",
]
