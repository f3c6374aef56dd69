"""`make demo` shows the three roles: next to the coordinator's link it prints a sign-in link for
a kitchen and one for a group, and writes the e-mails the market sends (those links among them)
into its outbox folder."""

from __future__ import annotations

import email
import email.policy
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.support.market import wait_for
from tests.support.ports import free_port

LINK = re.compile(r"^(kitchen|group) (.+): (http://\S+/signin/\S+)$", re.MULTILINE)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """The demo, streaming fast, its output in a log; yields (log, outbox folder)."""
    log = tmp_path / "demo.log"
    command = [
        sys.executable, "-m", "matcher", "demo", "--db", str(tmp_path / "demo.db"),
        "--port", str(free_port()), "--weeks", "2", "--rate", "500", "--no-live",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield log, tmp_path / "outbox"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def mails(folder: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def test_the_demo_prints_a_kitchen_and_a_group_sign_in_link_and_mails_them(
    demo: tuple[Path, Path],
) -> None:
    log, outbox = demo

    def printed() -> list[tuple[str, str, str]]:
        links: list[tuple[str, str, str]] = LINK.findall(log.read_text(errors="replace"))
        return links if len(links) == 2 else []

    links = wait_for(printed, seconds=120)
    assert [(role, name) for role, name, _ in links] == [
        ("kitchen", "โรงพยาบาลหาดใหญ่"),
        ("group", "กลุ่มปลูกผักกระแสสินธุ์"),
    ]
    assert "dashboard: http://" in log.read_text()

    def mailed() -> list[EmailMessage]:
        found = mails(outbox) if outbox.exists() else []
        bodies = "\n".join(m.get_content() for m in found)
        return found if all(url in bodies for _, _, url in links) else []

    sent = wait_for(mailed, seconds=60)
    invitations = {str(m["To"]): m.get_content() for m in sent if "/signin/" in m.get_content()}
    assert set(invitations) == {
        "hosp-hatyai@demo.foodmatch.invalid",
        "grp-001@demo.foodmatch.invalid",
    }

    for role, _, url in links:
        with httpx.Client() as browser:
            page = browser.get(url)
            assert page.status_code == 200, page.text  # the page with the button: not used yet
            opened = browser.post(url)
            assert opened.status_code == 303, opened.text
            assert opened.headers["location"] == f"/{role}/"
            assert "foodmatch_session" in opened.cookies
            base = url.split("/signin/")[0]
            me = browser.get(f"{base}/api/v1/session")
            assert me.status_code == 200, me.text
            assert me.json()["role"] == role
