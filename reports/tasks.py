"""Celery tasks: thin wrappers that take ids and call the services (see reports/services.py)."""
import datetime

from celery import shared_task
from django.utils import timezone

from . import services
from .models import ReportKind


@shared_task(
    bind=True,
    acks_late=True,                 # a worker killed mid-build leaves the message unacknowledged: it runs again
    reject_on_worker_lost=True,
    autoretry_for=services.RETRIABLE_ERRORS,  # the database went away: try again later
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    time_limit=60 * 60,
    soft_time_limit=55 * 60,
)
def build_report(self, report_id: int) -> str:
    # autoretry_for retries only while retries remain; the service puts the report back in the queue
    # in that case (a failed report is never claimed again) and marks it failed on the last attempt.
    report = services.report_build(report_id=report_id, will_retry=self.request.retries < self.max_retries)
    return "done" if report is not None else "skipped"


@shared_task(acks_late=True)
def schedule_monthly_reports(today: str | None = None) -> int:
    """Runs daily (beat). For every city and county whose policy's confirmation deadline has come, build
    last month's report once: the townships have confirmed their registers by then."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    n = 0
    for region in services.scheduled_regions():
        period = services.monthly_report_due(region=region, today=day)
        if period is not None:
            services.report_request(actor=None, kind=ReportKind.MONTHLY, region=region, period=period)
            n += 1
    return n


@shared_task(acks_late=True)
def schedule_annual_reports(today: str | None = None) -> int:
    """Runs on 10 January (beat): last year's annual report of every city and county."""
    day = datetime.date.fromisoformat(today) if today else timezone.localdate()
    regions = services.scheduled_regions()
    for region in regions:
        services.report_request(actor=None, kind=ReportKind.ANNUAL, region=region, period=str(day.year - 1))
    return len(regions)


@shared_task
def requeue_stalled_reports() -> int:
    return services.requeue_stalled()
