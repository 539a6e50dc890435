"""Inspections (督查 / 暗访), their findings, the register writes and recall proposals they cause, rectification
items (整改) and who may see or do what.

"Today" is frozen at 2026-11-22. The fixture organisation: county A 云溪县 with township A1 城关镇 (village A1a
杨家坪村: 张伟 first secretary, 李娜 member; A1b 石桥村: nobody) and A2 河口乡 (A2a 新塘村: 王强); county B 石门县
(B1a 龙潭村: 刘洋). All postings run from 2025-03-01, open-ended.
"""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from attendance import selectors_management as sm
from attendance.models import (
    AttendanceChange,
    AttendanceDay,
    DaySource,
    DayStatus,
    Inspection,
    InspectionFinding,
    MonthConfirmation,
    MonthlyTally,
    Notification,
    Rectification,
    RectificationStatus,
)
from attendance.services import Entry, leave_approve, leave_request, register_write, tally_differences
from attendance.services.inspection import inspection_record, rectification_close, rectification_open
from cadres.models import AuditEntry, Recall, RecallStatus
from villages.models import Policy

TODAY = datetime.date(2026, 11, 22)
OCT_14 = datetime.date(2026, 10, 14)
LIST = reverse("attendance:inspection_list")
CREATE = reverse("attendance:inspection_create")


def d(day: int, month: int = 10, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def freeze(monkeypatch):
    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)

    set_today(TODAY)
    return set_today


def record(actor, org, *, day=OCT_14, villages=None, findings=None, kind="planned", note=""):
    """Inspect A1a (张伟 present, 李娜 absent unless `findings` says otherwise)."""
    villages = villages if villages is not None else [org.v_a1a]
    if findings is None:
        findings = {org.c_a1_sec: "present", org.c_a1_mem: "absent"}
    return inspection_record(
        actor=actor, date=day, kind=kind, inspectors="县委组织部 王明、李华", villages=villages,
        findings=[{"cadre_id": c.pk, "finding": f, "note": ""} for c, f in findings.items()], note=note,
    )


def row(cadre, day=OCT_14) -> AttendanceDay | None:
    return AttendanceDay.objects.filter(cadre=cadre, day=day).first()


