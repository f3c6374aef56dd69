"""``foodmatch contracts accept|reject|cancel|confirm|amend`` against a running service."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from api.app import create_app
from matcher.cli import root_app
from matcher.config import Settings
from tests.support.api_keys import new_token
from tests.support.lifecycle import PLAIN, only_contract, two_group_market
from tests.support.market import Market
from tests.support.ports import free_port

app = root_app()


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The service on a port; a coordinator's key in FOODMATCH_API_KEY (the CLI's default)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=0.2,
        round_interval_seconds=0,
        **PLAIN,  # type: ignore[arg-type]
    )
    port = free_port()
    api = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    monkeypatch.setenv("FOODMATCH_API_KEY", new_token(api.state.service))
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["contracts", *args])
    return result.exit_code, result.stdout, result.stderr


def coordinator(live: str) -> httpx.Client:
    key = os.environ["FOODMATCH_API_KEY"]
    return httpx.Client(base_url=live, timeout=30, headers={"Authorization": f"Bearer {key}"})


def test_each_transition_from_the_command_line(live: str) -> None:
    with coordinator(live) as client:
        market = Market(client)  # type: ignore[arg-type]
        [day] = two_group_market(market)
        market.run_round()
        cid = only_contract(market)["id"]

        code, _, err = cli("accept", cid, "--as", "group:grp-far", "--api", live)
        assert code == 1
        assert "409" in err
        assert "not a party" in err
        code, out, _ = cli("accept", cid, "--as", "group:grp-near", "--api", live)
        assert code == 0
        assert json.loads(out)["state"] == "accepted"
        code, out, _ = cli(
            "amend", cid, "--as", "buyer:hosp-songkhla", "--agreed-by", "group:grp-near",
            "--change", f"{day}=35", "--reason", "fewer beds", "--api", live,
        )  # fmt: skip
        assert code == 0
        assert json.loads(out)["deliveries"][0]["quantity"] == 35
        code, _, err = cli(
            "confirm", cid, day, "--as", "buyer:hosp-songkhla", "--received", "30",
            "--refused", "5", "--api", live,
        )  # fmt: skip
        assert code == 1
        assert "422" in err
        assert "refusal_reason" in err
        code, out, _ = cli(
            "confirm", cid, day, "--as", "buyer:hosp-songkhla", "--received", "30",
            "--refused", "5", "--refusal-reason", "other", "--refusal-note", "ถุงขาด",
            "--api", live,
        )  # fmt: skip
        assert code == 0
        assert json.loads(out)["state"] == "completed"
        [done] = json.loads(out)["deliveries"]
        assert (done["refused"], done["refusal_reason"], done["refusal_note"]) == (
            5,
            "other",
            "ถุงขาด",
        )
        code, _, err = cli("cancel", cid, "--as", "buyer:hosp-songkhla", "--reason", "x",
                           "--api", live)  # fmt: skip
        assert code == 1
        assert "is completed" in err

        market.run_round()
        other = next(c for c in market.contracts() if c["id"] != cid)
        code, out, _ = cli("reject", other["id"], "--as", f"group:{other['group_id']}",
                           "--reason", "no truck", "--api", live)  # fmt: skip
        assert code == 0
        assert json.loads(out)["state"] == "rejected"

        result = CliRunner().invoke(
            app,
            ["certificates", "revoke", "cert-grp-far", "--on", day, "--reason", "audit",
             "--as", "coordinator:dao", "--api", live],
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["revoked_on"] == day


def test_an_unreachable_service_is_reported(tmp_path: Path) -> None:
    code, _, err = cli("accept", "c-1", "--as", "group:g", "--api", "http://127.0.0.1:9")
    assert code == 1
    assert "cannot reach" in err


def test_a_participants_key_acts_as_the_participant(live: str, tmp_path: Path) -> None:
    with coordinator(live) as client:
        market = Market(client)  # type: ignore[arg-type]
        two_group_market(market)
        market.run_round()
        contract = only_contract(market)
    coordinator_key = os.environ.pop("FOODMATCH_API_KEY")
    try:
        code, _, err = cli("accept", contract["id"], "--api", live)
        assert code == 1
        assert "401" in err
        assert "API key is required" in err
        made = CliRunner().invoke(app, [
            "keys", "create", "--role", "group", "--participant", contract["group_id"],
            "--name", "the group's phone", "--db", f"sqlite:///{tmp_path}/t.db",
        ])  # fmt: skip
        assert made.exit_code == 0, made.stderr
        group_key = made.stdout.strip()
        code, out, _ = cli("accept", contract["id"], "--api", live, "--key", group_key)
        assert code == 0, out
        answer = json.loads(out)
        assert answer["state"] == "accepted"
        assert answer["history"][-1]["actor"] == f"group:{contract['group_id']}"
        code, _, err = cli("cancel", contract["id"], "--reason", "x", "--as", "buyer:hosp-songkhla",
                           "--api", live, "--key", group_key)  # fmt: skip
        assert code == 1
        assert "403" in err
    finally:
        os.environ["FOODMATCH_API_KEY"] = coordinator_key
