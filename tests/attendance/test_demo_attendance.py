"""The demo attendance of `manage.py seed_demo` (attendance.demo): a year of register, leave in every state,
check-ins in one county, month confirmations, cadres below the minimum; consistency and idempotence.

Seeding takes several seconds, so the module seeds once for a fixed `today` (inside a transaction rolled back
at the end of the module, so other test modules never see the data) and each test reads it; the tests that
seed again or edit run inside their own rolled-back transaction.
"""
import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from attendance.demo import (
    CHECKIN_COUNTY,
    LeavePlanner,
    _choose_low,
    _context,
    seed_attendance,
    training_days,
)
from attendance.models import (
    AttendanceDay,
    CheckIn,
    DaySource,
    DayStatus,
    EvidenceDay,
    EvidenceSource,
    LeaveEvent,
    LeaveRequest,
    LeaveStatus,
    MonthConfirmation,
    MonthlyTally,
    Notification,
)
from attendance.selectors import (
    compliance_figures,
    early_warnings,
    leave_filings,
    leave_list,
    leave_queue,
    register_gaps,
)
from attendance.services.checkin import haversine_m
from attendance.services.register import Entry, register_write, tally_differences
from cadres.demo import DEMO_TOWNSHIP, seed_demo
from cadres.models import Posting, User
from cadres.selectors import policy_for
from villages.models import Policy, Region, RegionLevel

TODAY = datetime.date(2026, 11, 22)
START = datetime.date(2025, 10, 1)  # the quarter holding TODAY minus twelve months
PREVIOUS_MONTH = datetime.date(2026, 10, 1)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        summary = seed_attendance(today=TODAY)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def accounts(seeded):
    return {u.username: u for u in User.objects.select_related("region", "cadre")}


def _snapshot() -> dict:
    return {
        "register": set(AttendanceDay.objects.values_list("cadre_id", "day", "status", "source", "leave_id")),
        "tallies": set(MonthlyTally.objects.values_list("posting_id", "month", "present", "business", "absent")),
        "leaves": set(LeaveRequest.objects.values_list("cadre_id", "start_date", "status", "days")),
        "events": LeaveEvent.objects.count(),
        "checkins": set(CheckIn.objects.values_list("cadre_id", "at")),
        "evidence": EvidenceDay.objects.count(),
        "confirmations": set(MonthConfirmation.objects.values_list("township_id", "month")),
        "notifications": Notification.objects.count(),
        "policies": Policy.objects.count(),
    }


# ---------------------------------------------------------------- the register


@pytest.mark.django_db
def test_it_fills_the_register_for_the_twelve_months_up_to_today(seeded):
    months = Counter(d.replace(day=1) for d in AttendanceDay.objects.filter(day__lt=TODAY).values_list("day", flat=True))
    month = START
    while month < datetime.date(2026, 11, 1):
        # Every posting in force is recorded every day of the complete months: about 400 cadres a day.
        assert months[month] > 300 * 28, month
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    assert not AttendanceDay.objects.filter(day__lt=START).exists()
    assert 120_000 <= seeded["register_days"] <= 220_000
    statuses = Counter(AttendanceDay.objects.filter(day__lt=TODAY).values_list("status", flat=True))
    total = sum(statuses.values())
    assert 0.60 <= statuses[DayStatus.PRESENT] / total <= 0.80
    assert statuses[DayStatus.ABSENT] / total < 0.03
    assert {DayStatus.BUSINESS, DayStatus.TRAINING, DayStatus.LEAVE, DayStatus.ABSENT} <= set(statuses)


@pytest.mark.django_db
def test_it_keeps_the_tallies_exact(seeded):
    assert tally_differences() == []


@pytest.mark.django_db
def test_no_register_day_lies_outside_its_posting(seeded):
    outside = AttendanceDay.objects.filter(Q(day__lt=F("posting__start_date")) | Q(day__gt=F("posting__end_date")))
    assert not outside.exists()
    assert not AttendanceDay.objects.exclude(cadre_id=F("posting__cadre_id")).exists()


@pytest.mark.django_db
def test_it_leaves_recent_days_for_the_township_to_record(seeded):
    """The last days before today are mostly unrecorded, and nothing but approved leave lies in the future."""
    in_post = Posting.objects.filter(village__code__startswith="3699").in_force_on(TODAY).count()
    recent = AttendanceDay.objects.filter(day__gte=TODAY - datetime.timedelta(days=5), day__lt=TODAY).count()
    assert 0 < recent < in_post * 5 * 0.6
    future = AttendanceDay.objects.filter(day__gte=TODAY)
    assert future.exists()
    assert set(future.values_list("status", "source").distinct()) == {(DayStatus.LEAVE, DaySource.LEAVE)}


