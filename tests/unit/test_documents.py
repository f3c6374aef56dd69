"""Contract documents (HTML, Thai and English) and the CSV exports of contracts and deliveries."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from matcher.documents import (
    CONTRACT_COLUMNS,
    DELIVERY_COLUMNS,
    ContractTerms,
    baht_words,
    check_lang,
    contract_html,
    contracts_csv,
    deliveries_csv,
    export_filename,
    format_date,
    money,
    relevant_certificates,
)
from matcher.domain.contracts import Contract, ContractDelivery, ContractState, HistoryEntry
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    Crop,
    FarmerGroup,
    ForwardOrder,
    GroupKind,
    Location,
    Registry,
    SupplyAnnouncement,
    Unit,
)
from matcher.domain.standards import Scheme, Tier
from matcher.reference import load_standards

DAYS = (date(2026, 12, 7), date(2026, 12, 14), date(2026, 12, 21))

GROUP = FarmerGroup(
    id="grp-phatong",
    name_th="กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด",
    name_en="Ban Khuan Khi Raet organic group",
    location=Location(6.97, 100.42),
    members=15,
    kind=GroupKind.COMMUNITY_ENTERPRISE,
    district="9011",
)
BUYER = Buyer(
    id="hosp-hatyai",
    name_th="โรงพยาบาลหาดใหญ่",
    name_en="Hat Yai Hospital",
    kind=BuyerKind.HOSPITAL,
    location=Location(7.0167, 100.4681),
    district="9011",
)
KALE = Crop(id="kale", name_th="คะน้า", name_en="Chinese kale", unit=Unit.KG, group="leafy")
CROPS = {KALE.id: KALE}
CERT = Certificate(
    id="cert-pgs-7",
    group_id=GROUP.id,
    scheme=Scheme.PGS,
    valid_from=date(2026, 1, 1),
    valid_until=date(2027, 12, 31),
    certifier="PGS Songkhla network",
)
OTHER_SCHEME = replace(CERT, id="cert-gap-1", scheme=Scheme.THAI_GAP)
EXPIRED = replace(
    CERT, id="cert-pgs-old", valid_from=date(2024, 1, 1), valid_until=date(2025, 12, 31)
)


def contract(**changes: object) -> Contract:
    base = Contract(
        id="ctr-0001",
        round_id="rnd-42",
        order_id="ord-1",
        buyer_id=BUYER.id,
        group_id=GROUP.id,
        supply_id="sup-1",
        crop_id="kale",
        scheme=Scheme.PGS,
        min_tier=Tier.ORGANIC,
        unit_price=3500,
        deliveries=tuple(
            ContractDelivery(
                day=d, week=f"2026-W{d.isocalendar()[1]:02d}", quantity=q, distance_km=12.5
            )
            for d, q in zip(DAYS, (80, 60, 40), strict=True)
        ),
        pricing_policy="midpoint",
        reason="matched in a clearing round",
        created_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def render(c: Contract | None = None, **kwargs: object) -> str:
    args: dict[str, object] = {
        "group": GROUP,
        "buyer": BUYER,
        "crop": KALE,
        "certificates": [CERT, OTHER_SCHEME, EXPIRED],
    }
    args.update(kwargs)
    return contract_html(c or contract(), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_document_carries_the_agreement_fields(lang: str) -> None:
    page = render(lang=lang)

    assert page.startswith("<!DOCTYPE html>")
    assert f"<html lang='{lang}'>" in page
    for text in (
        "ctr-0001",
        "rnd-42",
        GROUP.name_th,
        GROUP.name_en,
        BUYER.name_th,
        BUYER.name_en,
        "คะน้า",
        "Chinese kale",
        "ORGANIC",
        "PGS",
        "cert-pgs-7",
        "PGS Songkhla network",
        format_date(date(2026, 1, 1), check_lang(lang)),
        format_date(date(2027, 12, 31), check_lang(lang)),
        "2026-W50",
        "2026-W51",
        "2026-W52",
        "35.00",
        "midpoint",
        "6,300.00",  # 180 kg × 35.00
        "7.01670, 100.46810",  # the delivery place
    ):
        assert text in page, text
    for day, quantity in zip(DAYS, ("80", "60", "40"), strict=True):
        shown = format_date(day, check_lang(lang))
        row = re.search(rf"<tr><td>{shown}</td>.*?</tr>", page)
        assert row is not None, day
        assert f"<td class='num'>{quantity}</td>" in row.group(0)
    assert "<td class='num'>180</td>" in page  # the total
    assert "cert-gap-1" not in page  # another scheme
    assert "cert-pgs-old" not in page  # not valid over the contract's dates


def test_thai_labels_and_buddhist_era_years() -> None:
    page = render(lang="th")

    for text in (
        "บันทึกข้อตกลงซื้อขายผลผลิตล่วงหน้า",
        "ผู้ขาย",
        "ผู้ซื้อ",
        "ราคาต่อหน่วย",
        "มาตรฐาน",
        "กำหนดส่งมอบ",
        "เงื่อนไขการชำระเงิน",
        "ประวัติ",
        "ยังไม่มีการเปลี่ยนแปลง",
        "ราคากึ่งกลาง",
        "วิสาหกิจชุมชน",
        "โรงพยาบาล",
        "กิโลกรัม",
        "ภายใน 30 วัน",
        "7 ธันวาคม 2569",
        "จับคู่ในรอบการจับคู่ของตลาด",
        "35.00</strong> บาทต่อกิโลกรัม",
    ):
        assert text in page, text
    assert "Forward Purchase Agreement" not in page
    assert "2026-12-07" not in page  # no ISO dates in the Thai document
    # The Derivatives Act's term (พ.ร.บ.สัญญาซื้อขายล่วงหน้า พ.ศ. 2546) is not the title.
    assert "สัญญาซื้อขายล่วงหน้า" not in page


def test_english_labels() -> None:
    page = render(lang="en")

    for text in (
        "Forward Purchase Agreement for Farm Produce",
        "Seller",
        "Buyer",
        "Unit price",
        "Quality standard",
        "Delivery schedule",
        "Payment terms",
        "History",
        "No changes yet",
        "within 30 days of each accepted delivery, by bank transfer",
        "half way between",
        "community enterprise",
        "matched in a clearing round",
        "35.00</strong> THB per kg",
    ):
        assert text in page, text
    assert "พ.ศ." not in page
    assert "บันทึกข้อตกลง" not in page
    assert "7 December 2026" in page


def test_the_page_prints_on_a4_and_loads_nothing_from_outside() -> None:
    page = render(lang="en", alternate_href="?lang=th")

    assert "@page { size: A4" in page
    assert "@media print" in page
    assert "nav, .no-print { display: none" in page
    assert "<nav class='no-print'>" in page
    assert "href='?lang=th'" in page
    assert "http://" not in page
    assert "https://" not in page
    # The one link is the empty inline icon, so that a browser asks for no favicon either.
    assert re.findall(r"<link[^>]*>", page) == ["<link rel='icon' href='data:,'>"]
    assert "<script" not in page
    assert "src=" not in page
    assert "signature" in page


def test_payment_terms_can_be_given() -> None:
    page = render(lang="en", payment_terms="Cash on delivery & receipt")

    assert "Cash on delivery &amp; receipt" in page
    assert "bank transfer" not in page


def test_history_entries_from_the_contract_objects_or_dicts() -> None:
    entry = HistoryEntry(
        at=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
        actor="group:grp-phatong",
        action="accept",
        from_state="proposed",
        to_state="accepted",
    )
    accepted = contract(state=ContractState.ACCEPTED, history=(entry,))

    own = render(accepted, lang="en")
    given = render(
        lang="th",
        history=[
            {
                "time": "2026-11-27 10:00",
                "actor": "buyer:hosp-hatyai",
                "action": "cancel",
                "reason": "kitchen closed <for repairs>",
            }
        ],
    )

    assert f"<td>seller: {GROUP.name_en}</td>" in own
    assert "accepted" in own
    assert "26 November 2026, 16:30 (Bangkok time)" in own  # 09:30 UTC
    assert "No changes yet" not in own
    assert f"<td>ผู้ซื้อ: {BUYER.name_th}</td>" in given
    assert "ยกเลิก" in given
    assert "kitchen closed &lt;for repairs&gt;" in given
    assert "ยังไม่มีการเปลี่ยนแปลง" not in given


def test_user_text_is_escaped() -> None:
    evil = replace(GROUP, name_en="<script>alert('x')</script>", name_th="<b>กลุ่ม</b>")
    page = render(contract(reason='"><img src=x>'), group=evil, lang="en")

    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;กลุ่ม&lt;/b&gt;" in page
    assert "<img" not in page


def test_missing_participants_and_certificates_still_render() -> None:
    page = render(group=None, buyer=None, crop=None, certificates=[], lang="en")

    assert "grp-phatong" in page
    assert "hosp-hatyai" in page
    assert "kale" in page
    assert "no certificate of this scheme valid" in page


def test_bad_language_is_refused() -> None:
    with pytest.raises(ValueError, match="th or en"):
        render(lang="fr")


def test_helpers() -> None:
    assert money(3500) == "35.00"
    assert money(123456789) == "1,234,567.89"
    assert format_date(date(2026, 1, 2), "th") == "2 มกราคม 2569"
    assert format_date(date(2026, 1, 2), "en") == "2 January 2026"
    assert relevant_certificates(contract(), [CERT, OTHER_SCHEME, EXPIRED], KALE) == [CERT]
    eggs_only = replace(CERT, crops=frozenset({"eggs"}))
    assert relevant_certificates(contract(), [eggs_only], KALE) == []
    odd = export_filename("group", "grp/../กลุ่ม 1")
    assert odd.isascii()
    assert "/" not in odd
    assert " " not in odd
    assert odd.startswith("group-grp_.._")
    assert odd.endswith("_1-contracts.csv")
    assert export_filename("buyer", "b1", deliveries=True) == "buyer-b1-deliveries.csv"


# --- the Thai procurement document -----------------------------------------------------------

REGISTERED_GROUP = replace(
    GROUP,
    registry=Registry(
        subdistrict_code="901118",
        subdistrict="พะตง",
        farm_area_rai=42.5,
        contact_name="นางสมศรี ใจดี",
        contact_position="ประธานวิสาหกิจชุมชน",
        registration_no="4-90-11-06/1-0012",
        tax_id="0994000165501",
        source_agency="สำนักงานเกษตรอำเภอหาดใหญ่",
        source_date=date(2026, 10, 1),
    ),
)
REGISTERED_BUYER = replace(
    BUYER,
    registry=Registry(
        contact_name="นายแพทย์สมชาย รักษาดี",
        contact_position="ผู้อำนวยการโรงพยาบาลหาดใหญ่",
        tax_id="0994000165501",
    ),
)
ORDER = ForwardOrder(
    id="ord-1",
    buyer_id=BUYER.id,
    crop_id="kale",
    quantity=80,
    deliveries=DAYS,
    purchase_order_no="e-GP 69129000123",
)
EGGS = Crop(id="eggs", name_th="ไข่ไก่", name_en="Hen eggs", unit=Unit.PIECE, group="egg")
RICE = Crop(
    id="rice_jasmine",
    name_th="ข้าวสารหอมมะลิ",
    name_en="Milled jasmine rice",
    unit=Unit.KG,
    group="staple",
    processed=True,
)


def text_of(page: str) -> str:
    """The page's words without its markup and stylesheet, spaces collapsed."""
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#34;", '"')


