"""Leave (请假) and return (销假): length, routing from the policy table, after-the-fact leave and 补办, overlap,
decisions, withdrawal, early and late return, extensions, notifications and who may see or act.

"Today" is frozen at Tuesday 2026-11-10. The default routing table: up to 3 days → the township party
committee of the cadre's village (A1 城关镇 for 李娜); longer → the county organization department (云溪县),
filed with the city (青山市).
"""
import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from attendance import selectors
from attendance.models import (
    AttendanceDay,
    DayStatus,
    LeaveEvent,
    LeaveRequest,
    LeaveStatus,
    Notification,
)
from attendance.services import (
    leave_approve,
    leave_reject,
    leave_request,
    leave_return,
    leave_withdraw,
    tally_differences,
)
from villages.models import RegionLevel

TODAY = datetime.date(2026, 11, 10)
PINNED_APPROVAL_QUERIES = 16  # see test_it_approves_a_leave_in_a_pinned_number_of_queries
LIST = reverse("attendance:leave_list")
CREATE = reverse("attendance:leave_create")


def d(day: int, month: int = 11, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def freeze(monkeypatch):
    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)

    set_today(TODAY)
    return set_today


def ask(actor, cadre, start, end, *, start_half="am", end_half="pm", reason="家中有事", **kwargs) -> LeaveRequest:
    return leave_request(actor=actor, cadre=cadre, kind="personal", start_date=start, end_date=end,
                         start_half=start_half, end_half=end_half, reason=reason, **kwargs)


def register_of(cadre) -> dict[datetime.date, tuple[str, str]]:
    return {
        row.day: (row.status, row.source)
        for row in AttendanceDay.objects.filter(cadre=cadre).order_by("day")
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def action_url(leave, action: str) -> str:
    return reverse("attendance:leave_action", args=[leave.pk, action])


def queue_ids(user) -> list[int]:
    return list(selectors.leave_queue(user=user).values_list("pk", flat=True))


# ---------------------------------------------------------------- length


@pytest.mark.parametrize(
    ("start", "start_half", "end", "end_half", "days"),
    [
        (d(16), "am", d(16), "pm", Decimal("1")),
        (d(16), "am", d(18), "am", Decimal("2.5")),
        (d(16), "pm", d(18), "pm", Decimal("2.5")),
        (d(16), "pm", d(16), "pm", Decimal("0.5")),
        (d(16), "am", d(16), "am", Decimal("0.5")),
        (d(16), "pm", d(18), "am", Decimal("2")),
        (d(30), "am", d(2, 12), "pm", Decimal("3")),  # calendar days across a month end
    ],
)
def test_it_counts_calendar_days_inclusive_with_half_days(org, users, freeze, start, start_half, end, end_half, days):
    leave = ask(users.cadre, org.c_a1_mem, start, end, start_half=start_half, end_half=end_half)

    assert leave.days == days
    assert leave.total_days == days


def test_it_refuses_a_same_day_leave_from_afternoon_to_morning(org, users, freeze):
    with pytest.raises(ValidationError) as exc:
        ask(users.cadre, org.c_a1_mem, d(16), d(16), start_half="pm", end_half="am")

    assert exc.value.message_dict == {"end_half": ["同一天内不能从下午开始、到上午结束。"]}


def test_it_fills_only_whole_days_into_the_register(org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(18), start_half="pm", end_half="am")  # 2 days

    leave_approve(actor=users.township, leave_id=leave.pk)

    assert register_of(org.c_a1_mem) == {d(17): ("leave", "leave")}


# ---------------------------------------------------------------- routing


def test_it_routes_three_days_to_the_township_of_the_cadres_village(org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(18))

    assert leave.days == Decimal("3")
    assert (leave.approver_level, leave.approver_region) == (RegionLevel.TOWNSHIP, org.town_a1)
    assert list(leave.filed_with.all()) == []
    assert queue_ids(users.township) == [leave.pk]
    assert queue_ids(users.township2) == []
    assert queue_ids(users.county) == []
    assert queue_ids(users.city) == []


def test_it_routes_three_and_a_half_days_to_the_county_and_files_with_the_city(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(19), end_half="am")

    assert leave.days == Decimal("3.5")
    assert (leave.approver_level, leave.approver_region) == (RegionLevel.COUNTY, org.county_a)
    assert list(leave.filed_with.all()) == [org.city]
    assert queue_ids(users.county) == [leave.pk]
    assert queue_ids(users.township) == []
    assert queue_ids(users.county_b) == []
    assert queue_ids(users.city) == []
    # Filed only once approved.
    assert list(selectors.leave_filings(user=users.city)) == []

    leave_approve(actor=users.county, leave_id=leave.pk)

    assert list(selectors.leave_filings(user=users.city)) == [leave]
    client.force_login(users.city)
    response = client.get(LIST, {"tab": "filings"})
    assert list(response.context["object_list"]) == [leave]
    body = response.content.decode()
    assert "以下请假已由县(区)委组织部批准,报本级备案,无需操作。" in body
    assert 'id="approve-btn"' not in client.get(leave.get_absolute_url()).content.decode()


def test_it_shows_the_queue_to_the_township_through_the_list_page(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))

    client.force_login(users.township)
    response = client.get(LIST)
    assert response.context["tab"] == "queue"
    assert list(response.context["object_list"]) == [leave]

    client.force_login(users.township2)
    assert list(client.get(LIST, {"tab": "queue"}).context["object_list"]) == []
    client.force_login(users.county)
    assert list(client.get(LIST, {"tab": "queue"}).context["object_list"]) == []


