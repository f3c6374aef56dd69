"""Webhooks, the pure part: signing, verifying, who an event concerns, and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from matcher import webhooks as wh

BODY = b'{"event":"ContractProposed"}'


def test_sign_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert wh.sign("s3cret", BODY, 1700000000) == expected
    header = wh.signature_header("s3cret", BODY, 1700000000)
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_the_signature_and_refuses_any_change() -> None:
    header = wh.signature_header("s3cret", BODY, 1700000000)
    assert wh.verify("s3cret", BODY, header)
    assert not wh.verify("other", BODY, header)
    assert not wh.verify("s3cret", BODY + b" ", header)
    assert not wh.verify("s3cret", BODY, header.replace("t=1700000000", "t=1700000001"))
    assert not wh.verify("s3cret", BODY, "garbage")
    assert not wh.verify("s3cret", BODY, "t=x,v1=ab")
    assert not wh.verify("s3cret", BODY, "t=1700000000")


def test_verify_with_a_tolerance_refuses_old_timestamps() -> None:
    header = wh.signature_header("s3cret", BODY, 1700000000)
    assert wh.verify("s3cret", BODY, header, now=1700000100, tolerance_seconds=300)
    assert not wh.verify("s3cret", BODY, header, now=1700001000, tolerance_seconds=300)


def test_participants_of_events() -> None:
    contract = {"id": "c-1", "buyer_id": "hosp", "group_id": "grp", "order_id": "o"}
    assert wh.participants_of("ContractProposed", contract) == {"hosp", "grp"}
    assert wh.participants_of("GroupRegistered", {"id": "grp"}) == {"grp"}
    assert wh.participants_of("BuyerRegistered", {"id": "hosp"}) == {"hosp"}
    assert wh.participants_of("SupplyAnnounced", {"id": "s", "group_id": "grp"}) == {"grp"}
    assert wh.participants_of("OrderSubmitted", {"id": "o", "buyer_id": "hosp"}) == {"hosp"}
    assert wh.participants_of("RoundCompleted", {"id": "r-1"}) == set()
    assert wh.participants_of("OrderCancelled", {"id": "o", "actor": "x"}) == set()


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [wh.backoff_seconds(n) for n in range(0, 5)] == [0.0, 1.0, 2.0, 4.0, 8.0]
    assert wh.backoff_seconds(30, cap=300.0) == 300.0
    assert wh.backoff_seconds(3, base=0.5) == 2.0


def test_after_failure_schedules_until_the_last_attempt() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert wh.after_failure(1, now, max_attempts=3) == ("pending", now + timedelta(seconds=1))
    assert wh.after_failure(2, now, max_attempts=3) == ("pending", now + timedelta(seconds=2))
    assert wh.after_failure(3, now, max_attempts=3) == ("failed", None)


def test_delivery_ids_are_deterministic_and_secrets_fresh() -> None:
    assert wh.delivery_id(7, "wh_a") == wh.delivery_id(7, "wh_a") == "whd_7_wh_a"
    assert wh.new_secret() != wh.new_secret()
    assert wh.new_secret().startswith("whsec_")
