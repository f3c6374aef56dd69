"""The deployment's monitoring files agree with the metric catalogue and with each other.

deploy/compose.yaml (the stack), deploy/prometheus/ (scrape config, alert rules) and
deploy/grafana/ (datasource, dashboard provider, dashboard) are checked here without Docker:
every metric a query names is in :mod:`matcher.adapters.catalogue` with the labels it uses,
every catalogue metric has a panel, the scrape targets are the compose services on the ports
they listen on, and every compose variable is documented in deploy/.env.example.
``docker compose`` (or ``docker-compose``) and ``promtool`` check the files too, and promtool
runs the alert rules' unit tests (deploy/prometheus/alerts.test.yml); without these tools those
tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from matcher.adapters.catalogue import CATALOGUE, MetricSpec, exported_names

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
PROMETHEUS = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "foodmatch.json"
DATASOURCE = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
PROVIDER = DEPLOY / "grafana" / "provisioning" / "dashboards" / "foodmatch.yml"
DOCKERFILE = DEPLOY / "Dockerfile"

SERVICES = {"kafka", "postgres", "api", "worker-1", "worker-2", "prometheus", "grafana"}
DATASOURCE_REF = {"type": "prometheus", "uid": "prometheus"}

# Every sample name a query may use, to the metric it belongs to.
SAMPLES: dict[str, MetricSpec] = {
    sample: spec for spec in CATALOGUE for sample in exported_names(spec)
}
METRIC_TOKEN = re.compile(r"\bfoodmatch_[a-z0-9_]+")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
SELECTOR = re.compile(r"\b(foodmatch_[a-z0-9_]+)\s*\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(by|without)\s*\(([^)]*)\)")
COMPOSE_VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")


def _yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


# --- reading the files ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = _yaml(COMPOSE)
    return data


@pytest.fixture(scope="module")
def prometheus() -> dict[str, Any]:
    data: dict[str, Any] = _yaml(PROMETHEUS)
    return data


@pytest.fixture(scope="module")
def alert_rules(prometheus: dict[str, Any]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for name in prometheus["rule_files"]:
        for group in _yaml(PROMETHEUS.parent / name)["groups"]:
            rules.extend(group["rules"])
    return rules


def all_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Panels, with those inside collapsed rows."""
    for panel in panels:
        yield panel
        yield from all_panels(panel.get("panels", []))


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    exprs = [
        target["expr"]
        for panel in all_panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            exprs.append(query["query"] if isinstance(query, dict) else query)
    return exprs


def target_labels(prometheus: dict[str, Any]) -> set[str]:
    """Labels Prometheus attaches to every sample: job, instance and the static labels."""
    labels = {"job", "instance"}
    for job in prometheus["scrape_configs"]:
        for static in job.get("static_configs", []):
            labels.update(static.get("labels", {}))
    return labels


# --- a best-effort PromQL check: names and labels against the catalogue -----------------------


def _closing_paren(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _opening_paren(text: str, end: int) -> int:
    """Index of the parenthesis opening the one closing at ``end``."""
    depth = 0
    for i in range(end, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _allowed_labels(sample: str, extra: set[str]) -> set[str]:
    spec = SAMPLES[sample]
    labels = set(spec.labels) | extra
    if spec.kind == "histogram" and sample.endswith("_bucket"):
        labels.add("le")
    return labels


def check_expr(expr: str, extra_labels: set[str]) -> list[str]:
    """What is wrong with ``expr`` against the catalogue (empty when nothing is found)."""
    problems = _label_values_problems(expr, extra_labels)
    code = STRING.sub('""', expr)  # label values may contain anything
    problems += [
        f"{name} is not in the catalogue"
        for name in METRIC_TOKEN.findall(code)
        if name not in SAMPLES
    ]
    problems += _matcher_problems(code, extra_labels)
    clauses, unfound = _grouping_clauses(code)
    problems += unfound
    problems += _grouping_problems(code, clauses, extra_labels)
    return problems


def _label_values_problems(expr: str, extra_labels: set[str]) -> list[str]:
    """label_values(metric, label): the variable query of the dashboard."""
    return [
        f"{metric} has no label {label!r} (label_values)"
        for metric, label in re.findall(r"label_values\(\s*([a-z0-9_]+)\s*,\s*(\w+)\s*\)", expr)
        if metric in SAMPLES and label not in _allowed_labels(metric, extra_labels)
    ]


def _matcher_problems(code: str, extra_labels: set[str]) -> list[str]:
    """Labels of selectors' matchers (``metric{label="..."}``) the metric does not have."""
    return [
        f"{metric} has no label {label!r} (matcher)"
        for metric, matchers in SELECTOR.findall(code)
        if metric in SAMPLES
        for label in MATCHER_LABEL.findall(matchers)
        if label not in _allowed_labels(metric, extra_labels)
    ]


# A grouping clause: where its argument starts and ends in the code, by or without, its labels.
_Clause = tuple[int, int, str, set[str]]


def _grouping_clauses(code: str) -> tuple[list[_Clause], list[str]]:
    """Grouping clauses: `agg by (labels) (argument)` or `agg (argument) by (labels)`; and the
    problems of those whose argument cannot be found."""
    clauses: list[_Clause] = []
    problems: list[str] = []
    for match in GROUPING.finditer(code):
        labels = {label.strip() for label in match.group(2).split(",") if label.strip()}
        after = code[match.end() :].lstrip()
        if after.startswith("("):
            start = match.end() + (len(code) - match.end() - len(after))
            end = _closing_paren(code, start)
        else:
            before = code[: match.start()].rstrip()
            if not before.endswith(")"):
                problems.append(f"cannot find the argument of {match.group(0)!r}")
                continue
            end = len(before) - 1
            start = _opening_paren(code, end)
        clauses.append((start, end, match.group(1), labels))
    return clauses, problems


def _grouping_problems(code: str, clauses: list[_Clause], extra_labels: set[str]) -> list[str]:
    """A clause's label must be one of every catalogue metric's labels in the argument, and
    survive any grouping nested between the metric and the clause."""
    problems: list[str] = []
    for start, end, kind, labels in clauses:
        for metric in METRIC_TOKEN.finditer(code, start, end):
            if metric.group(0) not in SAMPLES:
                continue
            available = _allowed_labels(metric.group(0), extra_labels)
            for inner_start, inner_end, inner_kind, inner_labels in clauses:
                inside = start < inner_start and inner_end < end
                if inside and inner_start < metric.start() < inner_end and inner_kind == "by":
                    available &= inner_labels
            problems += [
                f"{metric.group(0)} has no label {label!r} here ({kind})"
                for label in sorted(labels - available)
            ]
    return problems


GOOD_EXPRS = [
    'sum by (crop) (max by (crop, week) (foodmatch_fill_rate{crop=~"a"}))',
    "histogram_quantile(0.95, sum by (le) (rate(foodmatch_round_duration_seconds_bucket[5m])))",
    "sum(rate(foodmatch_messages_consumed_total[5m])) by (topic)",
    'max by (instance) (foodmatch_solver_gap{job="foodmatch-worker"})',
    "label_values(foodmatch_fill_rate, crop)",
]
BAD_EXPRS = {
    "foodmatch_no_such_thing": "foodmatch_no_such_thing is not in the catalogue",
    # A histogram is queried through its _bucket, _sum and _count samples.
    "foodmatch_round_duration_seconds": "foodmatch_round_duration_seconds is not in the catalogue",
    'foodmatch_fill_rate{district="9011"}': "foodmatch_fill_rate has no label 'district' (matcher)",
    "sum by (district) (foodmatch_fill_rate)": (
        "foodmatch_fill_rate has no label 'district' here (by)"
    ),
    "sum(foodmatch_fill_rate) by (district)": (
        "foodmatch_fill_rate has no label 'district' here (by)"
    ),
    "sum by (week) (max by (crop) (foodmatch_fill_rate))": (
        "foodmatch_fill_rate has no label 'week' here (by)"
    ),
    "sum by (le) (rate(foodmatch_round_duration_seconds_sum[5m]))": (
        "foodmatch_round_duration_seconds_sum has no label 'le' here (by)"
    ),
    "label_values(foodmatch_fill_rate, district)": (
        "foodmatch_fill_rate has no label 'district' (label_values)"
    ),
}


@pytest.mark.parametrize("expr", GOOD_EXPRS)
def test_the_expression_check_passes_good_queries(expr: str) -> None:
    assert check_expr(expr, {"job", "instance"}) == []


@pytest.mark.parametrize(("expr", "problem"), BAD_EXPRS.items())
def test_the_expression_check_finds_mistakes(expr: str, problem: str) -> None:
    assert check_expr(expr, {"job", "instance"}) == [problem]


# --- the Grafana dashboard -------------------------------------------------------------------


def test_dashboard_is_a_provisionable_grafana_dashboard(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "foodmatch"
    assert dashboard["title"] == "foodmatch — Songkhla market"
    assert dashboard["schemaVersion"] >= 36
    assert dashboard["refresh"] == "30s"
    assert dashboard["time"] == {"from": "now-6h", "to": "now"}
    panels = list(all_panels(dashboard["panels"]))
    assert len([p for p in panels if p["type"] != "row"]) >= 20
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        assert panel.get("title"), panel["id"]
        grid = panel["gridPos"]
        assert {"h", "w", "x", "y"} <= grid.keys(), panel["title"]
        assert grid["w"] >= 1, panel["title"]
        assert grid["h"] >= 1, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["datasource"] == DATASOURCE_REF, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["targets"], f"{panel['title']} has no query"
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["refId"], panel["title"]
            assert target["datasource"] == DATASOURCE_REF, panel["title"]


def test_dashboard_panels_do_not_overlap(dashboard: dict[str, Any]) -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in all_panels(dashboard["panels"]):
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_dashboard_crop_variable(dashboard: dict[str, Any]) -> None:
    (crop,) = [v for v in dashboard["templating"]["list"] if v["name"] == "crop"]
    assert crop["type"] == "query"
    assert crop["datasource"] == DATASOURCE_REF
    assert crop["query"]["query"] == "label_values(foodmatch_fill_rate, crop)"
    assert crop["multi"] is True
    assert crop["includeAll"] is True
    uses = [e for e in dashboard_exprs(dashboard) if "$crop" in e]
    assert uses
    assert all('crop=~"$crop"' in e for e in uses)


def test_dashboard_queries_use_catalogue_metrics_and_labels(
    dashboard: dict[str, Any], prometheus: dict[str, Any]
) -> None:
    extra = target_labels(prometheus)
    problems = {
        expr: found for expr in dashboard_exprs(dashboard) if (found := check_expr(expr, extra))
    }
    assert problems == {}


def test_dashboard_covers_every_catalogue_metric(dashboard: dict[str, Any]) -> None:
    used = {name for expr in dashboard_exprs(dashboard) for name in METRIC_TOKEN.findall(expr)}
    missing = [spec.name for spec in CATALOGUE if not used.intersection(exported_names(spec))]
    assert missing == [], "catalogue metrics without a dashboard panel"


def aggregation_problems(expr: str) -> list[str]:
    """Database figures (served by the API, the same on every replica) must go through max()
    or min() before anything else, never be summed raw; counters are read as rates or
    increases, never as raw totals (they restart at 0 with their process)."""
    if expr.startswith("label_values"):
        return []
    problems: list[str] = []
    code = STRING.sub('""', expr)
    for match in METRIC_TOKEN.finditer(code):
        spec = SAMPLES.get(match.group(0))
        if spec is None:
            continue
        before = code[: match.start()].rstrip()
        after = code[match.end() :].lstrip()
        # `c unless c offset 10m`: the series of counter c born in the last 10 minutes, whose
        # first value increase() cannot see.
        new_series = re.match(rf"unless\s+{spec.name}\s+offset\b", after) or (
            re.search(rf"\b{spec.name}\s+unless$", before) and re.match(r"offset\b", after)
        )
        if (
            spec.kind == "counter"
            and not re.search(r"\b(rate|increase|irate)\($", before)
            and not new_series
        ):
            problems.append(f"{spec.name}: a counter outside rate() or increase()")
        if spec.served_by == "api" and not re.search(
            r"\b((max|min)\s*(by\s*\([^)]*\)\s*)?|absent)\($", before
        ):
            problems.append(f"{spec.name}: served by the API, take max() across replicas")
    return problems


def test_queries_aggregate_as_the_metrics_are_served(
    dashboard: dict[str, Any], alert_rules: list[dict[str, Any]]
) -> None:
    assert aggregation_problems("sum(foodmatch_open_demand_units)") == [
        "foodmatch_open_demand_units: served by the API, take max() across replicas"
    ]
    assert aggregation_problems("sum by (topic) (foodmatch_dead_letters_total)") == [
        "foodmatch_dead_letters_total: a counter outside rate() or increase()"
    ]
    new_series = "foodmatch_dead_letters_total unless foodmatch_dead_letters_total offset 10m"
    assert aggregation_problems(new_series) == []
    assert aggregation_problems("foodmatch_dead_letters_total > 0") == [
        "foodmatch_dead_letters_total: a counter outside rate() or increase()"
    ]
    exprs = dashboard_exprs(dashboard) + [rule["expr"] for rule in alert_rules]
    problems = {expr: found for expr in exprs if (found := aggregation_problems(expr))}
    assert problems == {}


# --- Grafana provisioning --------------------------------------------------------------------


def test_grafana_datasource_and_dashboard_provider(compose: dict[str, Any]) -> None:
    datasources = _yaml(DATASOURCE)["datasources"]
    (prom,) = [d for d in datasources if d["type"] == "prometheus"]
    assert prom["uid"] == DATASOURCE_REF["uid"]
    assert prom["isDefault"] is True
    host_port = re.fullmatch(r"http://([\w-]+):(\d+)/?", prom["url"])
    assert host_port, prom["url"]
    assert host_port.group(1) in compose["services"]
    assert host_port.group(2) == "9090"

    (provider,) = _yaml(PROVIDER)["providers"]
    assert provider["type"] == "file"
    mounts = _bind_mounts(compose["services"]["grafana"])
    assert mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    # The provider serves the dashboard file that is checked here.
    assert (DEPLOY / "grafana" / "dashboards" / DASHBOARD.name).is_file()


# --- Prometheus ------------------------------------------------------------------------------


def test_prometheus_config(prometheus: dict[str, Any]) -> None:
    assert prometheus["global"]["scrape_interval"] == "15s"
    assert prometheus["global"]["evaluation_interval"] == "15s"
    assert prometheus["rule_files"]
    for name in prometheus["rule_files"]:
        assert (PROMETHEUS.parent / name).is_file(), name
    jobs = {job["job_name"] for job in prometheus["scrape_configs"]}
    assert {"foodmatch-api", "foodmatch-worker"} <= jobs


def _targets(prometheus: dict[str, Any], job_name: str) -> list[tuple[str, str]]:
    (job,) = [j for j in prometheus["scrape_configs"] if j["job_name"] == job_name]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets: list[tuple[str, str]] = []
    for static in job["static_configs"]:
        for target in static["targets"]:
            host, port = target.rsplit(":", 1)
            targets.append((host, port))
    return targets


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_prometheus_scrapes_the_compose_services_on_their_ports(
    prometheus: dict[str, Any], compose: dict[str, Any]
) -> None:
    services = compose["services"]
    for job in prometheus["scrape_configs"]:
        for host, _port in _targets(prometheus, job["job_name"]):
            assert host in services, f"{job['job_name']}: {host} is not a compose service"

    api_port = _option(services["api"]["command"], "--port")
    assert _targets(prometheus, "foodmatch-api") == [("api", api_port)]

    workers = {name for name, s in services.items() if "worker" in s.get("command", [])}
    assert workers == {"worker-1", "worker-2"}
    worker_targets = _targets(prometheus, "foodmatch-worker")
    assert {host for host, _ in worker_targets} == workers, "scrape every worker service"
    for host, port in worker_targets:
        assert str(services[host]["environment"]["FOODMATCH_METRICS_PORT"]) == port
        assert _option(services[host]["command"], "--worker-id") == host


def test_alert_rules(alert_rules: list[dict[str, Any]], prometheus: dict[str, Any]) -> None:
    extra = target_labels(prometheus)
    names = [rule["alert"] for rule in alert_rules]
    assert len(names) == len(set(names))
    for rule in alert_rules:
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]
        assert check_expr(rule["expr"], extra) == [], rule["alert"]
    by_metric = {
        metric: [rule["alert"] for rule in alert_rules if metric in rule["expr"]]
        for metric in (
            "foodmatch_consumer_lag",
            "foodmatch_dead_letters_total",
            "foodmatch_last_round_timestamp_seconds",
            "foodmatch_round_duration_seconds_bucket",
            "foodmatch_contracted_units",
        )
    }
    assert all(by_metric.values()), by_metric
    (lag,) = by_metric["foodmatch_consumer_lag"]
    assert next(r for r in alert_rules if r["alert"] == lag)["for"] == "10m"
    stale = next(r for r in alert_rules if r["alert"] == "FoodmatchNoRecentRound")["expr"]
    assert "1800" in stale
    assert "foodmatch_open_demand_units" in stale


# --- the compose file ------------------------------------------------------------------------


def _bind_mounts(service: dict[str, Any]) -> dict[str, str]:
    mounts: dict[str, str] = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[source] = target
    return mounts


def test_compose_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= SERVICES
    kafka = services["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.1"
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "1"
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])

    for name in ("api", "worker-1", "worker-2"):
        service = services[name]
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert service["command"][0] == "foodmatch"
        env = service["environment"]
        assert env["FOODMATCH_ENGINE"] == "kafka"
        assert env["FOODMATCH_KAFKA__BOOTSTRAP_SERVERS"] == advertised
        url = env["FOODMATCH_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in url
        for dependency in ("kafka", "postgres"):
            assert service["depends_on"][dependency]["condition"] == "service_healthy"
    assert services["api"]["command"][:2] == ["foodmatch", "serve"]
    assert _option(services["api"]["command"], "--host") == "0.0.0.0"
    health = " ".join(services["api"]["healthcheck"]["test"])
    assert f":{_option(services['api']['command'], '--port')}/health" in health
    for name in ("worker-1", "worker-2"):
        assert services[name]["command"][:2] == ["foodmatch", "worker"]
        # The API migrates the database first: workers never race it on an empty database.
        assert services[name]["depends_on"]["api"]["condition"] == "service_healthy"


def test_compose_mounts_exist(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        mounts = _bind_mounts(services[name])
        assert mounts, name
        for source in mounts:
            assert (DEPLOY / source).exists(), f"{name}: {source} is not in deploy/"
    assert _bind_mounts(services["prometheus"])["./prometheus"] == "/etc/prometheus"
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    build = services["api"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def _env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f".env.example: {line!r} is not KEY=value"
        values[key.strip()] = value.strip().strip('"')
    return values


def test_every_compose_variable_is_in_env_example() -> None:
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    example = _env_example()
    used: dict[str, str | None] = {}
    for name, operator, default in COMPOSE_VAR.findall(text):
        used[name] = default if operator in (":-", "-") else None
    assert used, "compose.yaml uses no variable?"
    assert sorted(set(used) - set(example)) == [], "undocumented in deploy/.env.example"
    assert sorted(set(example) - set(used) - {"COMPOSE_PROJECT_NAME"}) == [], "unused"
    for name, default in used.items():
        assert default is not None, f"${{{name}}} has no default: the stack needs a .env"
        assert example[name] == default, f"{name}: .env.example and compose.yaml disagree"


def test_dockerfile_copies_what_the_wheel_is_built_from() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^RUN pip install \.", text, re.M)
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user
    assert user[-1] not in {"root", "0"}
    exposed = re.findall(r"^EXPOSE (.+)$", text, re.M)
    assert {port for line in exposed for port in line.split()} == {"8000", "9101"}
    copied: set[str] = set()
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for source in sources.split():
            assert (ROOT / source).exists(), source
            copied.add(source.rstrip("/"))
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"][
        "build"
    ]["targets"]["wheel"]
    needed = {"pyproject.toml", "README.md", *wheel["packages"], *wheel["force-include"]}
    assert needed <= copied


# --- the alert rules' unit tests (deploy/prometheus/alerts.test.yml) --------------------------

ALERT_TESTS = PROMETHEUS.parent / "alerts.test.yml"


def missing_alert_cases(rules: list[str], unit_tests: dict[str, Any]) -> list[str]:
    """What the promtool unit tests lack: every rule needs a test where it fires (exp_alerts
    not empty) and one where it stays quiet (exp_alerts empty)."""
    firing: set[str] = set()
    quiet: set[str] = set()
    for test in unit_tests.get("tests") or []:
        for case in test.get("alert_rule_test") or []:
            (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    problems = [f"{name}: no case where it fires" for name in rules if name not in firing]
    problems += [f"{name}: no case where it stays quiet" for name in rules if name not in quiet]
    problems += [f"{name}: tested but not a rule" for name in sorted((firing | quiet) - set(rules))]
    return problems


def test_the_case_check_finds_a_rule_without_cases() -> None:
    unit_tests = {
        "tests": [
            {
                "alert_rule_test": [
                    {"alertname": "A", "exp_alerts": [{"exp_labels": {}}]},
                    {"alertname": "A", "exp_alerts": []},
                    {"alertname": "B", "exp_alerts": [{"exp_labels": {}}]},
                    {"alertname": "Gone", "exp_alerts": []},
                ]
            }
        ]
    }
    assert missing_alert_cases(["A", "B", "New"], unit_tests) == [
        "New: no case where it fires",
        "B: no case where it stays quiet",
        "New: no case where it stays quiet",
        "Gone: tested but not a rule",
    ]


def test_every_alert_rule_has_a_firing_and_a_quiet_unit_test(
    alert_rules: list[dict[str, Any]], prometheus: dict[str, Any]
) -> None:
    unit_tests = _yaml(ALERT_TESTS)
    assert unit_tests["rule_files"] == prometheus["rule_files"]
    assert missing_alert_cases([rule["alert"] for rule in alert_rules], unit_tests) == []


# --- the external tools: skipped when missing, failing in CI ----------------------------------


def external_tool(name: str, package: str) -> str:
    """The path of command ``name``; without it the test is skipped, or fails in CI."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not on this machine (Debian: apt-get install {package})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run this test", pytrace=False)
        pytest.skip(reason)
    return path


def _compose_command() -> list[str]:
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    return [external_tool("docker-compose", "docker-compose")]


@pytest.mark.parametrize("env_file", [None, ENV_EXAMPLE], ids=["defaults", "env-example"])
def test_docker_compose_config_accepts_the_file(env_file: Path | None, tmp_path: Path) -> None:
    command = _compose_command()
    # Without a .env next to compose.yaml, the defaults alone must do; an empty env file stands
    # in for a developer's deploy/.env.
    env = env_file
    if env is None:
        env = tmp_path / "empty.env"
        env.write_text("")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "--env-file", str(env), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = external_tool("promtool", "prometheus")
    return subprocess.run(
        [promtool, *args], capture_output=True, text=True, cwd=ROOT, check=False, timeout=120
    )


def test_promtool_accepts_the_config_and_the_alert_rules() -> None:
    config = _promtool("check", "config", str(PROMETHEUS))
    assert config.returncode == 0, config.stdout + config.stderr
    rules = _promtool("check", "rules", str(PROMETHEUS.parent / "alerts.yml"))
    assert rules.returncode == 0, rules.stdout + rules.stderr


def test_promtool_accepts_the_dashboard_queries(dashboard: dict[str, Any], tmp_path: Path) -> None:
    # The dashboard's queries as recording rules, with Grafana's variables filled in.
    rules = [
        {
            "record": f"dashboard:query_{i}",
            "expr": expr.replace("$__rate_interval", "1m").replace("$crop", ".*"),
        }
        for i, expr in enumerate(dashboard_exprs(dashboard))
        if not expr.startswith("label_values")
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = _promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_alert_rules_pass_their_promtool_unit_tests() -> None:
    """Each alert fires on the series it is meant for and stays quiet on the others; among them,
    the first refusal of a (topic, field), whose counter is born at 1."""
    result = _promtool("test", "rules", str(ALERT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