@pytest.mark.django_db
def test_training_days_are_the_same_for_everyone_in_post(seeded):
    county_codes = sorted(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))
    city_days = set.intersection(*(set(days) for days in training_days(START, TODAY, county_codes).values()))
    assert len([d for d in city_days if START <= d < TODAY]) == 4  # two 2-day courses: March and September
    for day in sorted(city_days):
        if not START <= day < TODAY:
            continue
        cadres = set(Posting.objects.in_force_on(day).values_list("cadre_id", flat=True))
        rows = dict(AttendanceDay.objects.filter(day=day).values_list("cadre_id", "status"))
        assert set(rows) == cadres
        assert set(rows.values()) <= {DayStatus.TRAINING, DayStatus.LEAVE}
        assert Counter(rows.values())[DayStatus.TRAINING] >= 0.95 * len(rows)


# ---------------------------------------------------------------- leave


@pytest.mark.django_db
def test_it_creates_leave_in_every_state(seeded):
    statuses = Counter(LeaveRequest.objects.values_list("status", flat=True))
    for status in (LeaveStatus.SUBMITTED, LeaveStatus.APPROVED, LeaveStatus.REJECTED, LeaveStatus.WITHDRAWN,
                   LeaveStatus.RETURNED):
        assert statuses[status] >= 1, status
    assert 150 <= sum(statuses.values()) <= 250
    assert LeaveRequest.objects.filter(is_retroactive=True, status=LeaveStatus.RETURNED).exclude(
        retroactive_reason="").exists()
    assert not LeaveRequest.objects.filter(status=LeaveStatus.REJECTED, decision_comment="").exists()
    # Some returned early, one returned late with the late days recorded as absence.
    early = [lv for lv in LeaveRequest.objects.filter(status=LeaveStatus.RETURNED) if lv.returned_on <= lv.end_date]
    assert early
    late = LeaveRequest.objects.get(late_days__gt=0)
    absent = AttendanceDay.objects.filter(cadre=late.cadre, source=DaySource.RETURN)
    assert absent.count() == late.late_days
    assert all(row.status == DayStatus.ABSENT and row.flagged for row in absent)
    # Half days exist: a half day is not a register day of leave.
    assert LeaveRequest.objects.filter(days=Decimal("0.5")).exists()


@pytest.mark.django_db
def test_it_creates_an_extension_routed_on_the_total(seeded):
    extension = LeaveRequest.objects.select_related("extends").get(extends__isnull=False)
    original = extension.extends
    assert extension.start_date == original.end_date + datetime.timedelta(days=1)
    assert original.days <= 3 < extension.total_days == original.days + extension.days
    assert original.approver_level == RegionLevel.TOWNSHIP
    assert extension.approver_level == RegionLevel.COUNTY
    assert list(extension.filed_with.values_list("level", flat=True)) == [RegionLevel.CITY]
    assert original.status == extension.status == LeaveStatus.RETURNED
    assert original.returned_on == extension.returned_on
    assert original.late_days == extension.late_days == 0


@pytest.mark.django_db
def test_routing_follows_the_policy(seeded):
    for leave in LeaveRequest.objects.select_related("village__township__parent"):
        township = leave.village.township
        if leave.total_days <= 3:
            assert (leave.approver_level, leave.approver_region_id) == (RegionLevel.TOWNSHIP, township.pk)
            assert not leave.filed_with.exists()
        else:
            assert (leave.approver_level, leave.approver_region_id) == (RegionLevel.COUNTY, township.parent_id)
            assert list(leave.filed_with.values_list("code", flat=True)) == ["369900000000"]
        assert leave.days == LeaveRequest.length(leave.start_date, leave.start_half, leave.end_date, leave.end_half)


@pytest.mark.django_db
def test_approved_leave_fills_the_register(seeded):
    for leave in LeaveRequest.objects.select_related("posting"):
        rows = set(AttendanceDay.objects.filter(leave=leave).values_list("day", flat=True))
        if leave.status in (LeaveStatus.APPROVED, LeaveStatus.RETURNED):
            expected = {
                d for d in leave.full_days()
                if leave.posting.is_in_force_on(d) and (leave.returned_on is None or d < leave.returned_on)
            }
            assert rows == expected, leave
        else:
            assert not rows, leave
    on_leave = AttendanceDay.objects.filter(status=DayStatus.LEAVE)
    assert not on_leave.filter(Q(leave__isnull=True) | ~Q(source=DaySource.LEAVE)).exists()


