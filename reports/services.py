"""Report lifecycle: request (deduplicated, versioned), build (claimed by one worker, idempotent), retry,
download (permission checked again, audit-logged)."""
import datetime
import logging
import os
import tempfile
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from attendance.services.register import month_start
from cadres.audit import audit_record
from cadres.models import Role
from cadres.selectors import policy_for
from villages.models import Region, RegionLevel
from villages.selectors import region_list

from .models import Report, ReportKind, ReportStatus

log = logging.getLogger(__name__)
RAW_KINDS = {ReportKind.RAW_CADRES, ReportKind.RAW_POSTINGS, ReportKind.RAW_LEAVE, ReportKind.RAW_REGISTER}


def parse_period(kind: str, period: str, *, today: datetime.date | None = None) -> datetime.date | int | None:
    """'2026-10' for a monthly report, '2026' for an annual one; refused with a clear message otherwise."""
    today = today or timezone.localdate()
    period = (period or "").strip()
    if kind == ReportKind.MONTHLY:
        parts = period.split("-")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
            raise ValidationError({"period": _("月报的期间格式为YYYY-MM,例如2026-10。")})
        try:
            value = datetime.date(int(parts[0]), int(parts[1]), 1)
        except ValueError as exc:
            raise ValidationError({"period": _("月报的期间格式为YYYY-MM,例如2026-10。")}) from exc
        if value.year < 2000:
            raise ValidationError({"period": _("期间年份不正确。")})
        if value > today.replace(day=1):
            raise ValidationError({"period": _("不能生成未来月份的月报。")})
        return value
    if kind == ReportKind.ANNUAL:
        if not (period.isdigit() and len(period) == 4):
            raise ValidationError({"period": _("年报的期间格式为YYYY,例如2026。")})
        year = int(period)
        if year > today.year or year < 2000:
            raise ValidationError({"period": _("年报的年份不正确。")})
        return year
    return None


def period_key(kind: str, value: datetime.date | int | None) -> str:
    """The one spelling of a period stored on a report, so '2026-1' and '2026-01' are the same report."""
    if kind == ReportKind.MONTHLY:
        return f"{value:%Y-%m}"
    if kind == ReportKind.ANNUAL:
        return f"{value:04d}"
    return ""


def may_request(user, region: Region, kind: str) -> bool:
    """Reports: organization departments, township officials and admins, for a region inside their own
    jurisdiction. Raw exports: admins only."""
    if user is None:
        return True  # the scheduler
    if kind in RAW_KINDS and user.role != Role.ADMIN:
        return False
    if user.role not in (Role.ORG_DEPT, Role.TOWNSHIP, Role.ADMIN):
        return False
    return region_list(user=user).filter(pk=region.pk).exists()


def may_see(user, report: Report) -> bool:
    return may_request(user, report.region, report.kind)


def _enqueue(report: Report) -> None:
    from .tasks import build_report

    try:
        build_report.delay(report.pk)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the request is kept and retried later
        log.warning("report %s could not be queued: %s", report.pk, exc)
        Report.objects.filter(pk=report.pk, status=ReportStatus.QUEUED).update(
            message=_("任务队列暂时不可用,申请已保存,将在队列恢复后自动生成。")
        )


@transaction.atomic
def report_request(*, actor, kind: str, region: Region, period: str = "", ip: str | None = None) -> Report:
    """Ask for a report. While one of the same kind, region and period is queued or running, that one is
    returned instead of starting another."""
    if kind not in ReportKind.values:
        raise ValidationError({"kind": _("报表类型不正确。")})
    if not may_request(actor, region, kind):
        raise PermissionDenied(_("只能申请本辖区的报表。"))
    if kind in (ReportKind.MONTHLY, ReportKind.ANNUAL) and region.level > RegionLevel.TOWNSHIP:
        raise ValidationError({"region": _("报表只能按市、县(区)或乡镇生成。")})
    period = period_key(kind, parse_period(kind, period))
    active = Report.objects.filter(
        kind=kind, region=region, period=period, status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING)
    ).first()
    if active is not None:
        return active
    version = (Report.objects.filter(kind=kind, region=region, period=period).aggregate(v=Max("version"))["v"] or 0) + 1
    try:
        with transaction.atomic():
            report = Report.objects.create(
                kind=kind, region=region, period=period, version=version, requested_by=actor,
                language=translation.get_language() or "zh-hans",
            )
    except IntegrityError:
        # The same key was requested at the same moment by someone else: theirs is the one.
        return Report.objects.filter(kind=kind, region=region, period=period).order_by("-version").first()
    if actor is not None:
        audit_record(actor=actor, action="report.request", obj=report, region_code=region.code, ip=ip,
                     detail={"kind": kind, "period": period})
    transaction.on_commit(lambda: _enqueue(report))
    return report


