"""Celery tasks: thin wrappers that take ids and call the services (see reports/services.py)."""
import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from cadres.selectors import policy_for

from . import services
from .models import ReportKind


@shared_task(
    bind=True,
    acks_late=True,                 # a worker killed mid-build leaves the message unacknowledged: it runs again
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),  # the database went away: try again later
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    time_limit=60 * 60,
    soft_time_limit=55 * 60,
)
def build_report(self, report_id: int) -> str:
    report = services.report_build(report_id=report_id)
    return "done" if report is not None else "skipped"


@shared_task(acks_late=True)
def schedule_monthly_reports(today: str | None = None) -> int:
    """Runs daily (beat). For every city and county whose policy's confirmation deadline is today, build
    last month's report: the townships have confirmed their registers by then."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    last_month = (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    n = 0
    for region in services.scheduled_regions():
        if policy_for(region).register_confirm_day == day.day:
            services.report_request(actor=None, kind=ReportKind.MONTHLY, region=region, period=f"{last_month:%Y-%m}")
            n += 1
    return n


@shared_task(acks_late=True)
def schedule_annual_reports(today: str | None = None) -> int:
    """Runs on 10 January (beat): last year's annual report of every city and county."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    for region in services.scheduled_regions():
        services.report_request(actor=None, kind=ReportKind.ANNUAL, region=region, period=str(day.year - 1))
    return len(services.scheduled_regions())


@shared_task
def requeue_stalled_reports() -> int:
    return services.requeue_stalled()