@pytest.mark.django_db
def test_events_and_times_tell_the_story(seeded):
    actions = Counter(LeaveEvent.objects.values_list("action", flat=True))
    assert actions["submit"] == LeaveRequest.objects.count()
    assert actions["return"] == LeaveRequest.objects.filter(status=LeaveStatus.RETURNED).count()
    for leave in LeaveRequest.objects.filter(decided_at__isnull=False, is_retroactive=False):
        assert leave.submitted_at < leave.decided_at
        assert timezone.localdate(leave.decided_at) < leave.start_date
    for leave in LeaveRequest.objects.filter(is_retroactive=True):
        assert timezone.localdate(leave.submitted_at) > leave.start_date  # recorded afterwards by the approver
        assert leave.decided_by_id == leave.requested_by_id


@pytest.mark.django_db
def test_the_approvers_have_queues_and_the_city_filings(seeded, accounts):
    township, county, city = accounts["township"], accounts["county"], accounts["city"]
    queue = list(leave_queue(user=township))
    assert 2 <= len(queue) <= 4
    assert all(lv.days <= 3 and lv.start_date > TODAY for lv in queue)
    county_queue = list(leave_queue(user=county))
    assert 2 <= len(county_queue) <= 4
    assert all(lv.total_days > 3 and lv.start_date > TODAY for lv in county_queue)
    assert leave_queue(user=accounts["township2"]).exists()
    filings = leave_filings(user=city)
    assert filings.filter(status=LeaveStatus.APPROVED, start_date__gt=TODAY).count() >= 2
    assert filings.count() >= 20
    # Their pending requests were announced to them.
    assert Notification.objects.filter(user=township).count() >= len(queue)
    assert Notification.objects.filter(user=county).count() >= len(county_queue)


@pytest.mark.django_db
def test_the_township_sees_an_overdue_return(seeded, accounts):
    overdue = leave_list(user=accounts["township"]).filter(status=LeaveStatus.APPROVED, end_date__lt=TODAY)
    assert overdue.count() == 1
    leave = overdue.get()
    # Not back, nothing recorded since the leave ended.
    assert not AttendanceDay.objects.filter(cadre=leave.cadre, day__gt=leave.end_date, day__lt=TODAY).exists()


@pytest.mark.django_db
def test_the_cadre_account_has_only_a_returned_leave(seeded, accounts):
    cadre = accounts["cadre"].cadre
    leaves = list(LeaveRequest.objects.filter(cadre=cadre))
    assert [lv.status for lv in leaves] == [LeaveStatus.RETURNED]
    assert leaves[0].end_date < TODAY
    assert leaves[0].requested_by == accounts["cadre"] and leaves[0].decided_by == accounts["township"]


# ---------------------------------------------------------------- compliance and month close


@pytest.mark.django_db
def test_some_cadres_are_below_the_minimum_now_and_last_quarter(seeded, accounts):
    warnings = early_warnings(user=accounts["township"], as_of=TODAY)
    assert len(warnings) >= 2
    assert {f.state for f in warnings} <= {"behind", "cannot_reach"}
    assert "cannot_reach" in {f.state for f in warnings}
    postings = Posting.objects.filter(village__code__startswith="3699")
    now = [f for f in compliance_figures(postings=postings, ref=TODAY, as_of=TODAY) if f.flagged]
    before = compliance_figures(postings=postings, ref=datetime.date(2026, 9, 30), as_of=TODAY)
    failed = {f.cadre_id for f in before if not f.compliant}
    assert 8 <= len(now) <= 12
    assert {f.cadre_id for f in now} <= failed
    assert 8 <= len(failed) <= 12
    assert all(f.counted < 45 for f in before if not f.compliant)  # clearly below, not by a day or two
    assert seeded["flagged_now"] == len(now)


@pytest.mark.django_db
def test_the_previous_month_waits_for_the_township_and_older_months_are_confirmed(seeded, accounts):
    township = accounts["township"]
    baisha = township.region
    assert baisha.code == DEMO_TOWNSHIP
    assert not MonthConfirmation.objects.filter(township=baisha, month=PREVIOUS_MONTH).exists()
    assert register_gaps(township=baisha, month=PREVIOUS_MONTH)  # a few days left to fill
    older = MonthConfirmation.objects.get(township=baisha, month=datetime.date(2026, 9, 1))
    assert older.confirmed_by == township
    assert timezone.localdate(older.confirmed_at) > datetime.date(2026, 9, 30)
    townships = Region.objects.filter(level=RegionLevel.TOWNSHIP).count()
    assert MonthConfirmation.objects.filter(month=PREVIOUS_MONTH).count() == townships - 1
    assert MonthConfirmation.objects.filter(month=START).count() == townships
    assert not MonthConfirmation.objects.filter(month__gte=datetime.date(2026, 11, 1)).exists()
    # A confirmed month has no gap (register_confirm_month would have refused it).
    for confirmation in MonthConfirmation.objects.filter(township__in=[baisha, accounts["township2"].region]):
        assert register_gaps(township=confirmation.township, month=confirmation.month) == []


# ---------------------------------------------------------------- check-in