def thai(c: Contract | None = None, **kwargs: object) -> str:
    args: dict[str, object] = {
        "group": REGISTERED_GROUP,
        "buyer": REGISTERED_BUYER,
        "order": ORDER,
        "lang": "th",
    }
    args.update(kwargs)
    return text_of(render(c, **args))


@pytest.mark.parametrize(
    ("satang", "words"),
    [
        (123450, "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์"),
        (2100, "ยี่สิบเอ็ดบาทถ้วน"),
        (10000, "หนึ่งร้อยบาทถ้วน"),
        (100000000, "หนึ่งล้านบาทถ้วน"),
        (630000, "หกพันสามร้อยบาทถ้วน"),
        (25, "ยี่สิบห้าสตางค์"),
    ],
)
def test_amounts_in_thai_words(satang: int, words: str) -> None:
    assert baht_words(satang).endswith(words)
    if satang >= 100:
        assert baht_words(satang) == words


def test_the_thai_agreement_reads_as_a_procurement_officer_files_it() -> None:
    page = thai()

    assert page.strip().startswith("บันทึกข้อตกลงซื้อขายผลผลิตล่วงหน้า ctr-0001")
    for text in (
        # made at 08:00 UTC: 15.00 in Bangkok, Buddhist-era year
        "ทำขึ้นเมื่อ 25 พฤศจิกายน 2569 เวลา 15.00 น.",
        "บันทึกข้อตกลงฉบับนี้ทำขึ้นเมื่อวันที่ 25 พฤศจิกายน 2569 ระหว่าง โรงพยาบาลหาดใหญ่ ซึ่ง"
        'ต่อไปในบันทึกข้อตกลงนี้เรียกว่า "ผู้ซื้อ"',
        "เลขที่ใบสั่งซื้อ / เลขที่โครงการ e-GP e-GP 69129000123",
        "เลขทะเบียนวิสาหกิจชุมชน / สหกรณ์ 4-90-11-06/1-0012",
        "เลขประจำตัวผู้เสียภาษีอากร 0994000165501",
        "ตำบล พะตง (901118)",
        "พื้นที่การผลิต 42.5 ไร่",
        "แหล่งที่มาของข้อมูล สำนักงานเกษตรอำเภอหาดใหญ่ · 1 ตุลาคม 2569",
        "7 ธันวาคม 2569 2026-W50 80",
        "มูลค่ารวมตามสัญญา 6,300.00 บาท",
        "จำนวนเงินรวม (ตัวอักษร) (หกพันสามร้อยบาทถ้วน)",
        "ราคารวมค่าขนส่งถึงสถานที่ส่งมอบแล้ว",
        "ปรับเป็นรายวันในอัตราร้อยละ 0.20 ของมูลค่าผลผลิตที่ยังไม่ได้ส่งมอบ",
        "เหตุสุดวิสัย เช่น อุทกภัย",
        "เกษตรอินทรีย์ระบบรับรองแบบมีส่วนร่วม (PGS)",
        "1 มกราคม 2569 ถึง 31 ธันวาคม 2570",
    ):
        assert text in page, text
    # Signatories with their names and positions, for whom they sign, and two witnesses.
    assert (
        "ลงชื่อ ผู้ซื้อ (นายแพทย์สมชาย รักษาดี) ตำแหน่ง ผู้อำนวยการโรงพยาบาลหาดใหญ่ ในนาม "
        "โรงพยาบาลหาดใหญ่" in page
    )
    assert "ลงชื่อ ผู้ขาย (นางสมศรี ใจดี) ตำแหน่ง ประธานวิสาหกิจชุมชน ในนาม กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด" in page
    assert page.count("ลงชื่อ พยาน ( ................................................. ) ตำแหน่ง") == 2
    for english in ("UTC", "T08:00", "+00:00", "Forward", "(BE"):
        assert english not in page


