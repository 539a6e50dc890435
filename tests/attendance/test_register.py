"""The register (考勤簿): writes through register_write, the township's month grid, month confirmation and
corrections of confirmed months, and who may see or change what.

"Today" is frozen at 2026-11-22 unless a test says otherwise, so last month is October 2026 (31 days) and
every fixture posting (from 2025-03-01, open-ended) covers it.
"""
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from attendance.models import (
    AttendanceChange,
    AttendanceDay,
    CorrectionRequest,
    CorrectionStatus,
    DaySource,
    DayStatus,
    EvidenceDay,
    EvidenceSource,
    MonthConfirmation,
    MonthlyTally,
)
from attendance.services import (
    Entry,
    correction_decide,
    correction_request,
    leave_approve,
    leave_request,
    register_confirm_month,
    register_write,
    tally_differences,
)
from cadres.models import AuditEntry
from tests.factories import CadreFactory, PostingFactory

TODAY = datetime.date(2026, 11, 22)
OCT = datetime.date(2026, 10, 1)
OCT_31 = datetime.date(2026, 10, 31)
URL = reverse("attendance:register")
CORRECTIONS = reverse("attendance:corrections")


def d(day: int, month: int = 10, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def freeze(monkeypatch):
    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)

    set_today(TODAY)
    return set_today


def fill(cadre, first: datetime.date, last: datetime.date, status=DayStatus.PRESENT, source=DaySource.TOWNSHIP,
         actor=None) -> int:
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    return register_write(entries=[Entry(cadre_id=cadre.pk, day=x, status=status) for x in days], source=source,
                          actor=actor)


def statuses(cadre, first=OCT, last=OCT_31) -> dict[datetime.date, str]:
    return dict(
        AttendanceDay.objects.filter(cadre=cadre, day__gte=first, day__lte=last).values_list("day", "status")
    )


def tally(posting, month=OCT) -> dict[str, int]:
    t = MonthlyTally.objects.get(posting=posting, month=month)
    return {"present": t.present, "leave": t.leave, "business": t.business, "training": t.training,
            "absent": t.absent}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def cell(posting, day: datetime.date) -> str:
    return f"c_{posting.pk}_{day:%Y%m%d}"


# ---------------------------------------------------------------- register_write


def test_it_refuses_a_day_outside_the_posting_naming_the_cadre_and_the_day(org, users, freeze):
    with pytest.raises(ValidationError) as exc:
        register_write(
            entries=[Entry(cadre_id=org.c_a1_mem.pk, day=d(5), status=DayStatus.PRESENT),
                     Entry(cadre_id=org.c_a1_mem.pk, day=d(28, 2, 2025), status=DayStatus.PRESENT)],
            source=DaySource.TOWNSHIP, actor=users.township,
        )

    assert exc.value.messages == ["李娜 在 2025-02-28 不在派驻期内,不能记录考勤。"]
    # All or nothing: the valid day of the same call was not written either.
    assert AttendanceDay.objects.count() == 0
    assert AttendanceChange.objects.count() == 0
    assert MonthlyTally.objects.count() == 0


def test_it_refuses_a_day_after_a_posting_ended(org, users, freeze):
    org.p_a1_mem.end_date = d(15)
    org.p_a1_mem.save()

    with pytest.raises(ValidationError) as exc:
        fill(org.c_a1_mem, d(14), d(16), actor=users.township)

    assert exc.value.messages == ["李娜 在 2026-10-16 不在派驻期内,不能记录考勤。"]
    assert AttendanceDay.objects.count() == 0


def test_it_keeps_the_history_of_every_change(org, users, freeze):
    cadre = org.c_a1_mem
    register_write(entries=[Entry(cadre_id=cadre.pk, day=d(5), status=DayStatus.PRESENT)],
                   source=DaySource.TOWNSHIP, actor=users.township, reason="录入")
    register_write(entries=[Entry(cadre_id=cadre.pk, day=d(5), status=DayStatus.ABSENT)],
                   source=DaySource.INSPECTION, actor=users.county, reason="暗访")
    register_write(entries=[Entry(cadre_id=cadre.pk, day=d(5), status=DayStatus.NOT_RECORDED)],
                   source=DaySource.TOWNSHIP, actor=users.township, reason="撤销")

    history = list(
        AttendanceChange.objects.filter(cadre=cadre, day=d(5)).order_by("pk").values_list(
            "old_status", "old_source", "new_status", "new_source", "changed_by__username", "reason"
        )
    )
    assert history == [
        ("none", "", "present", "township", "t_township", "录入"),
        ("present", "township", "absent", "inspection", "t_county", "暗访"),
        ("absent", "inspection", "none", "", "t_township", "撤销"),
    ]
    assert not AttendanceDay.objects.filter(cadre=cadre, day=d(5)).exists()


