"""Annual evaluation (年度考核): each rule at its boundary, the policy as data, who decides, the automatic recall
proposal on 不称职, and the pages.

Fixture facts: in 2025 county A (云溪县) has three cadres in post — 张伟 and 李娜 in 杨家坪村, 王强 in 新塘村 —
and county B one (刘洋). "Absences found" are register days with source inspection and status absent.
"""
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from attendance.models import AttendanceDay, DaySource, DayStatus
from cadres import selectors
from cadres.models import AuditEntry, Evaluation, Posting, PostingStatus, Recall, RecallStatus
from cadres.services import evaluation_save, recall_propose
from villages.models import Policy

D = datetime.date
YEAR = 2025


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: D(2026, 1, 20))


def absent(posting, *days, source=DaySource.INSPECTION, status=DayStatus.ABSENT):
    for day in days:
        AttendanceDay.objects.create(cadre=posting.cadre, posting=posting, day=day, status=status, source=source)


def save(users, cadre, grade, **kw):
    return evaluation_save(actor=kw.pop("actor", users.county), cadre=cadre, year=kw.pop("year", YEAR), grade=grade,
                           **kw)


def refusal(users, cadre, grade, **kw) -> str:
    with pytest.raises(ValidationError) as exc:
        save(users, cadre, grade, **kw)
    return exc.value.message_dict["grade"][0]


# --- the absence rules -------------------------------------------------------------------------------------


def test_it_allows_every_grade_without_absences(users, org):
    limits = selectors.evaluation_limits(cadre=org.c_a1_mem, year=YEAR, policy=selectors.policy_for(org.town_a1))
    assert limits.allowed == ["excellent", "competent", "basic", "incompetent"]
    assert limits.reasons == []
    assert save(users, org.c_a1_mem, "excellent").grade == "excellent"


def test_it_refuses_excellent_from_the_first_absence(users, org):
    absent(org.p_a1_mem, D(2025, 6, 3))
    assert refusal(users, org.c_a1_mem, "excellent") == (
        "不能评为“优秀”:2025年督查发现缺勤1次,达到1次的不得评为优秀。")
    assert save(users, org.c_a1_mem, "competent").grade == "competent"


def test_it_caps_at_basically_competent_from_the_second_absence(users, org):
    absent(org.p_a1_mem, D(2025, 6, 3), D(2025, 9, 17))
    assert refusal(users, org.c_a1_mem, "competent") == (
        "不能评为“称职”:2025年督查发现缺勤2次,达到2次的最高评为基本称职。")
    assert refusal(users, org.c_a1_mem, "excellent").startswith("不能评为“优秀”:2025年督查发现缺勤2次")
    assert save(users, org.c_a1_mem, "basic").grade == "basic"
    assert not Recall.objects.exists()


def test_it_requires_not_competent_from_the_third_absence_and_proposes_a_recall(users, org):
    absent(org.p_a1_mem, D(2025, 6, 3), D(2025, 9, 17), D(2025, 12, 31))
    assert refusal(users, org.c_a1_mem, "basic") == (
        "不能评为“基本称职”:2025年督查发现缺勤3次,达到3次的评为不称职(并提出召回)。")
    evaluation = save(users, org.c_a1_mem, "incompetent", comment="三次暗访不在村。")

    recall = Recall.objects.get()
    assert evaluation.proposed_recall == recall
    assert (recall.posting, recall.status, recall.reason, recall.decider_region) == (
        org.p_a1_mem, RecallStatus.PROPOSED, "inspection_absence", org.county_a)
    assert recall.note.startswith("2025年度考核确定为不称职,提出召回。")


def test_it_counts_only_inspection_absences_of_that_year(users, org):
    absent(org.p_a1_mem, D(2026, 1, 1))  # next year
    absent(org.p_a1_mem, D(2025, 5, 5), source=DaySource.TOWNSHIP)  # the township's register, not an inspection
    absent(org.p_a1_mem, D(2025, 5, 6), status=DayStatus.PRESENT)  # inspected and found present
    assert save(users, org.c_a1_mem, "excellent").grade == "excellent"


def test_it_reads_the_thresholds_from_the_policy(users, org):
    Policy.objects.create(region=org.county_a, absences_block_excellent=2, absences_cap_basic=3,
                          absences_not_competent=5)
    absent(org.p_a1_mem, D(2025, 6, 3))
    assert save(users, org.c_a1_mem, "excellent").grade == "excellent"
    absent(org.p_a1_mem, D(2025, 7, 3))
    assert refusal(users, org.c_a1_mem, "excellent") == (
        "不能评为“优秀”:2025年督查发现缺勤2次,达到2次的不得评为优秀。")


