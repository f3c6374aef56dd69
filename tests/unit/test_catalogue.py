"""The metrics catalogue is documented, and every command counts on its topic."""

from __future__ import annotations

import re
from pathlib import Path

from matcher.adapters.catalogue import CATALOGUE
from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import COMMAND_TOPICS, INBOUND
from matcher.service import commands

METRICS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"


def test_the_docs_document_every_metric_with_its_labels() -> None:
    text = METRICS_PAGE.read_text(encoding="utf-8")
    for spec in CATALOGUE:
        row = re.search(rf"^\| `{spec.name}` \| {spec.kind} \| ([^|]*) \|", text, re.M)
        assert row is not None, f"{spec.name} is not in the catalogue of docs/dashboard.md"
        documented = re.findall(r"`([a-z_]+)`", row.group(1))
        assert tuple(documented) == spec.labels, spec.name


def test_the_catalogue_names_are_unique() -> None:
    names = [s.name for s in CATALOGUE]
    assert len(names) == len(set(names))


def test_every_process_metric_is_built_by_metrics() -> None:
    built = {m.name for m in Metrics().registry.collect()}
    for spec in CATALOGUE:
        if spec.served_by == "process" or spec.name == "foodmatch_engine_queue_depth":
            base = spec.name.removesuffix("_total")
            assert base in built, spec.name


def test_every_inbound_command_has_its_topic() -> None:
    concrete = {
        c.__name__
        for c in vars(commands).values()
        if isinstance(c, type)
        and issubclass(c, commands.Command)
        and c not in (commands.Command, commands.ContractCommand)
    }
    assert set(COMMAND_TOPICS) == concrete
    assert set(COMMAND_TOPICS.values()) <= set(INBOUND)


def test_the_embedded_engine_counts_submitted_commands_as_messages() -> None:
    metrics = Metrics()
    metrics.message_taken("SubmitOrder", "ok")
    metrics.message_taken("SubmitOrder", "rejected")
    metrics.message_taken("AcceptContract", "ok")
    value = metrics.registry.get_sample_value
    name = "foodmatch_messages_consumed_total"
    assert value(name, {"topic": "orders", "outcome": "ok"}) == 1
    assert value(name, {"topic": "orders", "outcome": "rejected"}) == 1
    assert value(name, {"topic": "contract-responses", "outcome": "ok"}) == 1