def test_it_records_who_set_a_day_from_which_source(org, users, freeze):
    register_write(entries=[Entry(cadre_id=org.c_a1_mem.pk, day=d(5), status=DayStatus.BUSINESS)],
                   source=DaySource.TOWNSHIP, actor=users.township)

    row = AttendanceDay.objects.get(cadre=org.c_a1_mem, day=d(5))
    assert (row.status, row.source, row.set_by, row.posting) == (
        DayStatus.BUSINESS, DaySource.TOWNSHIP, users.township, org.p_a1_mem)
    assert row.set_at is not None


def test_it_keeps_the_monthly_tallies_exact(org, users, freeze):
    # 李娜, October: 1–10 present, 11–12 business, 13 training, 14–15 absent (10/2/1/2) ...
    fill(org.c_a1_mem, d(1), d(10), actor=users.township)
    fill(org.c_a1_mem, d(11), d(12), DayStatus.BUSINESS, actor=users.township)
    fill(org.c_a1_mem, d(13), d(13), DayStatus.TRAINING, actor=users.township)
    fill(org.c_a1_mem, d(14), d(15), DayStatus.ABSENT, actor=users.township)
    # ... then 1–3 become absent (present 7, absent 5), 10 is cleared (present 6); one call writes 30 September
    # and 1 November, each into its own month.
    fill(org.c_a1_mem, d(1), d(3), DayStatus.ABSENT, actor=users.township)
    fill(org.c_a1_mem, d(10), d(10), DayStatus.NOT_RECORDED, actor=users.township)
    register_write(entries=[Entry(cadre_id=org.c_a1_mem.pk, day=x, status=DayStatus.PRESENT)
                            for x in (d(30, 9), d(1, 11))], source=DaySource.TOWNSHIP, actor=users.township)

    assert tally(org.p_a1_mem) == {"present": 6, "leave": 0, "business": 2, "training": 1, "absent": 5}
    assert tally(org.p_a1_mem, d(1, 9)) == {"present": 1, "leave": 0, "business": 0, "training": 0, "absent": 0}
    assert tally(org.p_a1_mem, d(1, 11)) == {"present": 1, "leave": 0, "business": 0, "training": 0, "absent": 0}
    assert tally_differences() == []


def test_it_treats_rewriting_the_same_value_as_a_no_op(org, users, freeze):
    assert fill(org.c_a1_mem, d(1), d(5), actor=users.township) == 5
    before = AttendanceChange.objects.count()

    assert fill(org.c_a1_mem, d(1), d(5), actor=users.township) == 0

    assert AttendanceChange.objects.count() == before == 5
    assert tally(org.p_a1_mem)["present"] == 5
    assert tally_differences() == []


# ---------------------------------------------------------------- the grid


def test_it_shows_the_township_its_own_cadres_only(client, org, users, freeze):
    client.force_login(users.township)

    response = client.get(URL, {"month": "2026-10"})

    assert response.status_code == 200
    names = [row.posting.cadre.name for row in response.context["grid"]]
    assert names == ["张伟", "李娜"]
    body = response.content.decode()
    assert "王强" not in body and "刘洋" not in body
    assert f'name="{cell(org.p_a1_mem, d(5))}"' in body