def messages_of(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


# ---------------------------------------------------------------- the register


def test_it_writes_an_absence_into_the_register_over_the_township_entry_keeping_both(freeze, users, org):
    register_write(entries=[Entry(cadre_id=org.c_a1_mem.pk, day=OCT_14, status=DayStatus.PRESENT)],
                   source=DaySource.TOWNSHIP, actor=users.township)
    inspection = record(users.county, org)

    day = row(org.c_a1_mem)
    assert (day.status, day.source, day.flagged, day.set_by) == (
        DayStatus.ABSENT, DaySource.INSPECTION, True, users.county)
    assert day.note == "督查发现不在岗"
    history = list(AttendanceChange.objects.filter(cadre=org.c_a1_mem, day=OCT_14).order_by("pk")
                   .values_list("old_status", "old_source", "new_status", "new_source"))
    assert history == [
        ("none", "", "present", "township"),
        ("present", "township", "absent", "inspection"),
    ]
    tally = MonthlyTally.objects.get(posting=org.p_a1_mem, month=d(1))
    assert (tally.present, tally.absent) == (0, 1)
    assert tally_differences() == []
    # 张伟, found present, keeps whatever the township records: the inspection writes only absences.
    assert row(org.c_a1_sec) is None
    findings = dict(InspectionFinding.objects.filter(inspection=inspection).values_list("cadre__name", "finding"))
    assert findings == {"张伟": "present", "李娜": "absent"}


def test_it_writes_into_a_confirmed_month(freeze, users, org):
    MonthConfirmation.objects.create(township=org.town_a1, month=d(1), confirmed_by=users.township)
    record(users.county, org)
    assert row(org.c_a1_mem).status == DayStatus.ABSENT


def test_it_notes_an_unannounced_visit_and_the_inspectors_remark(freeze, users, org):
    inspection_record(
        actor=users.county, date=OCT_14, kind="unannounced", inspectors="县委组织部暗访组", villages=[org.v_a1a],
        findings=[{"cadre_id": org.c_a1_sec.pk, "finding": "present"},
                  {"cadre_id": org.c_a1_mem.pk, "finding": "absent", "note": "电话称在县城办事"}],
    )
    assert row(org.c_a1_mem).note == "暗访发现不在岗:电话称在县城办事"


def test_it_records_everyone_present_without_touching_the_register(freeze, users, org):
    inspection = record(users.county, org, findings={org.c_a1_sec: "present", org.c_a1_mem: "present"})
    assert not AttendanceDay.objects.exists()
    assert inspection.findings.count() == 2
    assert not Notification.objects.exists()


# ---------------------------------------------------------------- what the findings must be


def test_it_requires_a_finding_for_every_cadre_posted_in_the_villages(freeze, users, org):
    with pytest.raises(ValidationError) as exc:
        record(users.county, org, findings={org.c_a1_mem: "absent"})
    assert "请填写以下干部的督查结果:张伟" in messages_of(exc)
    assert not Inspection.objects.exists()
    assert not AttendanceDay.objects.exists()


def test_it_refuses_a_finding_for_a_cadre_not_posted_there_that_day(freeze, users, org):
    with pytest.raises(ValidationError) as exc:
        record(users.county, org, findings={org.c_a1_sec: "present", org.c_a1_mem: "present", org.c_a2_sec: "absent"})
    assert "不在所选村派驻" in messages_of(exc)
    assert not Inspection.objects.exists()


def test_it_asks_for_nobody_in_a_village_without_cadres_posted(freeze, users, org):
    inspection = record(users.county, org, villages=[org.v_a1b], findings={})
    assert inspection.findings.count() == 0


def test_it_requires_findings_only_for_postings_in_force_that_day(freeze, users, org):
    # 李娜's posting ends on 10-13: on the 14th only 张伟 is posted in A1a.
    org.p_a1_mem.end_date, org.p_a1_mem.status = d(13), "completed"
    org.p_a1_mem.save()
    record(users.county, org, findings={org.c_a1_sec: "present"})
    with pytest.raises(ValidationError):
        record(users.county, org, day=d(13), findings={org.c_a1_sec: "present"})


@pytest.fixture
def leave_13_to_15(freeze, users, org):
    """李娜's approved three-day leave, 10-13 to 10-15, asked on 10-01 and approved by the township."""
    freeze(d(1))
    leave = leave_request(actor=users.cadre, cadre=org.c_a1_mem, kind="personal", start_date=d(13), end_date=d(15),
                          reason="家中有事")
    leave_approve(actor=users.township, leave_id=leave.pk)
    freeze(TODAY)
    return leave


@pytest.mark.parametrize(("day", "refused"), [(12, False), (13, True), (15, True), (16, False)])
def test_it_refuses_absent_exactly_on_the_days_of_approved_leave(leave_13_to_15, users, org, day, refused):
    findings = {org.c_a1_sec: "present", org.c_a1_mem: "absent"}
    if refused:
        with pytest.raises(ValidationError) as exc:
            record(users.county, org, day=d(day), findings=findings)
        assert f"李娜 在 2026-10-{day} 有已批准的请假(10-13至10-15),不能记为不在岗,请选择“请假”" in messages_of(exc)
        assert row(org.c_a1_mem, d(day)).status == DayStatus.LEAVE
    else:
        record(users.county, org, day=d(day), findings=findings)
        assert row(org.c_a1_mem, d(day)).status == DayStatus.ABSENT


def test_it_accepts_on_leave_where_approved_leave_covers_the_day_and_leaves_the_register_alone(leave_13_to_15, users,
                                                                                                org):
    record(users.county, org, findings={org.c_a1_sec: "present", org.c_a1_mem: "on_leave"})
    day = row(org.c_a1_mem)
    assert (day.status, day.source) == (DayStatus.LEAVE, DaySource.LEAVE)


def test_it_refuses_on_leave_without_an_approved_leave(freeze, users, org):
    with pytest.raises(ValidationError) as exc:
        record(users.county, org, findings={org.c_a1_sec: "present", org.c_a1_mem: "on_leave"})
    assert "李娜 在 2026-10-14 没有已批准的请假;未经批准离村的,请记为“不在岗”" in messages_of(exc)


def test_it_takes_official_business_as_covered(freeze, users, org):
    record(users.county, org, findings={org.c_a1_sec: "business", org.c_a1_mem: "present"})
    assert not AttendanceDay.objects.exists()


def test_it_accepts_today_and_refuses_tomorrow(freeze, users, org):
    record(users.county, org, day=TODAY)
    assert row(org.c_a1_mem, TODAY).status == DayStatus.ABSENT
    with pytest.raises(ValidationError) as exc:
        record(users.county, org, day=TODAY + datetime.timedelta(days=1))
    assert "督查日期不能晚于今天" in messages_of(exc)


def test_it_refuses_villages_outside_the_organization_departments_region(freeze, users, org):
    with pytest.raises(ValidationError) as exc:
        record(users.county, org, villages=[org.v_b1a], findings={org.c_b1_sec: "absent"})
    assert "龙潭村 不在本单位管辖范围内" in messages_of(exc)


def test_it_lets_the_city_inspect_villages_of_two_counties(freeze, users, org):
    inspection = record(users.city, org, villages=[org.v_a1a, org.v_b1a],
                        findings={org.c_a1_sec: "present", org.c_a1_mem: "present", org.c_b1_sec: "absent"})
    assert inspection.region == org.city
    assert row(org.c_b1_sec).status == DayStatus.ABSENT


@pytest.mark.parametrize("who", ["township", "unit", "cadre", "admin"])
def test_it_lets_only_an_organization_department_record(freeze, users, org, who):
    with pytest.raises(ValidationError):
        record(getattr(users, who), org)
    assert not Inspection.objects.exists()


def test_it_audits_the_inspection(freeze, users, org):
    inspection = record(users.county, org)
    entry = AuditEntry.objects.get(action="inspection.record")
    assert (entry.actor, entry.object_id, entry.region_code) == (users.county, str(inspection.pk), org.county_a.code)
    assert entry.detail["absent"] == [org.c_a1_mem.pk]


# ---------------------------------------------------------------- notifications, counts and recall


def test_it_tells_the_township_the_county_and_the_cadre_at_once(freeze, users, org):
    record(users.city, org)
    told = dict(Notification.objects.values_list("user__username", "text"))
    assert set(told) == {"t_township", "t_county", "t_cadre"}
    assert told["t_township"] == "督查:李娜(杨家坪村)2026-10-14 不在岗,已记为缺勤;本年度督查发现缺勤1次。"
    assert told["t_cadre"].startswith("督查发现您 2026-10-14 不在岗")


def test_it_does_not_notify_the_recording_county_official_themself(freeze, users, org):
    record(users.county, org)
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"t_township", "t_cadre"}


