"""Sign-in links, sessions and the sign-in log in the database (SQLite and PostgreSQL): a link
signs in once, a session authenticates until it is idle, signed out or revoked, and every step
is in the log."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import pytest
from sqlalchemy.orm import Session, sessionmaker

from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.adapters.notify.notifier import NotificationUowFactory, Notifier, purge_sessions
from matcher.auth import Role
from matcher.config import load_settings
from matcher.domain.errors import InvalidValue, NotFound, UnknownReference
from matcher.domain.model import Buyer, BuyerKind, FarmerGroup, GroupKind, Location
from matcher.sessions import LinkState, SessionRules, SignInEvent, link_hash
from matcher.signin import (
    authenticate_cookie,
    invite,
    list_sessions,
    open_link,
    participant_names,
    purge_ended,
    revoke_session,
    sign_in_log,
    sign_out,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RULES = SessionRules(timedelta(minutes=15), timedelta(hours=12), timedelta(days=7))
Factory = Callable[[], SqlUnitOfWork]


@pytest.fixture
def market(uow_factory: Factory) -> Factory:
    here = Location(7.0167, 100.4681)
    with uow_factory() as uow:
        uow.buyers.add(
            Buyer(
                "kit-a", "โรงพยาบาลหาดใหญ่", "Hat Yai Hospital", BuyerKind.HOSPITAL, here, "Hat Yai"
            )
        )
        uow.groups.add(
            FarmerGroup(
                "grp-a", "กลุ่มผักคลองแห", "Khlong Hae", here, 12, GroupKind.COOPERATIVE, "Hat Yai"
            )
        )
        uow.groups.add(
            FarmerGroup("both", "กลุ่ม", "Group", here, 5, GroupKind.COOPERATIVE, "Hat Yai")
        )
        uow.buyers.add(Buyer("both", "ครัว", "Kitchen", BuyerKind.SCHOOL, here, "Hat Yai"))
        uow.commit()
    return uow_factory


def test_a_link_signs_in_once_and_starts_a_session_that_authenticates(market: Factory) -> None:
    link, token = invite(market, "kit-a", "coordinator:ops", T0, RULES)
    assert link.role is Role.KITCHEN

    opened = open_link(market, token, T0 + timedelta(minutes=1), RULES, "10.0.0.1")
    assert opened.state is LinkState.VALID
    assert opened.session is not None
    found = authenticate_cookie(market, opened.cookie, T0 + timedelta(minutes=2), RULES)
    assert found is not None
    caller, web, _ = found
    assert (caller.role, caller.participant_id) == (Role.KITCHEN, "kit-a")
    assert web.last_seen_at == T0 + timedelta(minutes=2)  # the use is noted

    again = open_link(market, token, T0 + timedelta(minutes=3), RULES)
    assert again.state is LinkState.USED
    assert again.session is None
    assert participant_names(market, Role.KITCHEN, "kit-a") == (
        "โรงพยาบาลหาดใหญ่",
        "Hat Yai Hospital",
    )


def test_an_expired_or_unknown_link_starts_nothing(market: Factory) -> None:
    _, token = invite(market, "grp-a", "coordinator:ops", T0, RULES)

    assert open_link(market, token, T0 + timedelta(minutes=15), RULES).state is LinkState.EXPIRED
    assert open_link(market, "x" * 43, T0, RULES).state is LinkState.UNKNOWN
    assert open_link(market, "not a token", T0, RULES).state is LinkState.UNKNOWN
    entries, total = sign_in_log(market)
    assert total == 4
    assert [e.event for e in entries] == [
        SignInEvent.LINK_UNKNOWN,
        SignInEvent.LINK_UNKNOWN,
        SignInEvent.LINK_EXPIRED,
        SignInEvent.INVITED,
    ]
    assert entries[2].participant_id == "grp-a"


def test_two_openings_at_once_start_one_session(market: Factory) -> None:
    _, token = invite(market, "grp-a", "coordinator:ops", T0, RULES)

    with ThreadPoolExecutor(4) as pool:
        states = list(pool.map(lambda _: open_link(market, token, T0, RULES).state, range(4)))

    assert states.count(LinkState.VALID) == 1
    assert states.count(LinkState.USED) == 3
    assert len(list_sessions(market, T0, RULES)) == 1


def test_a_session_ends_when_idle_signed_out_or_revoked(market: Factory) -> None:
    cookies = []
    for _ in range(3):
        _, token = invite(market, "grp-a", "coordinator:ops", T0, RULES)
        cookies.append(open_link(market, token, T0, RULES).cookie)
    idle, mine, theirs = cookies

    assert authenticate_cookie(market, idle, T0 + timedelta(hours=12), RULES) is None
    found = authenticate_cookie(market, mine, T0 + timedelta(hours=11), RULES)
    assert found is not None
    assert sign_out(market, found[1].id, T0 + timedelta(hours=11))
    assert not sign_out(market, found[1].id, T0 + timedelta(hours=11))
    assert authenticate_cookie(market, mine, T0 + timedelta(hours=11), RULES) is None

    other = authenticate_cookie(market, theirs, T0 + timedelta(hours=11), RULES)
    assert other is not None
    now = T0 + timedelta(hours=12, minutes=1)  # the idle one has ended
    assert [w.id for w in list_sessions(market, now, RULES, "grp-a")] == [other[1].id]
    revoke_session(market, other[1].id, "coordinator:ops", now)
    assert authenticate_cookie(market, theirs, now, RULES) is None
    with pytest.raises(NotFound):
        revoke_session(market, other[1].id, "coordinator:ops", now)
    assert list_sessions(market, now, RULES) == []

    entries, _ = sign_in_log(market, participant_id="grp-a", limit=2)
    assert [(e.event, e.actor) for e in entries] == [
        (SignInEvent.REVOKED, "coordinator:ops"),
        (SignInEvent.SIGNED_OUT, "group:grp-a"),
    ]


def test_a_wrong_secret_or_a_malformed_cookie_authenticates_no_one(market: Factory) -> None:
    _, token = invite(market, "kit-a", "coordinator:ops", T0, RULES)
    cookie = open_link(market, token, T0, RULES).cookie

    assert (
        authenticate_cookie(market, cookie[:-1] + ("A" if cookie[-1] != "A" else "B"), T0, RULES)
        is None
    )
    assert authenticate_cookie(market, "fm_" + cookie[4:], T0, RULES) is None


def test_links_are_for_registered_kitchens_and_groups(market: Factory) -> None:
    with pytest.raises(UnknownReference):
        invite(market, "nobody", "coordinator:ops", T0, RULES)
    with pytest.raises(UnknownReference):
        invite(market, "kit-a", "coordinator:ops", T0, RULES, Role.GROUP)
    with pytest.raises(InvalidValue):
        invite(market, "both", "coordinator:ops", T0, RULES)
    link, _ = invite(market, "both", "coordinator:ops", T0, RULES, Role.GROUP)
    assert link.role is Role.GROUP


def test_a_session_is_read_on_the_read_side_and_its_use_written_once_a_minute(
    market: Factory, sessions: sessionmaker[Session]
) -> None:
    def reader() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, read_only=True)

    _, token = invite(market, "grp-a", "coordinator:ops", T0, RULES)
    cookie = open_link(market, token, T0, RULES).cookie

    soon = authenticate_cookie(market, cookie, T0 + timedelta(seconds=30), RULES, reader)
    later = authenticate_cookie(market, cookie, T0 + timedelta(minutes=5), RULES, reader)
    assert soon is not None
    assert later is not None
    assert soon[1].last_seen_at == T0  # under a minute: nothing written
    with reader() as uow:
        stored = uow.sign_ins.get_session(later[1].id)
    assert stored is not None
    assert stored.last_seen_at == T0 + timedelta(minutes=5)


def test_links_and_sessions_that_ended_long_ago_are_purged_and_the_log_kept(
    market: Factory,
) -> None:
    month = timedelta(days=30)
    old = T0 - month - timedelta(days=10)
    _, unused = invite(market, "kit-a", "coordinator:ops", old, RULES)  # expired unused
    _, token = invite(market, "kit-a", "coordinator:ops", old, RULES)
    idle = open_link(market, token, old, RULES).session  # idle since
    _, token = invite(market, "grp-a", "coordinator:ops", T0 - timedelta(days=3), RULES)
    recent = open_link(market, token, T0 - timedelta(days=3), RULES).session  # ended recently
    _, token = invite(market, "grp-a", "coordinator:ops", T0 - timedelta(hours=1), RULES)
    active = open_link(market, token, T0 - timedelta(hours=1), RULES).session
    _, fresh = invite(market, "kit-a", "coordinator:ops", T0, RULES)  # not opened yet
    assert idle is not None
    assert recent is not None
    assert active is not None
    entries_before = sign_in_log(market)[1]

    assert purge_ended(market, T0, RULES, month) == (2, 1)
    assert purge_ended(market, T0, RULES, month) == (0, 0)

    with market() as uow:
        assert uow.sign_ins.get_session(idle.id) is None
        assert uow.sign_ins.get_session(recent.id) is not None
        assert uow.sign_ins.get_session(active.id) is not None
        assert uow.sign_ins.link(link_hash(unused) or "") is None
    assert open_link(market, fresh, T0, RULES).state is LinkState.VALID
    assert sign_in_log(market)[1] == entries_before + 1  # nothing taken out; the sign-in added
    assert [w.id for w in list_sessions(market, T0, RULES, "grp-a")] == [active.id]


def test_the_notifier_purges_on_its_scan_of_time(market: Factory) -> None:
    _, token = invite(market, "kit-a", "coordinator:ops", T0 - timedelta(days=40), RULES)
    settings = load_settings(session_retention_days=30)
    service = SimpleNamespace(settings=settings, uow_factory=market)
    worker = Notifier(
        cast(NotificationUowFactory, market),
        {},
        now=lambda: T0,
        housekeeping=purge_sessions(service),
    )

    worker.run_once()

    with market() as uow:
        assert uow.sign_ins.link(link_hash(token) or "") is None