def test_it_saves_the_cells_the_township_changed(client, org, users, freeze):
    fill(org.c_a1_sec, d(1), d(1), actor=users.township)
    client.force_login(users.township)

    response = client.post(URL, {
        "month": "2026-10", "action": "save",
        cell(org.p_a1_mem, d(1)): "present", cell(org.p_a1_mem, d(2)): "business",
        cell(org.p_a1_mem, d(3)): "none",  # unchanged: nothing written
        cell(org.p_a1_sec, d(1)): "present",  # unchanged
        cell(org.p_a1_sec, d(2)): "absent",
    }, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["已保存,3天有变化。"]
    assert statuses(org.c_a1_mem) == {d(1): "present", d(2): "business"}
    assert statuses(org.c_a1_sec) == {d(1): "present", d(2): "absent"}
    assert AttendanceDay.objects.get(cadre=org.c_a1_mem, day=d(2)).set_by == users.township
    assert tally_differences() == []


def test_it_answers_a_clear_error_for_a_cell_outside_the_posting(client, org, users, freeze):
    zhao = CadreFactory(name="赵敏", gender="F", unit=org.unit_a)
    p_zhao = PostingFactory(cadre=zhao, village=org.v_a1b, round=org.round, start_date=d(15))
    client.force_login(users.township)
    body = client.get(URL, {"month": "2026-10"}).content.decode()
    assert f'name="{cell(p_zhao, d(14))}"' not in body and f'name="{cell(p_zhao, d(15))}"' in body

    response = client.post(URL, {"month": "2026-10", "action": "save", cell(p_zhao, d(14)): "present",
                                 cell(p_zhao, d(15)): "present"}, follow=True)

    assert messages_of(response) == ["赵敏 在 2026-10-14 不在派驻期内,不能记录考勤。"]
    assert AttendanceDay.objects.count() == 0

    # A bulk range over the whole month marks only the days in post.
    client.post(URL, {"month": "2026-10", "action": "bulk", "sel": [str(p_zhao.pk)], "date_from": "2026-10-01",
                      "date_to": "2026-10-31", "status": "present"})
    assert sorted(statuses(zhao)) == [d(n) for n in range(15, 32)]


def test_it_marks_a_range_present_for_the_selected_cadres_only(client, org, users, freeze):
    client.force_login(users.township)

    response = client.post(URL, {
        "month": "2026-10", "action": "bulk", "sel": [str(org.p_a1_mem.pk)],
        "date_from": "2026-10-05", "date_to": "2026-10-09", "status": "present",
    }, follow=True)

    assert messages_of(response) == ["已保存,5天有变化。"]
    assert statuses(org.c_a1_mem) == {d(n): "present" for n in range(5, 10)}
    assert statuses(org.c_a1_sec) == {}
    assert tally(org.p_a1_mem)["present"] == 5


def test_it_refuses_a_bulk_action_without_a_selected_cadre(client, org, users, freeze):
    client.force_login(users.township)

    response = client.post(URL, {
        "month": "2026-10", "action": "bulk", "date_from": "2026-10-05", "date_to": "2026-10-09", "status": "present",
    }, follow=True)

    assert messages_of(response) == ["请先勾选要批量标记的干部。"]
    assert AttendanceDay.objects.count() == 0


@pytest.fixture
def october_leave(org, users, freeze):
    """李娜's personal leave 2026-10-05..06, requested on 1 October and approved by the township."""
    freeze(d(1))
    leave = leave_request(actor=users.cadre, cadre=org.c_a1_mem, kind="personal", start_date=d(5), end_date=d(6),
                          reason="家事")
    leave_approve(actor=users.township, leave_id=leave.pk)
    freeze(TODAY)
    return leave


def test_it_does_not_let_the_township_edit_leave_cells(client, org, users, october_leave):
    client.force_login(users.township)

    body = client.get(URL, {"month": "2026-10"}).content.decode()
    assert f'name="{cell(org.p_a1_mem, d(5))}"' not in body
    assert f'name="{cell(org.p_a1_mem, d(4))}"' in body

    response = client.post(URL, {
        "month": "2026-10", "action": "save",
        cell(org.p_a1_mem, d(4)): "present", cell(org.p_a1_mem, d(5)): "present",
    }, follow=True)

    assert messages_of(response) == ["请假天数由请假审批自动填写,不能在考勤簿中修改。"]
    assert statuses(org.c_a1_mem) == {d(5): "leave", d(6): "leave"}


def test_it_leaves_leave_days_alone_in_a_bulk_action(client, org, users, october_leave):
    client.force_login(users.township)

    client.post(URL, {
        "month": "2026-10", "action": "bulk", "sel": [str(org.p_a1_mem.pk)],
        "date_from": "2026-10-01", "date_to": "2026-10-31", "status": "present",
    })

    marked = statuses(org.c_a1_mem)
    assert sum(1 for s in marked.values() if s == "present") == 29
    assert (marked[d(5)], marked[d(6)]) == ("leave", "leave")
    assert tally(org.p_a1_mem) == {"present": 29, "leave": 2, "business": 0, "training": 0, "absent": 0}


def test_it_copies_check_in_evidence_into_unrecorded_days(client, org, users, freeze):
    EvidenceDay.objects.create(cadre=org.c_a1_mem, day=d(5), source=EvidenceSource.CHECKIN, status="present")
    EvidenceDay.objects.create(cadre=org.c_a1_mem, day=d(6), source=EvidenceSource.CHECKIN, status="present",
                               flagged=True, detail="超出范围")
    EvidenceDay.objects.create(cadre=org.c_a1_sec, day=d(7), source=EvidenceSource.DINGTALK, status="present")
    fill(org.c_a1_sec, d(7), d(7), DayStatus.ABSENT, actor=users.township)  # already decided: kept
    client.force_login(users.township)

    response = client.post(URL, {"month": "2026-10", "action": "accept_evidence"}, follow=True)

    assert messages_of(response) == ["已保存,1天有变化。"]
    row = AttendanceDay.objects.get(cadre=org.c_a1_mem, day=d(5))
    assert (row.status, row.source) == ("present", DaySource.CHECKIN)
    assert statuses(org.c_a1_mem) == {d(5): "present"}
    assert statuses(org.c_a1_sec) == {d(7): "absent"}

    # Doubtful evidence only when the township ticks it.
    client.post(URL, {"month": "2026-10", "action": "accept_evidence", "include_flagged": "1"})
    row = AttendanceDay.objects.get(cadre=org.c_a1_mem, day=d(6))
    assert (row.status, row.source, row.flagged, row.note) == ("present", DaySource.CHECKIN, True, "超出范围")


# ---------------------------------------------------------------- confirming a month


def _post_confirm(client, month: str, **extra):
    return client.post(URL, {"month": month, "action": "confirm", **extra}, follow=True)


def test_it_refuses_to_confirm_the_current_month(client, org, users, freeze):
    client.force_login(users.township)

    response = _post_confirm(client, "2026-11")

    assert messages_of(response) == ["2026-11 尚未结束,不能确认。"]
    assert not MonthConfirmation.objects.exists()


def test_it_refuses_to_confirm_with_unrecorded_days_and_lists_them(client, org, users, freeze):
    fill(org.c_a1_sec, d(1), d(31), actor=users.township)
    fill(org.c_a1_mem, d(1), d(28), actor=users.township)
    client.force_login(users.township)

    response = _post_confirm(client, "2026-10")

    assert messages_of(response) == ["还有未记录的考勤:李娜(3天)。请补录,或勾选“其余天数按未记录确认”后再确认。"]
    assert not MonthConfirmation.objects.exists()


def test_the_unrecorded_days_are_listed_in_the_users_language(org, users, freeze):
    fill(org.c_a1_sec, d(1), d(30), actor=users.township)
    fill(org.c_a1_mem, d(1), d(28), actor=users.township)

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        register_confirm_month(actor=users.township, township=org.town_a1, month=OCT)

    assert refused.value.messages[0].startswith("Some attendance is still not recorded: 张伟 (1 day), 李娜 (3 days)")


def test_it_confirms_with_unrecorded_days_when_the_township_accepts_them(client, org, users, freeze):
    fill(org.c_a1_sec, d(1), d(31), actor=users.township)
    fill(org.c_a1_mem, d(1), d(28), actor=users.township)
    client.force_login(users.township)

    _post_confirm(client, "2026-10", accept_unrecorded="1")

    confirmation = MonthConfirmation.objects.get()
    assert (confirmation.township, confirmation.month) == (org.town_a1, d(1))
    entry = AuditEntry.objects.get(action="register.confirm_month")
    assert entry.detail == {"month": "2026-10-01", "unrecorded_days": 3}


def test_it_locks_a_confirmed_month(client, org, users, freeze):
    fill(org.c_a1_sec, d(1), d(31), actor=users.township)
    fill(org.c_a1_mem, d(1), d(31), actor=users.township)
    client.force_login(users.township)

    response = _post_confirm(client, "2026-10")

    assert messages_of(response) == ["2026-10 的考勤已确认并锁定。"]
    confirmation = MonthConfirmation.objects.get()
    assert (confirmation.township, confirmation.month, confirmation.confirmed_by) == (org.town_a1, OCT, users.township)
    page = client.get(URL, {"month": "2026-10"})
    assert page.context["can_edit"] is False
    assert f'name="{cell(org.p_a1_mem, d(5))}"' not in page.content.decode()

    # A save posted anyway (an old tab) is refused with the lock message, and nothing changes.
    response = client.post(URL, {"month": "2026-10", "action": "save", cell(org.p_a1_mem, d(5)): "absent"}, follow=True)
    assert messages_of(response) == ["李娜 的 2026-10 考勤已确认锁定,如需更正请提交更正申请。"]
    assert statuses(org.c_a1_mem)[d(5)] == "present"

    # Confirming twice is refused.
    response = _post_confirm(client, "2026-10")
    assert messages_of(response) == ["2026-10 的考勤已经确认过。"]
    assert MonthConfirmation.objects.count() == 1


def test_it_refuses_a_second_confirmation_in_the_service_too(org, users, freeze):
    fill(org.c_a1_sec, d(1), d(31))
    fill(org.c_a1_mem, d(1), d(31))
    register_confirm_month(actor=users.township, township=org.town_a1, month=OCT)

    with pytest.raises(ValidationError) as exc:
        register_confirm_month(actor=users.township, township=org.town_a1, month=OCT)

    assert exc.value.messages == ["2026-10 的考勤已经确认过。"]


# ---------------------------------------------------------------- corrections


@pytest.fixture
def confirmed_october(org, users, freeze):
    fill(org.c_a1_sec, d(1), d(31), actor=users.township)
    fill(org.c_a1_mem, d(1), d(31), actor=users.township)
    register_confirm_month(actor=users.township, township=org.town_a1, month=OCT)


def test_it_applies_a_correction_the_county_approves_and_keeps_the_history(client, org, users, confirmed_october):
    client.force_login(users.township)
    response = client.post(
        reverse("attendance:correction_create"),
        {"cadre": org.c_a1_mem.pk, "day": "2026-10-05", "new_status": "business", "reason": "县里开会,漏记"},
    )
    assert response.status_code == 302
    assert response["Location"] == CORRECTIONS
    correction = CorrectionRequest.objects.get()
    assert (correction.old_status, correction.new_status, correction.status, correction.county) == (
        "present", "business", CorrectionStatus.PENDING, org.county_a)
    assert statuses(org.c_a1_mem)[d(5)] == "present"  # nothing changes before the county decides

    client.logout()
    client.force_login(users.county)
    response = client.post(reverse("attendance:correction_decide", args=[correction.pk, "approve"]),
                           {"comment": "同意"}, follow=True)

    assert messages_of(response) == ["已批准更正。"]
    row = AttendanceDay.objects.get(cadre=org.c_a1_mem, day=d(5))
    assert (row.status, row.source, row.set_by) == ("business", DaySource.CORRECTION, users.county)
    correction.refresh_from_db()
    assert (correction.status, correction.decided_by, correction.decision_comment) == (
        CorrectionStatus.APPROVED, users.county, "同意")
    history = list(AttendanceChange.objects.filter(cadre=org.c_a1_mem, day=d(5)).order_by("pk").values_list(
        "old_status", "new_status", "new_source", "reason"))
    assert history == [("none", "present", "township", ""),
                       ("present", "business", "correction", "更正审批:县里开会,漏记")]
    assert tally(org.p_a1_mem) == {"present": 30, "leave": 0, "business": 1, "training": 0, "absent": 0}
    assert tally_differences() == []


def test_it_refuses_a_correction_for_a_month_not_confirmed(org, users, freeze):
    fill(org.c_a1_mem, d(1), d(31))

    with pytest.raises(ValidationError) as exc:
        correction_request(actor=users.township, cadre=org.c_a1_mem, day=d(5, 9), new_status="absent", reason="x")

    assert exc.value.messages == ["该月尚未确认,可直接在考勤簿中修改。"]


def test_it_does_not_let_another_county_decide_a_correction(client, org, users, confirmed_october):
    correction = correction_request(actor=users.township, cadre=org.c_a1_mem, day=d(5), new_status="absent",
                                    reason="暗访未在村")
    client.force_login(users.county_b)

    response = client.post(reverse("attendance:correction_decide", args=[correction.pk, "approve"]))

    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        correction_decide(actor=users.county_b, correction_id=correction.pk, approve=True)
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.PENDING
    assert statuses(org.c_a1_mem)[d(5)] == "present"


def test_it_does_not_let_the_township_decide_its_own_correction(client, org, users, confirmed_october):
    correction = correction_request(actor=users.township, cadre=org.c_a1_mem, day=d(5), new_status="absent",
                                    reason="暗访未在村")
    client.force_login(users.township)

    response = client.post(reverse("attendance:correction_decide", args=[correction.pk, "approve"]))

    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        correction_decide(actor=users.township, correction_id=correction.pk, approve=True)
    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.PENDING


def test_it_refuses_to_decide_a_correction_twice(org, users, confirmed_october):
    correction = correction_request(actor=users.township, cadre=org.c_a1_mem, day=d(5), new_status="absent",
                                    reason="暗访未在村")
    correction_decide(actor=users.county, correction_id=correction.pk, approve=False, comment="证据不足")

    with pytest.raises(ValidationError) as exc:
        correction_decide(actor=users.county, correction_id=correction.pk, approve=True)

    assert exc.value.messages == ["该更正申请已经处理过。"]
    assert statuses(org.c_a1_mem)[d(5)] == "present"


def test_it_hides_a_correction_form_for_another_townships_cadre(client, org, users, confirmed_october):
    client.force_login(users.township2)

    response = client.get(reverse("attendance:correction_create"), {"cadre": org.c_a1_mem.pk, "day": "2026-10-05"})

    assert response.status_code == 404


def test_it_lists_corrections_of_the_jurisdiction_only(client, org, users, confirmed_october):
    correction_request(actor=users.township, cadre=org.c_a1_mem, day=d(5), new_status="absent", reason="暗访未在村")

    client.force_login(users.county)
    assert len(client.get(CORRECTIONS).context["object_list"]) == 1
    client.force_login(users.county_b)
    assert len(client.get(CORRECTIONS).context["object_list"]) == 0
    client.force_login(users.township2)
    assert len(client.get(CORRECTIONS).context["object_list"]) == 0


# ---------------------------------------------------------------- outsiders


def test_it_shows_township_a2_only_its_own_cadre(client, org, users, freeze):
    client.force_login(users.township2)

    response = client.get(URL, {"month": "2026-10", "township": org.town_a1.pk})

    assert response.status_code == 200
    assert response.context["township"] == org.town_a2
    assert [row.posting.cadre.name for row in response.context["grid"]] == ["王强"]
    body = response.content.decode()
    assert "李娜" not in body and "张伟" not in body


def test_it_does_not_let_another_township_write_to_a1_cadres(client, org, users, freeze):
    client.force_login(users.township_b)

    # Cells of A1 postings are not in B1's grid: ignored.
    response = client.post(URL, {"month": "2026-10", "action": "save", cell(org.p_a1_mem, d(5)): "absent",
                                 "township": org.town_a1.pk}, follow=True)
    assert messages_of(response) == ["已保存,0天有变化。"]
    response = client.post(URL, {
        "month": "2026-10", "action": "bulk", "sel": [str(org.p_a1_mem.pk)], "township": org.town_a1.pk,
        "date_from": "2026-10-01", "date_to": "2026-10-31", "status": "absent",
    }, follow=True)

    assert messages_of(response) == ["所选干部不在本乡镇本月的考勤簿中。"]
    assert AttendanceDay.objects.count() == 0


def test_it_answers_404_for_a_township_outside_the_county(client, org, users, freeze):
    client.force_login(users.county)

    assert client.get(URL, {"township": org.town_b1.pk}).status_code == 404
    response = client.get(URL, {"township": org.town_a2.pk, "month": "2026-10"})
    assert response.status_code == 200
    assert [row.posting.cadre.name for row in response.context["grid"]] == ["王强"]


def test_it_does_not_let_a_county_write_the_register(client, org, users, freeze):
    client.force_login(users.county)

    response = client.post(URL, {"month": "2026-10", "action": "save", cell(org.p_a1_mem, d(5)): "absent"})

    assert response.status_code == 403
    assert AttendanceDay.objects.count() == 0


@pytest.mark.parametrize("role", ["unit", "cadre"])
def test_it_forbids_the_register_to_units_and_cadres(client, org, users, freeze, role):
    client.force_login(getattr(users, role))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"month": "2026-10", "action": "save", cell(org.p_a1_mem, d(5)): "absent"}).status_code == 403
    assert client.get(CORRECTIONS).status_code == 403
    assert AttendanceDay.objects.count() == 0