def test_it_routes_by_a_county_policy_table(org, users, freeze):
    from villages.models import LeaveRoute, Policy

    policy = Policy.objects.create(region=org.county_a)
    LeaveRoute.objects.create(policy=policy, max_days=Decimal("1"), approver_level=RegionLevel.TOWNSHIP)
    LeaveRoute.objects.create(policy=policy, max_days=None, approver_level=RegionLevel.COUNTY,
                              filing_levels=[RegionLevel.CITY])

    two = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    other_county = ask(users.cadre_b, org.c_b1_sec, d(16), d(17))

    assert (two.approver_level, two.approver_region) == (RegionLevel.COUNTY, org.county_a)
    assert (other_county.approver_level, other_county.approver_region) == (RegionLevel.TOWNSHIP, org.town_b1)


# ---------------------------------------------------------------- after the fact and 补办


def test_it_refuses_a_cadres_request_whose_start_has_passed(client, org, users, freeze):
    client.force_login(users.cadre)

    response = client.post(CREATE, {
        "cadre": org.c_a1_mem.pk, "kind": "personal", "start_date": "2026-11-09", "start_half": "am",
        "end_date": "2026-11-11", "end_half": "pm", "reason": "家中有事",
    })

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "start_date": ["请假须在开始前提出,事后请假无效。如属紧急情况,请由乡镇(街道)补办。"]}
    assert not LeaveRequest.objects.exists()


def test_it_lets_the_township_record_an_emergency_leave_afterwards(client, org, users, freeze):
    client.force_login(users.township)

    response = client.post(CREATE, {
        "cadre": org.c_a1_mem.pk, "kind": "sick", "start_date": "2026-11-08", "start_half": "am",
        "end_date": "2026-11-10", "end_half": "pm", "reason": "急性肠胃炎住院",
        "retroactive_reason": "住院当天无法提出申请",
    }, follow=True)

    leave = LeaveRequest.objects.get()
    assert (leave.status, leave.is_retroactive, leave.retroactive_reason, leave.decided_by) == (
        LeaveStatus.APPROVED, True, "住院当天无法提出申请", users.township)
    assert messages_of(response) == ["已补办并批准该请假。"]
    assert register_of(org.c_a1_mem) == {d(n): ("leave", "leave") for n in (8, 9, 10)}
    detail = response.content.decode()
    assert "补办" in detail and "住院当天无法提出申请" in detail
    assert list(leave.events.values_list("action", "comment")) == [
        ("submit", "补办:住院当天无法提出申请"), ("approve", "补办")]

    for user in (users.township, users.cadre):
        client.force_login(user)
        listing = client.get(LIST, {"tab": "all" if user is users.township else "mine"}).content.decode()
        assert '<span class="badge badge-warn">补办</span>' in listing
        assert '<span class="badge badge-warn">补办</span>' in client.get(leave.get_absolute_url()).content.decode()