def test_a_party_without_a_recorded_signatory_gets_blank_lines() -> None:
    page = thai(group=GROUP, buyer=BUYER, order=None)

    assert page.count("( ................................................. ) ตำแหน่ง") == 4
    assert "เลขที่ใบสั่งซื้อ / เลขที่โครงการ e-GP (ยังไม่ระบุ)" in page
    assert "เลขประจำตัวผู้เสียภาษีอากร" not in page


def test_the_english_agreement_has_gregorian_dates_in_bangkok_time() -> None:
    page = text_of(render(group=REGISTERED_GROUP, buyer=REGISTERED_BUYER, order=ORDER, lang="en"))

    assert "Made on 25 November 2026, 15:00 (Bangkok time)" in page
    assert "7 December 2026" in page
    assert "Total in Thai words (หกพันสามร้อยบาทถ้วน)" in page
    assert "Purchase order / e-GP project no. e-GP 69129000123" in page
    assert "floods" in page
    assert page.count("Witness") == 2


def test_a_price_without_transport_and_the_clauses_follow_the_settings() -> None:
    pickup = replace(ORDER, price_includes_transport=False)
    plain = thai(
        order=pickup, terms=ContractTerms(late_penalty_percent=Decimal("0"), force_majeure=False)
    )
    custom = thai(
        terms=ContractTerms(
            late_penalty_percent=Decimal("0.10"),
            penalty_clause="ปรับวันละร้อยละ {rate} ของราคาส่วนที่ส่งช้า",
            force_majeure_clause="น้ำท่วมทางเข้าหมู่บ้าน ให้เลื่อนส่งได้",
        )
    )

    assert "ราคาไม่รวมค่าขนส่ง" in plain
    assert "ข้อตกลงอื่น" not in plain
    assert "อุทกภัย" not in plain
    assert "ปรับวันละร้อยละ 0.10 ของราคาส่วนที่ส่งช้า" in custom
    assert "น้ำท่วมทางเข้าหมู่บ้าน ให้เลื่อนส่งได้" in custom