def test_it_applies_each_threshold_even_out_of_order(users, org):
    # An odd policy (not-competent at 1, cap at 3): the most restrictive rule reached still wins.
    policy = Policy(region=org.county_a, absences_block_excellent=3, absences_cap_basic=3, absences_not_competent=1)
    absent(org.p_a1_mem, D(2025, 6, 3))
    limits = selectors.evaluation_limits(cadre=org.c_a1_mem, year=YEAR, policy=policy)
    assert (limits.best, limits.forced, limits.allowed) == ("incompetent", True, ["incompetent"])


# --- recalled that year ------------------------------------------------------------------------------------


def test_it_refuses_excellent_to_a_cadre_recalled_that_year(users, org):
    Posting.objects.filter(pk=org.p_a1_mem.pk).update(status=PostingStatus.RECALLED, end_date=D(2025, 12, 31))
    assert refusal(users, org.c_a1_mem, "excellent") == "不能评为“优秀”:2025-12-31被召回,当年不得评为优秀。"
    assert save(users, org.c_a1_mem, "competent").grade == "competent"


def test_it_does_not_hold_a_recall_of_the_next_year_against_this_one(users, org):
    Posting.objects.filter(pk=org.p_a1_mem.pk).update(status=PostingStatus.RECALLED, end_date=D(2026, 1, 1))
    assert save(users, org.c_a1_mem, "excellent").grade == "excellent"


# --- the excellent-share cap -------------------------------------------------------------------------------


def test_it_caps_the_share_of_excellent_grades_per_county(users, org):
    # 3 cadres in post in county A in 2025; 50 % → 3 × 50 // 100 = 1 excellent
    Policy.objects.create(region=org.county_a, excellent_share_cap=50)
    save(users, org.c_a1_sec, "excellent")
    assert refusal(users, org.c_a1_mem, "excellent") == (
        "不能评为“优秀”:云溪县优秀比例上限50%:2025年应考核驻村干部3人,优秀最多3×50%=1人(向下取整),已评1人。")
    # saving the one excellent cadre again is not counted against itself
    assert save(users, org.c_a1_sec, "excellent", comment="修改评语").comment == "修改评语"
    # county B's count is its own
    assert evaluation_save(actor=users.county_b, cadre=org.c_b1_sec, year=YEAR, grade="excellent").grade == "excellent"


def test_it_allows_the_last_excellent_place_at_the_boundary(users, org):
    Policy.objects.create(region=org.county_a, excellent_share_cap=67)  # 3 × 67 // 100 = 2
    save(users, org.c_a1_sec, "excellent")
    assert save(users, org.c_a1_mem, "excellent").grade == "excellent"
    assert refusal(users, org.c_a2_sec, "excellent").endswith("优秀最多3×67%=2人(向下取整),已评2人。")


def test_it_sets_no_cap_by_default(users, org):
    for cadre in (org.c_a1_sec, org.c_a1_mem, org.c_a2_sec):
        assert save(users, cadre, "excellent").grade == "excellent"


# --- who decides, one per year -----------------------------------------------------------------------------


def test_it_lets_only_the_county_of_the_posting_decide(users, org):
    for user in (users.city, users.county_b, users.township, users.unit, users.cadre, users.admin):
        with pytest.raises(PermissionDenied):
            save(users, org.c_a1_mem, "competent", actor=user)
    assert not Evaluation.objects.exists()


def test_it_keeps_one_evaluation_per_cadre_and_year(users, org):
    first = save(users, org.c_a1_mem, "competent", votes={"excellent": 5, "competent": 20, "basic": 1,
                                                              "incompetent": 0},
                 aspects={"virtue": "good", "ability": "fair"}, ip="10.1.1.1")
    second = save(users, org.c_a1_mem, "excellent", comment="成效突出")
    assert first.pk == second.pk and Evaluation.objects.count() == 1
    second.refresh_from_db()
    assert (second.grade, second.votes_total, second.vote_share("competent"), second.virtue) == (
        "excellent", 26, 77, "good")  # 20 / 26 = 76.9 %
    assert (second.posting, second.county, second.decided_by) == (org.p_a1_mem, org.county_a, users.county)
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "evaluation.create", "evaluation.update"]


