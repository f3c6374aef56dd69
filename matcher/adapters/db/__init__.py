"""Relational persistence: tables, repositories, the unit of work and the Alembic migrations.

Nothing here connects at import time: :func:`~matcher.adapters.db.session.make_engine` builds an
engine from a URL, :class:`~matcher.adapters.db.uow.SqlUnitOfWork` opens one session per use.
"""
