"""Errors raised by the domain. Every invalid value names its field and the reason."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every error the core raises on purpose."""


class InvalidValue(DomainError, ValueError):
    """A value breaks a rule of the domain.

    ``field`` is a dotted path (``orders[3].quantity``) and ``reason`` says what is wrong.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def within(self, prefix: str) -> InvalidValue:
        """The same error, placed under ``prefix`` (for example ``orders[3]``)."""
        joined = f"{prefix}.{self.field}" if self.field else prefix
        return InvalidValue(joined, self.reason)


class UnknownReference(InvalidValue):
    """A value refers to an id that does not exist."""


def require(condition: bool, field: str, reason: str) -> None:
    """Raise :class:`InvalidValue` for ``field`` unless ``condition`` holds."""
    if not condition:
        raise InvalidValue(field, reason)


class NotFound(DomainError):
    """An id that the request names does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} with id {key!r}")


class Unavailable(DomainError):
    """The request is sound but cannot be completed now (retry with the same message id)."""


class Conflict(DomainError):
    """The request contradicts the current state (an id taken, an order already cancelled...)."""


def rebuild_error(name: str, field: str, reason: str) -> DomainError:
    """A domain error from its recorded parts (a refusal reported by another process)."""
    if name in ("InvalidValue", "UnknownReference", "DecodeError"):
        return (
            UnknownReference(field, reason)
            if name == "UnknownReference"
            else InvalidValue(field, reason)
        )
    if name == "NotFound":
        return NotFound(field, reason)
    if name in ("Conflict", "MessageIdReused"):
        return Conflict(reason)
    return DomainError(reason)