def test_eggs_are_counted_in_eggs_under_livestock_gap_from_the_livestock_department() -> None:
    cert = Certificate(
        id="cert-egg-1",
        group_id=GROUP.id,
        scheme=Scheme.LIVESTOCK_GAP,
        valid_from=date(2026, 1, 1),
        valid_until=date(2028, 12, 31),
        crops=frozenset({"eggs"}),
        certifier="Department of Livestock Development",
    )
    eggs = contract(crop_id="eggs", scheme=Scheme.LIVESTOCK_GAP, min_tier=Tier.SAFE, unit_price=350)
    page = thai(eggs, crop=EGGS, certificates=[cert], standards=load_standards(), crops={})

    assert "ปริมาณ (ฟอง)" in page
    assert "ปริมาณ 180 ฟอง" in page
    assert "3.50 บาทต่อฟอง" in page
    assert "มาตรฐาน GAP ฟาร์มไก่ไข่ (มกษ. 6909) กรมปศุสัตว์" in page
    assert "มกษ. 9001" not in page
    assert "cert-egg-1 กรมปศุสัตว์" in page  # the certifier in Thai
    assert "ไข่ไก่" in page  # the scope by the crop's Thai name
    assert "ชิ้น" not in page
    assert "Department of Livestock Development" not in page