def test_it_proposes_a_recall_at_the_third_absence_of_the_year_and_only_once(freeze, users, org):
    both = {org.c_a1_sec: "present", org.c_a1_mem: "absent"}
    record(users.county, org, day=d(31, 12, 2025), findings=both)  # last year: does not count
    record(users.county, org, day=d(5), findings=both)
    record(users.county, org, day=d(14), findings=both)
    assert not Recall.objects.exists()
    record(users.county, org, day=d(20), findings=both)
    recall = Recall.objects.get()
    assert (recall.posting, recall.reason, recall.status, recall.proposed_by) == (
        org.p_a1_mem, "inspection_absence", RecallStatus.PROPOSED, None)
    assert "2026年督查发现缺勤3次" in recall.note
    record(users.county, org, day=d(21), findings=both)
    assert Recall.objects.count() == 1
    # The reports' sums: four visits to A1a in 2026 (the one of 2025-12-31 is outside), two findings each.
    assert sm.inspection_totals(region_prefix=org.county_a.prefix, start=d(1, 1), end=d(31, 12), level=4) == {
        org.town_a1.code: {"inspections": 4, "villages": 4, "findings": 8, "absent": 4}}
    assert sm.inspection_totals(region_prefix=org.city.prefix, start=d(31, 12, 2025), end=d(5), level=None) == {
        "": {"inspections": 2, "villages": 2, "findings": 4, "absent": 2}}


