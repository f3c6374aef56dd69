"""The coordinator dashboard in headless Chromium: the running demo, a browser tab on it and
what the browser tests wait for (their fixtures are in tests/browser/conftest.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FOODMATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WEEKS = 4
VIEWPORT = {"width": 1400, "height": 900}
# The dashboard refreshes every 3 s; the tests make it 1 s to wait less (same code path).
REFRESH_MS = 1000
# The demo's groups answer each proposal within this many seconds (a minute or two by default).
ANSWER_WITHIN = 2

Json = dict[str, Any]
T = TypeVar("T", bound="Dashboard")


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def wait_for(check: Callable[[], Any], seconds: float, what: str, pause: float = 0.2) -> Any:
    """Calls ``check`` until it answers something true; that answer is returned."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(pause)


def screenshot_dir() -> Path:
    configured = os.environ.get("FOODMATCH_SCREENSHOT_DIR")
    folder = Path(configured) if configured else ROOT / ".foodmatch" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Demo:
    """The running demo: its base URL, its coordinator's API key (``""`` when the API asks for
    none) and an HTTP client on it that sends the key."""

    base: str
    http: httpx.Client
    log: Path
    key_file: Path
    token: str = ""

    def pick_up_key(self) -> None:
        """The demo writes its coordinator key next to its database once it has started."""
        if not self.token and self.key_file.exists():
            token = self.key_file.read_text(encoding="utf-8").strip()
            if token:
                self.token = token
                self.http.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get("/api/v1" + path, params=params)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.json()

    def overview(self) -> Json | None:
        try:
            response = self.http.get("/api/v1/overview")
        except httpx.HTTPError:
            return None
        answer: Json = response.json()
        return answer if response.status_code == 200 else None


def stable_market(demo: Demo, process: subprocess.Popen[bytes]) -> Json:
    """Waits for the stream to be in and matched: contracts and rounds exist, the groups have
    answered every proposal and the counts stay put (with an empty engine queue) over two looks
    half a second apart."""

    def alive() -> None:
        if process.poll() is not None:
            raise AssertionError(
                f"the demo ended with {process.returncode}:\n{demo.log.read_text()[-3000:]}"
            )

    def started() -> Json | None:
        alive()
        demo.pick_up_key()
        o = demo.overview()
        return o if o and o["contracts"] > 0 and o["rounds"] > 0 else None

    wait_for(started, 90, "the demo made contracts", pause=0.3)

    def counts(o: Json) -> tuple[int, ...]:
        keys = ("orders_open", "supply_open", "contracts", "groups", "buyers", "open_demand")
        return tuple(int(o[k]) for k in keys)

    previous: list[tuple[int, ...]] = []

    def settled() -> Json | None:
        alive()
        o = demo.overview()
        if not o or o["engine"].get("queue_depth", 0) != 0:
            return None
        if o["contracts_by_state"].get("proposed") or not o["contracts_by_state"].get("accepted"):
            return None  # the groups are still answering
        now = counts(o)
        same = bool(previous) and previous[-1] == now
        previous.append(now)
        return o if same else None

    # Two minutes: the demo's first rounds take longer on a machine busy with other work.
    answer: Json = wait_for(settled, 120, "the demo's counts settled", pause=0.5)
    return answer


@dataclass
class Dashboard:
    """One browser tab on the dashboard, with what it asked for and what it complained about."""

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, route: str = "#/") -> None:
        """Goes to ``route`` (a hash such as ``#/map``) and waits until its data are shown."""
        self.page.goto(f"{self.base}/{route}")
        self.wait_loaded(route)

    def wait_loaded(self, route: str) -> None:
        key = route[1:] if route.startswith("#") else ""
        self.page.wait_for_function(
            "key => document.body.dataset.loaded === key", arg=key, timeout=15_000
        )

    def next_refresh(self) -> None:
        """Waits for the next live refresh (the status line's time changes)."""
        self.page.evaluate(
            "window.__fmSeen = document.getElementById('status-updated').textContent"
        )
        self.page.wait_for_function(
            "document.getElementById('status-updated').textContent !== window.__fmSeen",
            timeout=10_000,
        )

    def shoot(self, name: str) -> Path:
        path = screenshot_dir() / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.exists(), path
        assert path.stat().st_size > 0, path
        print(f"screenshot: {path}")
        return path

    def unexpected_errors(self) -> list[str]:
        """The errors the page reported that the test did not provoke."""
        return list(self.errors)

    def foreign_requests(self) -> list[str]:
        """Requests to anything but this server (``blob:`` URLs made from its answers count as
        its own)."""
        own = (self.base + "/", "blob:" + self.base + "/")
        return [url for url in self.requests if not url.startswith(own)]