# A report whose build keeps killing its worker (out of memory, hard time limit) would otherwise be
# redelivered forever under acks_late; after this many attempts it is marked failed instead.
MAX_ATTEMPTS = 8
RETRIABLE_ERRORS = (OperationalError, InterfaceError)


def _claim(report_id: int) -> bool:
    """Mark the report running. A report left `running` by a killed worker is claimed again when its task
    is redelivered (acks_late); a finished one is never rebuilt by a stray duplicate message."""
    claimed = Report.objects.filter(
        pk=report_id, status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING), attempts__lt=MAX_ATTEMPTS
    ).update(
        status=ReportStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1, progress=1,
        error="", message="",
    )
    if not claimed:
        Report.objects.filter(
            pk=report_id, status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING), attempts__gte=MAX_ATTEMPTS
        ).update(status=ReportStatus.FAILED, finished_at=timezone.now(),
                 error=_("生成多次中断(%(n)d次),已停止自动重试,请检查后手动重试。") % {"n": MAX_ATTEMPTS})
    return bool(claimed)


def _progress(report_id: int, percent: int) -> None:
    Report.objects.filter(pk=report_id).update(progress=min(99, max(1, percent)))
    # Test hook, for tests/security/test_worker_kill.py only: a worker started with this variable pauses at each
    # step of a build, long enough to be killed in the middle of one. Never set outside that test.
    delay = os.environ.get("ZHUCUN_REPORT_TEST_DELAY")
    if delay:
        time.sleep(float(delay))


def report_build(*, report_id: int, as_of: datetime.date | None = None, will_retry: bool = False) -> Report | None:
    """Build the file and make it the current version. Returns None when there was nothing to do.

    On failure the report is marked failed with the reason, and the exception propagates; except when the
    database went away and the task is going to try again (`will_retry`): then it goes back to the queue,
    since a failed report is never claimed by a retry."""
    if not _claim(report_id):
        return None
    report = Report.objects.select_related("region").get(pk=report_id)
    with translation.override(report.language):
        fd, tmp = tempfile.mkstemp(suffix=".xlsx")
        os.close(fd)
        try:
            rows = build_file(report=report, path=tmp, as_of=as_of,
                              progress=lambda p: _progress(report_id, p))
            with open(tmp, "rb") as fh, transaction.atomic():
                report.file.save(file_name(report), File(fh), save=False)
                Report.objects.filter(
                    kind=report.kind, region=report.region, period=report.period, is_current=True
                ).exclude(pk=report.pk).update(is_current=False)
                report.is_current = True
                report.status = ReportStatus.DONE
                report.progress = 100
                report.rows = rows
                report.file_size = report.file.size
                report.finished_at = timezone.now()
                report.message = _("已生成,共%(n)d行明细。") % {"n": rows}
                report.save()
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"[:2000]
            if will_retry and isinstance(exc, RETRIABLE_ERRORS):
                Report.objects.filter(pk=report_id).update(
                    status=ReportStatus.QUEUED, progress=0,
                    message=_("数据库暂时不可用,稍后自动重试。"), error=_("上次尝试失败:%(error)s") % {"error": reason},
                )
            else:
                Report.objects.filter(pk=report_id).update(
                    status=ReportStatus.FAILED, finished_at=timezone.now(),
                    error=_("生成失败:%(error)s") % {"error": reason},
                )
            raise
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return report