def test_it_marks_an_emergency_leave_on_the_cadres_home_page(client, org, users, freeze):
    ask(users.township, org.c_a1_mem, d(9), d(10), retroactive_reason="住院")
    ask(users.cadre, org.c_a1_mem, d(16), d(16))
    client.force_login(users.cadre)

    body = client.get(reverse("home")).content.decode()

    leaves = body[body.index("我要请假"):]
    rows = leaves[:leaves.index("</table>")].split("<tr>")[1:]
    assert [("11-09" in r, "补办" in r) for r in rows] == [(False, False), (True, True)]


def test_it_requires_a_reason_for_an_emergency_leave(org, users, freeze):
    with pytest.raises(ValidationError) as exc:
        ask(users.township, org.c_a1_mem, d(8), d(9))

    assert exc.value.message_dict == {"retroactive_reason": ["补办请假须填写补办理由。"]}
    assert not LeaveRequest.objects.exists()


def test_it_does_not_let_the_township_record_a_five_day_emergency_leave(org, users, freeze):
    with pytest.raises(ValidationError) as exc:
        ask(users.township, org.c_a1_mem, d(6), d(10), retroactive_reason="住院")

    assert exc.value.message_dict == {
        "start_date": ["请假须在开始前提出,事后请假无效。如属紧急情况,请由县(区)补办。"]}
    assert not LeaveRequest.objects.exists()

    leave = ask(users.county, org.c_a1_mem, d(6), d(10), retroactive_reason="住院")

    assert (leave.status, leave.is_retroactive, leave.days, leave.decided_by) == (
        LeaveStatus.APPROVED, True, Decimal("5"), users.county)
    assert list(selectors.leave_filings(user=users.city)) == [leave]


def test_it_does_not_let_another_townships_official_record_an_emergency_leave(org, users, freeze):
    with pytest.raises(ValidationError):
        ask(users.township2, org.c_a1_mem, d(9), d(10), retroactive_reason="住院")

    assert not LeaveRequest.objects.exists()


# ---------------------------------------------------------------- overlap


def test_it_refuses_overlapping_requests(org, users, freeze):
    ask(users.cadre, org.c_a1_mem, d(16), d(18))

    with pytest.raises(ValidationError) as exc:
        ask(users.cadre, org.c_a1_mem, d(18), d(19))

    assert exc.value.message_dict == {"start_date": ["与已有请假(2026-11-16至2026-11-18,待审批)时间重叠。"]}
    assert LeaveRequest.objects.count() == 1


def test_it_allows_a_leave_starting_the_afternoon_another_ends_at_noon(org, users, freeze):
    ask(users.cadre, org.c_a1_mem, d(16), d(18), end_half="am")

    second = ask(users.cadre, org.c_a1_mem, d(18), d(19), start_half="pm")

    assert second.days == Decimal("1.5")
    with pytest.raises(ValidationError):
        ask(users.cadre, org.c_a1_mem, d(18), d(18), start_half="am", end_half="am")