@contextmanager
def watched_tab(
    browser: Any, viewport: dict[str, int], token: str, make: Callable[[Any], T]
) -> Iterator[T]:
    """A fresh browser context (fresh storage) in Thai with one tab, refreshing every second,
    holding ``token`` as the tab's API key (``""``: none); ``make`` wraps its page. What the tab
    requested and the errors it reported are recorded, and checked when it closes: nothing from
    another host, no error but those the test provoked."""
    context = browser.new_context(viewport=viewport, locale="th-TH")
    context.add_init_script(f"window.FOODMATCH_REFRESH_MS = {REFRESH_MS};")
    if token:
        context.add_init_script(f"sessionStorage.setItem('foodmatch.apiKey', {json.dumps(token)});")
    page = context.new_page()
    tab = make(page)
    page.on("request", lambda request: tab.requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            tab.errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    try:
        yield tab
    finally:
        context.close()
    assert tab.foreign_requests() == [], "requests left the server"
    assert tab.unexpected_errors() == [], "the page reported errors"


@contextmanager
def dashboard_tab(browser: Any, demo: Demo, *, with_key: bool = True) -> Iterator[Dashboard]:
    """A tab on the dashboard (see :func:`watched_tab`); ``with_key``: it holds the demo's
    coordinator key, as after opening the link ``/#key=...`` that the demo prints."""
    token = demo.token if with_key else ""
    with watched_tab(browser, VIEWPORT, token, lambda page: Dashboard(page, demo.base)) as tab:
        yield tab


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (unavailable: skipped, failed in CI)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - depends on the environment
        unavailable(f"the playwright package is not installed ({err})")
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


# --- the participants' portals ---------------------------------------------------------------

PORTAL_VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}
"""The kitchen portal is used on a desktop, the group portal on a phone; both are looked at in
both sizes."""


def participant_key(demo: Demo, role: str, participant: str) -> str:
    """A new API key of ``role`` for ``participant`` in the demo's database (``foodmatch keys
    create``, as a coordinator would make one)."""
    return _new_key(demo, "--role", role, "--participant", participant, "--name", "browser test")


BANK_NAME = "ธ.ก.ส. สาขาหาดใหญ่"


def bank_key(demo: Demo) -> str:
    """A new bank key (named :data:`BANK_NAME`, no participant) in the demo's database."""
    return _new_key(demo, "--role", "bank", "--name", BANK_NAME)


def _new_key(demo: Demo, *options: str) -> str:
    database = demo.key_file.with_suffix(".db")
    done = subprocess.run(
        [sys.executable, "-m", "matcher", "keys", "create", *options, "--db", f"sqlite:///{database}"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Portal(Dashboard):
    """One browser tab on a participant's portal (``/kitchen/``): its pages are hash routes
    under the portal's path, and ``body[data-loaded]`` names the route whose data are shown.
    A refusal the test provokes (``refusals``: HTTP statuses) is no error of the page."""

    path: str = "/kitchen/"
    refusals: set[int] = field(default_factory=set)

    def open(self, route: str = "#/") -> None:
        self.page.goto(f"{self.base}{self.path}{route}")
        self.wait_loaded(route)

    def sign_in(self, link: str) -> None:
        """Open a sign-in link and press its page's button (opening the page alone, as a mail
        scanner or a chat preview does, signs nobody in); the portal's first page is shown."""
        self.page.goto(link)
        self.page.get_by_test_id("sign-in-th").click()
        self.page.wait_for_url(f"{self.base}{self.path}**")
        self.wait_loaded("#/")

    def wait_loaded(self, route: str) -> None:
        key = route[1:] if route.startswith("#") else "/"
        self.page.wait_for_function(
            "key => document.body.dataset.loaded === key", arg=key, timeout=15_000
        )

    def unexpected_errors(self) -> list[str]:
        allowed = [f"status of {status} " for status in self.refusals]
        return [e for e in self.errors if not any(a in e for a in allowed)]


@contextmanager
def portal_tab(
    browser: Any, demo: Demo, token: str, *, path: str = "/kitchen/", size: str = "desktop"
) -> Iterator[Portal]:
    """A tab on a portal (see :func:`watched_tab`) holding ``token`` (a participant's API key,
    as after opening ``/kitchen/#key=...``; ``""``: none)."""

    def make(page: Any) -> Portal:
        return Portal(page=page, base=demo.base, path=path)

    with watched_tab(browser, PORTAL_VIEWPORTS[size], token, make) as tab:
        yield tab


# --- a demo whose groups leave proposals to real answers --------------------------------------


@contextmanager
def running_demo(folder: Path, *options: str) -> Iterator[tuple[Demo, subprocess.Popen[bytes]]]:
    """``foodmatch demo`` on a free port with its database in ``folder`` and ``options`` added
    (``--no-group-answers``: proposals wait for real answers), stopped afterwards."""
    port = free_port()
    log = folder / "demo.log"
    command = [
        sys.executable, "-m", "matcher", "demo",
        "--db", str(folder / "demo.db"), "--port", str(port), "--weeks", str(WEEKS),
        "--rate", "0", "--no-live", *options,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=base, timeout=10)
    try:
        yield Demo(base=base, http=http, log=log, key_file=folder / "demo.key"), process
    finally:
        http.close()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def proposals_waiting(demo: Demo, process: subprocess.Popen[bytes]) -> Json:
    """Waits, for a demo whose groups do not answer, until the whole scenario is in (the demo's
    log says so), rounds have proposed contracts and the counts stay put (an empty engine queue,
    two looks half a second apart)."""
    previous: list[tuple[int, ...]] = []

    def settled() -> Json | None:
        if process.poll() is not None:
            raise AssertionError(
                f"the demo ended with {process.returncode}:\n{demo.log.read_text()[-3000:]}"
            )
        demo.pick_up_key()
        if "streaming done" not in demo.log.read_text(encoding="utf-8", errors="replace"):
            return None  # the scenario is still coming in
        o = demo.overview()
        if not o or not o["contracts_by_state"].get("proposed"):
            return None
        if o["engine"].get("queue_depth", 0) != 0:
            return None
        now = (int(o["contracts"]), int(o["orders_open"]), int(o["supply_open"]), int(o["rounds"]))
        same = bool(previous) and previous[-1] == now
        previous.append(now)
        return o if same else None

    answer: Json = wait_for(settled, 150, "the demo proposed contracts", pause=0.5)
    return answer
