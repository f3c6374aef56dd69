"""Notifications, the pure part: who hears of which event, and the Thai and English texts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from matcher import notifications as nt
from matcher.calendar import thai_working_days
from matcher.domain.contracts import Contract, ContractState, DeliveryState
from matcher.domain.model import Certificate
from matcher.domain.standards import Scheme
from matcher.labels import Lang
from matcher.service import events
from tests.support.lifecycle_store import contract

AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Names:
    def crop(self, crop_id: str, lang: Lang) -> tuple[str, str]:
        return ("คะน้า", "กก.") if lang == "th" else ("kale", "kg")

    def participant(self, participant_id: str, lang: Lang) -> str:
        names = {
            "g1": ("วิสาหกิจชุมชนผักปลอดภัยคลองหอยโข่ง", "Khlong Hoi Khong safe vegetables"),
            "b1": ("โรงพยาบาลหาดใหญ่", "Hat Yai Hospital"),
        }
        th, en = names.get(participant_id, (participant_id, participant_id))
        return th if lang == "th" else en


def proposed_payload() -> dict[str, Any]:
    return dict(events.ContractProposed(contract=contract("c-1")).payload)


def changed_payload(action: str, details: dict[str, Any], reason: str = "") -> dict[str, Any]:
    payload = proposed_payload()
    payload["change"] = {"action": action, "reason": reason, "details": details}
    return payload


def test_a_new_proposal_concerns_the_group_only() -> None:
    (notice,) = nt.notices_of(7, "ContractProposed", proposed_payload())

    assert (notice.key, notice.kind, notice.participant_id) == (
        "event:7",
        "contract_proposed",
        "g1",
    )
    assert notice.facts["contract_id"] == "c-1"
    assert notice.facts["deliveries"] == 3
    assert notice.facts["first_day"] < notice.facts["last_day"]


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        ("ContractAccepted", "contract_accepted"),
        ("ContractRejected", "contract_rejected"),
        ("ContractCancelled", "contract_cancelled"),
    ],
)
def test_an_answered_or_cancelled_contract_concerns_both_sides(event: str, kind: str) -> None:
    notices = nt.notices_of(9, event, changed_payload("x", {}, reason="ราคาต่ำเกินไป"))

    assert [(n.kind, n.participant_id) for n in notices] == [(kind, "g1"), (kind, "b1")]
    assert all(n.facts["reason"] == "ราคาต่ำเกินไป" for n in notices)


def test_a_refused_delivery_concerns_the_group_and_a_full_one_nobody() -> None:
    refused = {"date": "2026-12-09", "contracted": 40, "received": 30, "refused": 10}
    full = refused | {"received": 40, "refused": 0}

    (notice,) = nt.notices_of(3, "DeliveryConfirmed", changed_payload("confirm", refused))

    assert (notice.kind, notice.participant_id) == ("delivery_refused", "g1")
    assert notice.facts["refused"] == 10
    assert nt.notices_of(4, "DeliveryConfirmed", changed_payload("confirm", full)) == []


@pytest.mark.parametrize(
    "event", ["RoundCompleted", "ContractExpired", "ContractAmended", "OrderSubmitted"]
)
def test_other_events_concern_nobody(event: str) -> None:
    assert nt.notices_of(1, event, proposed_payload()) == []


def test_an_event_naming_no_participant_concerns_nobody() -> None:
    assert nt.notices_of(1, "ContractProposed", {"id": "c-1"}) == []


def test_notification_ids_are_one_per_event_participant_and_channel() -> None:
    first = nt.notification_id("event:7", "g1", "email")

    assert first == nt.notification_id("event:7", "g1", "email")
    assert first.startswith("ntf_")
    others = {
        nt.notification_id("event:8", "g1", "email"),
        nt.notification_id("event:7", "b1", "email"),
        nt.notification_id("event:7", "g1", "line"),
    }
    assert first not in others
    assert len(others) == 3


def test_the_proposal_reads_in_thai_for_the_group() -> None:
    (notice,) = nt.notices_of(7, "ContractProposed", proposed_payload())

    subject, body = nt.render(notice, "th", Names())

    assert subject == "ข้อเสนอซื้อคะน้าใหม่จาก โรงพยาบาลหาดใหญ่ รอท่านตอบ"
    assert body.startswith("เรียน วิสาหกิจชุมชนผักปลอดภัยคลองหอยโข่ง\n\n")
    assert "โรงพยาบาลหาดใหญ่ เสนอซื้อคะน้าจากกลุ่มของท่าน รวม 120 กก." in body
    assert "เป็นเงิน 3,600.00 บาท" in body
    assert "ราคา 30.00 บาท/กก." in body
    assert "กรุณาตอบรับหรือปฏิเสธภายใน 4 ธันวาคม 2569 เวลา 15.00 น." in body
    assert "เลขที่สัญญา c-1" in body
    assert "{" not in body
    assert "}" not in body


def test_the_same_notice_reads_in_english() -> None:
    (notice,) = nt.notices_of(7, "ContractProposed", proposed_payload())

    subject, body = nt.render(notice, "en", Names())

    assert subject == "New proposal from Hat Yai Hospital for kale: your answer is needed"
    assert body.startswith("Dear Khlong Hoi Khong safe vegetables,\n\n")
    assert "Please accept or reject it by 4 December 2026, 15:00 (Bangkok time);" in body


def test_a_reason_is_written_only_when_there_is_one() -> None:
    with_reason = nt.notices_of(1, "ContractRejected", changed_payload("reject", {}, "ไกลเกินไป"))
    without = nt.notices_of(1, "ContractRejected", changed_payload("reject", {}))

    assert "เหตุผล: ไกลเกินไป" in nt.render(with_reason[1], "th", Names())[1]
    assert "เหตุผล" not in nt.render(without[1], "th", Names())[1]


def test_the_refusal_names_what_was_kept_and_refused() -> None:
    refused = {"date": "2026-12-09", "contracted": 40, "received": 30, "refused": 10}
    refused |= {"refusal_reason": "not_fresh"}
    (notice,) = nt.notices_of(3, "DeliveryConfirmed", changed_payload("confirm", refused))

    subject, body = nt.render(notice, "th", Names())

    assert subject == "โรงพยาบาลหาดใหญ่ ไม่รับคะน้าบางส่วน (ส่งวันที่ 9 ธันวาคม 2569)"
    assert "รับไว้ 30 กก. จากที่ตกลง 40 กก. และส่งคืน 10 กก." in body
    assert "เหตุผล: ไม่สด\n" in body
    other = refused | {"refusal_reason": "other", "refusal_note": "มีหนอน"}
    (notice,) = nt.notices_of(3, "DeliveryConfirmed", changed_payload("confirm", other))
    assert "Reason: Other (มีหนอน)\n" in nt.render(notice, "en", Names())[1]


def test_a_sign_in_link_is_keyed_by_the_link_and_shows_it() -> None:
    link = "https://market.example.org/signin/abc"
    notice = nt.sign_in_notice("b1", link, AT)

    assert notice.key == nt.sign_in_key(link) != nt.sign_in_key(link + "x")
    subject, body = nt.render(notice, "th", Names())
    assert subject == "ลิงก์เข้าสู่ระบบตลาดล่วงหน้า"
    assert f"\n{link}\n" in body
    assert "1 ธันวาคม 2569 เวลา 15.00 น." in body


@pytest.mark.parametrize("kind", nt.KINDS)
@pytest.mark.parametrize("lang", nt.LANGUAGES)
def test_every_kind_renders_in_both_languages(kind: str, lang: Lang) -> None:
    facts = nt.notices_of(1, "ContractProposed", proposed_payload())[0].facts
    more = {"date": "2026-12-09", "contracted": 1, "received": 1, "refused": 0, "due": 1}
    more |= {"certificate_id": "c", "scheme": "PGS", "valid_until": "2027-01-01", "days_left": 7}
    notice = nt.Notice("k", kind, "g1", dict(facts) | more | {"link": "https://x.test/l"})

    subject, body = nt.render(notice, lang, Names())

    assert subject
    assert body.strip()
    assert "{" not in subject + body


def test_the_language_is_thai_unless_english_is_asked_for() -> None:
    assert [nt.language_of(v) for v in ("en", "th", None, "fr")] == ["en", "th", "th", "th"]


def test_a_contract_without_deliveries_still_renders() -> None:
    payload = replace(contract("c-2"), deliveries=())
    notices = nt.notices_of(
        2, "ContractProposed", dict(events.ContractProposed(contract=payload).payload)
    )

    assert notices[0].facts["first_day"] is None


# -- notices that come with time ------------------------------------------------------------


def test_a_proposal_is_recalled_in_its_last_24_hours_only() -> None:
    proposed = contract("c-1", expires=AT + timedelta(hours=72))

    def kinds(at: datetime, c: Contract = proposed) -> list[tuple[str, str, str]]:
        return [(n.key, n.kind, n.participant_id) for n in nt.lapsing_notices(at, [c])]

    assert kinds(AT + timedelta(hours=47, minutes=59)) == []
    assert kinds(AT + timedelta(hours=48)) == [("lapsing:c-1", "proposal_lapsing", "g1")]
    assert kinds(AT + timedelta(hours=71)) == [("lapsing:c-1", "proposal_lapsing", "g1")]
    assert kinds(AT + timedelta(hours=72)) == []
    accepted = replace(proposed, state=ContractState.ACCEPTED)
    assert kinds(AT + timedelta(hours=60), accepted) == []


def test_a_delivery_due_tomorrow_in_thailand_concerns_both_sides() -> None:
    accepted = replace(contract("c-1"), state=ContractState.ACCEPTED)
    day = accepted.deliveries[0].day  # 2026-12-09
    evening = datetime(2026, 12, 8, 16, 59, tzinfo=UTC)  # 23:59 in Thailand, the day before

    notices = nt.tomorrow_notices(evening, [accepted])

    assert [(n.key, n.participant_id) for n in notices] == [
        (f"tomorrow:c-1:{day.isoformat()}", "g1"),
        (f"tomorrow:c-1:{day.isoformat()}", "b1"),
    ]
    assert notices[0].facts["due"] == 40
    assert nt.tomorrow_notices(evening + timedelta(minutes=1), [accepted]) == []  # it is today
    assert nt.tomorrow_notices(evening, [contract("c-2")]) == []  # not accepted yet
    delivered = replace(
        accepted,
        deliveries=(
            replace(accepted.deliveries[0], state=DeliveryState.DELIVERED),
            *accepted.deliveries[1:],
        ),
    )
    assert nt.tomorrow_notices(evening, [delivered]) == []


def certificate(valid_until: date, revoked_on: date | None = None) -> Certificate:
    return Certificate(
        "cert-1", "g1", Scheme.PGS, date(2025, 1, 1), valid_until, revoked_on=revoked_on
    )


def test_a_certificate_is_announced_at_60_30_and_7_days_once_each() -> None:
    today = nt.market_day(AT)

    def keys(days_left: int, revoked: date | None = None) -> list[str]:
        cert = certificate(today + timedelta(days=days_left), revoked)
        return [n.key for n in nt.certificate_notices(AT, [cert])]

    assert keys(61) == []
    assert keys(60) == keys(45) == ["certificate:cert-1:60"]
    assert keys(30) == keys(8) == ["certificate:cert-1:30"]
    assert keys(7) == keys(0) == ["certificate:cert-1:7"]
    assert keys(-1) == []
    assert keys(20, revoked=today) == []
    (notice,) = nt.certificate_notices(AT, [certificate(today + timedelta(days=30))])
    assert notice.participant_id == "g1"
    subject, body = nt.render(notice, "th", Names())
    assert subject == "ใบรับรอง เกษตรอินทรีย์ระบบรับรองแบบมีส่วนร่วม (PGS) ของกลุ่มจะหมดอายุในอีก 30 วัน"
    assert "ใช้ได้ถึงวันที่ 31 ธันวาคม 2569 (อีก 30 วัน)" in body


def test_the_timed_notices_join_the_three_kinds() -> None:
    accepted = replace(contract("c-1"), state=ContractState.ACCEPTED)
    evening = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    lapsing = contract("c-2", expires=evening + timedelta(hours=2))
    soon = certificate(nt.market_day(evening) + timedelta(days=7))

    found = nt.timed_notices(evening, [accepted, lapsing], [soon])

    assert sorted(n.kind for n in found) == [
        "certificate_expiring",
        "delivery_tomorrow",
        "delivery_tomorrow",
        "proposal_lapsing",
    ]


# -- a delivery's reminder: on the last working day before it --------------------------------

THAI = thai_working_days()
SONGKRAN_2027 = [date(2027, 4, 13), date(2027, 4, 14), date(2027, 4, 15)]


def thai_time(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day`` in Thailand, as the UTC instant the notifier sees."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - nt.MARKET_OFFSET


def accepted_on(*days: date) -> Contract:
    return replace(contract("c-1", days=days), state=ContractState.ACCEPTED)


@pytest.mark.parametrize(
    ("delivery", "reminder"),
    [
        (date(2026, 12, 9), date(2026, 12, 8)),  # Wednesday: the Tuesday before
        (date(2026, 12, 14), date(2026, 12, 11)),  # Monday: the Friday before
        (date(2026, 12, 13), date(2026, 12, 11)),  # Sunday: the Friday too
        (
            date(2026, 12, 8),
            date(2026, 12, 4),
        ),  # after the weekend and Monday 7 Dec in lieu of 5 Dec
        (date(2026, 12, 11), date(2026, 12, 9)),  # after Constitution Day (Thursday 10 Dec)
        (date(2027, 1, 4), date(2026, 12, 30)),  # after New Year's Eve, New Year and a weekend
        (date(2027, 4, 13), date(2027, 4, 12)),  # Songkran's first day: the Monday before
        (date(2027, 4, 16), date(2027, 4, 12)),  # the Friday after Songkran: the same Monday
        (date(2027, 12, 7), date(2027, 12, 3)),  # after Sunday 5 Dec and Monday 6 Dec in lieu
    ],
)
def test_the_reminder_goes_out_on_the_last_thai_working_day_before(
    delivery: date, reminder: date
) -> None:
    assert nt.reminder_day(delivery, THAI) == reminder


def test_the_thai_calendar_knows_the_public_holidays_and_the_weekend() -> None:
    for holiday in [*SONGKRAN_2027, date(2026, 12, 7), date(2026, 12, 31), date(2027, 1, 1)]:
        assert not THAI(holiday), holiday
    assert not THAI(date(2027, 4, 17))  # a Saturday
    assert THAI(date(2027, 4, 12))
    assert THAI(date(2027, 4, 16))


def test_a_set_of_holidays_is_a_calendar_too() -> None:
    calendar = nt.working_days(SONGKRAN_2027)

    assert nt.reminder_day(date(2027, 4, 16), calendar) == date(2027, 4, 12)
    assert nt.reminder_day(date(2027, 4, 16)) == date(2027, 4, 15)  # weekdays only
    assert nt.reminder_day(date(2027, 4, 5), lambda day: False) == date(2027, 4, 4)


def test_a_monday_delivery_is_announced_on_friday_from_the_configured_hour() -> None:
    monday = date(2026, 12, 14)
    friday = date(2026, 12, 11)
    accepted = accepted_on(monday)

    def keys(at: datetime) -> list[tuple[str, str]]:
        found = nt.tomorrow_notices(at, [accepted], is_working_day=THAI, hour=9)
        return [(n.key, n.participant_id) for n in found]

    expected = [("tomorrow:c-1:2026-12-14", "g1"), ("tomorrow:c-1:2026-12-14", "b1")]
    assert keys(thai_time(date(2026, 12, 10), 20)) == []  # Thursday: too early
    assert keys(thai_time(friday, 8, 59)) == []  # Friday before nine
    assert keys(thai_time(friday, 9)) == expected
    assert keys(thai_time(date(2026, 12, 13), 23, 59)) == expected  # missed Friday: still told
    assert keys(thai_time(monday, 0)) == []  # the delivery's day has come


def test_before_songkran_the_reminder_names_the_day_not_tomorrow() -> None:
    accepted = accepted_on(date(2027, 4, 16))
    monday = thai_time(date(2027, 4, 12), 8)

    (group, buyer) = nt.tomorrow_notices(monday, [accepted], is_working_day=THAI)
    assert nt.tomorrow_notices(monday - timedelta(minutes=1), [accepted], is_working_day=THAI) == []

    assert group.facts["days_ahead"] == 4
    subject, body = nt.render(group, "th", Names())
    assert subject.startswith("วันศุกร์ (16 เมษายน 2570) ส่งคะน้า 40 กก.")
    assert "วันศุกร์ (16 เมษายน 2570) มีกำหนดส่งคะน้า" in body
    subject, body = nt.render(buyer, "en", Names())
    assert subject == "Friday (16 April 2027): 40 kg of kale for Hat Yai Hospital"
    assert body.splitlines()[2].startswith("Friday, 16 April 2027, Khlong Hoi Khong")


def test_a_reminder_the_day_before_says_tomorrow() -> None:
    accepted = accepted_on(date(2026, 12, 9))

    (notice, _) = nt.tomorrow_notices(thai_time(date(2026, 12, 8), 8), [accepted])

    assert nt.render(notice, "th", Names())[0].startswith("พรุ่งนี้ (9 ธันวาคม 2569) ส่งคะน้า")
    assert nt.render(notice, "en", Names())[0].startswith("Tomorrow (9 December 2026): 40 kg")
