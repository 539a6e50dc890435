"""`manage.py generate_scale` (bench.generate) at a tiny scale: the same code path as the 60,000-cadre province
(COPY on PostgreSQL, batched INSERTs on SQLite), checked for valid codes and ID numbers, exact tallies, a
register that agrees with leave, training, inspections and diary, evaluations within the rules, and the same
rows for the same seed."""
import datetime
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from attendance.models import (
    AttendanceDay,
    DaySource,
    DayStatus,
    DiaryEntry,
    InspectionFinding,
    LeaveRequest,
    LeaveStatus,
    MonthConfirmation,
    MonthlyTally,
    TrainingParticipant,
)
from attendance.selectors import register_gaps
from attendance.services.register import tally_differences
from bench.generate import (
    PROVINCE_CODE,
    GenerationRefused,
    generate,
    scale_for,
    table_counts,
    tally_mismatches,
    wipe_generated,
)
from cadres.models import Cadre, Evaluation, Posting, PostingStatus, Recall, User
from cadres.selectors import evaluation_limits, policy_for
from cadres.validators import validate_id_number, validate_phone
from villages.models import DispatchingUnit, Region, RegionLevel, Village
from villages.validators import validate_code_for_level, validate_division_code

CADRES = 40
TODAY = datetime.date(2026, 6, 1)


@pytest.fixture
def province(db):
    return generate(cadres=CADRES, year=2025, seed=1, today=TODAY)


def first_id_numbers() -> list[str]:
    return list(Cadre.objects.order_by("pk").values_list("id_number", flat=True)[:10])


def test_it_sizes_the_province_from_the_number_of_cadres():
    scale = scale_for(60000)
    assert (scale.villages, scale.townships, scale.counties, scale.cities, scale.units) == (15000, 1200, 100, 14, 3000)
    assert scale.recalls == 1176  # 2% of the postings, each replaced by one of the 60,000 cadres


def test_it_writes_the_expected_numbers_of_rows(province):
    scale = scale_for(CADRES)
    assert Region.objects.filter(level=RegionLevel.PROVINCE, code=PROVINCE_CODE).count() == 1
    assert Region.objects.count() == 1 + scale.cities + scale.counties + scale.townships
    assert Village.objects.count() == scale.villages
    assert DispatchingUnit.objects.count() >= scale.units
    assert Cadre.objects.count() == CADRES
    assert Posting.objects.count() == CADRES
    assert Recall.objects.filter(status="approved").count() == scale.recalls
    assert Posting.objects.filter(replaces__isnull=False).count() == scale.recalls
    assert 1.2 * CADRES <= LeaveRequest.objects.count() <= 2.8 * CADRES
    assert User.objects.filter(cadre__isnull=False).count() == CADRES
    # Nearly every day of the year of every posting has a row; the missing ones are in unconfirmed months.
    in_post_days = sum(
        (min(p.end_date or datetime.date(2025, 12, 31), datetime.date(2025, 12, 31))
         - max(p.start_date, datetime.date(2025, 1, 1))).days + 1
        for p in Posting.objects.all()
    )
    assert 0.97 * in_post_days <= AttendanceDay.objects.count() <= in_post_days
    assert Evaluation.objects.count() == CADRES
    assert DiaryEntry.objects.count() > 10 * CADRES
    assert province["attendance.AttendanceDay"] == AttendanceDay.objects.count()


def test_it_generates_valid_codes_id_numbers_and_phones(province):
    for region in Region.objects.select_related("parent"):
        validate_division_code(region.code)
        parent = region.parent
        validate_code_for_level(region.code, region.level, parent and parent.code, parent and parent.level)
        region.full_clean()
    for village in Village.objects.select_related("township"):
        validate_code_for_level(village.code, 5, village.township.code, village.township.level)
        village.full_clean()
    for unit in DispatchingUnit.objects.select_related("region"):
        unit.full_clean()
    cadres = list(Cadre.objects.all())
    for cadre in cadres:
        validate_id_number(cadre.id_number)
        validate_phone(cadre.phone)
        assert cadre.id_tail == cadre.id_number[-6:]
        assert 1965 <= cadre.birth_date.year <= 2000
    assert len({c.phone for c in cadres}) == len(cadres)


def test_it_keeps_the_tallies_exact_and_the_postings_apart(province):
    assert tally_differences() == []
    assert tally_mismatches() == 0
    by_cadre = defaultdict(list)
    for posting in Posting.objects.all():
        by_cadre[posting.cadre_id].append(posting)
    far = datetime.date.max
    for postings in by_cadre.values():
        postings.sort(key=lambda p: p.start_date)
        for before, after in zip(postings, postings[1:], strict=False):
            assert (before.end_date or far) < after.start_date
    for posting in Posting.objects.filter(replaces__isnull=False).select_related("replaces"):
        assert posting.replaces.status == PostingStatus.RECALLED
        assert posting.village_id == posting.replaces.village_id
        assert posting.start_date > posting.replaces.end_date
        recall = Recall.objects.get(posting=posting.replaces)
        assert recall.recall_date == posting.replaces.end_date