def test_it_counts_a_day_found_twice_once(freeze, users, org):
    both = {org.c_a1_sec: "present", org.c_a1_mem: "absent"}
    for _i in range(3):
        record(users.county, org, day=d(14), findings=both)
    assert not Recall.objects.exists()


def test_it_follows_the_threshold_of_the_policy(freeze, users, org):
    Policy.objects.create(region=org.county_a, absences_block_excellent=1, absences_cap_basic=1,
                          absences_not_competent=2)
    both = {org.c_a1_sec: "present", org.c_a1_mem: "absent"}
    record(users.county, org, day=d(5), findings=both)
    assert not Recall.objects.exists()
    record(users.county, org, day=d(6), findings=both)
    assert Recall.objects.get().posting == org.p_a1_mem


# ---------------------------------------------------------------- rectification


@pytest.fixture
def inspection(freeze, users, org):
    return record(users.county, org)


def test_it_opens_a_rectification_with_a_deadline_from_today(inspection, users, org):
    item = rectification_open(actor=users.county, inspection=inspection, description="完善驻村干部请销假台账",
                              owner="城关镇党委", deadline=TODAY)
    assert (item.status, item.is_overdue) == (RectificationStatus.OPEN, False)
    with pytest.raises(ValidationError) as exc:
        rectification_open(actor=users.county, inspection=inspection, description="x", owner="城关镇党委",
                           deadline=TODAY - datetime.timedelta(days=1))
    assert "整改期限不能早于今天" in messages_of(exc)
    assert AuditEntry.objects.filter(action="rectification.open").count() == 1


def test_it_flags_an_item_overdue_the_day_after_its_deadline(inspection, users, org, freeze):
    item = rectification_open(actor=users.county, inspection=inspection, description="补齐考勤记录",
                              owner="城关镇党委", deadline=d(30, 11))
    freeze(d(30, 11))
    assert not Rectification.objects.get(pk=item.pk).is_overdue
    assert list(sm.overdue_rectifications(user=users.county)) == []
    freeze(d(1, 12))
    assert Rectification.objects.get(pk=item.pk).is_overdue
    assert list(sm.overdue_rectifications(user=users.county)) == [item]
    assert list(sm.overdue_rectifications(user=users.county_b)) == []


def test_it_closes_an_item_once(inspection, users, org, freeze):
    item = rectification_open(actor=users.county, inspection=inspection, description="补齐考勤记录",
                              owner="城关镇党委", deadline=d(30, 11))
    freeze(d(2, 12))
    rectification_close(actor=users.county, rectification=item, note="已补齐")
    item.refresh_from_db()
    assert (item.status, item.done_note, item.closed_by, item.is_overdue) == (
        RectificationStatus.DONE, "已补齐", users.county, False)
    assert AuditEntry.objects.get(action="rectification.close").detail == {"overdue": True}
    with pytest.raises(ValidationError) as exc:
        rectification_close(actor=users.county, rectification=item)
    assert "已经验收" in messages_of(exc)


def test_it_lets_only_an_organization_department_open_or_close_items(inspection, users, org):
    for who in (users.township, users.county_b, users.unit):
        with pytest.raises(ValidationError):
            rectification_open(actor=who, inspection=inspection, description="x", owner="y", deadline=TODAY)


# ---------------------------------------------------------------- pages