def test_it_sends_anonymous_visitors_to_the_login_page(client, org, freeze):
    for url in (URL, CORRECTIONS, reverse("attendance:correction_create")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))



# ---------------------------------------------------------------- cost


def test_it_writes_three_days_in_a_pinned_number_of_queries(org, users, freeze, django_assert_num_queries):
    # register_write's statements, whatever the number of days: the cadre lock, the postings (with the locked
    # months of their townships), the existing days, one INSERT / UPDATE / DELETE for each kind of change, the
    # history, and the tallies: one upsert for all the months that only gain days, one UPDATE for all the
    # posting-months whose days move between statuses. No savepoint of its own.
    fill(org.c_a1_mem, d(1), d(3), actor=users.township)
    three = [Entry(cadre_id=org.c_a1_mem.pk, day=d(n), status=DayStatus.BUSINESS) for n in (1, 2, 3)]
    fresh = [Entry(cadre_id=org.c_a1_mem.pk, day=d(n), status=DayStatus.PRESENT) for n in (4, 5, 6)]

    with django_assert_num_queries(6):  # lock, postings, days, UPDATE, history, tally UPDATE
        assert register_write(entries=three, source=DaySource.TOWNSHIP, actor=users.township) == 3
    with django_assert_num_queries(6):  # lock, postings, days, INSERT, history, tally upsert
        assert register_write(entries=fresh, source=DaySource.TOWNSHIP, actor=users.township) == 3

    assert tally(org.p_a1_mem) == {"present": 3, "leave": 0, "business": 3, "training": 0, "absent": 0}
    assert AttendanceChange.objects.filter(cadre=org.c_a1_mem).count() == 9
    assert tally_differences() == []


