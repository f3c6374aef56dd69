"""The rules of sign-in links, sessions and their CSRF tokens (matcher.sessions): a link works
once and until it expires, a session ends when idle, at its absolute end or when revoked, and a
CSRF token belongs to one session."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from matcher.auth import Role, hash_secret
from matcher.domain.errors import InvalidValue
from matcher.sessions import (
    LinkState,
    Purge,
    SessionRules,
    csrf_ok,
    csrf_token,
    link_hash,
    new_link,
    new_session,
    portal_of,
    principal_of_session,
    split_cookie,
    verify_session,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RULES = SessionRules(timedelta(minutes=15), timedelta(hours=12), timedelta(days=7))


def test_a_link_stores_only_the_hash_of_its_token_and_expires_after_its_time() -> None:
    link, token = new_link(Role.KITCHEN, "kit-a", "coordinator:ops", T0, RULES)

    assert token not in repr(link)
    assert link.token_hash == hash_secret(token) == link_hash(token)
    assert link.expires_at == T0 + timedelta(minutes=15)
    assert link.state(T0) is LinkState.VALID
    assert link.state(T0 + timedelta(minutes=14, seconds=59)) is LinkState.VALID
    assert link.state(T0 + timedelta(minutes=15)) is LinkState.EXPIRED


def test_a_used_link_is_used_even_before_it_expires() -> None:
    link, _ = new_link(Role.GROUP, "grp-a", "coordinator:ops", T0, RULES)

    assert replace(link, used_at=T0).state(T0 + timedelta(minutes=1)) is LinkState.USED


def test_two_links_never_share_a_token() -> None:
    tokens = {new_link(Role.GROUP, "grp-a", "ops", T0, RULES)[1] for _ in range(50)}
    assert len(tokens) == 50


@pytest.mark.parametrize(
    ("role", "participant"), [(Role.COORDINATOR, "ops"), (Role.KITCHEN, ""), (Role.GROUP, "")]
)
def test_links_are_for_a_named_kitchen_or_group(role: Role, participant: str) -> None:
    with pytest.raises(InvalidValue):
        new_link(role, participant, "ops", T0, RULES)


@pytest.mark.parametrize("token", ["", "short", "x" * 42, "x" * 44, "a/" * 21 + "b", " " * 43])
def test_a_malformed_link_token_has_no_hash(token: str) -> None:
    assert link_hash(token) is None


def test_rules_come_from_minutes_hours_and_days() -> None:
    assert SessionRules.of(15, 12, 7) == RULES


def test_a_session_carries_the_links_role_and_participant_and_checks_like_a_key() -> None:
    link, _ = new_link(Role.KITCHEN, "kit-a", "ops", T0, RULES)
    web, cookie = new_session(link, T0, RULES)
    parts = split_cookie(cookie)

    assert parts is not None
    assert parts[0] == web.id
    assert web.secret_hash == hash_secret(parts[1])
    assert parts[1] not in repr(web)
    assert verify_session(web, parts[1], T0, RULES)
    assert not verify_session(web, parts[1] + "x", T0, RULES)
    assert not verify_session(None, parts[1], T0, RULES)
    caller = principal_of_session(web)
    assert (caller.role, caller.participant_id, caller.actor) == (
        Role.KITCHEN,
        "kit-a",
        "buyer:kit-a",
    )
    assert caller.may_act_for_buyer("kit-a")
    assert not caller.may_act_for_buyer("kit-b")
    assert not caller.coordinator
    assert portal_of(Role.KITCHEN) == "/kitchen/"
    assert portal_of(Role.GROUP) == "/group/"


def test_a_session_ends_when_idle_and_at_its_absolute_end_however_much_it_is_used() -> None:
    link, _ = new_link(Role.GROUP, "grp-a", "ops", T0, RULES)
    web, cookie = new_session(link, T0, RULES)
    secret = (split_cookie(cookie) or ("", ""))[1]

    assert web.ends_at(RULES) == T0 + timedelta(hours=12)
    assert verify_session(web, secret, T0 + timedelta(hours=11, minutes=59), RULES)
    assert not verify_session(web, secret, T0 + timedelta(hours=12), RULES)

    used = web
    for day in range(1, 7):  # used every day: the idle limit never comes
        now = T0 + timedelta(days=day)
        used = used.touched(now)
        assert verify_session(used, secret, now + timedelta(hours=11), RULES)
    used = used.touched(T0 + timedelta(days=6, hours=20))
    assert used.ends_at(RULES) == T0 + timedelta(days=7)
    assert not verify_session(
        used.touched(T0 + timedelta(days=7)), secret, T0 + timedelta(days=7), RULES
    )


def test_a_revoked_session_no_longer_verifies() -> None:
    link, _ = new_link(Role.GROUP, "grp-a", "ops", T0, RULES)
    web, cookie = new_session(link, T0, RULES)
    secret = (split_cookie(cookie) or ("", ""))[1]

    assert not verify_session(replace(web, revoked_at=T0), secret, T0, RULES)


def test_the_last_use_is_written_at_most_once_a_minute() -> None:
    link, _ = new_link(Role.GROUP, "grp-a", "ops", T0, RULES)
    web, _ = new_session(link, T0, RULES)

    assert not web.needs_touch(T0 + timedelta(seconds=59))
    assert web.needs_touch(T0 + timedelta(minutes=1))


def test_a_csrf_token_belongs_to_its_session_only() -> None:
    link, _ = new_link(Role.KITCHEN, "kit-a", "ops", T0, RULES)
    _, one = new_session(link, T0, RULES)
    _, two = new_session(link, T0, RULES)
    first = (split_cookie(one) or ("", ""))[1]
    second = (split_cookie(two) or ("", ""))[1]

    assert csrf_ok(first, csrf_token(first))
    assert csrf_ok(first, f" {csrf_token(first)} ")
    assert not csrf_ok(first, csrf_token(second))
    assert not csrf_ok(first, None)
    assert not csrf_ok(first, "")
    assert csrf_token(first) != first  # the token does not reveal the cookie's secret


@pytest.mark.parametrize(
    "value", ["", "fm_0123456789abcdef_" + "a" * 43, "fms_0123_" + "a" * 43, "fms_" + "a" * 60]
)
def test_a_malformed_cookie_is_refused(value: str) -> None:
    assert split_cookie(value) is None


def test_a_purge_takes_what_ended_longer_ago_than_the_retention() -> None:
    link, _ = new_link(Role.KITCHEN, "kit-a", "ops", T0, RULES)
    web, _ = new_session(link, T0, RULES)
    month = timedelta(days=30)

    def purge(after: timedelta) -> Purge:
        return Purge.of(T0 + after, RULES, month)

    assert purge(month).before == T0
    # a link ends when it expires, used or not
    assert not purge(month + timedelta(minutes=15)).link_gone(link)
    assert purge(month + timedelta(minutes=16)).link_gone(link)
    assert purge(month + timedelta(minutes=16)).link_gone(replace(link, used_at=T0))
    # a session left alone ends when it is idle: 12 hours after its last use
    assert not purge(month + timedelta(hours=12)).session_gone(web)
    assert purge(month + timedelta(hours=12, seconds=1)).session_gone(web)
    # one used every day ends at its absolute end, seven days after signing in
    daily = web.touched(T0 + timedelta(days=6, hours=20))
    assert not purge(month + timedelta(days=7)).session_gone(daily)
    assert purge(month + timedelta(days=7, seconds=1)).session_gone(daily)
    # one signed out or revoked ends then
    signed_out = replace(web, revoked_at=T0 + timedelta(hours=1))
    assert not purge(month + timedelta(hours=1)).session_gone(signed_out)
    assert purge(month + timedelta(hours=1, seconds=1)).session_gone(signed_out)
