"""The market at a glance: the crop catalogue, one market's open book, the overview, the audit."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateText, DateTimeText, Number, Week
from api.models.rounds import Round
from matcher.domain.model import Unit
from matcher.domain.standards import Scheme, Tier


@with_config(EXACT)
class Crop(TypedDict):
    """A crop of the catalogue."""

    id: str
    name_th: Annotated[str, Field(description="Name in Thai.")]
    name_en: Annotated[str, Field(description="Name in English.")]
    unit: Unit
    group: Annotated[str, Field(description="Crop group (certificates may cover a whole group).")]


@with_config(EXACT)
class BookWeek(TypedDict):
    """Open demand and free supply of one ISO week."""

    demand_open: int
    supply_free: int


@with_config(EXACT)
class BookOrderLine(TypedDict):
    """One open delivery of an order."""

    order_id: str
    buyer_id: str
    date: DateText
    open: int
    min_tier: Tier


@with_config(EXACT)
class BookSupplyLine(TypedDict):
    """One week of a supply announcement with free quantity."""

    supply_id: str
    group_id: str
    week: Week
    free: int
    scheme: Scheme


@with_config(EXACT)
class OpenBook(TypedDict):
    """The open book of one market."""

    crop_id: str
    weeks: Annotated[dict[str, BookWeek], Field(description="By ISO week, in order.")]
    orders: list[BookOrderLine]
    supply: list[BookSupplyLine]


@with_config(ConfigDict(extra="allow"))
class EngineStatus(TypedDict):
    """The engine's state; each engine adds its own figures (queue depth, rounds run, Kafka
    servers, messages sent...)."""

    engine: Annotated[str, Field(examples=["inprocess", "kafka"])]
    running: bool


@with_config(EXACT)
class Overview(TypedDict):
    """Counts for the live summary: participants, book, rounds, contracts, fill rate."""

    groups: int
    buyers: int
    orders_open: int
    supply_open: int
    open_demand: Annotated[
        int,
        Field(
            description="Ordered quantity of deliveries from today on neither under contract nor "
            "proposed."
        ),
    ]
    free_supply: Annotated[
        int, Field(description="Announced quantity neither under contract nor proposed.")
    ]
    rounds: int
    contracts: int
    contracts_by_state: Annotated[
        dict[str, int], Field(description="Non-zero counts by contract state.")
    ]
    ordered: int
    contracted: Annotated[
        int,
        Field(
            description="Ordered quantity under contracts the groups have accepted (accepted, in "
            "delivery, completed)."
        ),
    ]
    proposed: Annotated[
        int, Field(description="Ordered quantity under proposals not answered yet.")
    ]
    fill_rate: Annotated[Number, Field(description="contracted / ordered, 4 places.")]
    last_round: Annotated[Round | None, Field(description="The newest round that made a contract.")]
    empty_rounds_since: Annotated[
        int, Field(description="Rounds run after it; none made a contract.")
    ]
    last_empty_round_at: Annotated[
        DateTimeText | None, Field(description="When the newest of those finished.")
    ]
    engine: EngineStatus


@with_config(EXACT)
class AuditEntry(TypedDict):
    """One recorded change: when, what, by whom, on what, and why."""

    id: int
    at: DateTimeText
    event: Annotated[str, Field(examples=["ContractRejected"])]
    key: Annotated[
        str, Field(description="The market (crop) or participant it was recorded under.")
    ]
    subject: Annotated[str | None, Field(description="The id of what changed.")]
    actor: str
    reason: str
    state: str | None