def test_it_fills_the_register_from_leave_training_inspections_and_diary(province):
    register = {(r.cadre_id, r.day): r for r in AttendanceDay.objects.all()}
    for leave in LeaveRequest.objects.select_related("posting").prefetch_related("filed_with"):
        township = leave.village.township
        if leave.days <= Decimal(3):
            assert (leave.approver_level, leave.approver_region_id) == (RegionLevel.TOWNSHIP, township.pk)
            assert list(leave.filed_with.all()) == []
        else:
            assert (leave.approver_level, leave.approver_region_id) == (RegionLevel.COUNTY, township.parent_id)
            assert list(leave.filed_with.all()) == [township.parent.parent]
        days = [r for r in register.values() if r.leave_id == leave.pk]
        if leave.status in (LeaveStatus.APPROVED, LeaveStatus.RETURNED):
            end = leave.returned_on or datetime.date.max
            expected = [d for d in leave.full_days() if d < end and d.year == 2025]
            assert sorted(r.day for r in days) == expected
            assert all(r.status == DayStatus.LEAVE and r.source == DaySource.LEAVE for r in days)
        else:
            assert days == []
        if leave.late_days:
            late = register[(leave.cadre_id, leave.returned_on - datetime.timedelta(days=1))]
            assert (late.status, late.source, late.flagged) == (DayStatus.ABSENT, DaySource.RETURN, True)
    for finding in InspectionFinding.objects.select_related("inspection"):
        row = register.get((finding.cadre_id, finding.inspection.date))
        if finding.finding == "on_leave":
            assert row.status == DayStatus.LEAVE
        elif finding.finding == "absent":
            assert row.status == DayStatus.ABSENT
        else:
            assert row.status in (DayStatus.PRESENT, DayStatus.BUSINESS, DayStatus.TRAINING)
    inspection_absences = [r for r in register.values() if r.source == DaySource.INSPECTION]
    assert all(r.status == DayStatus.ABSENT and r.flagged for r in inspection_absences)
    attended = {
        (p.cadre_id, day)
        for p in TrainingParticipant.objects.filter(attended=True, event__counts_as_training=True).select_related("event")
        for day in (p.event.start_date + datetime.timedelta(days=i) for i in range(p.event.days))
    }
    training = {key for key, r in register.items() if r.status == DayStatus.TRAINING}
    assert training and training <= attended
    for entry in DiaryEntry.objects.all():
        assert register[(entry.cadre_id, entry.day)].status == DayStatus.PRESENT
    # A confirmed month has no unrecorded day (register_confirm_month would have refused it).
    confirmed = list(MonthConfirmation.objects.select_related("township"))
    assert confirmed
    for confirmation in confirmed:
        assert register_gaps(township=confirmation.township, month=confirmation.month) == []


def test_it_grades_within_the_evaluation_rules(province):
    evaluations = list(Evaluation.objects.select_related("cadre", "posting__village__township__parent", "county"))
    assert {e.grade for e in evaluations} >= {"excellent", "competent"}
    for evaluation in evaluations:
        township = evaluation.posting.village.township
        assert evaluation.county_id == township.parent_id
        limits = evaluation_limits(cadre=evaluation.cadre, year=2025, policy=policy_for(township),
                                   county=evaluation.county)
        assert limits.refusal(evaluation.grade) is None, (evaluation.cadre_id, limits.reasons)


def test_it_gives_the_same_rows_for_the_same_seed_and_refuses_to_run_twice(db):
    generate(cadres=CADRES, year=2025, seed=1, today=TODAY)
    first = first_id_numbers()
    tallies = sorted(MonthlyTally.objects.values_list("month", "present", "leave", "business", "training", "absent"))
    with pytest.raises(GenerationRefused):
        generate(cadres=CADRES, year=2025, seed=1, today=TODAY)

    generate(cadres=CADRES, year=2025, seed=1, today=TODAY, force=True)
    assert first_id_numbers() == first
    assert sorted(MonthlyTally.objects.values_list("month", "present", "leave", "business", "training",
                                                   "absent")) == tallies

    generate(cadres=CADRES, year=2025, seed=2, today=TODAY, force=True)
    assert first_id_numbers() != first
    assert Cadre.objects.count() == CADRES  # the previous province is gone, not added to


def test_it_deletes_the_province_and_everything_that_depends_on_it(province):
    wipe_generated()
    assert all(count == 0 for _label, _name, count in table_counts())


def test_the_command_refuses_a_second_run_and_checks_the_tallies(db):
    out = StringIO()
    call_command("generate_scale", "--cadres", str(CADRES), "--year", "2025", stdout=out)
    assert "完成" in out.getvalue()
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_scale", "--cadres", str(CADRES), "--year", "2025", stdout=StringIO())
    out = StringIO()
    call_command("generate_scale", "--check", stdout=out)
    assert "月度统计与考勤簿一致" in out.getvalue()
    assert "attendance.AttendanceDay" in out.getvalue()
