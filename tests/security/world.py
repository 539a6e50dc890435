"""One set of objects of every kind the pages show, inside county A (township A1, village A1a, 李娜) and outside
it (county B: township B1, village B1a, 刘洋), built through the services on top of tests.factories.build_org.

`world.inside` and `world.outside` name the same kinds of object on each side, so a row of the access table
builds its URL from either: `lambda o: {"pk": o.leave.pk}`.
"""
import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from attendance.models import TrainingEvent
from attendance.services import leave_request
from attendance.services.diary import diary_write
from attendance.services.importing import import_attendance_export
from attendance.services.inspection import inspection_record, rectification_open
from attendance.services.register import (
    Entry,
    correction_request,
    month_start,
    register_confirm_month,
    register_write,
)
from attendance.services.training import training_event_save
from cadres.services import award_record, evaluation_save, recall_propose
from reports import services as report_services
from reports.models import Report, ReportKind, ReportStatus
from tests import factories as f
from tests.attendance.test_import import dingtalk_rows, upload, xlsx
from villages import services as village_services
from villages.models import RegionLevel

ROLES = ("admin", "city", "county", "county_b", "township", "township2", "township_b", "unit", "unit_b", "cadre",
         "cadre_b")
ANON = "anon"


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


def _side(*, org, county, township, village, unit, cadre, posting, others, official, township_user, cadre_user,
          unit_user, round_name, today, last_month) -> SimpleNamespace:
    """Every kind of object for one side. `others` are the other cadres posted in the side's township (the
    register of last month must be complete before it can be confirmed)."""
    side = SimpleNamespace(county=county, township=township, village=village, unit=unit, cadre=cadre, posting=posting)
    side.round = f.RoundFactory(name=round_name, region=county)
    # Last month kept and confirmed by the township, then a correction asked of the county.
    days = _days(last_month, month_start(today) - datetime.timedelta(days=1))
    register_write(entries=[Entry(cadre_id=c.pk, day=d, status="present") for c in (cadre, *others) for d in days],
                   source="township", actor=township_user)
    register_confirm_month(actor=township_user, township=township, month=last_month)
    side.correction = correction_request(actor=township_user, cadre=cadre, day=last_month + datetime.timedelta(days=4),
                                         new_status="business", reason="县里开会,漏记")
    # A short leave next week, waiting for the township.
    side.leave = leave_request(actor=cadre_user, cadre=cadre, kind="personal", start_date=today + datetime.timedelta(days=7),
                               end_date=today + datetime.timedelta(days=8), reason="家中有事")
    side.recall = recall_propose(actor=official, posting=posting, reason="health", note="本人身体原因申请")
    side.inspection = inspection_record(
        actor=official, date=today, kind="planned", inspectors="组织部 王明", villages=[village],
        findings=[{"cadre_id": c.pk, "finding": "present", "note": ""} for c in (cadre, *others)],
    )
    side.rectification = rectification_open(actor=official, inspection=side.inspection, description="村务公开栏未更新",
                                            owner=township.name, deadline=today + datetime.timedelta(days=30))
    event = TrainingEvent(title="驻村干部业务培训班", kind="training", start_date=today, end_date=today,
                          counts_as_training=True, location="县委党校")
    side.training = training_event_save(actor=official, event=event, cadre_ids=[c.pk for c in (cadre, *others)])
    side.diary = diary_write(actor=cadre_user, day=today, text="走访农户5户,了解产业发展需求。",
                             outcomes={"households_visited": 5})
    side.support = village_services.support_record(
        actor=unit_user, unit=unit, village=village, kind="funds", date=today, amount_yuan=Decimal("50000"),
        title="拨付产业发展资金",
    )
    side.award = award_record(actor=official, cadre=cadre, kind="praise", date=today, level=RegionLevel.COUNTY,
                              issuing_body=f"中共{county.name}委组织部", document_number="组通〔2026〕1号",
                              reason="走访扎实")
    side.evaluation_year = today.year - 1
    side.evaluation = evaluation_save(actor=official, cadre=cadre, year=side.evaluation_year, grade="competent")
    # A monthly report of the county, built; and an annual one whose build failed (retry is for failed ones).
    report = report_services.report_request(actor=official, kind=ReportKind.MONTHLY, region=county,
                                            period=f"{last_month:%Y-%m}")
    side.report = report_services.report_build(report_id=report.pk)
    failed = report_services.report_request(actor=official, kind=ReportKind.ANNUAL, region=county,
                                            period=str(today.year - 1))
    Report.objects.filter(pk=failed.pk).update(status=ReportStatus.FAILED, error="生成失败:测试")
    side.failed_report = Report.objects.get(pk=failed.pk)
    # A DingTalk export of this month for the township.
    this_month = month_start(today)
    header = dingtalk_rows(org, month=this_month, days=(today - this_month).days + 1)[:4]
    rows = header + [_person_row(header, c) for c in (cadre, *others)]
    side.batch = import_attendance_export(actor=township_user, township=township, month=this_month, source="dingtalk",
                                          file=upload(xlsx(rows)), file_name="考勤.xlsx")
    return side


def _person_row(header: list, cadre) -> list:
    """A person in the layout of tests.attendance.test_import.dingtalk_rows: present on the 1st."""
    days = len(header[2]) - 9
    return [cadre.name, "驻村考勤组", "", "", "", "u1", cadre.phone, "正常"] + [""] * (days - 1) + [1, 0]


def build_world(org, users) -> SimpleNamespace:
    today = timezone.localdate()
    last_month = month_start(month_start(today) - datetime.timedelta(days=1))
    inside = _side(
        org=org, county=org.county_a, township=org.town_a1, village=org.v_a1a, unit=org.unit_city, cadre=org.c_a1_mem,
        posting=org.p_a1_mem, others=[org.c_a1_sec], official=users.county, township_user=users.township,
        cadre_user=users.cadre, unit_user=users.unit, round_name="云溪县第一批", today=today, last_month=last_month,
    )
    outside = _side(
        org=org, county=org.county_b, township=org.town_b1, village=org.v_b1a, unit=org.unit_b, cadre=org.c_b1_sec,
        posting=org.p_b1_sec, others=[], official=users.county_b, township_user=users.township_b,
        cadre_user=users.cadre_b, unit_user=users.unit_b, round_name="石门县第一批", today=today, last_month=last_month,
    )
    return SimpleNamespace(org=org, users=users, inside=inside, outside=outside, today=today, last_month=last_month)