def test_a_processed_product_carries_its_fda_number() -> None:
    supply = SupplyAnnouncement(
        id="sup-1",
        group_id=GROUP.id,
        crop_id=RICE.id,
        scheme=Scheme.PGS,
        quantities={"2026-W50": 100},
        fda_no="90-2-00155-2-0001",
    )
    rice = contract(crop_id=RICE.id)

    assert "เลขสารบบอาหาร (อย.) 90-2-00155-2-0001" in thai(rice, crop=RICE, supply=supply)
    assert "เลขสารบบอาหาร (อย.) (ยังไม่ระบุ)" in thai(rice, crop=RICE)
    assert "อย." not in thai()  # fresh kale has none


def test_history_reasons_and_actors_are_translated() -> None:
    entries = [
        {
            "at": datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
            "actor": "system",
            "action": "expire",
            "reason": "no answer by 2026-12-01",
        },
        {
            "at": datetime(2026, 12, 2, 1, 0, tzinfo=UTC),
            "actor": "system",
            "action": "release",
            "reason": "PGS certificate not valid on 2026-12-14",
        },
        {
            "at": datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
            "actor": "coordinator:net-1",
            "action": "cancel",
            "reason": "cancelled by coordinator",
        },
    ]
    page = thai(history=entries)

    assert "2 ธันวาคม 2569 เวลา 00.00 น. ระบบ foodmatch" in page  # 17:00 UTC is midnight
    assert "ไม่มีการตอบรับภายในวันที่ 1 ธันวาคม 2569" in page
    assert "ใบรับรองมาตรฐาน เกษตรอินทรีย์ระบบรับรองแบบมีส่วนร่วม (PGS) ไม่มีผลในวันที่ 14 ธันวาคม 2569" in page
    assert "ผู้ประสานงานเครือข่าย: net-1" in page
    assert "ยกเลิกโดยผู้ประสานงานเครือข่าย" in page
    assert "no answer" not in page