def test_it_refuses_a_year_without_a_posting_and_a_year_to_come(users, org):
    with pytest.raises(ValidationError) as exc:
        save(users, org.c_a1_mem, "competent", year=2024)
    assert exc.value.messages == ["李娜在2024年没有派驻记录,无需年度考核。"]
    with pytest.raises(ValidationError) as exc:
        save(users, org.c_a1_mem, "competent", year=2027)
    assert exc.value.message_dict == {"year": ["不能考核尚未开始的年度。"]}


def test_it_proposes_a_recall_for_not_competent_without_duplicating_a_pending_one(users, org):
    evaluation = save(users, org.c_a2_sec, "incompetent")
    recall = Recall.objects.get()
    assert (evaluation.proposed_recall, recall.reason, recall.proposed_by) == (recall, "incompetent", users.county)
    other = Recall.objects.get()
    save(users, org.c_a2_sec, "incompetent", comment="再次确认")
    assert Recall.objects.get() == other

    # a pending proposal made earlier by someone else is reused, not duplicated
    recall_propose(actor=users.unit, posting=org.p_a1_sec, reason="health", note="住院")
    assert save(users, org.c_a1_sec, "incompetent").proposed_recall.proposer_body == "市财政局"
    assert Recall.objects.count() == 2


# --- pages ---------------------------------------------------------------------------------------------------


def test_it_lists_the_year_roster_of_the_county(client, users, org):
    absent(org.p_a1_mem, D(2025, 6, 3))
    save(users, org.c_a1_sec, "competent")
    client.force_login(users.county)
    r = client.get(reverse("cadres:evaluation_list"), {"year": "2025"})
    rows = r.context["rows"]
    assert [(row.cadre.name, row.absences, row.evaluation and row.evaluation.grade, row.can_edit) for row in rows] == [
        ("张伟", 0, "competent", True), ("李娜", 1, None, True), ("王强", 0, None, True)]
    assert r.context["evaluated"] == 1
    assert reverse("cadres:evaluation_edit", args=[2025, org.c_a1_mem.pk]) in r.content.decode()


def test_it_lists_the_roster_read_only_for_the_city_and_only_its_own_for_outsiders(client, users, org):
    client.force_login(users.city)
    rows = client.get(reverse("cadres:evaluation_list"), {"year": "2025"}).context["rows"]
    assert [(row.cadre.name, row.can_edit) for row in rows] == [
        ("张伟", False), ("李娜", False), ("王强", False), ("刘洋", False)]
    client.force_login(users.county_b)
    rows = client.get(reverse("cadres:evaluation_list"), {"year": "2025"}).context["rows"]
    assert [row.cadre.name for row in rows] == ["刘洋"]
    # a unit sees its own cadres only (市财政局: 张伟; 石门县教育局: 刘洋), read-only
    client.force_login(users.unit)
    rows = client.get(reverse("cadres:evaluation_list"), {"year": "2025"}).context["rows"]
    assert [(row.cadre.name, row.can_edit) for row in rows] == [("张伟", False)]
    client.force_login(users.unit_b)
    rows = client.get(reverse("cadres:evaluation_list"), {"year": "2025"}).context["rows"]
    assert [row.cadre.name for row in rows] == ["刘洋"]


def test_it_shows_the_limits_and_why_on_the_form(client, users, org):
    absent(org.p_a1_mem, D(2025, 6, 3), D(2025, 9, 17))
    client.force_login(users.county)
    r = client.get(reverse("cadres:evaluation_edit", args=[2025, org.c_a1_mem.pk]))
    page = r.content.decode()
    assert r.status_code == 200
    assert "2025-06-03、2025-09-17" in page
    assert r.context["allowed_labels"] == ["基本称职", "不称职"]
    assert "2025年督查发现缺勤2次,达到2次的最高评为基本称职。" in page


def test_it_saves_through_the_form_and_shows_a_refusal_next_to_the_grade(client, users, org):
    absent(org.p_a1_mem, D(2025, 6, 3))
    client.force_login(users.county)
    url = reverse("cadres:evaluation_edit", args=[2025, org.c_a1_mem.pk])
    data = {"votes_excellent": "3", "votes_competent": "18", "votes_basic": "2", "votes_incompetent": "0",
            "virtue": "good", "ability": "good", "diligence": "fair", "performance": "fair", "integrity": "good",
            "grade": "excellent", "comment": "表现突出"}
    r = client.post(url, data)
    assert r.status_code == 200
    assert r.context["form"].errors["grade"] == ["不能评为“优秀”:2025年督查发现缺勤1次,达到1次的不得评为优秀。"]
    r = client.post(url, {**data, "grade": "competent"})
    assert r.status_code == 302 and r.url == reverse("cadres:evaluation_list") + "?year=2025"
    evaluation = Evaluation.objects.get()
    assert (evaluation.grade, evaluation.votes_total, evaluation.diligence) == ("competent", 23, "fair")


