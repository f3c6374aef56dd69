"""`make demo`, `foodmatch demo` and `foodmatch serve` on a port another process holds: one line
that names the port and how to pick another, exit code 2, no traceback, nothing started."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that a listening socket holds for the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def run(argv: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FOODMATCH_")}
    environment |= {"FOODMATCH_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db"} | env
    return subprocess.run(
        argv, cwd=REPO, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def assert_one_line_about(port: int, answer: subprocess.CompletedProcess[str], hint: str) -> None:
    assert answer.returncode == 2, answer.stderr
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1, answer.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert hint in lines[0]
    assert "Traceback" not in answer.stderr + answer.stdout


def test_demo_on_a_busy_port_says_so_in_one_line_and_exits_2(
    busy_port: int, tmp_path: Path
) -> None:
    db = tmp_path / "demo.db"
    answer = run(
        [sys.executable, "-m", "matcher", "demo", "--port", str(busy_port), "--db", str(db)],
        tmp_path,
    )
    assert_one_line_about(busy_port, answer, "make demo PORT=8080")
    assert not db.exists()  # told before anything was made


def test_demo_takes_its_port_from_foodmatch_api_port(busy_port: int, tmp_path: Path) -> None:
    answer = run(
        [sys.executable, "-m", "matcher", "demo", "--db", str(tmp_path / "demo.db")],
        tmp_path,
        FOODMATCH_API_PORT=str(busy_port),
    )
    assert_one_line_about(busy_port, answer, "FOODMATCH_API_PORT=8080")


def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_2(
    busy_port: int, tmp_path: Path
) -> None:
    answer = run([sys.executable, "-m", "matcher", "serve", "--port", str(busy_port)], tmp_path)
    assert_one_line_about(busy_port, answer, "--port 8080")
    assert not (tmp_path / "serve.db").exists()


def test_serve_takes_its_port_from_foodmatch_api_port(busy_port: int, tmp_path: Path) -> None:
    answer = run(
        [sys.executable, "-m", "matcher", "serve"], tmp_path, FOODMATCH_API_PORT=str(busy_port)
    )
    assert_one_line_about(busy_port, answer, "FOODMATCH_API_PORT=8080")


def test_make_demo_passes_its_port_variable_to_the_demo(busy_port: int, tmp_path: Path) -> None:
    make = shutil.which("make")
    if make is None:
        if os.environ.get("CI"):
            pytest.fail("make is not installed")
        pytest.skip("make is not installed")
    venv = Path(sys.executable).parent.parent
    stamp = venv / ".installed-stamp"
    answer = run(
        [make, "--no-print-directory", "-s", "-o", str(stamp), "demo", f"VENV={venv}",
         f"STAMP={stamp}", f"PORT={busy_port}"],
        tmp_path,
    )  # fmt: skip
    assert answer.returncode != 0
    assert f"port {busy_port} on 127.0.0.1 is already in use" in answer.stderr
    assert "Traceback" not in answer.stderr