def test_it_lists_inspections_inside_the_jurisdiction_only(inspection, client, users, org):
    inspection_b = record(users.county_b, org, villages=[org.v_b1a], findings={org.c_b1_sec: "present"})
    for who, expected in [
        ("county", [inspection]), ("city", [inspection_b, inspection]), ("township", [inspection]), ("township2", []),
        ("county_b", [inspection_b]), ("unit", [inspection]), ("unit_b", [inspection_b]), ("cadre", [inspection]),
        ("cadre_b", [inspection_b]),
    ]:
        client.force_login(getattr(users, who))
        response = client.get(LIST)
        assert response.status_code == 200
        assert sorted(response.context["object_list"], key=lambda i: -i.pk) == sorted(expected, key=lambda i: -i.pk), who


def test_it_counts_only_the_findings_a_user_may_see_in_the_list(freeze, client, users, org):
    record(users.city, org, villages=[org.v_a1a, org.v_b1a],
           findings={org.c_a1_sec: "present", org.c_a1_mem: "absent", org.c_b1_sec: "present"})
    client.force_login(users.county_b)
    (listed,) = client.get(LIST).context["object_list"]
    assert (listed.n_findings, listed.n_absent) == (1, 0)
    client.force_login(users.city)
    (listed,) = client.get(LIST).context["object_list"]
    assert (listed.n_findings, listed.n_absent) == (3, 1)


def test_it_answers_404_for_an_inspection_outside_the_jurisdiction(inspection, client, users):
    url = inspection.get_absolute_url()
    for who in ("county_b", "township_b", "township2", "unit_b", "cadre_b"):
        client.force_login(getattr(users, who))
        assert client.get(url).status_code == 404, who
    for who in ("county", "city", "township", "unit", "cadre", "admin"):
        client.force_login(getattr(users, who))
        assert client.get(url).status_code == 200, who


def test_it_shows_the_findings_and_the_evaluation_limit_on_the_detail_page(inspection, client, users):
    client.force_login(users.county)
    response = client.get(inspection.get_absolute_url())
    text = response.content.decode()
    assert "2026年督查发现缺勤 1 次" in text
    assert "不得评为优秀" in text
    assert response.context["can_manage"] is True


def test_it_shows_a_city_inspection_to_county_b_with_only_its_own_findings(freeze, client, users, org):
    inspection = record(users.city, org, villages=[org.v_a1a, org.v_b1a],
                        findings={org.c_a1_sec: "present", org.c_a1_mem: "absent", org.c_b1_sec: "present"})
    client.force_login(users.county_b)
    response = client.get(inspection.get_absolute_url())
    assert [f.cadre.name for f in response.context["findings"]] == ["刘洋"]
    assert "李娜" not in response.content.decode()


def test_it_lets_only_organization_departments_open_the_form(freeze, client, users):
    for who, status in [("county", 200), ("city", 200), ("township", 403), ("unit", 403), ("cadre", 403),
                        ("admin", 403)]:
        client.force_login(getattr(users, who))
        assert client.get(CREATE).status_code == status, who
    client.logout()
    assert client.get(CREATE).status_code == 302


def test_it_lists_the_cadres_posted_there_then_saves_their_findings(freeze, client, users, org):
    client.force_login(users.county)
    form = {"date": "2026-10-14", "kind": "unannounced", "inspectors": "县委组织部 王明", "villages": [org.v_a1a.pk],
            "note": "村部无人值守"}
    response = client.post(CREATE, {**form, "action": "grid"})
    assert response.status_code == 200
    assert [r["posting"].cadre.name for r in response.context["grid"]] == ["张伟", "李娜"]
    response = client.post(CREATE, {
        **form, "action": "save", f"f_{org.c_a1_sec.pk}": "present", f"f_{org.c_a1_mem.pk}": "absent",
        f"n_{org.c_a1_mem.pk}": "电话未接",
    })
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == inspection.get_absolute_url()
    assert (inspection.kind, inspection.note, inspection.recorded_by) == ("unannounced", "村部无人值守", users.county)
    assert row(org.c_a1_mem).note == "暗访发现不在岗:电话未接"


