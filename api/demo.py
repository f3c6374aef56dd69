"""The live demo: the embedded service on a port, the Songkhla scenario streamed in over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.demo_groups import GroupAnswers, GroupResponder

if TYPE_CHECKING:
    from matcher.adapters.messages import Message


@dataclass(frozen=True, slots=True)
class DemoOptions:
    weeks: int = 12
    seed: int = 1
    database_url: str = "sqlite:///.foodmatch/demo.db"
    key_file: Path = Path(".foodmatch/demo.key")
    """The demo coordinator's API key (the stream and the dashboard use it), kept for reruns."""
    host: str = "127.0.0.1"
    port: int = 8000
    rate: float = 25.0
    live: bool = True
    exit_when_done: bool = False
    groups: GroupAnswers = field(default_factory=GroupAnswers)
    """How the demo's groups answer proposals (``enabled=False``: they never answer)."""


@dataclass
class StreamState:
    total: int = 0
    sent: int = 0
    rejected: list[str] = field(default_factory=list)
    withdrawn: int = 0
    """Supply lines the scenario's flood week withdrew."""
    done: bool = False
    responder: GroupResponder | None = None


def demo_key_file(db: Path) -> Path:
    """The demo coordinator key's file, next to its database: ``demo.db`` -> ``demo.key``."""
    return db.with_suffix(".key")


def demo_token(service: Any, key_file: Path) -> str:
    """The coordinator key of the demo: the one in ``key_file`` while it is valid in the
    service's database, else a new one written there (readable by its owner only)."""
    from matcher.auth import Role, split_token, verify
    from matcher.keys import create_key

    if key_file.exists():
        token = key_file.read_text(encoding="utf-8").strip()
        parts = split_token(token)
        if parts is not None:
            with service.read_uow_factory() as uow:
                if verify(uow.keys.get(parts[0]), parts[1]):
                    return token
    now = service.context.clock.now()
    _, token = create_key(service.uow_factory, Role.COORDINATOR, None, "demo", now)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.touch(mode=0o600)
    key_file.write_text(token + "\n", encoding="utf-8")
    return token


def _prepare_key(settings: Any, key_file: Path) -> str:
    """The demo's key, made (with the database) before the service starts."""
    from matcher.bootstrap import bootstrap

    service = bootstrap(settings)
    try:
        return demo_token(service, key_file)
    finally:
        service.close()