@pytest.mark.django_db
def test_only_liujiang_enables_check_in(seeded, accounts):
    policies = list(Policy.objects.select_related("region"))
    assert [(p.region.code, p.checkin_enabled) for p in policies] == [(CHECKIN_COUNTY, True)]
    liujiang = policies[0]
    assert liujiang.checkin_radius_m == 1000 and liujiang.min_days == 50
    assert not policy_for(accounts["township"].region).checkin_enabled  # 云溪县 keeps the default: off


@pytest.mark.django_db
def test_check_ins_are_evidence_in_liujiang(seeded):
    checkins = list(CheckIn.objects.select_related("posting__village"))
    assert 30 <= len(checkins) <= 150
    flagged = [c for c in checkins if c.outside_radius or c.poor_accuracy]
    assert 0 < len(flagged) < len(checkins) / 2
    for c in checkins:
        village = c.posting.village
        assert village.code.startswith(CHECKIN_COUNTY[:6])
        day = timezone.localdate(c.at)
        assert c.cadre_id == c.posting.cadre_id and c.posting.is_in_force_on(day)
        assert TODAY - datetime.timedelta(days=14) <= day < TODAY
        distance = haversine_m(float(c.latitude), float(c.longitude), float(village.latitude), float(village.longitude))
        assert c.distance_m == round(distance)
        assert c.outside_radius == (c.distance_m > 1000)
        assert c.poor_accuracy == (c.accuracy_m > 500)
    evidence = EvidenceDay.objects.filter(source=EvidenceSource.CHECKIN)
    assert evidence.count() == len({(c.cadre_id, timezone.localdate(c.at)) for c in checkins})
    # Some days wait for the township: evidence on a day still unrecorded.
    recorded = set(AttendanceDay.objects.values_list("cadre_id", "day"))
    waiting = [e for e in evidence if (e.cadre_id, e.day) not in recorded]
    assert waiting
    accepted = AttendanceDay.objects.filter(source=DaySource.CHECKIN)
    assert accepted.exists() and not accepted.filter(flagged=True).exists()


# ---------------------------------------------------------------- idempotence and determinism


@pytest.mark.django_db
def test_a_second_run_changes_nothing(seeded):
    before = _snapshot()
    summary = seed_attendance(today=TODAY)
    assert summary["changes"] == {}
    assert _snapshot() == before
    assert tally_differences() == []


@pytest.mark.django_db
def test_it_leaves_days_edited_in_the_app_alone(seeded, accounts):
    township = accounts["township"]
    posting = Posting.objects.filter(village__township=township.region).in_force_on(TODAY).order_by("pk").first()
    rows = AttendanceDay.objects.filter(cadre=posting.cadre, day__gte=datetime.date(2026, 11, 2),
                                        day__lt=TODAY - datetime.timedelta(days=6), status=DayStatus.PRESENT)
    changed, cleared = rows.order_by("day")[:2]
    register_write(
        entries=[Entry(cadre_id=posting.cadre_id, day=changed.day, status=DayStatus.ABSENT),
                 Entry(cadre_id=posting.cadre_id, day=cleared.day, status=DayStatus.NOT_RECORDED)],
        source=DaySource.TOWNSHIP, actor=township,
    )
    summary = seed_attendance(today=TODAY)
    assert summary["changes"] == {}
    assert AttendanceDay.objects.get(cadre=posting.cadre, day=changed.day).status == DayStatus.ABSENT
    assert not AttendanceDay.objects.filter(cadre=posting.cadre, day=cleared.day).exists()


@pytest.mark.django_db
def test_a_later_day_adds_to_the_data_without_breaking_it(seeded):
    later = TODAY + datetime.timedelta(days=3)
    leaves = LeaveRequest.objects.count()
    summary = seed_attendance(today=later)
    assert summary["changes"].get("register_created", 0) > 0
    assert LeaveRequest.objects.count() - leaves <= 5  # the scenes around today are not placed again
    assert tally_differences() == []
    assert seed_attendance(today=later)["changes"] == {}


@pytest.mark.django_db
def test_it_plans_the_same_leave_every_time(seeded):
    def plan() -> list[tuple]:
        ctx = _context(TODAY)
        _choose_low(ctx)
        planner = LeavePlanner(ctx)
        planner.scenes()
        planner.history()
        return [(p.posting.cadre_id, p.start, p.end, p.status, p.kind, p.days) for p in planner.plans]

    first = plan()
    assert first == plan()
    stored = set(LeaveRequest.objects.values_list("cadre_id", "start_date", "end_date", "status", "kind", "days"))
    assert set(first) == stored


@pytest.mark.django_db
def test_the_command_prints_the_attendance_summary(seeded, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "演示账号" in out
    assert "考勤演示数据" in out
    assert "请假" in out and "自主签到" in out and "在村天数预警" in out
