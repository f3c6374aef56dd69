"""The market's participants: farmer groups, their certificates, and buyers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.adapters.db import mapping
from matcher.adapters.db.tables import BuyerRow, CertificateRow, GroupRow
from matcher.domain.errors import NotFound
from matcher.domain.model import Buyer, Certificate, FarmerGroup


class SqlGroupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[str, FarmerGroup] = {}
        """Groups read in this transaction (the unit of work forgets them when it ends or a
        savepoint rolls back): a batch of a group's supply reads it once."""

    def add(self, group: FarmerGroup) -> None:
        self.known.pop(group.id, None)
        self.session.add(mapping.group_row(group))

    def get(self, group_id: str) -> FarmerGroup | None:
        if group_id in self.known:
            return self.known[group_id]
        row = self.session.get(GroupRow, group_id)
        if row is None:
            return None
        self.known[group_id] = group = mapping.group_of(row)
        return group

    def list(self) -> Sequence[FarmerGroup]:
        rows = self.session.scalars(select(GroupRow).order_by(GroupRow.id))
        return [mapping.group_of(row) for row in rows]


class SqlBuyerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[str, Buyer] = {}
        """Buyers read in this transaction (the unit of work forgets them when it ends or a
        savepoint rolls back): a batch of a kitchen's orders reads it once."""

    def add(self, buyer: Buyer) -> None:
        self.known.pop(buyer.id, None)
        self.session.add(mapping.buyer_row(buyer))

    def update(self, buyer: Buyer) -> None:
        self.known.pop(buyer.id, None)
        self.session.merge(mapping.buyer_row(buyer))

    def get(self, buyer_id: str) -> Buyer | None:
        if buyer_id in self.known:
            return self.known[buyer_id]
        row = self.session.get(BuyerRow, buyer_id)
        if row is None:
            return None
        self.known[buyer_id] = buyer = mapping.buyer_of(row)
        return buyer

    def list(self) -> Sequence[Buyer]:
        rows = self.session.scalars(select(BuyerRow).order_by(BuyerRow.id))
        return [mapping.buyer_of(row) for row in rows]


class SqlCertificateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, certificate: Certificate) -> None:
        self.session.add(mapping.certificate_row(certificate))

    def revoke(self, certificate_id: str, revoked_on: date) -> None:
        row = self.session.get(CertificateRow, certificate_id)
        if row is None:
            raise NotFound("certificate", certificate_id)
        row.revoked_on = revoked_on

    def get(self, certificate_id: str) -> Certificate | None:
        row = self.session.get(CertificateRow, certificate_id)
        return mapping.certificate_of(row) if row is not None else None

    def list(self, group_id: str | None = None) -> Sequence[Certificate]:
        query = select(CertificateRow).order_by(CertificateRow.id)
        if group_id is not None:
            query = query.where(CertificateRow.group_id == group_id)
        return [mapping.certificate_of(row) for row in self.session.scalars(query)]