def test_it_moves_days_of_several_cadres_and_months_in_one_statement_each(org, users, freeze,
                                                                          django_assert_num_queries):
    # Two cadres, two months each: the changed rows are one UPDATE, their tallies one UPDATE, with every field
    # written as given (a flag, a note, the source, who and when).
    for cadre in (org.c_a1_mem, org.c_a1_sec):
        fill(cadre, d(29, 9), d(2), actor=users.township)  # 29 Sep - 2 Oct: present
    moved = [
        Entry(cadre_id=org.c_a1_mem.pk, day=d(30, 9), status=DayStatus.BUSINESS, note="县里开会"),
        Entry(cadre_id=org.c_a1_mem.pk, day=d(1), status=DayStatus.ABSENT, flagged=True),
        Entry(cadre_id=org.c_a1_sec.pk, day=d(29, 9), status=DayStatus.TRAINING),
        Entry(cadre_id=org.c_a1_sec.pk, day=d(2), status=DayStatus.BUSINESS),
    ]
    with django_assert_num_queries(6):  # lock, postings, days, UPDATE, history, tally UPDATE
        assert register_write(entries=moved, source=DaySource.INSPECTION, actor=users.county) == 4

    rows = {(r.cadre_id, r.day): r for r in AttendanceDay.objects.filter(day__gte=d(29, 9), day__lte=d(2))}
    assert {key: (r.status, r.source, r.flagged, r.note, r.set_by_id) for key, r in rows.items()} == {
        (org.c_a1_mem.pk, d(29, 9)): ("present", "township", False, "", users.township.pk),
        (org.c_a1_mem.pk, d(30, 9)): ("business", "inspection", False, "县里开会", users.county.pk),
        (org.c_a1_mem.pk, d(1)): ("absent", "inspection", True, "", users.county.pk),
        (org.c_a1_mem.pk, d(2)): ("present", "township", False, "", users.township.pk),
        (org.c_a1_sec.pk, d(29, 9)): ("training", "inspection", False, "", users.county.pk),
        (org.c_a1_sec.pk, d(30, 9)): ("present", "township", False, "", users.township.pk),
        (org.c_a1_sec.pk, d(1)): ("present", "township", False, "", users.township.pk),
        (org.c_a1_sec.pk, d(2)): ("business", "inspection", False, "", users.county.pk),
    }
    assert rows[(org.c_a1_mem.pk, d(1))].set_at > rows[(org.c_a1_mem.pk, d(2))].set_at
    assert tally(org.p_a1_mem, d(1, 9)) == {"present": 1, "leave": 0, "business": 1, "training": 0, "absent": 0}
    assert tally(org.p_a1_mem) == {"present": 1, "leave": 0, "business": 0, "training": 0, "absent": 1}
    assert tally(org.p_a1_sec, d(1, 9)) == {"present": 1, "leave": 0, "business": 0, "training": 1, "absent": 0}
    assert tally(org.p_a1_sec) == {"present": 1, "leave": 0, "business": 1, "training": 0, "absent": 0}
    assert tally_differences() == []