@pytest.mark.parametrize("who,status", [
    ("city", 403), ("township", 403), ("unit", 403), ("admin", 403), ("county_b", 404), ("unit_b", 404),
    ("cadre_b", 404), ("township_b", 404),
])
def test_it_guards_the_evaluation_form(client, users, org, who, status):
    url = reverse("cadres:evaluation_edit", args=[2025, org.c_a1_sec.pk])
    client.force_login(getattr(users, who))
    assert client.get(url).status_code == status
    assert client.post(url, {"grade": "excellent", "votes_excellent": "1", "votes_competent": "0",
                             "votes_basic": "0", "votes_incompetent": "0"}).status_code == status
    assert not Evaluation.objects.exists()


def test_it_answers_404_for_a_year_the_cadre_was_not_posted(client, users, org):
    client.force_login(users.county)
    assert client.get(reverse("cadres:evaluation_edit", args=[2024, org.c_a1_sec.pk])).status_code == 404
    assert client.get(reverse("cadres:evaluation_edit", args=[2025, org.c_idle.pk])).status_code == 404


def test_it_leaves_a_cadre_who_moved_during_the_year_to_the_new_county(client, users, org):
    from tests import factories as f

    # 陈静: 石桥村 (county A) March–June 2025, then 龙潭村 (county B) from July
    f.PostingFactory(cadre=org.c_idle, village=org.v_a1b, round=org.round, start_date=D(2025, 3, 1),
                     end_date=D(2025, 6, 30), status=PostingStatus.TRANSFERRED)
    moved = f.PostingFactory(cadre=org.c_idle, village=org.v_b1a, round=org.round, start_date=D(2025, 7, 1))
    assert selectors.evaluation_posting(cadre=org.c_idle, year=YEAR) == moved
    assert sorted(c.name for c in (p.cadre for p in selectors.county_evaluated_in_year(
        county=org.county_a, year=YEAR).values())) == ["张伟", "李娜", "王强"]

    client.force_login(users.county)
    names = [row.cadre.name for row in client.get(reverse("cadres:evaluation_list"), {"year": "2025"}).context["rows"]]
    assert "陈静" not in names
    assert client.get(reverse("cadres:evaluation_edit", args=[2025, org.c_idle.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        save(users, org.c_idle, "competent")
    assert evaluation_save(actor=users.county_b, cadre=org.c_idle, year=YEAR, grade="competent").county == org.county_b


def test_it_lets_the_county_set_its_evaluation_rules_on_the_policy_page(client, users, org):
    from villages.services import POLICY_FIELDS, policy_update

    with pytest.raises(ValidationError) as exc:
        policy_update(actor=users.county, region=org.county_a, data={"absences_cap_basic": 5})
    assert exc.value.message_dict == {"absences_cap_basic": [
        "督查缺勤次数应满足:不得评为优秀(1)≤ 最高基本称职(5)≤ 评为不称职(3)。"]}

    policy = selectors.policy_for(org.county_a)
    data = {name: getattr(policy, name) for name in POLICY_FIELDS if not isinstance(getattr(policy, name), bool)}
    data.update({"count_business": "on", "count_training": "on", "replacement_deadline_days": 20,
                 "excellent_share_cap": 15, "routes-TOTAL_FORMS": "2", "routes-INITIAL_FORMS": "0",
                 "routes-MIN_NUM_FORMS": "0", "routes-MAX_NUM_FORMS": "1000", "routes-0-max_days": "3",
                 "routes-0-approver_level": "4", "routes-1-max_days": "", "routes-1-approver_level": "3",
                 "routes-1-filing_levels": ["2"]})
    data = {k: ("" if v is None else v) for k, v in data.items()}
    client.force_login(users.county)
    r = client.post(reverse("villages:policy_edit"), data)
    assert r.status_code == 302
    policy = selectors.policy_for(org.town_a1)
    assert (policy.region, policy.replacement_deadline_days, policy.excellent_share_cap) == (org.county_a, 20, 15)
    page = client.get(reverse("villages:policy_detail")).content.decode()
    assert "召回获批后,派驻单位应在召回日期后 20 天内选派替补干部" in page
    assert "优秀人数不超过本县(区)当年应考核驻村干部的 15%(向下取整)" in page
