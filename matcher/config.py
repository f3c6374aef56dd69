"""Settings: one prefix, ``FOODMATCH_``, nested with ``__`` (``FOODMATCH_KAFKA__PARTITIONS``).

Built by :func:`load_settings`, never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher.optimiser.instance import Parameters

# The optimiser's knobs default to the optimiser's own defaults; their bounds are checked by
# Parameters when the service is built (bootstrap), so they are written down once.
_OPTIMISER = Parameters()


SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})
SSL_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})
_SASL_FIELDS = ("sasl_mechanism", "sasl_username", "sasl_password")
_SSL_FIELDS = ("ssl_cafile", "ssl_certfile", "ssl_keyfile", "ssl_password")

EngineName = Literal["inprocess", "kafka"]
FORMER_ENGINE_NAMES: dict[str, EngineName] = {"faust": "kafka"}
"""Engine names still accepted, and the engine each now goes by: the Kafka engine was called
``faust`` (after the workers' library, though the API side publishes with kafka-python)."""


def kafka_env(field: str) -> str:
    """The environment variable of a Kafka setting: ``FOODMATCH_KAFKA__<FIELD>``."""
    return f"FOODMATCH_KAFKA__{field.upper()}"


class KafkaSettings(BaseModel):
    """Where the broker is, the topics' shape, and how clients authenticate (kafka-python and
    faust get the same security settings: :mod:`matcher.adapters.kafka.security`).

    Passwords are :class:`SecretStr`: ``repr``, ``str`` and ``model_dump_json`` show
    ``**********``. Whether the files named exist is checked when a client is built.
    """

    # A refused setting is not echoed in the error: it may be a password.
    model_config = ConfigDict(hide_input_in_errors=True)

    # The descriptions are the reference's text: docs/configuration.md is generated from them
    # (python -m matcher.config_docs), so they are written in Markdown.
    bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka brokers.")
    topic_prefix: str = Field(
        "foodmatch",
        description="Topic names are `<prefix>.<name>`; the consumer group is `<prefix>-worker`.",
    )
    partitions: int = Field(
        6, ge=1, description="Partitions of the inbound and outbound topics (rounds: 1)."
    )
    replication_factor: int = Field(1, ge=1, description="Replication of the topics created.")
    security_protocol: SecurityProtocol = Field(
        "PLAINTEXT",
        description="`PLAINTEXT`, `SSL` (TLS), `SASL_PLAINTEXT` (SASL login, no TLS) or "
        "`SASL_SSL` (SASL over TLS); used by every kafka-python client (publisher, topic admin, "
        "relay, lag) and the faust workers.",
    )
    sasl_mechanism: SaslMechanism | None = Field(
        None,
        description="`PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`; required (and only allowed) "
        "with the SASL protocols.",
    )
    sasl_username: str | None = Field(None, description="SASL user (SASL protocols).")
    sasl_password: SecretStr | None = Field(
        None,
        description="SASL password (SASL protocols); never shown (`**********` in logs, errors "
        "and `repr`).",
    )
    ssl_cafile: Path | None = Field(
        None,
        description="PEM file of the CAs that sign the broker's certificate (`SSL`, "
        "`SASL_SSL`); unset: the system's CAs.",
    )
    ssl_certfile: Path | None = Field(
        None,
        description="The client's certificate (PEM) for TLS client authentication; with "
        "`FOODMATCH_KAFKA__SSL_KEYFILE`: both or neither.",
    )
    ssl_keyfile: Path | None = Field(
        None,
        description="The client's private key (PEM) for TLS client authentication; with "
        "`FOODMATCH_KAFKA__SSL_CERTFILE`: both or neither.",
    )
    ssl_password: SecretStr | None = Field(
        None, description="The password of an encrypted private key; never shown."
    )
    ssl_check_hostname: bool = Field(
        True, description="Check that the broker's certificate names the host connected to."
    )

    @model_validator(mode="before")
    @classmethod
    def _blank_protocol_is_default(cls, data: Any) -> Any:
        """``FOODMATCH_KAFKA__SECURITY_PROTOCOL=`` (empty) means the default, PLAINTEXT."""
        protocol = data.get("security_protocol") if isinstance(data, dict) else None
        if isinstance(protocol, str) and not protocol.strip():
            data = {k: v for k, v in data.items() if k != "security_protocol"}
        return data

    @field_validator("security_protocol", *_SASL_FIELDS, *_SSL_FIELDS, mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty variable (``FOODMATCH_KAFKA__SASL_USERNAME=``) counts as unset; the
        protocol and the mechanism are case-insensitive."""
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        if info.field_name in ("security_protocol", "sasl_mechanism"):
            return value.upper()
        return value

    @model_validator(mode="after")
    def _consistent(self) -> KafkaSettings:
        protocol = self.security_protocol
        if protocol in SASL_PROTOCOLS:
            missing = [kafka_env(f) for f in _SASL_FIELDS if not self._given(f)]
            if missing:
                raise ValueError(
                    f"{kafka_env('security_protocol')}={protocol} needs "
                    f"{', '.join(missing)} (not set)"
                )
        else:
            stray = [kafka_env(f) for f in _SASL_FIELDS if self._given(f)]
            if stray:
                raise ValueError(
                    f"{', '.join(stray)} set, but {kafka_env('security_protocol')} is "
                    f"{protocol}: SASL needs SASL_PLAINTEXT or SASL_SSL"
                )
        if protocol in SSL_PROTOCOLS:
            if self.ssl_certfile is not None and self.ssl_keyfile is None:
                raise ValueError(
                    f"{kafka_env('ssl_certfile')} is set: {kafka_env('ssl_keyfile')} (the "
                    "client's private key) is needed too"
                )
            if self.ssl_keyfile is not None and self.ssl_certfile is None:
                raise ValueError(
                    f"{kafka_env('ssl_keyfile')} is set: {kafka_env('ssl_certfile')} (the "
                    "client's certificate) is needed too"
                )
            if self.ssl_password is not None and self.ssl_keyfile is None:
                raise ValueError(
                    f"{kafka_env('ssl_password')} is set but {kafka_env('ssl_keyfile')} is not"
                )
        else:
            stray = [kafka_env(f) for f in _SSL_FIELDS if self._given(f)]
            if stray:
                raise ValueError(
                    f"{', '.join(stray)} set, but {kafka_env('security_protocol')} is "
                    f"{protocol}: TLS needs SSL or SASL_SSL"
                )
        return self

    def _given(self, field: str) -> bool:
        value = getattr(self, field)
        if isinstance(value, SecretStr):
            return bool(value.get_secret_value())
        return value is not None and value != ""


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting is named, not echoed (it may hold a password,
    # FOODMATCH_KAFKA__SASL_PASSWORD).
    model_config = SettingsConfigDict(
        env_prefix="FOODMATCH_",
        env_nested_delimiter="__",
        extra="ignore",
        hide_input_in_errors=True,
    )

    engine: EngineName = Field(
        "inprocess",
        description="`inprocess`: one process, in-process bus, SQLite; `kafka`: Kafka topics, "
        "faust workers, PostgreSQL (its former name `faust` is still accepted).",
    )
    database_url: str = Field(
        "sqlite:///./foodmatch.db",
        description="SQLAlchemy URL: `sqlite:///path.db` or `postgresql://user:pass@host/db`.",
    )
    data_dir: Path | None = Field(
        None,
        description="Reference data (crop catalogue, standards relation); unset: `data/` of the "
        "installation.",
    )
    debounce_seconds: float = Field(
        2.0, ge=0, description="A round runs this long after the last change to the book."
    )
    max_debounce_seconds: float = Field(
        10.0, ge=0, description="…and at the latest this long after the first unmatched change."
    )
    round_interval_seconds: float = Field(
        300.0, ge=0, description="Scheduled rounds every this many seconds (0: off)."
    )
    solver: Literal["auto", "flow", "cpsat", "greedy"] = Field(
        "auto",
        description="`auto` (CP-SAT when a sourcing rule applies, else `flow`), `flow` (optimal "
        "min-cost flow; refuses rounds with sourcing rules), `cpsat` or `greedy` (baseline).",
    )
    road_factor: float = Field(1.3, ge=1.0, description="Road km per straight-line km.")
    priority_weights: dict[str, int] = Field(
        default_factory=dict,
        description="JSON, weight of filled quantity by buyer kind, e.g. "
        '`{"hospital": 10, "hotel": 2}`; kinds not named keep the defaults (hospital 10, school '
        "8, prison 6, factory 3, hotel 2, restaurant 2, other 1).",
    )
    pricing_policy: Literal["ask", "buyer_max", "midpoint", "reference"] = Field(
        "ask",
        description="How a contract's unit price is set (see [pricing "
        "policies](optimiser.md#pricing-policies)).",
    )
    reference_prices: list[dict[str, str | float]] = Field(
        default_factory=list,
        description='JSON, the reference policy\'s table: `[{"crop_id": "kale", "scheme": '
        '"PGS", "price": "32.00"}]`.',
    )
    transport_cost_per_unit_km: dict[str, float] = Field(
        default_factory=dict,
        description='JSON, THB per unit per road km by unit; defaults `{"kg": 0.02, "piece": '
        "0.001}`.",
    )
    fairness: Literal["off", "progressive"] = Field(
        _OPTIMISER.fairness.value,
        description="`progressive` spreads demand across eligible groups, `off` lets delivered "
        "cost alone decide (see [policies](optimiser.md#policies)).",
    )
    fairness_weight: float = Field(
        _OPTIMISER.fairness_weight,
        ge=0,
        description="Share of a supply's unit price added per unit for each further step of its "
        "week's quantity (0 to 1; see [policies](optimiser.md#policies)).",
    )
    fairness_steps: int = Field(
        _OPTIMISER.fairness_steps,
        description="The number of steps a supply week's quantity is cut into (fairness).",
    )
    continuity_weight: float = Field(
        _OPTIMISER.continuity_weight,
        ge=0,
        description="Share of the unit price added per unit for a group new to an order that "
        "already has a supplier (`0`: no preference).",
    )
    max_suppliers: int | None = Field(
        _OPTIMISER.max_suppliers,
        ge=1,
        description="Most groups per delivery for orders that set no `max_suppliers` (`1`: "
        "single sourcing; unset: no limit).",
    )
    min_lot: int | None = Field(
        _OPTIMISER.min_lot,
        ge=1,
        description="Smallest quantity per delivery for groups that set no `min_lot`.",
    )
    max_buyers_per_week: int | None = Field(
        _OPTIMISER.max_buyers_per_week,
        ge=1,
        description="Most buyers served in one week for groups that set no `max_buyers_per_week`.",
    )
    time_limit_seconds: float = Field(
        _OPTIMISER.time_limit_seconds,
        gt=0,
        description="Time the integer solver (CP-SAT) may take in one round.",
    )
    lead_days: int = Field(
        0,
        ge=0,
        description="Deliveries sooner than this many days are not matched (reported unfilled, "
        "`too_late`).",
    )
    proposal_ttl_hours: float = Field(
        72.0,
        gt=0,
        le=24 * 365,
        description="A proposed contract not accepted within this many hours expires and its "
        "quantity is re-matched.",
    )
    proposal_cutoff_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 365,
        description="A proposal expires at the latest this many hours before its first "
        "delivery (the date at 00:00 UTC), so it never outlives its delivery; a delivery whose "
        "answer would already be due at the round's time is not proposed but reported unfilled "
        "with reason `too_late`.",
    )
    document_late_penalty_percent: float = Field(
        0.2,
        ge=0,
        le=100,
        description="The contract document's late-delivery penalty, in percent per day of the "
        "value not yet delivered (`0`: no penalty clause).",
    )
    document_penalty_clause: str | None = Field(
        None,
        max_length=5000,
        description="Wording of the late-delivery clause instead of the catalogue's (`{rate}` "
        "is the rate), in both languages; unset: the catalogue's Thai or English wording.",
    )
    document_force_majeure: bool = Field(
        True, description="Print the force-majeure clause (floods, storms, epidemics)."
    )
    document_force_majeure_clause: str | None = Field(
        None,
        max_length=5000,
        description="Wording of the force-majeure clause instead of the catalogue's.",
    )
    webhooks_enabled: bool = Field(
        True, description="Deliver events to participants' webhooks (in-process engine)."
    )
    webhook_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="How often the webhook dispatcher looks for new events and due retries.",
    )
    webhook_max_attempts: int = Field(
        8, ge=1, description="Attempts per delivery before it is marked `failed`."
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0, description="Time one webhook POST may take.")
    webhook_backoff_seconds: float = Field(
        1.0,
        ge=0,
        description="Wait after the first failed attempt; doubles after each, at most 5 minutes.",
    )
    notifications_enabled: bool = Field(
        True,
        description="Send participants notices (new proposals, contracts accepted, rejected or "
        "cancelled, refused deliveries, sign-in links) by e-mail and LINE, as their contacts "
        "ask (on either engine; see [notifications](notifications.md)).",
    )
    notify_poll_seconds: float = Field(
        5.0, gt=0, description="How often the notifier looks for new events and due retries."
    )
    notify_max_attempts: int = Field(
        8, ge=1, description="Attempts per notification before it is marked `failed`."
    )
    notify_backoff_seconds: float = Field(
        30.0,
        ge=0,
        description="Wait after a notification's first failed attempt; doubles after each, at "
        "most an hour.",
    )
    notify_reminder_hour: int = Field(
        8,
        ge=0,
        le=23,
        description="The hour (Thailand's clock) from which a delivery's reminder goes out, on "
        "the last working day before the delivery (weekends and Thai public holidays are not "
        "working days).",
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP server for e-mail notices; unset: e-mails go into the mail folder "
        "(`FOODMATCH_MAIL_DIR`) if one is set, else none is sent.",
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server's port.")
    smtp_starttls: bool = Field(
        True, description="Switch the SMTP connection to TLS (STARTTLS) before logging in."
    )
    smtp_username: str | None = Field(None, description="SMTP login; unset: no login.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_ca_file: str | None = Field(
        None,
        description="PEM file of the certificate authorities the SMTP server's certificate is "
        "checked against (STARTTLS); unset: the system's. The certificate is always checked.",
    )
    smtp_from: str = Field(
        "foodmatch@localhost", description="The `From` address of e-mail notices."
    )
    smtp_timeout_seconds: float = Field(
        10.0, gt=0, description="Time one SMTP conversation may take."
    )
    mail_dir: str | None = Field(
        None,
        description="Without an SMTP host: each e-mail notice is written into this folder as "
        "an `.eml` file instead (`make demo` writes them to `.foodmatch/outbox/`).",
    )
    line_endpoint: str = Field(
        "https://api.line.me",
        description="LINE Messaging API's address (push messages go to "
        "`{line_endpoint}/v2/bot/message/push`).",
    )
    line_channel_token: SecretStr | None = Field(
        None,
        description="LINE channel access token (sent as a bearer token); unset: no LINE "
        "message is sent.",
    )
    line_timeout_seconds: float = Field(10.0, gt=0, description="Time one LINE request may take.")
    api_host: str = Field("127.0.0.1", description="Where `foodmatch serve` listens: address.")
    api_port: int = Field(
        8000, ge=1, le=65535, description="Where `foodmatch serve` listens: port (`--port`)."
    )
    auth: bool = Field(
        True,
        description="Require an API key on every `/api/v1` route (see [access "
        "control](api.md#access-control)); `false` makes every caller a coordinator — only for "
        "a single-user laptop.",
    )
    sign_in_link_minutes: float = Field(
        15.0,
        gt=0,
        le=7 * 24 * 60,
        description="How long a one-time sign-in link (`foodmatch invite`) can be opened.",
    )
    session_idle_hours: float = Field(
        12.0,
        gt=0,
        description="A person's session ends after this long without a request.",
    )
    session_max_days: float = Field(
        7.0,
        gt=0,
        description="A person's session ends this long after signing in, however much it is used.",
    )
    session_retention_days: float = Field(
        30.0,
        gt=0,
        description="Sign-in links and sessions that ended longer ago than this are deleted (by "
        "the notifier, or `foodmatch sessions purge`); the sign-in log is kept.",
    )
    session_cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Mark the session cookie `Secure` (sent only over HTTPS): `auto` when the "
        "request came over HTTPS (or, with `trust_forwarded_proto`, when the proxy says so).",
    )
    trust_forwarded_proto: bool = Field(
        False,
        description="Believe the `X-Forwarded-Proto` header about the request's scheme: only "
        "behind a TLS proxy that sets it.",
    )
    public_url: str | None = Field(
        None,
        description="The service's address as participants reach it (e.g. "
        "`https://market.example.org`), for the sign-in links; unset: the request's address "
        "(API) or `http://api_host:api_port` (command line).",
    )
    worker_relay: bool = Field(
        True,
        description="Kafka workers relay the outbox and deliver webhooks (on the leader); "
        "`false` when `foodmatch relay` runs as a process of its own.",
    )
    metrics_port: int = Field(
        9101,
        ge=0,
        le=65535,
        description="Port of a Kafka worker's Prometheus `/metrics` (`--metrics-port`; `0`: "
        "none). Workers on one host need different ports; a port already taken is logged and "
        "the worker runs without an endpoint.",
    )
    metrics_host: str = Field(
        "0.0.0.0",
        description="Address a Kafka worker's `/metrics` endpoint listens on (all interfaces by "
        "default, as a container needs; `127.0.0.1` keeps it local).",
    )
    metrics_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="How long figures read at scrape time (the API's market figures, the "
        "workers' consumer lag) are reused (`0`: read at every scrape).",
    )
    batch_size: int = Field(
        500,
        ge=1,
        le=10_000,
        description="Messages handled in one database transaction, each in a savepoint (a "
        "refused one is undone alone): a Kafka worker's of one topic, or the commands the "
        "embedded engine has queued (concurrent API writes share a commit); `1`: one at a time.",
    )
    batch_linger_seconds: float = Field(
        0.05,
        ge=0,
        le=5,
        description="How long a Kafka worker waits for a batch to fill before it handles what it "
        "has.",
    )
    rounds_in_own_process: bool = Field(
        True,
        description="A Kafka worker leading the group runs its matching rounds in a process of its "
        "own (started with the worker, killed with it), so that a round never holds the "
        "interpreter the message handlers need; `false`: in a thread of the worker.",
    )
    max_message_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest inbound message (bytes): larger ones go to the dead letters "
        "unread, the publisher refuses them, and the API answers `413` to larger request bodies.",
    )
    log_level: str = Field("INFO", description="Logging level.")
    kafka: KafkaSettings = Field(default_factory=lambda: KafkaSettings())

    @field_validator("engine", mode="before")
    @classmethod
    def _former_engine_name(cls, value: Any) -> Any:
        """``FOODMATCH_ENGINE=faust`` (the Kafka engine's former name) still selects it."""
        if isinstance(value, str):
            return FORMER_ENGINE_NAMES.get(value, value)
        return value


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