def test_a_day_given_twice_in_one_write_is_written_once_with_the_last_value(org, users, freeze):
    fill(org.c_a1_mem, d(1), d(2), actor=users.township)
    twice = [Entry(cadre_id=org.c_a1_mem.pk, day=d(n), status=status)
             for n in (1, 2) for status in (DayStatus.ABSENT, DayStatus.BUSINESS)]

    assert register_write(entries=twice, source=DaySource.TOWNSHIP, actor=users.township) == 2

    assert statuses(org.c_a1_mem) == {d(1): "business", d(2): "business"}
    assert tally(org.p_a1_mem) == {"present": 0, "leave": 0, "business": 2, "training": 0, "absent": 0}
    assert tally_differences() == []


def test_it_splits_large_writes_into_several_update_statements(org, users, freeze, monkeypatch):
    monkeypatch.setattr("attendance.services.register.ROWS_PER_UPDATE", 4)
    fill(org.c_a1_mem, d(1), d(10), actor=users.township)
    fill(org.c_a1_sec, d(1), d(10), actor=users.township)
    entries = [Entry(cadre_id=c.pk, day=d(n), status=DayStatus.BUSINESS)
               for c in (org.c_a1_mem, org.c_a1_sec) for n in range(1, 11)]  # 20 rows: 5 statements

    assert register_write(entries=entries, source=DaySource.TOWNSHIP, actor=users.township) == 20

    assert set(statuses(org.c_a1_mem).values()) == set(statuses(org.c_a1_sec).values()) == {"business"}
    assert tally(org.p_a1_mem) == tally(org.p_a1_sec) == {
        "present": 0, "leave": 0, "business": 10, "training": 0, "absent": 0}
    assert tally_differences() == []