def test_it_allows_a_new_request_over_a_withdrawn_or_rejected_one(org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_withdraw(actor=users.cadre, leave_id=first.pk)
    second = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_reject(actor=users.township, leave_id=second.pk, comment="村里有检查")

    third = ask(users.cadre, org.c_a1_mem, d(16), d(17))

    assert third.status == LeaveStatus.SUBMITTED


# ---------------------------------------------------------------- decisions


def test_it_fills_the_register_when_the_township_approves(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    client.force_login(users.township)

    response = client.post(action_url(leave, "approve"), {"comment": "同意"}, follow=True)

    assert messages_of(response) == ["已批准。"]
    leave.refresh_from_db()
    assert (leave.status, leave.decided_by, leave.decision_comment) == (LeaveStatus.APPROVED, users.township, "同意")
    assert register_of(org.c_a1_mem) == {d(16): ("leave", "leave"), d(17): ("leave", "leave")}
    assert set(AttendanceDay.objects.values_list("leave_id", flat=True)) == {leave.pk}
    assert tally_differences() == []


def test_it_needs_a_comment_to_reject(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    client.force_login(users.township)

    response = client.post(action_url(leave, "reject"), {"comment": ""}, follow=True)

    assert messages_of(response) == ["驳回时请填写理由。"]
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.SUBMITTED

    response = client.post(action_url(leave, "reject"), {"comment": "防汛期间不批"}, follow=True)

    assert messages_of(response) == ["已驳回。"]
    leave.refresh_from_db()
    assert (leave.status, leave.decision_comment) == (LeaveStatus.REJECTED, "防汛期间不批")
    assert register_of(org.c_a1_mem) == {}


def test_it_refuses_to_approve_twice(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=leave.pk)

    with pytest.raises(ValidationError) as exc:
        leave_approve(actor=users.township, leave_id=leave.pk)
    assert exc.value.messages == ["这条请假已经处理过了,不能重复审批。"]

    client.force_login(users.township)
    response = client.post(action_url(leave, "reject"), {"comment": "改主意"}, follow=True)
    assert messages_of(response) == ["这条请假已经处理过了,不能重复审批。"]
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    assert leave.events.filter(action="approve").count() == 1
    assert AttendanceDay.objects.count() == 2


def test_it_refuses_a_decision_by_someone_who_is_not_the_approver(client, org, users, freeze):
    short = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    long = ask(users.cadre, org.c_a1_mem, d(20), d(25))

    for user, leave in ((users.county, short), (users.city, short), (users.township, long), (users.city, long),
                        (users.cadre, short)):
        with pytest.raises(PermissionDenied) as exc:
            leave_approve(actor=user, leave_id=leave.pk)
        assert str(exc.value) == "您不是这条请假的审批人。"
    client.force_login(users.county)
    assert client.post(action_url(short, "approve")).status_code == 403
    assert client.post(action_url(short, "reject"), {"comment": "不同意"}).status_code == 403
    assert LeaveRequest.objects.filter(status=LeaveStatus.SUBMITTED).count() == 2
    assert not LeaveEvent.objects.exclude(action="submit").exists()


# ---------------------------------------------------------------- withdraw and return


def test_it_frees_the_days_of_a_leave_withdrawn_before_it_starts(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(18))
    leave_approve(actor=users.township, leave_id=leave.pk)
    client.force_login(users.cadre)

    response = client.post(action_url(leave, "withdraw"), follow=True)

    assert messages_of(response) == ["请假已撤回。"]
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.WITHDRAWN
    assert register_of(org.c_a1_mem) == {}
    assert tally_differences() == []


def test_it_refuses_to_withdraw_a_leave_that_has_started(org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(18))
    leave_approve(actor=users.township, leave_id=leave.pk)
    freeze(d(16))

    with pytest.raises(ValidationError) as exc:
        leave_withdraw(actor=users.cadre, leave_id=leave.pk)

    assert exc.value.messages == ["请假已经开始,不能撤回;提前返岗请办理销假。"]
    assert len(register_of(org.c_a1_mem)) == 3


@pytest.fixture
def long_leave(org, users, freeze):
    """李娜: 16–20 November (5 days), approved by the county."""
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(20))
    leave_approve(actor=users.county, leave_id=leave.pk)
    return leave


def test_it_frees_the_remaining_days_on_an_early_return(client, org, users, freeze, long_leave):
    freeze(d(18))
    client.force_login(users.cadre)

    response = client.post(action_url(long_leave, "return"), {"returned_on": "2026-11-18"}, follow=True)

    assert messages_of(response) == ["已销假。"]
    long_leave.refresh_from_db()
    assert (long_leave.status, long_leave.returned_on, long_leave.late_days) == (LeaveStatus.RETURNED, d(18), 0)
    assert register_of(org.c_a1_mem) == {d(16): ("leave", "leave"), d(17): ("leave", "leave")}
    assert tally_differences() == []
    # The freed days can be requested again.
    assert ask(users.cadre, org.c_a1_mem, d(19), d(19)).status == LeaveStatus.SUBMITTED


def test_it_marks_a_late_return_absent_and_flags_it(client, org, users, freeze, long_leave):
    freeze(d(24))
    client.force_login(users.cadre)

    response = client.post(action_url(long_leave, "return"), {"returned_on": "2026-11-24"}, follow=True)

    assert messages_of(response) == ["已销假。逾期3天,已记为缺勤。"]
    long_leave.refresh_from_db()
    assert (long_leave.status, long_leave.returned_on, long_leave.late_days) == (LeaveStatus.RETURNED, d(24), 3)
    expected = {d(n): ("leave", "leave") for n in range(16, 21)}
    expected.update({d(n): ("absent", "return") for n in (21, 22, 23)})
    assert register_of(org.c_a1_mem) == expected
    assert list(AttendanceDay.objects.filter(status="absent").values_list("flagged", flat=True)) == [True] * 3
    assert tally_differences() == []
    assert "逾期3天,记为缺勤" in response.content.decode()
    assert Notification.objects.filter(user=users.township, text="李娜 销假逾期3天,已记为缺勤").exists()


def test_it_expects_a_leave_ending_at_noon_back_the_same_afternoon(org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17), end_half="am")  # 1.5 days
    leave_approve(actor=users.township, leave_id=leave.pk)
    freeze(d(18))

    returned = leave_return(actor=users.cadre, leave_id=leave.pk, returned_on=d(18))

    assert returned.late_days == 1
    assert register_of(org.c_a1_mem) == {d(16): ("leave", "leave"), d(17): ("absent", "return")}


def test_it_refuses_a_return_date_in_the_future(org, users, freeze, long_leave):
    freeze(d(18))

    with pytest.raises(ValidationError) as exc:
        leave_return(actor=users.cadre, leave_id=long_leave.pk, returned_on=d(19))

    assert exc.value.message_dict == {"returned_on": ["返岗日期不能晚于今天。"]}


# ---------------------------------------------------------------- extensions


def test_it_judges_an_extension_on_the_total_length(client, org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    assert first.approver_level == RegionLevel.TOWNSHIP
    leave_approve(actor=users.township, leave_id=first.pk)
    client.force_login(users.cadre)

    response = client.post(f"{CREATE}?extends={first.pk}", {
        "cadre": org.c_a1_mem.pk, "kind": "personal", "start_date": "2026-11-18", "start_half": "am",
        "end_date": "2026-11-19", "end_half": "pm", "reason": "病情未愈",
    })

    extension = LeaveRequest.objects.get(extends=first)
    assert response.status_code == 302
    assert (extension.days, extension.total_days) == (Decimal("2"), Decimal("4"))
    assert (extension.approver_level, extension.approver_region) == (RegionLevel.COUNTY, org.county_a)
    assert list(extension.filed_with.all()) == [org.city]
    assert queue_ids(users.county) == [extension.pk]
    assert queue_ids(users.township) == []


def test_it_refuses_an_extension_that_does_not_follow_on(org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=first.pk)

    with pytest.raises(ValidationError) as exc:
        ask(users.cadre, org.c_a1_mem, d(19), d(20), extends=first)

    assert exc.value.message_dict == {"start_date": ["续假须紧接原请假的结束时间(2026-11-17)开始。"]}


def test_it_counts_no_absence_for_a_return_on_time_after_an_extension(org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=first.pk)
    freeze(d(17))
    extension = ask(users.cadre, org.c_a1_mem, d(18), d(19), extends=first)
    leave_approve(actor=users.county, leave_id=extension.pk)
    freeze(d(20))

    leave_return(actor=users.cadre, leave_id=first.pk, returned_on=d(20))

    first.refresh_from_db()
    extension.refresh_from_db()
    assert (first.status, first.late_days) == (LeaveStatus.RETURNED, 0)
    assert (extension.status, extension.late_days, extension.returned_on) == (LeaveStatus.RETURNED, 0, d(20))
    assert register_of(org.c_a1_mem) == {d(n): ("leave", "leave") for n in (16, 17, 18, 19)}
    assert not AttendanceDay.objects.filter(status=DayStatus.ABSENT).exists()


def test_it_does_not_excuse_lateness_with_an_extension_still_pending(org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=first.pk)
    freeze(d(17))
    ask(users.cadre, org.c_a1_mem, d(18), d(19), extends=first)  # never approved
    freeze(d(20))

    returned = leave_return(actor=users.cadre, leave_id=first.pk, returned_on=d(20))

    assert returned.late_days == 2
    assert register_of(org.c_a1_mem)[d(18)] == ("absent", "return")


def test_it_accepts_a_return_reported_on_the_extension_during_the_original(org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=first.pk)
    extension = ask(users.cadre, org.c_a1_mem, d(18), d(19), extends=first)
    leave_approve(actor=users.county, leave_id=extension.pk)
    freeze(d(17))

    leave_return(actor=users.cadre, leave_id=extension.pk, returned_on=d(17))

    first.refresh_from_db()
    extension.refresh_from_db()
    assert (first.status, extension.status) == (LeaveStatus.RETURNED, LeaveStatus.RETURNED)
    assert register_of(org.c_a1_mem) == {d(16): ("leave", "leave")}
    assert tally_differences() == []


def test_it_warns_of_a_late_return_after_an_extension(client, org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=first.pk)
    extension = ask(users.cadre, org.c_a1_mem, d(18), d(18), extends=first)
    leave_approve(actor=users.township, leave_id=extension.pk)
    freeze(d(20))
    client.force_login(users.cadre)

    response = client.post(action_url(first, "return"), {"returned_on": "2026-11-20"}, follow=True)

    assert messages_of(response) == ["已销假。逾期1天,已记为缺勤。"]
    extension.refresh_from_db()
    assert extension.late_days == 1
    assert register_of(org.c_a1_mem)[d(19)] == ("absent", "return")


def test_it_refuses_to_approve_an_extension_of_a_leave_already_returned(org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=first.pk)
    extension = ask(users.cadre, org.c_a1_mem, d(18), d(19), extends=first)
    freeze(d(20))
    leave_return(actor=users.cadre, leave_id=first.pk, returned_on=d(20))  # 2 days late: 18, 19 absent

    with pytest.raises(ValidationError) as exc:
        leave_approve(actor=users.county, leave_id=extension.pk)

    assert exc.value.messages == ["原请假已销假或撤回,不能再批准续假。"]
    extension.refresh_from_db()
    assert extension.status == LeaveStatus.SUBMITTED
    assert register_of(org.c_a1_mem)[d(18)] == ("absent", "return")
    # Rejecting it stays possible, so it leaves the county's queue.
    leave_reject(actor=users.county, leave_id=extension.pk, comment="已返岗")
    assert queue_ids(users.county) == []


def test_it_refuses_to_approve_an_extension_of_a_withdrawn_leave(org, users, freeze):
    first = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=first.pk)
    extension = ask(users.cadre, org.c_a1_mem, d(18), d(19), extends=first)
    leave_withdraw(actor=users.cadre, leave_id=first.pk)

    with pytest.raises(ValidationError):
        leave_approve(actor=users.county, leave_id=extension.pk)

    assert register_of(org.c_a1_mem) == {}


# ---------------------------------------------------------------- notifications


def test_it_notifies_the_approvers_and_then_the_cadre(org, users, freeze):
    short = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    long = ask(users.cadre, org.c_a1_mem, d(20), d(25))

    assert list(Notification.objects.filter(url=short.get_absolute_url()).values_list("user__username", "text")) == [
        ("t_township", "李娜 申请事假2天(2026-11-16至2026-11-17),请审批")]
    assert list(Notification.objects.filter(url=long.get_absolute_url()).values_list("user__username", "text")) == [
        ("t_county", "李娜 申请事假6天(2026-11-20至2026-11-25),请审批")]

    leave_approve(actor=users.township, leave_id=short.pk)
    leave_reject(actor=users.county, leave_id=long.pk, comment="时间过长")

    assert list(Notification.objects.filter(user=users.cadre).order_by("pk").values_list("text", flat=True)) == [
        "您的请假(2026-11-16至2026-11-17)已批准", "您的请假(2026-11-20至2026-11-25)被驳回"]


def test_it_notifies_the_township_that_asked_on_behalf_of_the_cadre(org, users, freeze):
    leave = ask(users.township, org.c_a1_mem, d(16), d(20))
    leave_approve(actor=users.county, leave_id=leave.pk)

    assert Notification.objects.filter(user=users.township, text="您的请假(2026-11-16至2026-11-20)已批准").exists()
    assert Notification.objects.filter(user=users.cadre, text="您的请假(2026-11-16至2026-11-20)已批准").exists()


def test_it_emails_an_approver_who_has_an_address(org, users, freeze, django_capture_on_commit_callbacks):
    users.township.email = "chengguan@example.cn"
    users.township.save()

    with django_capture_on_commit_callbacks(execute=True):
        leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["chengguan@example.cn"]
    assert "李娜 申请事假2天" in mail.outbox[0].subject
    assert leave.get_absolute_url() in mail.outbox[0].body


def test_each_person_told_of_a_decision_gets_their_own_email(org, users, freeze, django_capture_on_commit_callbacks):
    # The cadre and the township official who asked for them: two messages, neither sees the other's address.
    users.township.email = "chengguan@example.cn"
    users.township.save()
    users.cadre.email = "lina@example.cn"
    users.cadre.save()
    leave = ask(users.township, org.c_a1_mem, d(16), d(20))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        leave_approve(actor=users.county, leave_id=leave.pk)

    assert sorted(m.to for m in mail.outbox) == [["chengguan@example.cn"], ["lina@example.cn"]]
    assert all("已批准" in m.subject and leave.get_absolute_url() in m.body for m in mail.outbox)


def test_it_sends_no_email_for_a_request_that_was_refused(org, users, freeze, django_capture_on_commit_callbacks):
    users.township.email = "chengguan@example.cn"
    users.township.save()
    ask(users.cadre, org.c_a1_mem, d(16), d(17))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        ask(users.cadre, org.c_a1_mem, d(17), d(18))

    assert mail.outbox == []


def test_it_shows_the_history_to_everyone_involved(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(20))
    leave_approve(actor=users.county, leave_id=leave.pk, comment="同意,注意安全")

    for user in (users.cadre, users.township, users.county, users.city):
        client.force_login(user)
        response = client.get(leave.get_absolute_url())
        assert response.status_code == 200
        assert [e.action for e in response.context["events"]] == ["submit", "approve"]
        assert "同意,注意安全" in response.content.decode()


def test_it_shows_a_dispatching_unit_the_leave_of_its_own_cadres_only(client, org, users, freeze):
    own = ask(users.township, org.c_a1_sec, d(16), d(17))  # 张伟 was sent by 市财政局 (users.unit)
    other = ask(users.cadre, org.c_a1_mem, d(16), d(17))  # 李娜 by 云溪县农业农村局
    client.force_login(users.unit)

    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.post(action_url(own, "approve")).status_code == 403  # sees it, may not decide it
    own.refresh_from_db()
    assert own.status == LeaveStatus.SUBMITTED


def test_it_lists_only_the_users_own_notifications(client, org, users, freeze):
    ask(users.cadre, org.c_a1_mem, d(16), d(17))
    client.force_login(users.township2)
    assert list(client.get(reverse("attendance:notifications")).context["object_list"]) == []

    client.force_login(users.township)
    response = client.get(reverse("attendance:notifications"))
    assert [n.text for n in response.context["object_list"]] == ["李娜 申请事假2天(2026-11-16至2026-11-17),请审批"]
    assert client.get(reverse("attendance:notifications_read")).status_code == 405
    client.post(reverse("attendance:notifications_read"))
    assert not Notification.objects.filter(user=users.township, read_at__isnull=True).exists()


# ---------------------------------------------------------------- POST only, outsiders


@pytest.mark.parametrize("action", ["approve", "reject", "withdraw", "return"])
def test_it_answers_405_to_a_get_on_an_action(client, org, users, freeze, action):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    client.force_login(users.township)

    assert client.get(action_url(leave, action)).status_code == 405
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.SUBMITTED


def test_it_answers_404_to_another_county(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(20))
    client.force_login(users.county_b)

    assert client.get(leave.get_absolute_url()).status_code == 404
    assert client.post(action_url(leave, "approve")).status_code == 404
    assert client.post(action_url(leave, "reject"), {"comment": "x"}).status_code == 404
    assert list(client.get(LIST, {"tab": "all"}).context["object_list"]) == []
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.SUBMITTED


def test_it_hides_a_cadres_leave_from_another_cadre(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    client.force_login(users.cadre_b)

    assert client.get(leave.get_absolute_url()).status_code == 404
    assert client.post(action_url(leave, "withdraw")).status_code == 404
    assert list(client.get(LIST).context["object_list"]) == []
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.SUBMITTED


def test_it_hides_a_leave_from_another_township(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    client.force_login(users.township2)

    assert client.get(leave.get_absolute_url()).status_code == 404
    assert client.post(action_url(leave, "approve")).status_code == 404


def test_it_does_not_let_a_cadre_request_leave_for_someone_else(client, org, users, freeze):
    client.force_login(users.cadre)

    response = client.post(CREATE, {
        "cadre": org.c_b1_sec.pk, "kind": "personal", "start_date": "2026-11-16", "start_half": "am",
        "end_date": "2026-11-17", "end_half": "pm", "reason": "代请",
    })

    assert response.status_code == 200
    assert "cadre" in response.context["form"].errors
    assert not LeaveRequest.objects.exists()


def test_it_forbids_a_unit_to_request_leave(client, org, users, freeze):
    client.force_login(users.unit)

    assert client.get(CREATE).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login_page(client, org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))

    for url in (LIST, CREATE, leave.get_absolute_url(), reverse("attendance:notifications")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.post(action_url(leave, "approve")).status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.SUBMITTED


def test_it_records_one_event_per_step(org, users, freeze):
    leave = ask(users.cadre, org.c_a1_mem, d(16), d(17))
    leave_approve(actor=users.township, leave_id=leave.pk)

    assert list(LeaveEvent.objects.filter(leave=leave).values_list("action", "actor__username")) == [
        ("submit", "t_cadre"), ("approve", "t_township")]


# ---------------------------------------------------------------- cost


def test_it_approves_a_leave_in_a_pinned_number_of_queries(client, org, users, freeze, django_assert_num_queries):
    # Approval throughput is a benchmark figure (docs/benchmarks.md), so its queries are pinned. They are: the
    # session, the user with their region (one query, cadres.backends); the leave with all a decision reads
    # (one query, reused by the service); the savepoint of leave_approve; the conditional UPDATE;
    # register_write's cadre lock, postings (with the locked months), days, INSERT of the days, INSERT of their
    # history and one tally upsert for every month; the event; the audit entry; the cadre's accounts; one
    # notification INSERT for the cadre and the township that asked; the savepoint's release. (The session is not saved: the GET before
    # refreshed it, config/middleware.py.)
    in_november = ask(users.township, org.c_a1_mem, d(16), d(17))
    across_months = ask(users.township, org.c_a1_mem, d(30), d(1, 12))  # two tallies, one upsert
    client.force_login(users.township)
    client.get(LIST)

    for leave in (in_november, across_months):
        with django_assert_num_queries(PINNED_APPROVAL_QUERIES):
            response = client.post(action_url(leave, "approve"), {"comment": ""})
        assert response.status_code == 302

    assert register_of(org.c_a1_mem) == {
        day: ("leave", "leave") for day in (d(16), d(17), d(30), d(1, 12))}
    assert Notification.objects.filter(text__contains="已批准").count() == 4  # the cadre and the township, twice
    assert tally_differences() == []
