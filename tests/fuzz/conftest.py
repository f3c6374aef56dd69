"""The fuzzed service: the API on a temporary SQLite database, with a small market in it.

One service per test module: schemathesis runs many cases per operation, and a fresh database
for each would cost more than the cases themselves. The seeded market gives the routes that take
an id real ids to find (see :data:`FuzzApi.ids`), so the fuzzer reaches past the 404s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from schemathesis.python.asgi import ASGIClient

from api.app import create_app
from matcher.auth import Role
from tests.support.api_keys import new_token
from tests.support.fuzz import CALLS, SCHEMATHESIS, FuzzApi, fuzz_settings, seed_market


@pytest.fixture(scope="module")
def fuzz_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzApi]:
    app = create_app(fuzz_settings(tmp_path_factory.mktemp("fuzz")))
    with TestClient(app) as client:
        service = app.state.service
        client.headers["Authorization"] = f"Bearer {new_token(service, Role.COORDINATOR)}"
        ids = seed_market(client)
        token = new_token(service, Role.COORDINATOR)
        # Not entered: entering would start a second lifespan (a second service) on the app.
        session = ASGIClient(cast(Any, app))
        try:
            yield FuzzApi(app=app, client=client, session=session, token=token, ids=ids)
        finally:
            session.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many cases each schemathesis pass sent, what they were answered, and which operations
    never answered 2xx (what the fuzzing did not get past)."""
    for name in sorted({key[0] for key in CALLS}):
        calls = {key: n for key, n in CALLS.items() if key[0] == name}
        operations = {key[1] for key in calls}
        statuses: Counter[int] = Counter()
        for (_, _, status), n in calls.items():
            statuses[status] += n
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        terminalreporter.write_line(
            f"fuzzing, {name}: {sum(calls.values())} cases over {len(operations)} "
            f"operations ({shown})"
        )
        never = sorted(
            op for op in operations if not any(200 <= key[2] < 300 for key in calls if key[1] == op)
        )
        if never and name == SCHEMATHESIS:
            terminalreporter.write_line(f"  never 2xx: {', '.join(never)}")
