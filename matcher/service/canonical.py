"""The canonical form of a command: its wire type and body, and a digest of them.

A command's body is what its wire message carries (see :mod:`matcher.adapters.wire`), built
from the command itself, so that two messages meaning the same command (keys in another order,
defaults spelled out or left out, other whitespace) have the same form. The inbox keeps the
digest of each handled command: the same ``message_id`` with another body is then recognised
instead of being taken for a repeat. Pure.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from matcher.service import codec, commands

_Body = tuple[str, dict[str, Any]]

_CONTRACT_ACTIONS: dict[type[commands.ContractCommand], str] = {
    commands.AcceptContract: "contract.accept",
    commands.RejectContract: "contract.reject",
    commands.CancelContract: "contract.cancel",
}


def command_body(command: commands.Command) -> tuple[str, dict[str, Any]]:
    found = _registration(command) or _withdrawal(command) or _contract_step(command)
    if found is None:
        raise TypeError(f"{type(command).__name__} has no wire form")
    return found


def _registration(command: commands.Command) -> _Body | None:
    """A command that registers or announces a whole record: its body is the record's."""
    if isinstance(command, commands.RegisterGroup):
        return "group.register", codec.dump_group(command.group)
    if isinstance(command, commands.RegisterBuyer):
        return "buyer.register", codec.dump_buyer(command.buyer)
    if isinstance(command, commands.RegisterCertificate):
        return "certificate.register", codec.dump_certificate(command.certificate)
    if isinstance(command, commands.AnnounceSupply):
        return "supply.announce", codec.dump_supply(command.supply)
    if isinstance(command, commands.SubmitOrder):
        return "order.submit", codec.dump_order(command.order)
    if isinstance(command, commands.SetDaysOff):  # a buyer's days off: those fields of it
        return "buyer.days_off", {
            "buyer_id": command.buyer_id,
            "non_delivery_weekdays": list(command.weekdays),
            "non_delivery_dates": [d.isoformat() for d in command.dates],
        }
    return None


def _withdrawal(command: commands.Command) -> _Body | None:
    """A command that withdraws, cancels or revokes a record, or asks for a round."""
    if isinstance(command, commands.WithdrawSupply):
        body = {"supply_id": command.supply_id, "crop_id": command.crop_id}
        return "supply.withdraw", body | {"reason": command.reason}
    if isinstance(command, commands.CancelOrder):
        body = {"order_id": command.order_id, "crop_id": command.crop_id}
        return "order.cancel", body | {"reason": command.reason}
    if isinstance(command, commands.CancelDelivery):
        body = {"order_id": command.order_id, "crop_id": command.crop_id}
        return "order.cancel_delivery", body | {
            "date": command.day.isoformat(),
            "reason": command.reason,
        }
    if isinstance(command, commands.RunMatchingRound):
        return "round.request", {"crops": list(command.crops)}
    if isinstance(command, commands.RevokeCertificate):
        return "certificate.revoke", {
            "certificate_id": command.certificate_id,
            "revoked_on": command.revoked_on.isoformat(),
            "group_id": command.group_id,
            "reason": command.reason,
        }
    return None


def _contract_step(command: commands.Command) -> _Body | None:
    """A command on a contract: a delivery confirmed, an amendment, or an accept, reject or
    cancel."""
    if isinstance(command, commands.ConfirmDelivery):
        # The reason and note are written only when given: a confirmation without them keeps
        # the body (and so the message id's fingerprint) it had before they existed.
        refusal = {
            name: value
            for name, value in (
                ("refusal_reason", command.refusal_reason),
                ("refusal_note", command.refusal_note),
            )
            if value is not None
        }
        return "delivery.confirm", {
            "contract_id": command.contract_id,
            "crop_id": command.crop_id,
            "date": command.day.isoformat(),
            "received": command.received,
            "refused": command.refused,
            **refusal,
        }
    if isinstance(command, commands.AmendContract):
        return "contract.amend", {
            "contract_id": command.contract_id,
            "crop_id": command.crop_id,
            "agreed_by": command.agreed_by,
            "deliveries": [
                {"date": d.isoformat(), "new_date": n.isoformat(), "quantity": q}
                for d, n, q in command.changes
            ],
            "reason": command.reason,
        }
    if isinstance(command, commands.ContractCommand) and type(command) in _CONTRACT_ACTIONS:
        body = {"contract_id": command.contract_id, "crop_id": command.crop_id}
        return _CONTRACT_ACTIONS[type(command)], body | {"reason": command.reason}
    return None


def command_digest(command: commands.Command) -> str:
    """SHA-256 (hex) of the command's type and canonical body (keys sorted, compact JSON); ''
    for a command without a wire form."""
    try:
        kind, body = command_body(command)
    except TypeError:
        return ""
    canonical = json.dumps(
        {"type": kind, "body": body},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