def summary_table(overview: dict[str, Any] | None, base: str) -> Table:
    table = Table(title=f"Songkhla market — API at {base}  (Ctrl-C stops)", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    if overview is None:
        table.add_row("service", "starting…")
        return table
    last = overview.get("last_round") or {}
    rows = (
        ("kitchens / groups", f"{overview['buyers']} / {overview['groups']}"),
        ("open orders", str(overview["orders_open"])),
        ("supply announcements", str(overview["supply_open"])),
        ("rounds", str(overview["rounds"])),
        ("contracts", str(overview["contracts"])),
        ("ordered / contracted", f"{overview['ordered']:,} / {overview['contracted']:,}"),
        ("proposed, awaiting the groups", f"{overview.get('proposed', 0):,}"),
        ("fill rate", f"{100 * overview['fill_rate']:.1f} %"),
        ("last round", f"{last.get('id', '-')} ({last.get('trigger', '-')})"),
    )
    for label, value in rows:
        table.add_row(label, value)
    return table


def demo_instance(options: DemoOptions) -> dict[str, Any]:
    """The Songkhla scenario the demo streams, its season starting from today, with its flood
    week when the season reaches into December or January."""
    from matcher.scenario import season_start, songkhla_instance

    return songkhla_instance(
        weeks=options.weeks,
        seed=options.seed,
        start=season_start(date.today()),
        disruptions=True,
    )


def people(instance: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Whom the demo signs in: (role, id, Thai name) of its first hospital kitchen (else its
    first kitchen) and of its first farmer group."""
    buyers = instance["buyers"]
    kitchen = next((b for b in buyers if b["kind"] == "hospital"), buyers[0])
    group = instance["groups"][0]
    return [
        ("kitchen", kitchen["id"], kitchen["name_th"]),
        ("group", group["id"], group["name_th"]),
    ]


async def invite_people(client: httpx.AsyncClient, options: DemoOptions, console: Console) -> None:
    """Once the stream has registered them, gives one kitchen and one group an e-mail address
    and a sign-in link (printed, and e-mailed into the demo's outbox), so that the three roles'
    screens can be seen in one run."""
    for role, participant, name in people(demo_instance(options)):
        plural = "buyers" if role == "kitchen" else "groups"
        while (await client.get(f"/api/v1/{plural}/{participant}")).status_code != 200:
            await asyncio.sleep(0.5)
        contact = {"email": f"{participant}@demo.foodmatch.invalid", "channels": ["email"]}
        await client.put(f"/api/v1/{plural}/{participant}/contacts", json=contact)
        body = {"participant_id": participant, "role": role, "send": True}
        answer = await client.post("/api/v1/sign-in-links", json=body)
        if answer.status_code != 201:
            console.print(f"[red]no sign-in link for {participant}:[/red] {answer.text}")
            continue
        console.print(f"{role} {name}: {answer.json()['link']}", highlight=False, soft_wrap=True)
    console.print(
        "each sign-in link works once, within 15 minutes (foodmatch invite --participant ID "
        f"makes another); the e-mails the market sends are in {outbox_of(options)}/",
        highlight=False,
        soft_wrap=True,
    )


def outbox_of(options: DemoOptions) -> Path:
    """Where the demo writes the e-mails it would send: ``outbox/`` beside its key file."""
    return options.key_file.parent / "outbox"


async def stream(client: httpx.AsyncClient, options: DemoOptions, state: StreamState) -> None:
    """Send the scenario's messages at ``options.rate`` per second (duplicates are harmless)
    and run a round; then, when the season has a flood week, the flooded supply lines'
    withdrawals and what is left of them, and a round that matches the released deliveries
    with the groups that still have produce."""
    from matcher.adapters.messages import WITHDRAWALS, disruption_messages, scenario_messages

    instance = demo_instance(options)
    namespace = f"demo-{options.seed}"
    load = list(scenario_messages(instance, namespace, options.seed, disruptions=False))
    flood = list(disruption_messages(instance, namespace))
    state.total = len(load) + len(flood)
    await _send(client, load, options.rate, state)
    await _post(client, "/api/v1/rounds", {}, None)
    if flood:
        await _send(client, flood, options.rate, state)
        state.withdrawn = sum(1 for m in flood if m.kind == WITHDRAWALS)
        await _post(client, "/api/v1/rounds", {}, None)
    state.done = True


async def _send(
    client: httpx.AsyncClient, messages: list[Message], rate: float, state: StreamState
) -> None:
    """Post ``messages`` at ``rate`` per second, noting the ones the API refused."""
    from matcher.adapters.messages import request_of

    pause = 1.0 / rate if rate > 0 else 0.0
    for message in messages:
        began = time.monotonic()
        path, body = request_of(message)
        response = await _post(client, path, body, message.message_id)
        if response.status_code >= 400 and response.status_code != 409:
            name = message.body.get("id", message.body.get("supply_id"))
            state.rejected.append(f"{message.kind} {name}: {response.text}")
        state.sent += 1
        await asyncio.sleep(max(0.0, pause - (time.monotonic() - began)))


async def _post(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], key: str | None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    for attempt in range(20):
        try:
            return await client.post(path, json=body, headers=headers, timeout=60)
        except httpx.TransportError:
            await asyncio.sleep(min(2.0, 0.1 * 2**attempt))
    return await client.post(path, json=body, headers=headers, timeout=60)


async def run_demo(options: DemoOptions) -> int:
    import uvicorn

    from api.app import create_app
    from matcher.config import load_settings

    settings = load_settings(
        database_url=options.database_url,
        debounce_seconds=1.0,
        max_debounce_seconds=5.0,
        round_interval_seconds=60.0,
        api_host=options.host,
        api_port=options.port,
        mail_dir=str(outbox_of(options)),
        notify_poll_seconds=1.0,
    )
    console = Console()
    token = await asyncio.to_thread(_prepare_key, settings, options.key_file)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host=options.host, port=options.port, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            console.print(f"[red]the API could not start on {options.host}:{options.port}[/red]")
            return 1
        await asyncio.sleep(0.05)
    base = f"http://{options.host}:{options.port}"
    console.print(
        f"dashboard: {base}/#key={token}\n"
        f"coordinator API key in {options.key_file} (send it as 'Authorization: Bearer <key>')",
        highlight=False,
        soft_wrap=True,
    )
    state = StreamState()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        streaming = asyncio.create_task(stream(client, options, state))
        tasks = [streaming, asyncio.create_task(invite_people(client, options, console))]
        if options.groups.enabled:
            state.responder = GroupResponder(client, options.groups)
            tasks.append(asyncio.create_task(state.responder.run()))
        show = _show_live if options.live and console.is_terminal else _show_log
        watching = asyncio.create_task(show(client, state, base, console))
        tasks.append(watching)
        while not serving.done():
            if streaming.done() and options.exit_when_done:
                server.should_exit = True
            await asyncio.sleep(0.2)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    for line in state.rejected[:20]:
        console.print(f"[red]rejected:[/red] {line}")
    return 0


async def _overview(client: httpx.AsyncClient) -> dict[str, Any] | None:
    try:
        response = await client.get("/api/v1/overview", timeout=10)
        return response.json() if response.status_code == 200 else None
    except httpx.HTTPError:
        return None


async def _show_live(
    client: httpx.AsyncClient, state: StreamState, base: str, console: Console
) -> None:
    progress = Progress(
        TextColumn("streaming the Songkhla scenario"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    task = progress.add_task("stream", total=None)
    with Live(console=console, refresh_per_second=4) as live:
        while True:
            progress.update(task, total=state.total or None, completed=state.sent)
            overview = await _overview(client)
            live.update(Group(progress, summary_table(overview, base)))
            await asyncio.sleep(1.0)


async def _show_log(
    client: httpx.AsyncClient, state: StreamState, base: str, console: Console
) -> None:
    console.print(f"API at {base}")
    while True:
        overview = await _overview(client) or {}
        console.print(
            f"streamed {state.sent}/{state.total} · orders {overview.get('orders_open', '-')} · "
            f"supply {overview.get('supply_open', '-')} · rounds {overview.get('rounds', '-')} · "
            f"contracts {overview.get('contracts', '-')} · "
            f"proposed {overview.get('proposed', '-')} · "
            f"fill {100 * float(overview.get('fill_rate', 0.0)):.1f} %"
            + _answers(state)
            + (
                f" · flood week: {state.withdrawn} supply lines withdrawn"
                if state.withdrawn
                else ""
            )
            + (" · streaming done" if state.done else ""),
            highlight=False,
        )
        await asyncio.sleep(2.0)


def _answers(state: StreamState) -> str:
    if state.responder is None:
        return ""
    tally = state.responder.tally
    return f" · groups accepted {tally.accepted}, rejected {tally.rejected}"
