"""The core (domain, geography, optimiser) loads no streaming, database or web library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.builders import InstanceBuilder

FORBIDDEN = ("faust", "kafka", "aiokafka", "sqlalchemy", "fastapi", "starlette")
REPO = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
import matcher.domain, matcher.geo, matcher.optimiser
loaded = []
for package in (matcher.domain, matcher.optimiser):
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        loaded.append(info.name)
from matcher.optimiser.schema import parse_instance
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
instance = parse_instance(json.loads(sys.argv[1]))
solution = solve(instance)
greedy = solve(instance, solver="greedy")
forbidden = %r
print(json.dumps({
    "modules": loaded,
    "status": solution.status.value,
    "filled": solution.summary.filled,
    "greedy": greedy.status.value,
    "valid": validate(instance, solution).ok,
    "offending": sorted(
        name for name in sys.modules if name.split(".")[0] in forbidden
    ),
}))
"""


def test_core_modules_and_a_solve_load_no_streaming_database_or_web_library() -> None:
    b = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP").buyer("h1")
    doc = b.supply("s1", "g1").order("o1", "h1", quantity=40).build()
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (FORBIDDEN,), json.dumps(doc)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["offending"] == []
    assert result["status"] == "optimal"
    assert result["greedy"] == "feasible"
    assert result["filled"] == 40
    assert result["valid"] is True
    expected = {
        "matcher.domain.model",
        "matcher.domain.standards",
        "matcher.domain.weeks",
        "matcher.domain.errors",
        "matcher.optimiser.schema",
        "matcher.optimiser.eligibility",
        "matcher.optimiser.model",
        "matcher.optimiser.baseline",
        "matcher.optimiser.solve",
        "matcher.optimiser.explain",
        "matcher.optimiser.validate",
        "matcher.optimiser.lp",
    }
    assert expected <= set(result["modules"])