def file_name(report: Report) -> str:
    kind = {ReportKind.MONTHLY: "monthly", ReportKind.ANNUAL: "annual"}.get(report.kind, report.kind)
    period = report.period or f"{timezone.localdate():%Y%m%d}"
    return f"{report.region.code}_{kind}_{period}_v{report.version}.xlsx"


def build_file(*, report: Report, path: str, as_of: datetime.date | None = None, progress=None) -> int:
    from . import builders, exports

    as_of = as_of or timezone.localdate()
    if report.kind == ReportKind.MONTHLY:
        month = parse_period(report.kind, report.period, today=max(as_of, timezone.localdate()))
        return builders.write_monthly(region=report.region, month=month, as_of=as_of, path=path, progress=progress)
    if report.kind == ReportKind.ANNUAL:
        year = parse_period(report.kind, report.period, today=max(as_of, timezone.localdate()))
        return builders.write_annual(region=report.region, year=year, as_of=as_of, path=path, progress=progress)
    return exports.write_raw(kind=report.kind, region=report.region, path=path, progress=progress)


@transaction.atomic
def report_retry(*, actor, report_id: int, ip: str | None = None) -> Report:
    report = Report.objects.select_related("region").get(pk=report_id)
    if not may_see(actor, report):
        raise PermissionDenied
    same_key = Report.objects.filter(kind=report.kind, region=report.region, period=report.period)
    # Retrying an old version while a newer one exists (or is being built) would make the old one current
    # again; ask for the report afresh instead.
    if same_key.filter(version__gt=report.version).exists():
        raise ValidationError(_("该报表已有更新的版本,请重新申请生成。"))
    updated = Report.objects.filter(pk=report_id, status=ReportStatus.FAILED).update(
        status=ReportStatus.QUEUED, progress=0, error="", message="", started_at=None, finished_at=None,
        attempts=0,
    )
    if not updated:
        raise ValidationError(_("只有失败的报表可以重试。"))
    audit_record(actor=actor, action="report.retry", obj=report, region_code=report.region.code, ip=ip)
    transaction.on_commit(lambda: _enqueue(report))
    report.refresh_from_db()
    return report


def report_download(*, actor, report: Report, ip: str | None = None):
    """Permission is checked again at download time (a user may have moved jurisdiction since asking)."""
    if not may_see(actor, report):
        raise PermissionDenied
    if report.status != ReportStatus.DONE or not report.file:
        raise ValidationError(_("报表尚未生成完成。"))
    audit_record(actor=actor, action="report.download", obj=report, region_code=report.region.code, ip=ip)
    return report.file.open("rb")


def requeue_stalled(*, older_than_minutes: int = 10) -> int:
    """Reports still queued long after being asked for (the broker was down): queue them again."""
    cutoff = timezone.now() - datetime.timedelta(minutes=older_than_minutes)
    stalled = list(Report.objects.filter(status=ReportStatus.QUEUED, created_at__lt=cutoff))
    for report in stalled:
        _enqueue(report)
    return len(stalled)


def scheduled_regions() -> list[Region]:
    """Every city and county: the scheduled reports are built for each."""
    return list(Region.objects.filter(level__in=(RegionLevel.CITY, RegionLevel.COUNTY)).order_by("code"))


def monthly_report_due(*, region: Region, today: datetime.date) -> str | None:
    """The period of last month's report when it is due for `region` today, else None.

    Due from the region's confirmation deadline (policy register_confirm_day, default the 5th; townships
    confirm before it) until a report of that period has been asked for since the deadline: so the day the
    scheduler missed (beat down, a deploy) is caught up the next day rather than skipped, and a report is
    never asked twice."""
    confirm_day = policy_for(region).register_confirm_day
    if today.day < confirm_day:
        return None
    period = f"{month_start(month_start(today) - datetime.timedelta(days=1)):%Y-%m}"
    deadline = timezone.make_aware(datetime.datetime.combine(today.replace(day=confirm_day), datetime.time()))
    if Report.objects.filter(kind=ReportKind.MONTHLY, region=region, period=period, created_at__gte=deadline).exists():
        return None
    return period
