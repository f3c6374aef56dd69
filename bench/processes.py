"""The processes a benchmark starts (the API, a worker), their ports, environment and readiness,
and the API keys it makes in the run's database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from matcher.config import KafkaSettings

HOST = "127.0.0.1"

REPO = Path(__file__).resolve().parents[1]

ASSIGNED = "assigned partitions: "
"""What a worker logs once it has partitions (consumers/app.py; tests/support/kafka_harness.py waits
for the same line)."""

REQUESTED_ROUNDS = {
    "FOODMATCH_DEBOUNCE_SECONDS": "3600",
    "FOODMATCH_MAX_DEBOUNCE_SECONDS": "3600",
    "FOODMATCH_ROUND_INTERVAL_SECONDS": "0",
}


class BenchError(Exception):
    """The benchmark cannot run (broker, database, port, a process that does not start)."""


class Child:
    """A process of the bench (the API, a worker): its own session, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Child:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.log_path.parent,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the bench only; it stops the children
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def exited(self) -> BenchError:
        code = None if self.process is None else self.process.returncode
        return BenchError(f"the {self.name} exited (code {code}); its last lines:\n{self.tail()}")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM and wait (SIGKILL after ``timeout``)."""
        if self.process is not None and self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None


def api_child(port: int, env: dict[str, str], log_path: Path) -> Child:
    """The API (uvicorn on ``HOST:port``, warnings only, no access log), not started yet."""
    return Child(
        "API",
        [
            sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
            "--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log",
        ],
        env,
        log_path,
    )  # fmt: skip


def worker_child(worker_id: str, env: dict[str, str], log_path: Path) -> Child:
    """A worker of the Kafka engine (``python -m consumers.worker``), not started yet."""
    return Child(
        "worker",
        [sys.executable, "-m", "consumers.worker", "--worker-id", worker_id],
        env,
        log_path,
    )


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def check_port(port: int, host: str = HOST) -> None:
    """BenchError unless ``port`` can be listened on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            raise BenchError(
                f"port {port} on {host} is busy ({err.strerror or err}): pass another --port, "
                "or --port 0 for a free one"
            ) from None


def wait_ready(child: Child, base_url: str, seconds: float) -> None:
    """Until ``GET /health`` answers 200; BenchError if the process exits or time runs out."""
    import httpx

    deadline = time.monotonic() + seconds
    last = "no answer yet"
    with httpx.Client(base_url=base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if not child.running:
                if "address already in use" in child.log().lower():
                    raise BenchError(f"{base_url}: the port is busy (another process took it)")
                raise child.exited()
            try:
                response = client.get("/health")
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as err:
                last = repr(err)
            time.sleep(0.2)
    raise BenchError(
        f"the {child.name} did not become healthy within {seconds:.0f} s ({last}); its last "
        f"lines:\n{child.tail()}"
    )


def wait_assigned(child: Child, seconds: float) -> None:
    """Until the worker logs a non-empty partition assignment."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not child.running:
            raise child.exited()
        for line in reversed(child.log().splitlines()):
            _, marker, names = line.partition(ASSIGNED)
            if marker and names.strip() not in ("", "[]"):
                return
        time.sleep(0.2)
    raise BenchError(
        f"the {child.name} was assigned no partitions within {seconds:.0f} s; its last lines:\n"
        f"{child.tail()}"
    )


def service_env(
    engine: str, database_url: str, kafka: KafkaSettings | None, tmp: Path
) -> dict[str, str]:
    """The environment of the API and worker processes: the caller's, with the bench's settings
    on top (access control on, rounds only on request, no metrics port)."""
    env = dict(os.environ)
    env.update(REQUESTED_ROUNDS)
    env.update(
        {
            "FOODMATCH_ENGINE": "kafka" if engine == "kafka" else "inprocess",
            "FOODMATCH_DATABASE_URL": database_url,
            "FOODMATCH_AUTH": "true",
            "FOODMATCH_METRICS_PORT": "0",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            "TMPDIR": str(tmp),  # faust makes its (empty) data directory there
        }
    )
    if kafka is not None:
        env.update(
            {
                "FOODMATCH_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
                "FOODMATCH_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
                "FOODMATCH_KAFKA__PARTITIONS": str(kafka.partitions),
                "FOODMATCH_KAFKA__REPLICATION_FACTOR": str(kafka.replication_factor),
            }
        )
    return env


class Keys:
    """Creates API keys in the run's database (what ``foodmatch keys create`` does)."""

    def __init__(self, url: str, tag: str) -> None:
        from matcher.adapters.db.session import make_engine, make_session_factory

        self.tag = tag
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def create(self, role_name: str, participant: str | None = None) -> str:
        from matcher.adapters.db.uow import SqlUnitOfWork
        from matcher.auth import Role
        from matcher.keys import create_key

        role = Role(role_name)
        name = f"bench-{self.tag}-{participant or role.value}"
        _, token = create_key(
            lambda: SqlUnitOfWork(self.sessions), role, participant, name, datetime.now(UTC)
        )
        return token

    def close(self) -> None:
        self.engine.dispose()


def drop_database(admin: Engine, name: str) -> None:
    """Drop a run's database: best effort (an empty database left behind, with a warning)."""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as err:
        print(f"warning: could not drop database {name}: {err}", file=sys.stderr)
