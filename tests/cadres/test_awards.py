"""Awards and discipline (工作激励): the records, the rule "no award for a cadre recalled in that year" at its
boundaries, who may record them, and the pages with an outsider test for each."""
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cadres.models import AuditEntry, AwardRecord, Posting, PostingStatus
from cadres.services import award_record

D = datetime.date
AWARD_DAY = D(2026, 1, 28)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 11, 22))


def record(users, cadre, kind="commendation", day=AWARD_DAY, **kw):
    kw.setdefault("level", 3)
    kw.setdefault("issuing_body", "中共云溪县委组织部")
    kw.setdefault("document_number", "云组通〔2026〕3号")
    return award_record(actor=kw.pop("actor", users.county), cadre=cadre, kind=kind, date=day, **kw)


def recall(posting, day):
    Posting.objects.filter(pk=posting.pk).update(status=PostingStatus.RECALLED, end_date=day)


def test_it_records_an_award_with_its_document(users, org):
    award = record(users, org.c_a1_mem, "merit_third", level=2, issuing_body=" 中共青山市委组织部 ",
                   document_number="青人社发 〔2026〕6号", reason="年度考核优秀", ip="10.2.2.2")
    assert (award.kind, award.is_award, award.issuing_body, award.document_number) == (
        "merit_third", True, "中共青山市委组织部", "青人社发〔2026〕6号")
    entry = AuditEntry.objects.get(action="award.create")
    assert (entry.object_id, entry.ip, entry.region_code) == (str(award.pk), "10.2.2.2", org.county_a.code)


def test_it_refuses_an_award_to_a_cadre_recalled_that_year(users, org):
    recall(org.p_a1_mem, D(2026, 1, 1))
    with pytest.raises(ValidationError) as exc:
        record(users, org.c_a1_mem, "praise", day=D(2026, 11, 22))
    assert exc.value.message_dict == {"kind": [
        "李娜于2026-01-01被召回,2026年不能给予奖励(通报表扬);通报批评、诫勉谈话不受此限。"]}
    assert not AwardRecord.objects.exists()


def test_it_allows_an_award_for_the_year_before_the_recall(users, org):
    recall(org.p_a1_mem, D(2026, 1, 1))
    assert record(users, org.c_a1_mem, "commendation", day=D(2025, 12, 31)).pk


def test_it_records_discipline_for_a_recalled_cadre(users, org):
    recall(org.p_a1_mem, D(2026, 3, 31))
    assert record(users, org.c_a1_mem, "criticism", document_number="云组通〔2026〕29号").kind == "criticism"
    assert record(users, org.c_a1_mem, "admonition", document_number="").document_number == ""


def test_it_requires_a_document_number_except_for_an_admonition(users, org):
    with pytest.raises(ValidationError) as exc:
        record(users, org.c_a1_mem, "praise", document_number=" ", issuing_body="")
    assert exc.value.message_dict == {
        "issuing_body": ["请填写发文单位。"], "document_number": ["请填写文号(诫勉谈话以外的奖惩均有文件)。"]}


def test_it_refuses_a_date_after_today(users, org):
    assert record(users, org.c_a1_mem, day=D(2026, 11, 22)).pk
    with pytest.raises(ValidationError) as exc:
        record(users, org.c_a1_mem, day=D(2026, 11, 23))
    assert exc.value.message_dict == {"date": ["日期不能晚于今天。"]}


def test_it_lets_only_organization_departments_of_the_cadre_record(users, org):
    for user in (users.township, users.unit, users.cadre, users.county_b, users.unit_b):
        with pytest.raises(PermissionDenied):
            record(users, org.c_a1_sec, actor=user)
    assert record(users, org.c_a1_sec, actor=users.city).pk


# --- pages ---------------------------------------------------------------------------------------------------


def test_it_records_through_the_form(client, users, org):
    client.force_login(users.county)
    url = reverse("cadres:award_create", args=[org.c_a1_mem.pk])
    r = client.get(url)
    assert r.status_code == 200 and r.context["form"].initial["issuing_body"] == "中共云溪县委组织部"
    r = client.post(url, {"kind": "praise", "date": "2026-05-04", "level": "3", "issuing_body": "中共云溪县委组织部",
                          "document_number": "云组通〔2026〕12号", "reason": "抗洪抢险表现突出"})
    assert r.status_code == 302 and r.url == reverse("cadres:award_list") + f"?cadre={org.c_a1_mem.pk}"
    assert AwardRecord.objects.get().reason == "抗洪抢险表现突出"


def test_it_shows_the_recall_rule_next_to_the_kind(client, users, org):
    recall(org.p_a1_mem, D(2026, 3, 31))
    client.force_login(users.county)
    r = client.post(reverse("cadres:award_create", args=[org.c_a1_mem.pk]),
                    {"kind": "merit_third", "date": "2026-05-04", "level": "2", "issuing_body": "市委",
                     "document_number": "1号"})
    assert r.status_code == 200
    assert r.context["form"].errors == {"kind": [
        "李娜于2026-03-31被召回,2026年不能给予奖励(记三等功);通报批评、诫勉谈话不受此限。"]}
    assert "该干部于2026-03-31被召回" in r.content.decode()


@pytest.mark.parametrize("who,status", [
    ("township", 403), ("unit", 403), ("cadre", 403), ("county_b", 404), ("unit_b", 404), ("cadre_b", 404),
])
def test_it_guards_the_award_form(client, users, org, who, status):
    # 张伟: the `unit` user's own cadre, whom the township and county A also see
    url = reverse("cadres:award_create", args=[org.c_a1_sec.pk]) if who != "cadre" else reverse(
        "cadres:award_create", args=[org.c_a1_mem.pk])
    client.force_login(getattr(users, who))
    assert client.get(url).status_code == status
    assert client.post(url, {"kind": "praise", "date": "2026-05-04", "level": "3", "issuing_body": "x",
                             "document_number": "1"}).status_code == status
    assert not AwardRecord.objects.exists()


def test_it_lists_awards_in_scope(client, users, org):
    mine = record(users, org.c_a1_mem)
    theirs = record(users, org.c_b1_sec, actor=users.county_b, issuing_body="中共石门县委组织部")
    client.force_login(users.county)
    assert list(client.get(reverse("cadres:award_list")).context["awards"]) == [mine]
    client.force_login(users.county_b)
    assert list(client.get(reverse("cadres:award_list")).context["awards"]) == [theirs]
    assert client.get(reverse("cadres:award_list"), {"cadre": org.c_a1_mem.pk}).status_code == 404
    client.force_login(users.cadre)  # 李娜 herself
    assert list(client.get(reverse("cadres:award_list")).context["awards"]) == [mine]
    client.force_login(users.city)
    r = client.get(reverse("cadres:award_list"), {"side": "discipline"})
    assert list(r.context["awards"]) == []
    assert list(client.get(reverse("cadres:award_list"), {"side": "award", "year": "2026"}).context["awards"]) == [
        theirs, mine]
