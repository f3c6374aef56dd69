"""People's sign-in through the API: a coordinator's one-time link, opening it once, the
session cookie and its flags, who am I, CSRF on every change, the same per-route checks as API
keys, sign-out, revocation by a coordinator, and the sign-in log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.auth import Role
from matcher.config import Settings
from matcher.keys import create_key
from matcher.sessions import COOKIE
from tests.support.market import (
    API,
    buyer_body,
    certificate_body,
    delivery_dates,
    group_body,
    order_body,
)

Json = dict[str, Any]


@dataclass
class Market:
    client: TestClient
    coordinator: dict[str, str]
    """The coordinator's key header."""

    def invite(self, participant: str, **extra: Any) -> Json:
        body = {"participant_id": participant, **extra}
        answer = self.client.post(f"{API}/sign-in-links", json=body, headers=self.coordinator)
        assert answer.status_code == 201, answer.text
        found: Json = answer.json()
        return found

    def browser(self) -> TestClient:
        """A fresh browser on the same app (its own cookie jar)."""
        return TestClient(self.client.app, base_url="http://testserver")

    def sign_in(self, participant: str) -> tuple[TestClient, str]:
        """A browser signed in as ``participant``, and its CSRF token."""
        browser = self.browser()
        path = self.invite(participant)["link"].removeprefix("http://testserver")
        opened = browser.post(path, follow_redirects=False)
        assert opened.status_code == 303, opened.text
        me = browser.get(f"{API}/session")
        assert me.status_code == 200, me.text
        return browser, me.json()["csrf_token"]


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/signin.db",
        auth=True,
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
        webhooks_enabled=False,
        **changes,
    )


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Market]:
    with TestClient(create_app(settings_for(tmp_path))) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        _, token = create_key(service.uow_factory, Role.COORDINATOR, None, "ops", now)
        m = Market(client, {"Authorization": f"Bearer {token}"})

        def ok(path: str, body: Json) -> None:
            answer = client.post(API + path, json=body, headers=m.coordinator)
            assert answer.status_code in (200, 201), answer.text

        days = delivery_dates(2)
        ok("/groups", group_body("grp-a"))
        ok("/groups", group_body("grp-b", lat=6.9))
        ok("/certificates", certificate_body("cert-a", "grp-a"))
        ok("/buyers", buyer_body("kit-a"))
        ok("/buyers", buyer_body("kit-b", lat=6.95))
        ok("/orders", order_body("ord-a", "kit-a", deliveries=days))
        ok("/orders", order_body("ord-b", "kit-b", deliveries=days))
        yield m


def cookie_attributes(header: str) -> dict[str, str | bool]:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    morsel = jar[COOKIE]
    return {
        "httponly": bool(morsel["httponly"]),
        "secure": bool(morsel["secure"]),
        "samesite": str(morsel["samesite"]).lower(),
        "path": str(morsel["path"]),
    }


def test_a_link_signs_a_kitchen_in_once_with_a_strict_httponly_cookie(market: Market) -> None:
    made = market.invite("kit-a")
    assert made["role"] == "kitchen"
    assert made["participant_id"] == "kit-a"
    expires = datetime.fromisoformat(made["expires_at"])
    assert timedelta(minutes=14) < expires - datetime.now(UTC) <= timedelta(minutes=15)
    path = made["link"].removeprefix("http://testserver")
    assert path.startswith("/signin/")

    browser = market.browser()
    opened = browser.post(path, follow_redirects=False)

    assert opened.status_code == 303
    assert opened.headers["location"] == "/kitchen/"
    assert opened.headers["cache-control"] == "no-store"
    assert opened.headers["referrer-policy"] == "no-referrer"
    flags = cookie_attributes(opened.headers["set-cookie"])
    assert flags == {"httponly": True, "secure": False, "samesite": "strict", "path": "/"}

    me = browser.get(f"{API}/session").json()
    assert me["via"] == "session"
    assert me["role"] == "kitchen"
    assert me["participant_id"] == "kit-a"
    assert me["name_th"]
    assert me["portal"] == "/kitchen/"
    assert me["csrf_token"]
    assert me["session_id"]

    again = market.browser().post(path, follow_redirects=False)
    assert again.status_code == 410
    assert again.text.index("ลิงก์นี้ถูกใช้เข้าสู่ระบบไปแล้ว") < again.text.index("already been used")
    assert "ผู้ประสานงานตลาด" in again.text
    assert COOKIE not in again.headers.get("set-cookie", "")


