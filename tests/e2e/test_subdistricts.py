"""A group's sub-district through the API and ``foodmatch import groups``: an official code of
the group's district is kept with its Thai name, a name alone is looked up, and a wrong one is
refused with 422 (or the CSV line's number) saying which district it is not in."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.cli import root_app
from tests.support.market import API, group_body


def test_the_api_keeps_an_official_sub_district_and_refuses_one_of_another_district(
    client: TestClient,
) -> None:
    by_name = client.post(f"{API}/groups", json=group_body("grp-phatong", subdistrict="Phatong"))
    wrong = client.post(f"{API}/groups", json=group_body("grp-x", subdistrict_code="900106"))
    mismatch = client.post(
        f"{API}/groups",
        json=group_body("grp-y", subdistrict_code="901118", subdistrict="ควนลัง"),
    )

    assert by_name.status_code == 201, by_name.text
    assert (by_name.json()["subdistrict_code"], by_name.json()["subdistrict"]) == (
        "901118",
        "พะตง",
    )
    stored = client.get(f"{API}/groups/grp-phatong").json()
    assert (stored["subdistrict_code"], stored["subdistrict"]) == ("901118", "พะตง")
    assert wrong.status_code == 422, wrong.text
    detail = wrong.json()["detail"][0]
    assert detail["loc"] == ["body", "subdistrict_code"]
    assert "not a sub-district of district 9011 หาดใหญ่ (Hat Yai)" in detail["msg"]
    assert mismatch.status_code == 422
    assert mismatch.json()["detail"][0]["loc"] == ["body", "subdistrict"]
    assert client.get(f"{API}/groups/grp-x").status_code == 404


def test_csv_import_completes_good_sub_districts_and_lists_wrong_ones(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/market.db"
    groups = tmp_path / "groups.csv"
    groups.write_text(
        "id,name_th,name_en,lat,lon,members,district,subdistrict_code,subdistrict\n"
        "g1,กลุ่มพะตง,Phatong group,6.97,100.42,15,9011,901118,\n"
        "g2,กลุ่มคอหงส์,Kho Hong group,7.0,100.5,12,9011,,ต.คอหงส์\n"
        "g3,กลุ่มเกาะยอ,Ko Yo group,7.16,100.54,10,9011,900106,\n"
        "g4,กลุ่มเก่า,Old code group,6.9,100.4,10,9011,901106,พะตง\n"
        "g5,กลุ่มจะนะ,Chana group,6.9,100.7,10,9003,,Chalung\n",
        encoding="utf-8",
    )

    result = CliRunner().invoke(root_app(), ["import", "groups", str(groups), "--db", db])

    assert result.exit_code == 1, result.output
    assert "groups: 2 imported, 0 already there, 3 rejected" in result.output
    assert "line 4: subdistrict_code: 900106 เกาะยอ (Ko Yo) is not a sub-district" in result.output
    assert "line 5: subdistrict_code: 901106" in result.output
    assert "no longer in use" in result.output
    assert "line 6: subdistrict: 'Chalung' is not a sub-district of district 9003" in result.output
    with SqlUnitOfWork(make_session_factory(make_engine(db))) as uow:
        stored = {g.id: g.registry for g in uow.groups.list()}
    assert (stored["g1"].subdistrict_code, stored["g1"].subdistrict) == ("901118", "พะตง")
    assert (stored["g2"].subdistrict_code, stored["g2"].subdistrict) == ("901104", "คอหงส์")
    assert set(stored) == {"g1", "g2"}


def test_the_areas_route_lists_the_provinces_districts_and_sub_districts(
    client: TestClient,
) -> None:
    response = client.get(f"{API}/areas")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["province"] == {"code": "90", "name_th": "สงขลา", "name_en": "Songkhla"}
    assert body["source"].startswith("geothai ")
    assert [d["code"] for d in body["districts"]] == [f"90{n:02d}" for n in range(1, 17)]
    hat_yai = next(d for d in body["districts"] if d["code"] == "9011")
    assert (hat_yai["name_th"], hat_yai["name_en"]) == ("หาดใหญ่", "Hat Yai")
    assert {"code": "901118", "name_th": "พะตง", "name_en": "Phatong"} in hat_yai["subdistricts"]
    assert sum(len(d["subdistricts"]) for d in body["districts"]) == 127