# --- CSV -------------------------------------------------------------------------------------


def two_contracts() -> list[Contract]:
    second = contract(
        id="ctr-0002",
        unit_price=2450,
        pricing_policy="ask",
        state=ContractState.ACCEPTED,
        deliveries=(ContractDelivery(day=DAYS[0], week="2026-W50", quantity=20, distance_km=3.0),),
    )
    return [contract(), second]


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_contracts_csv_has_one_row_per_contract_with_thai_names() -> None:
    text = contracts_csv(
        two_contracts(),
        groups={GROUP.id: GROUP},
        buyers={BUYER.id: BUYER},
        crops=CROPS,
    )
    rows = parse(text)

    assert text.splitlines()[0] == ",".join(CONTRACT_COLUMNS)
    assert [r["contract_id"] for r in rows] == ["ctr-0001", "ctr-0002"]
    first, second = rows
    assert first["group_name_th"] == "กลุ่มเกษตรอินทรีย์บ้านควนขี้แรด"
    assert first["buyer_name_th"] == "โรงพยาบาลหาดใหญ่"
    assert first["buyer_name_en"] == "Hat Yai Hospital"
    assert first["crop_name_th"] == "คะน้า"
    assert first["crop_name_en"] == "Chinese kale"
    assert first["scheme"] == "PGS"
    assert first["min_tier"] == "ORGANIC"
    assert first["unit_price_thb"] == "35.00"
    assert first["pricing_policy"] == "midpoint"
    assert first["quantity"] == "180"
    assert first["value_thb"] == "6300.00"
    assert first["first_delivery"] == "2026-12-07"
    assert first["last_delivery"] == "2026-12-21"
    assert first["state"] == "proposed"
    assert first["order_id"] == "ord-1"
    assert second["state"] == "accepted"
    assert second["value_thb"] == "490.00"


def test_deliveries_csv_has_one_row_per_delivery() -> None:
    rows = parse(
        deliveries_csv(
            two_contracts(), groups={GROUP.id: GROUP}, buyers={BUYER.id: BUYER}, crops=CROPS
        )
    )

    assert list(rows[0]) == list(DELIVERY_COLUMNS)
    assert [(r["contract_id"], r["date"], r["quantity"]) for r in rows] == [
        ("ctr-0001", "2026-12-07", "80"),
        ("ctr-0001", "2026-12-14", "60"),
        ("ctr-0001", "2026-12-21", "40"),
        ("ctr-0002", "2026-12-07", "20"),
    ]
    assert rows[0]["week"] == "2026-W50"
    assert rows[0]["distance_km"] == "12.50"
    assert rows[0]["contract_state"] == "proposed"
    assert rows[3]["contract_state"] == "accepted"
    assert rows[0]["value_thb"] == "2800.00"
    assert rows[0]["group_name_th"] == GROUP.name_th


def test_csv_quotes_commas_and_neutralises_formulas() -> None:
    odd = replace(GROUP, name_en='=HYPERLINK("x"), "quoted"', name_th="กลุ่ม, ตำบล")
    rows = parse(contracts_csv([contract()], groups={GROUP.id: odd}, buyers={}, crops={}))

    assert rows[0]["group_name_en"] == '\'=HYPERLINK("x"), "quoted"'
    assert rows[0]["group_name_th"] == "กลุ่ม, ตำบล"
    assert rows[0]["buyer_name_th"] == ""
    assert rows[0]["crop_name_en"] == ""


def test_empty_exports_have_the_header_only() -> None:
    assert parse(contracts_csv([], groups={}, buyers={}, crops={})) == []
    assert contracts_csv([], groups={}, buyers={}, crops={}).strip() == ",".join(CONTRACT_COLUMNS)