def test_it_shows_the_services_refusal_on_the_form(leave_13_to_15, client, users, org):
    client.force_login(users.county)
    response = client.post(CREATE, {
        "date": "2026-10-14", "kind": "planned", "inspectors": "王明", "villages": [org.v_a1a.pk], "action": "save",
        f"f_{org.c_a1_sec.pk}": "present", f"f_{org.c_a1_mem.pk}": "absent",
    })
    assert response.status_code == 200
    assert "有已批准的请假" in response.content.decode()
    assert not Inspection.objects.exists()


def test_it_refuses_a_village_outside_the_jurisdiction_on_the_form(freeze, client, users, org):
    client.force_login(users.county)
    response = client.post(CREATE, {"date": "2026-10-14", "kind": "planned", "inspectors": "王明",
                                    "villages": [org.v_b1a.pk], "action": "save", f"f_{org.c_b1_sec.pk}": "absent"})
    assert response.status_code == 200
    assert response.context["form"].errors["villages"]
    assert not Inspection.objects.exists()


def test_it_opens_and_closes_a_rectification_from_the_detail_page(inspection, client, users, org):
    url = reverse("attendance:rectification_create", args=[inspection.pk])
    finding = inspection.findings.get(cadre=org.c_a1_mem)
    client.force_login(users.county)
    response = client.post(url, {"description": "李娜脱岗问题约谈整改", "owner": "城关镇党委", "deadline": "2026-12-15",
                                 "finding": finding.pk})
    assert response.status_code == 302
    item = Rectification.objects.get()
    assert (item.finding, item.owner, item.deadline) == (finding, "城关镇党委", d(15, 12))
    close = reverse("attendance:rectification_close", args=[item.pk])
    assert client.post(close, {"note": "已约谈"}).status_code == 302
    assert Rectification.objects.get().status == RectificationStatus.DONE


def test_it_answers_403_to_readers_and_404_to_outsiders_on_rectification_actions(inspection, client, users):
    item = rectification_open(actor=users.county, inspection=inspection, description="x", owner="y", deadline=TODAY)
    create = reverse("attendance:rectification_create", args=[inspection.pk])
    close = reverse("attendance:rectification_close", args=[item.pk])
    data = {"description": "x", "owner": "y", "deadline": "2026-12-01"}
    for who, status in [("township", 403), ("unit", 403), ("cadre", 403), ("county_b", 404), ("township_b", 404),
                        ("cadre_b", 404)]:
        client.force_login(getattr(users, who))
        assert client.post(create, data).status_code == status, who
        assert client.post(close).status_code == status, who
    assert Rectification.objects.get().status == RectificationStatus.OPEN
    assert Rectification.objects.count() == 1


def test_it_lists_overdue_rectifications_in_their_tab(inspection, client, users, freeze):
    item = rectification_open(actor=users.county, inspection=inspection, description="x", owner="y", deadline=TODAY)
    freeze(TODAY + datetime.timedelta(days=1))
    client.force_login(users.township)
    response = client.get(LIST, {"tab": "rectifications", "state": "overdue"})
    assert list(response.context["object_list"]) == [item]
    assert response.context["overdue_count"] == 1
    client.force_login(users.county_b)
    assert list(client.get(LIST, {"tab": "rectifications"}).context["object_list"]) == []


def test_it_reads_the_list_in_a_fixed_number_of_queries(freeze, client, users, org, django_assert_max_num_queries):
    for day in range(1, 11):
        record(users.county, org, day=d(day))
    client.force_login(users.county)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert len(response.context["object_list"]) == 10


def test_it_shows_everything_to_a_superuser_without_a_region(freeze, client, users, org):
    from cadres.models import Role
    from tests.factories import UserFactory

    record(users.county, org)
    record(users.county_b, org, villages=[org.v_b1a], findings={org.c_b1_sec: "present"})
    client.force_login(UserFactory(username="t_root", role=Role.ADMIN, is_superuser=True, is_staff=True))
    listed = client.get(LIST).context["object_list"]
    assert sorted((i.n_findings, i.n_absent) for i in listed) == [(1, 0), (2, 1)]