def test_a_group_lands_on_its_own_pages(market: Market) -> None:
    path = market.invite("grp-a")["link"].removeprefix("http://testserver")
    opened = market.browser().post(path, follow_redirects=False)
    assert opened.headers["location"] == "/group/"


def test_the_cookie_is_secure_behind_tls(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path)), base_url="https://market.test") as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        _, token = create_key(service.uow_factory, Role.COORDINATOR, None, "ops", datetime.now(UTC))
        coordinator = {"Authorization": f"Bearer {token}"}
        client.post(f"{API}/buyers", json=buyer_body("kit-a"), headers=coordinator)
        made = client.post(
            f"{API}/sign-in-links", json={"participant_id": "kit-a"}, headers=coordinator
        ).json()
        assert made["link"].startswith("https://market.test/signin/")
        opened = client.post(made["link"], follow_redirects=False)
        assert cookie_attributes(opened.headers["set-cookie"])["secure"] is True


def test_the_forwarded_scheme_counts_only_when_trusted(tmp_path: Path) -> None:
    for trusted in (False, True):
        settings = settings_for(
            tmp_path / str(trusted), trust_forwarded_proto=trusted, public_url="https://m.test"
        )
        with TestClient(create_app(settings)) as client:
            service = client.app.state.service  # type: ignore[attr-defined]
            now = datetime.now(UTC)
            _, token = create_key(service.uow_factory, Role.COORDINATOR, None, "ops", now)
            coordinator = {"Authorization": f"Bearer {token}"}
            client.post(f"{API}/buyers", json=buyer_body("kit-a"), headers=coordinator)
            link = client.post(
                f"{API}/sign-in-links", json={"participant_id": "kit-a"}, headers=coordinator
            ).json()["link"]
            assert link.startswith("https://m.test/signin/")
            path = link.removeprefix("https://m.test")
            opened = client.post(
                path, headers={"X-Forwarded-Proto": "https"}, follow_redirects=False
            )
            assert cookie_attributes(opened.headers["set-cookie"])["secure"] is trusted


def test_an_expired_or_unknown_link_says_so(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, sign_in_link_minutes=0.0001))) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        _, token = create_key(service.uow_factory, Role.COORDINATOR, None, "ops", datetime.now(UTC))
        coordinator = {"Authorization": f"Bearer {token}"}
        client.post(f"{API}/groups", json=group_body("grp-a"), headers=coordinator)
        link = client.post(
            f"{API}/sign-in-links", json={"participant_id": "grp-a"}, headers=coordinator
        ).json()["link"]
        time.sleep(0.05)
        for use in (client.get, client.post):  # the page says so; using it too
            expired = use(link, follow_redirects=False)
            assert expired.status_code == 410
            assert "ลิงก์นี้หมดอายุแล้ว" in expired.text
            assert "has expired" in expired.text
            unknown = use("/signin/" + "A" * 43, follow_redirects=False)
            assert unknown.status_code == 404
            assert "ไม่พบลิงก์" in unknown.text
        log = client.get(f"{API}/sign-ins", headers=coordinator).json()
        assert [e["event"] for e in log] == ["link_unknown", "link_expired", "invited"]