def test_a_missing_tally_row_does_not_cost_the_other_months_their_change(org, users, freeze):
    # Tallies of one posting-month lost (e.g. before `register_tallies --rebuild`): the days still move, the
    # other posting-month's tally is exact, and the check names the one that is off.
    fill(org.c_a1_mem, d(1), d(2), actor=users.township)
    fill(org.c_a1_sec, d(1), d(2), actor=users.township)
    MonthlyTally.objects.filter(posting=org.p_a1_sec).delete()

    moved = [Entry(cadre_id=c.pk, day=d(1), status=DayStatus.BUSINESS) for c in (org.c_a1_mem, org.c_a1_sec)]
    assert register_write(entries=moved, source=DaySource.TOWNSHIP, actor=users.township) == 2

    assert statuses(org.c_a1_sec) == {d(1): "business", d(2): "present"}
    assert tally(org.p_a1_mem) == {"present": 1, "leave": 0, "business": 1, "training": 0, "absent": 0}
    assert [line.split(":")[0] for line in tally_differences()] == [f"posting {org.p_a1_sec.pk} 2026-10"]


def test_it_saves_three_cells_in_a_pinned_number_of_queries(client, org, users, freeze, django_assert_num_queries):
    # The register save is a benchmark figure (docs/benchmarks.md): one POST of three changed cells, pinned.
    # The session, the user with their region (one query, cadres.backends); the grid's postings and days (the
    # view's); register_write's six (above). (The session is not saved: the GET before refreshed it, config/middleware.py.)
    fill(org.c_a1_mem, d(1), d(3), actor=users.township)
    client.force_login(users.township)
    client.get(URL, {"month": "2026-10"})

    with django_assert_num_queries(10):
        response = client.post(URL, {"month": "2026-10", "action": "save", **{
            cell(org.p_a1_mem, d(n)): "business" for n in (1, 2, 3)}})

    assert response.status_code == 302
    assert statuses(org.c_a1_mem) == {d(1): "business", d(2): "business", d(3): "business"}
    assert tally_differences() == []
