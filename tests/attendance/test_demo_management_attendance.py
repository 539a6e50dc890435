"""The demo inspections, rectification items, training events and diary (attendance.demo_management): sizes,
agreement with the register, the scenes the demo accounts open on, and idempotence.

Seeding the organisation and a year of register takes a while, so the module seeds once for a fixed `today`
(inside a transaction rolled back at the end of the module) with the clock frozen at that day too (the
inspection service refuses visits after the real date), and each test reads the result.
"""
import datetime
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Sum

from attendance import selectors_management as sm
from attendance.demo import COUNTY_LIUJIANG, COUNTY_SHIMEN, COUNTY_YUNXI, seed_attendance
from attendance.demo_management import format_summary, seed_management_attendance
from attendance.models import (
    AttendanceChange,
    AttendanceDay,
    DaySource,
    DayStatus,
    DiaryEntry,
    FindingResult,
    Inspection,
    InspectionFinding,
    Notification,
    Rectification,
    RectificationStatus,
    TrainingEvent,
    TrainingKind,
    TrainingParticipant,
)
from attendance.services.register import tally_differences
from cadres.demo import CITY_CODE, DEMO_TOWNSHIP, seed_demo
from cadres.models import Recall, User

TODAY = datetime.date(2026, 11, 22)
START = datetime.date(2025, 10, 1)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with pytest.MonkeyPatch.context() as mp, django_db_blocker.unblock(), transaction.atomic():
        mp.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
        seed_demo()
        seed_attendance(today=TODAY)
        summary = seed_management_attendance(today=TODAY)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def frozen(seeded, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return seeded


def _snapshot() -> dict:
    return {
        "inspections": set(Inspection.objects.values_list("region_id", "date", "kind", "inspectors")),
        "findings": set(InspectionFinding.objects.values_list("inspection__date", "cadre_id", "finding")),
        "rectifications": set(Rectification.objects.values_list("inspection_id", "description", "deadline", "status")),
        "events": set(TrainingEvent.objects.values_list("region_id", "title", "start_date", "end_date")),
        "participants": TrainingParticipant.objects.count(),
        "diary": set(DiaryEntry.objects.values_list("cadre_id", "day", "households_visited", "funds_yuan")),
        "register": AttendanceDay.objects.filter(source=DaySource.INSPECTION).count(),
        "changes": AttendanceChange.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _quarter(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3


# ---------------------------------------------------------------- inspections


@pytest.mark.django_db
def test_it_visits_each_county_once_a_quarter_for_a_year(frozen):
    inspections = list(Inspection.objects.prefetch_related("villages"))
    assert 10 <= len(inspections) <= 14
    assert frozen["inspections"] == len(inspections)
    quarters: dict[str, set] = {COUNTY_YUNXI: set(), COUNTY_SHIMEN: set(), COUNTY_LIUJIANG: set()}
    for inspection in inspections:
        assert START <= inspection.date < TODAY - datetime.timedelta(days=6)
        counties = {v.code[:6] for v in inspection.villages.all()}
        assert len(counties) == 1
        quarters[next(iter(counties)).ljust(12, "0")].add(_quarter(inspection.date))
    for code, seen in quarters.items():
        assert len(seen) >= 3, code
    organizers = Counter(i.region.code for i in inspections)
    assert set(organizers) == {COUNTY_YUNXI, COUNTY_SHIMEN, CITY_CODE}  # the city visits 柳江区


@pytest.mark.django_db
def test_it_finds_one_absence_on_an_unannounced_visit_in_baisha(frozen):
    (scene,) = Inspection.objects.filter(kind="unannounced")
    assert scene.region.code == COUNTY_YUNXI
    assert [v.township.code for v in scene.villages.all()] == [DEMO_TOWNSHIP]
    assert datetime.date(2026, 10, 1) <= scene.date <= datetime.date(2026, 10, 31)
    (absent,) = InspectionFinding.objects.filter(finding=FindingResult.ABSENT)
    assert absent.inspection == scene
    day = AttendanceDay.objects.get(cadre=absent.cadre, day=scene.date)
    assert (day.status, day.source, day.flagged) == (DayStatus.ABSENT, DaySource.INSPECTION, True)
    change = AttendanceChange.objects.get(cadre=absent.cadre, day=scene.date)
    assert (change.old_status, change.old_source, change.new_source) == ("present", "township", "inspection")
    assert absent.cadre_id != User.objects.get(username="cadre").cadre_id
    township = User.objects.get(username="township")
    assert Notification.objects.filter(user=township, text__contains=f"{absent.cadre.name}").filter(
        text__contains="不在岗").count() == 1
    assert not Recall.objects.filter(reason="inspection_absence").exists()
    assert tally_differences() == []


@pytest.mark.django_db
def test_it_makes_every_other_finding_agree_with_the_register(frozen):
    expected = {FindingResult.PRESENT: DayStatus.PRESENT, FindingResult.ON_LEAVE: DayStatus.LEAVE,
                FindingResult.BUSINESS: DayStatus.BUSINESS}
    findings = InspectionFinding.objects.exclude(finding=FindingResult.ABSENT).select_related("inspection")
    assert findings.count() >= 20
    for finding in findings:
        status = AttendanceDay.objects.get(cadre_id=finding.cadre_id, day=finding.inspection.date).status
        assert status == expected[finding.finding], finding


@pytest.mark.django_db
def test_it_leaves_two_rectification_items_open_one_of_them_overdue(frozen):
    items = Rectification.objects.all()
    assert items.filter(status=RectificationStatus.OPEN).count() == 2
    overdue = [i for i in items if i.is_overdue]
    assert len(overdue) == 1
    assert overdue[0].inspection.kind == "unannounced"
    assert overdue[0].finding.finding == FindingResult.ABSENT
    assert items.filter(status=RectificationStatus.DONE, done_at__isnull=False).count() == 1
    county = User.objects.get(username="county")
    assert list(sm.overdue_rectifications(user=county)) == overdue


# ---------------------------------------------------------------- training


@pytest.mark.django_db
def test_it_organizes_four_events_and_the_citys_two_day_training_filled_the_register(frozen):
    events = {e.kind: e for e in TrainingEvent.objects.filter(kind__in=["theory_study", "work_exchange"])}
    assert set(events) == {TrainingKind.THEORY_STUDY, TrainingKind.WORK_EXCHANGE}
    assert TrainingEvent.objects.count() == 4
    city = TrainingEvent.objects.get(region__code=CITY_CODE)
    assert (city.kind, city.days, city.fills_register) == (TrainingKind.TRAINING, 2, True)
    assert (city.start_date, city.title) == (datetime.date(2026, 9, 8), "2026年秋季全市驻村干部轮训班")
    attended = list(city.participants.filter(attended=True).values_list("cadre_id", flat=True))
    assert len(attended) > 350
    days = AttendanceDay.objects.filter(cadre_id__in=attended, day__gte=city.start_date, day__lte=city.end_date)
    assert Counter(days.values_list("status", "source")) == {(DayStatus.TRAINING, DaySource.TRAINING): len(days)}
    assert len(days) >= 2 * len(attended) - 10  # a posting may start or end during the course
    for event in TrainingEvent.objects.exclude(pk=city.pk):
        assert event.participants.exists()
        assert event.start_date < TODAY


# ---------------------------------------------------------------- diary


@pytest.mark.django_db
def test_it_writes_about_three_hundred_diary_entries_on_days_in_the_village(frozen):
    entries = DiaryEntry.objects.select_related("posting")
    assert 280 <= entries.count() <= 340
    assert entries.values("cadre_id").distinct().count() >= 28
    assert len({e.day.replace(day=1) for e in entries}) >= 12
    counties = Counter(e.posting.village.code[:6] for e in entries.select_related("posting__village"))
    assert set(counties) == {COUNTY_YUNXI[:6], COUNTY_SHIMEN[:6], COUNTY_LIUJIANG[:6]}
    present = set(AttendanceDay.objects.filter(status=DayStatus.PRESENT).values_list("cadre_id", "day"))
    for entry in entries:
        assert (entry.cadre_id, entry.day) in present
        assert entry.posting.is_in_force_on(entry.day)
        assert entry.day < TODAY
    assert entries.filter(major_event=True).count() == 2
    assert all(e.major_event_note for e in entries.filter(major_event=True))
    assert entries.filter(funds_yuan__gt=0).exists() and entries.filter(disputes_found__gt=0).exists()
    demo = User.objects.get(username="cadre").cadre_id
    assert 12 <= entries.filter(cadre_id=demo, day__gte=TODAY - datetime.timedelta(days=61)).count() <= 20


@pytest.mark.django_db
def test_it_sums_the_same_outcomes_the_reports_will_read(frozen):
    totals = sm.outcome_totals(region_prefix=CITY_CODE[:4], start=START, end=TODAY, level=3)
    direct = DiaryEntry.objects.aggregate(h=Sum("households_visited"), f=Sum("funds_yuan"), j=Sum("jobs_created"))
    assert sum(t["households_visited"] for t in totals.values()) == direct["h"]
    assert sum(t["funds_yuan"] for t in totals.values()) == direct["f"]
    assert sum(t["jobs_created"] for t in totals.values()) == direct["j"]
    assert sum(t["entries"] for t in totals.values()) == frozen["diary_entries"]


# ---------------------------------------------------------------- pages and idempotence


@pytest.mark.django_db
def test_it_gives_every_page_content_for_the_demo_accounts(frozen, client):
    scene = Inspection.objects.get(kind="unannounced")
    city = TrainingEvent.objects.get(region__code=CITY_CODE)
    for username, urls in {
        "county": ["/inspections/", scene.get_absolute_url(), "/inspections/?tab=rectifications", "/training/",
                   city.get_absolute_url(), "/diary/"],
        "township": ["/inspections/", scene.get_absolute_url(), "/training/", "/diary/"],
        "cadre": ["/diary/", "/diary/new/", "/training/"],
    }.items():
        client.force_login(User.objects.get(username=username))
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302), (username, url)
            if url.endswith("/") and response.status_code == 200 and "object_list" in (response.context or {}):
                assert len(response.context["object_list"]) > 0, (username, url)


@pytest.mark.django_db
def test_it_is_idempotent(frozen):
    before = _snapshot()
    summary = seed_management_attendance(today=TODAY)
    assert summary["changes"] == {}
    assert _snapshot() == before
    assert "数据已是最新" in format_summary(summary)