def test_changes_need_the_csrf_token_and_reads_do_not(market: Market) -> None:
    browser, csrf = market.sign_in("kit-a")
    body = order_body("ord-a9", "kit-a", deliveries=delivery_dates(1))

    assert browser.get(f"{API}/orders/ord-a").status_code == 200
    refused = browser.post(f"{API}/orders", json=body)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    wrong = browser.post(f"{API}/orders", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    accepted = browser.post(f"{API}/orders", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code in (200, 201), accepted.text

    # An API key needs no CSRF token.
    assert market.client.post(
        f"{API}/orders", json=order_body("ord-a8", "kit-a"), headers=market.coordinator
    ).status_code in (200, 201)


def test_a_form_may_send_the_csrf_token_as_a_field(market: Market) -> None:
    browser, csrf = market.sign_in("kit-a")
    refused = browser.post(f"{API}/session/sign-out", data={"other": "x"})
    assert refused.status_code == 403
    signed_out = browser.post(f"{API}/session/sign-out", data={"csrf_token": csrf})
    assert signed_out.status_code == 204


def test_a_kitchen_session_sees_only_its_own_as_a_key_would(market: Market) -> None:
    browser, csrf = market.sign_in("kit-a")
    header = {"X-CSRF-Token": csrf}

    assert browser.get(f"{API}/orders/ord-a").status_code == 200
    assert browser.get(f"{API}/orders/ord-b").status_code == 403
    assert browser.get(f"{API}/buyers/kit-b").status_code == 403
    assert browser.get(f"{API}/groups/grp-b").status_code == 403
    assert {o["id"] for o in browser.get(f"{API}/orders").json()} == {"ord-a"}
    other = order_body("ord-x", "kit-b", deliveries=delivery_dates(1))
    assert browser.post(f"{API}/orders", json=other, headers=header).status_code == 403
    assert browser.get(f"{API}/sessions").status_code == 403
    assert (
        browser.post(
            f"{API}/sign-in-links", json={"participant_id": "kit-a"}, headers=header
        ).status_code
        == 403
    )


def test_sign_out_ends_the_session(market: Market) -> None:
    browser, csrf = market.sign_in("grp-a")
    cookie = browser.cookies[COOKIE]

    assert browser.post(f"{API}/session/sign-out").status_code == 403  # no CSRF token
    answer = browser.post(f"{API}/session/sign-out", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 204
    assert "Max-Age=0" in answer.headers["set-cookie"] or "expires" in answer.headers["set-cookie"]

    replayed = market.browser()
    replayed.cookies.set(COOKIE, cookie)
    assert replayed.get(f"{API}/session").status_code == 401
    assert replayed.get(f"{API}/groups/grp-a").status_code == 401


def test_a_coordinator_lists_and_revokes_sessions(market: Market) -> None:
    browser, _ = market.sign_in("kit-a")
    other, _ = market.sign_in("grp-a")
    mine = browser.get(f"{API}/session").json()["session_id"]

    listed = market.client.get(f"{API}/sessions", headers=market.coordinator)
    assert listed.headers["x-total-count"] == "2"
    assert {s["participant_id"] for s in listed.json()} == {"kit-a", "grp-a"}
    only = market.client.get(
        f"{API}/sessions", params={"participant_id": "kit-a"}, headers=market.coordinator
    ).json()
    assert [s["id"] for s in only] == [mine]

    revoked = market.client.post(f"{API}/sessions/{mine}/revoke", headers=market.coordinator)
    assert revoked.status_code == 204
    assert browser.get(f"{API}/orders/ord-a").status_code == 401
    assert other.get(f"{API}/groups/grp-a").status_code == 200
    again = market.client.post(f"{API}/sessions/{mine}/revoke", headers=market.coordinator)
    assert again.status_code == 404
    left = market.client.get(f"{API}/sessions", headers=market.coordinator).json()
    assert [s["participant_id"] for s in left] == ["grp-a"]

    log = market.client.get(
        f"{API}/sign-ins", params={"participant_id": "kit-a"}, headers=market.coordinator
    ).json()
    assert [e["event"] for e in log] == ["revoked", "signed_in", "invited"]
    assert log[0]["actor"] == "coordinator:ops"
    assert log[0]["session_id"] == mine
    assert log[1]["actor"] == "buyer:kit-a"


def test_who_am_i_with_an_api_key_has_no_session(market: Market) -> None:
    me = market.client.get(f"{API}/session", headers=market.coordinator).json()
    assert me["via"] == "api_key"
    assert me["role"] == "coordinator"
    assert me["csrf_token"] is None
    assert me["session_id"] is None
    out = market.client.post(f"{API}/session/sign-out", headers=market.coordinator)
    assert out.status_code == 409


def test_a_link_is_only_for_a_registered_participant(market: Market) -> None:
    answer = market.client.post(
        f"{API}/sign-in-links", json={"participant_id": "nobody"}, headers=market.coordinator
    )
    assert answer.status_code == 422
    wrong_role = market.client.post(
        f"{API}/sign-in-links",
        json={"participant_id": "kit-a", "role": "group"},
        headers=market.coordinator,
    )
    assert wrong_role.status_code == 422


def test_an_api_key_wins_over_a_session_cookie(market: Market) -> None:
    browser, _ = market.sign_in("kit-a")
    me = browser.get(f"{API}/session", headers=market.coordinator).json()
    assert me["via"] == "api_key"
    assert me["role"] == "coordinator"


def test_the_command_line_prints_a_working_link_and_revokes_the_session(
    market: Market, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from matcher.cli import root_app

    cli = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path}/signin.db"]
    made = cli.invoke(root_app(), ["invite", "--participant", "kit-a", *db])
    assert made.exit_code == 0, made.output
    link = made.stdout.strip()
    assert link.startswith("http://127.0.0.1:8000/signin/")
    assert "kit-a (kitchen)" in made.stderr

    browser = market.browser()
    opened = browser.post(link.removeprefix("http://127.0.0.1:8000"), follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/kitchen/"
    session_id = browser.get(f"{API}/session").json()["session_id"]

    listed = cli.invoke(root_app(), ["sessions", "list", *db])
    assert listed.exit_code == 0
    assert session_id in listed.stdout
    revoked = cli.invoke(root_app(), ["sessions", "revoke", session_id, *db])
    assert revoked.exit_code == 0, revoked.output
    assert browser.get(f"{API}/session").status_code == 401
    logged = cli.invoke(root_app(), ["sessions", "log", "--participant", "kit-a", *db])
    events = [line.split("\t")[1] for line in logged.stdout.splitlines()[1:]]
    assert events == ["revoked", "signed_in", "invited"]
    assert "coordinator:cli" in logged.stdout

    unknown = cli.invoke(root_app(), ["invite", "--participant", "nobody", *db])
    assert unknown.exit_code == 1
    assert "nobody" in unknown.output


def test_send_queues_the_link_to_the_participants_contact(market: Market, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from matcher.cli import root_app
    from matcher.service.ports import Contact, NotificationFilter

    service = market.client.app.state.service  # type: ignore[attr-defined]
    with service.uow_factory() as uow:
        uow.notifications.put_contact(
            Contact(
                "kit-a",
                email="kitchen@hatyai.example",
                channels=("email",),
                updated_at=datetime.now(UTC),
            )
        )
        uow.commit()

    made = market.invite("kit-a", send=True)
    assert len(made["queued_notifications"]) == 1
    unsent = market.invite("grp-a", send=True)  # the group has no contact
    assert unsent["queued_notifications"] == []
    assert market.invite("kit-a")["queued_notifications"] == []  # not asked to send

    db = ["--db", f"sqlite:///{tmp_path}/signin.db"]
    sent = CliRunner().invoke(root_app(), ["invite", "--participant", "kit-a", "--send", *db])
    assert sent.exit_code == 0, sent.output
    assert "queued 1 notification" in sent.stderr
    nowhere = CliRunner().invoke(root_app(), ["invite", "--participant", "grp-a", "--send", *db])
    assert nowhere.exit_code == 0
    assert "not sent" in nowhere.stderr
    assert nowhere.stdout.strip().startswith("http://127.0.0.1:8000/signin/")

    with service.uow_factory() as uow:
        queued = uow.notifications.log(NotificationFilter(participant_id="kit-a"))
        bodies = [n.body for n in queued]
        assert [n.kind for n in queued] == ["sign_in_link", "sign_in_link"]
        assert {n.address for n in queued} == {"kitchen@hatyai.example"}
    assert any(made["link"] in body for body in bodies)
    assert any(sent.stdout.strip() in body for body in bodies)
    opened = market.browser().post(
        sent.stdout.strip().removeprefix("http://127.0.0.1:8000"), follow_redirects=False
    )
    assert opened.status_code == 303


def test_a_second_tap_in_the_browser_it_signed_in_goes_on_to_the_pages(market: Market) -> None:
    path = market.invite("grp-a")["link"].removeprefix("http://testserver")
    browser = market.browser()
    assert browser.post(path, follow_redirects=False).status_code == 303

    again = browser.get(path, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == "/group/"
    assert "set-cookie" not in again.headers  # the session it has goes on

    elsewhere = market.browser()
    other, _ = market.sign_in("grp-b")  # signed in, but as another group
    assert elsewhere.get(path, follow_redirects=False).status_code == 410
    assert other.get(path, follow_redirects=False).status_code == 410


def test_opening_the_page_of_a_link_does_not_use_it(market: Market) -> None:
    """Mail scanners and chat previews open links; only the page's button signs in."""
    path = market.invite("kit-a")["link"].removeprefix("http://testserver")
    preview = market.browser()
    for _ in range(2):
        page = preview.get(path, follow_redirects=False)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert "set-cookie" not in page.headers
        assert page.text.index("เข้าสู่ระบบ") < page.text.index("Sign in")
        assert '<form method="post">' in page.text
        assert 'data-testid="sign-in-th"' in page.text
        assert "โรงพยาบาล" in page.text or "kit-a" in page.text
        assert " น." in page.text  # until when, in Thai time

    log = market.client.get(f"{API}/sign-ins", headers=market.coordinator).json()
    assert [e["event"] for e in log] == ["invited"]
    opened = market.browser().post(path, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/kitchen/"


def test_the_sign_in_button_pressed_on_another_site_is_refused(market: Market) -> None:
    path = market.invite("kit-a")["link"].removeprefix("http://testserver")
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://other.testserver"},
    ):
        refused = market.browser().post(path, headers=headers, follow_redirects=False)
        assert refused.status_code == 403, headers
        assert "กรุณาเข้าสู่ระบบจากลิงก์โดยตรง" in refused.text
        assert "set-cookie" not in refused.headers
    ours = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    opened = market.browser().post(path, headers=ours, follow_redirects=False)
    assert opened.status_code == 303  # the link was not used by the refusals


def test_the_command_line_purges_ended_links_and_sessions_and_keeps_the_log(
    market: Market, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from matcher.cli import root_app
    from matcher.sessions import SessionRules
    from matcher.signin import invite, open_link

    service = market.client.app.state.service  # type: ignore[attr-defined]
    rules = SessionRules()
    long_ago = datetime.now(UTC) - timedelta(days=45)
    _, token = invite(service.uow_factory, "kit-a", "coordinator:ops", long_ago, rules)
    assert open_link(service.uow_factory, token, long_ago, rules).session is not None
    browser, _ = market.sign_in("kit-a")  # a session of today, and its used link
    cli = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path}/signin.db"]

    purged = cli.invoke(root_app(), ["sessions", "purge", *db])
    assert purged.exit_code == 0, purged.output
    assert "deleted 1 sign-in links and 1 sessions" in purged.stderr
    assert browser.get(f"{API}/session").status_code == 200
    again = cli.invoke(root_app(), ["sessions", "purge", "--days", "0", *db])
    # today's link has not expired yet, today's session has not ended: both stay
    assert "deleted 0 sign-in links and 0 sessions" in again.stderr
    assert browser.get(f"{API}/session").status_code == 200
    logged = cli.invoke(root_app(), ["sessions", "log", "--participant", "kit-a", *db])
    events = [line.split("\t")[1] for line in logged.stdout.splitlines()[1:]]
    assert events == ["signed_in", "invited", "signed_in", "invited"]
